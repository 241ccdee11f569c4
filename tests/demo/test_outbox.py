"""The demo's mail lands in an outbox that admins read in the browser, not on the terminal."""

import pytest

from attenda.tickets.services import reply
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_outbox(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "attenda.demo.outbox.EmailBackend"
    return tmp_path / "demo-outbox"


def test_an_admin_reads_a_reply_in_the_demo_outbox_and_an_agent_may_not(
    client, demo_outbox, team, agent, admin_agent, run_tasks, django_capture_on_commit_callbacks
):
    outgoing_mailbox()
    ticket = received_ticket(team=team)
    with django_capture_on_commit_callbacks(execute=True):
        reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.\nObrigado.")
    run_tasks()

    client.force_login(admin_agent)
    listing = client.get("/demo/outbox/").content.decode()
    [mail_file] = demo_outbox.glob("*.eml")
    mail = client.get(f"/demo/outbox/{mail_file.stem}/").content.decode()
    client.force_login(agent)
    refused = client.get("/demo/outbox/")

    assert "maria@example.com" in listing
    assert f"Re: Fatura de outubro [#{ticket.pk}]</a>" in listing
    assert "A fatura foi corrigida.<br>Obrigado." in mail
    assert refused.status_code == 403


def test_a_name_outside_the_outbox_is_not_found(client, demo_outbox, admin_agent):
    client.force_login(admin_agent)

    assert client.get("/demo/outbox/..%2Fdemo-password/").status_code == 404
