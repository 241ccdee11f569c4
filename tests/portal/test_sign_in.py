"""Customers sign in to the portal by a link mailed to their address: it works once, for at most 15
minutes, for that address only; nobody learns which addresses are known."""

import pytest
from django.test import Client

from attenda.customers.models import Identity
from attenda.portal.models import SignInLink
from tests.portal.conftest import link_in
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def ask(client: Client, address: str, committed):
    with committed():
        return client.post("/portal/sign-in/", {"email": address})


def test_a_link_is_mailed_in_the_customers_language_and_signs_in_once(
    maria_ticket, mailoutbox, run_tasks, committed
):
    client = Client()
    answer = ask(client, "Maria@Example.com", committed)
    run_tasks()
    link = link_in(mailoutbox[0])

    shown = client.get(link)
    used = client.post(link)
    home = client.get("/portal/")
    again = Client().post(link)

    assert answer.headers["Location"] == "/portal/sign-in/sent/"
    assert mailoutbox[0].to == ["maria@example.com"]
    assert mailoutbox[0].subject == "A sua ligação para entrar no portal de clientes"
    assert "15 minutos" in mailoutbox[0].body
    assert shown.status_code == 200 and "Sign in" in shown.content.decode()
    assert used.headers["Location"] == "/portal/"
    assert "Fatura de outubro" in home.content.decode()
    assert again.status_code == 410


def test_opening_the_link_does_not_use_it(maria_ticket, mailoutbox, run_tasks, committed):
    """Mail scanners open links; only the button signs in."""
    ask(Client(), "maria@example.com", committed)
    run_tasks()
    link = link_in(mailoutbox[0])

    Client().get(link)
    Client().get(link)

    assert Client().post(link).headers["Location"] == "/portal/"


def test_a_link_expires_after_15_minutes(
    maria_ticket, mailoutbox, run_tasks, committed, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    ask(Client(), "maria@example.com", committed)
    run_tasks()
    link = link_in(mailoutbox[0])

    time_machine.move_to("2026-03-02 09:15:01Z", tick=False)
    late = Client().post(link)

    assert late.status_code == 410
    assert "This link no longer works" in late.content.decode()
    assert Client().get("/portal/").headers["Location"] == "/portal/sign-in/"


def test_a_link_still_works_within_its_minutes(
    maria_ticket, mailoutbox, run_tasks, committed, time_machine
):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    ask(Client(), "maria@example.com", committed)
    run_tasks()

    time_machine.move_to("2026-03-02 09:14:30Z", tick=False)

    assert Client().post(link_in(mailoutbox[0])).headers["Location"] == "/portal/"


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    maria_ticket, mailoutbox, run_tasks, committed
):
    known = ask(Client(), "maria@example.com", committed)
    unknown = ask(Client(), "nobody@example.com", committed)
    run_tasks()

    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert [mail.to for mail in mailoutbox] == [["maria@example.com"]]
    assert not SignInLink.objects.filter(address="nobody@example.com").exists()


def test_the_link_is_bound_to_the_address_it_was_mailed_to(
    maria_ticket, mailoutbox, run_tasks, committed
):
    """When the address leaves the customer before the link is used, the link signs nobody in."""
    ask(Client(), "maria@example.com", committed)
    run_tasks()
    Identity.objects.filter(value="maria@example.com").delete()

    assert Client().post(link_in(mailoutbox[0])).status_code == 410


def test_a_forged_token_signs_nobody_in(maria_ticket):
    answer = Client().post("/portal/sign-in/" + "A" * 43 + "/")

    assert answer.status_code == 410


def test_the_session_is_rotated_on_sign_in(maria_ticket, mailoutbox, run_tasks, committed):
    client = Client()
    ask(client, "maria@example.com", committed)
    run_tasks()
    client.get("/portal/sign-in/")
    before = client.session.session_key

    client.post(link_in(mailoutbox[0]))

    assert client.session.session_key != before
    assert client.session["portal_customer"] == maria_ticket.customer_id


def test_links_are_rate_limited_per_address_with_the_same_answer(
    maria_ticket, mailoutbox, run_tasks, committed
):
    answers = [
        ask(Client(REMOTE_ADDR=f"192.0.2.{number}"), "maria@example.com", committed)
        for number in range(1, 6)
    ]
    run_tasks()

    assert {answer.headers["Location"] for answer in answers} == {"/portal/sign-in/sent/"}
    assert len(mailoutbox) == 3


def test_links_are_rate_limited_per_network_address(mailoutbox, run_tasks, committed):
    for number in range(22):
        received_ticket(email=f"c{number}@example.com", name=f"C {number}")
    client = Client()

    for number in range(22):
        ask(client, f"c{number}@example.com", committed)
    run_tasks()

    assert len(mailoutbox) == 20


def test_signing_out_ends_the_session(maria):
    before = maria.get("/portal/")

    maria.post("/portal/sign-out/")
    after = maria.get("/portal/")

    assert before.status_code == 200
    assert after.headers["Location"] == "/portal/sign-in/"


def test_an_agent_session_is_not_a_customer_session(agent):
    client = Client()
    client.force_login(agent)

    assert client.get("/portal/").headers["Location"] == "/portal/sign-in/"


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your link to sign in to the customer portal"),
        ("es", "Su enlace para entrar en el portal de clientes"),
        ("ro", "Linkul dvs. de autentificare în portalul clienților"),
        ("pl", "Twój link do logowania w portalu klienta"),
    ],
)
def test_the_link_mail_speaks_the_customers_language(
    language, subject, mailoutbox, run_tasks, committed
):
    ticket = received_ticket(email="cliente@example.com", language=language)
    assert ticket.customer.language == language

    ask(Client(), "cliente@example.com", committed)
    run_tasks()

    assert mailoutbox[0].subject == subject
