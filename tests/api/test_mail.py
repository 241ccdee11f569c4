"""Raw mail by webhook: the body is the message; a repeat is recognised, never doubled."""

import pytest

from attenda.channels.email.models import InboundMail
from attenda.tickets.models import Ticket
from tests.api.client import client_for
from tests.channels.email.mail import raw_mail

pytestmark = pytest.mark.django_db


def deliver(api, address: str, raw: bytes):
    return api.client.generic("POST", f"/api/v1/mail/{address}", raw, content_type="message/rfc822")


def test_an_admin_token_delivers_a_raw_message_once(mailbox, admin_agent):
    api = client_for(admin_agent)
    raw = raw_mail(message_id="<hook@example.com>")

    first = deliver(api, "Support@Attenda.test", raw)
    again = deliver(api, "support@attenda.test", raw)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    ticket = Ticket.objects.get()
    assert first.json()["ticket"] == ticket.pk
    assert first.json()["state"] == "taken"
    assert InboundMail.objects.get().source == "api"


def test_only_admins_deliver_mail_and_only_to_a_mailbox(mailbox, api, admin_agent):
    assert deliver(api, mailbox.address, raw_mail()).status_code == 403
    missing = deliver(client_for(admin_agent), "nobody@attenda.test", raw_mail())
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert not InboundMail.objects.exists()


def test_an_empty_body_is_refused_with_a_clear_message(mailbox, admin_agent):
    response = deliver(client_for(admin_agent), mailbox.address, b"")

    assert response.status_code == 422
    assert "message itself" in str(response.json())
