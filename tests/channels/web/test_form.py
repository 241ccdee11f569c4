"""The contact form over HTTP: it opens a ticket through receive(), answers with the ticket number
and the expected first answer, and holds what looks like spam for an admin to release."""

import re
import secrets

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from attenda.channels.email.models import OutboundMail
from attenda.channels.web.inbound import STAMP_SALT
from attenda.channels.web.models import HoldReason, SubmissionState, WebSubmission
from attenda.core import clock
from attenda.tickets.models import Channel, EntryKind, Ticket
from attenda.tickets.services import assign, reply
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.django_db


def opened(seconds_ago: float = 30, *, team: int | None = None) -> str:
    """A stamp as the form's page gives it, opened that long ago; each one new."""
    return signing.dumps(
        {"at": clock.now().timestamp() - seconds_ago, "nonce": secrets.token_hex(8), "team": team},
        salt=STAMP_SALT,
    )


def filled(**changes) -> dict:
    return {
        "name": "Ioana Popescu",
        "email": "ioana@example.ro",
        "kind": "complaint",
        "subject": "Factura greșită",
        "message": "Am primit o factură dublă în octombrie.",
        "language": "ro",
        "website": "",
        "opened": opened(),
        **changes,
    }


def send(client: Client | None = None, **changes):
    return (client or Client()).post("/contact/?lang=ro", filled(**changes))


def test_the_form_opens_a_web_ticket_for_the_visitor():
    answer = send(files=SimpleUploadedFile("factura.pdf", b"%PDF-1.4 dubla", "application/pdf"))

    ticket = Ticket.objects.get()
    message = ticket.timeline.get(kind=EntryKind.MESSAGE)
    assert answer.status_code == 302
    assert ticket.channel == Channel.WEB
    assert (ticket.subject, ticket.kind, ticket.language) == ("Factura greșită", "complaint", "ro")
    assert ticket.customer.identities.get().value == "ioana@example.ro"
    assert message.body == "Am primit o factură dublă în octombrie."
    assert [file.filename for file in message.attachments.all()] == ["factura.pdf"]
    assert WebSubmission.objects.get().state == SubmissionState.ACCEPTED


def test_the_acknowledgement_page_states_the_number_and_the_expected_first_answer(team, agent):
    outgoing_mailbox()
    answered = received_ticket(team=team, email="earlier@example.com")
    assign(ticket=answered, owner=agent, actor=agent)
    reply(ticket=answered, agent=agent, body="Resolvido.")
    client = Client()

    answer = client.post(
        f"/contact/?lang=en&team={team.pk}", filled(language="en", opened=opened(team=team.pk))
    )
    page = client.get(answer.headers["Location"])

    ticket = Ticket.objects.get(channel=Channel.WEB)
    text = page.content.decode()
    assert ticket.team == team
    assert f"#{ticket.number}" in text
    assert re.search(r"We expect to answer you within about \d+ (minutes?|hours?)", text), text
    assert page.headers["Content-Language"] == "en"


def test_without_a_pace_to_go_by_the_page_promises_no_figure(team):
    client = Client()
    answer = client.post(
        f"/contact/?lang=en&team={team.pk}", filled(language="en", opened=opened(team=team.pk))
    )

    page = client.get(answer.headers["Location"]).content.decode()

    assert "We will answer you as soon as we can." in page


def test_the_email_acknowledgement_goes_through_the_mail_path_to_the_mailboxs_team(mailbox):
    send()

    ticket = Ticket.objects.get()
    mail = OutboundMail.objects.get(ticket=ticket)
    assert ticket.team == mailbox.team
    assert mail.to == ["ioana@example.ro"]
    assert ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).count() == 1
    assert f"#{ticket.number}" in ticket.timeline.get(kind=EntryKind.ACKNOWLEDGEMENT).body


def test_the_page_speaks_the_visitors_language():
    polish = Client().get("/contact/", headers={"accept-language": "pl"})
    chosen = Client().get("/contact/?lang=pt", headers={"accept-language": "pl"})

    assert polish.headers["Content-Language"] == "pl"
    assert '<html lang="pl">' in polish.content.decode()
    assert '<html lang="pt">' in chosen.content.decode()
    assert 'value="pt" selected' in chosen.content.decode()


def test_a_filled_honeypot_is_held_not_dropped():
    answer = send(website="http://cheap-pills.example")

    held = WebSubmission.objects.get()
    assert answer.status_code == 302
    assert not Ticket.objects.exists()
    assert (held.state, held.hold_reason) == (SubmissionState.HELD, HoldReason.HONEYPOT)
    assert held.message == "Am primit o factură dublă în octombrie."


def test_a_form_sent_too_fast_is_held():
    send(opened=opened(seconds_ago=1))

    assert WebSubmission.objects.get().hold_reason == HoldReason.TOO_FAST
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("stamp", ["", "1700000000", "forged:stamp"])
def test_a_missing_or_forged_stamp_is_held(stamp):
    send(opened=stamp)

    assert WebSubmission.objects.get().hold_reason == HoldReason.BAD_TIMESTAMP
    assert not Ticket.objects.exists()


def test_a_form_left_open_for_days_is_held(time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    stamp = opened(seconds_ago=0)
    time_machine.move_to("2026-03-04 09:00Z", tick=False)

    send(opened=stamp)

    assert WebSubmission.objects.get().hold_reason == HoldReason.BAD_TIMESTAMP


def test_the_stamp_the_page_gives_passes_once_a_person_took_their_time(time_machine):
    time_machine.move_to("2026-03-02 09:00:00Z", tick=False)
    client = Client()
    page = client.get("/contact/").content.decode()
    stamp = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    time_machine.move_to("2026-03-02 09:01:00Z", tick=False)

    send(client, opened=stamp)

    assert WebSubmission.objects.get().state == SubmissionState.ACCEPTED


def test_one_network_address_is_held_past_its_hourly_count(settings):
    settings.WEB_FORM_RATE_PER_ADDRESS = 3
    for number in range(4):
        send(email=f"visitor{number}@example.com")

    states = list(WebSubmission.objects.order_by("pk").values_list("state", "hold_reason"))
    assert states[:3] == [(SubmissionState.ACCEPTED, "")] * 3
    assert states[3] == (SubmissionState.HELD, HoldReason.RATE_ADDRESS)
    assert Ticket.objects.count() == 3


def test_one_email_address_is_held_past_its_hourly_count(settings):
    settings.WEB_FORM_RATE_PER_EMAIL = 2
    for number in range(3):
        send(Client(REMOTE_ADDR=f"192.0.2.{number + 1}"), subject=f"Pedido {number}")

    assert WebSubmission.objects.filter(state=SubmissionState.HELD).get().hold_reason == (
        HoldReason.RATE_EMAIL
    )
    assert Ticket.objects.count() == 2


def test_the_counts_start_again_the_next_hour(settings, time_machine):
    settings.WEB_FORM_RATE_PER_ADDRESS = 1
    time_machine.move_to("2026-03-02 09:10Z", tick=False)
    send(email="a@example.com")
    send(email="b@example.com")
    time_machine.move_to("2026-03-02 10:10Z", tick=False)
    send(email="c@example.com")

    assert list(WebSubmission.objects.order_by("pk").values_list("state", flat=True)) == [
        SubmissionState.ACCEPTED,
        SubmissionState.HELD,
        SubmissionState.ACCEPTED,
    ]


def test_past_the_ceiling_nothing_is_stored_and_the_visitor_is_told(settings):
    settings.WEB_FORM_CEILING = 2
    answers = [send(email=f"v{number}@example.com").status_code for number in range(3)]

    assert answers == [302, 302, 429]
    assert WebSubmission.objects.count() == 2


def test_a_file_over_the_limit_is_refused_with_a_clear_error(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    answer = send(files=SimpleUploadedFile("big.pdf", b"x" * 11, "application/pdf"))

    assert answer.status_code == 422
    assert "big.pdf" in answer.content.decode()
    assert not WebSubmission.objects.exists()


def test_missing_fields_come_back_marked():
    answer = send(email="not-an-address", message="")

    text = answer.content.decode()
    assert answer.status_code == 422
    assert 'role="alert"' in text
    assert 'aria-invalid="true"' in text
    assert not WebSubmission.objects.exists()


def test_held_submissions_are_listed_for_admins_who_release_them(admin_agent, mailbox):
    send(website="filled by a robot", files=SimpleUploadedFile("a.txt", b"hello", "text/plain"))
    held = WebSubmission.objects.get()
    client = Client()
    client.force_login(admin_agent)

    listed = client.get("/settings/web-form/")
    released = client.post(f"/settings/web-form/{held.pk}/release/")
    again = client.post(f"/settings/web-form/{held.pk}/release/")

    held.refresh_from_db()
    ticket = Ticket.objects.get()
    assert "ioana@example.ro" in listed.content.decode()
    assert released.status_code == 302 and again.status_code == 302
    assert (held.state, held.ticket, held.released_by) == (
        SubmissionState.RELEASED,
        ticket,
        admin_agent,
    )
    assert [
        file.filename for file in ticket.timeline.get(kind=EntryKind.MESSAGE).attachments.all()
    ] == ["a.txt"]
    assert OutboundMail.objects.filter(ticket=ticket).count() == 1


def test_agents_who_are_not_admins_cannot_see_or_release_held_submissions(agent):
    send(website="robot")
    held = WebSubmission.objects.get()
    client = Client()
    client.force_login(agent)

    listed = client.get("/settings/web-form/")
    released = client.post(f"/settings/web-form/{held.pk}/release/")

    held.refresh_from_db()
    assert (listed.status_code, released.status_code) == (403, 403)
    assert held.state == SubmissionState.HELD
    assert not Ticket.objects.exists()


def test_only_the_listed_sites_may_frame_the_form(settings):
    settings.WEB_FORM_ORIGINS = ["https://www.energia.example"]

    page = Client().get("/contact/?embed=1")
    agent_page = Client().get("/login/")

    assert (
        "frame-ancestors 'self' https://www.energia.example"
        in page.headers["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in page.headers
    assert "frame-ancestors 'none'" in agent_page.headers["Content-Security-Policy"]


def test_the_embed_script_is_served_by_attenda():
    script = Client().get("/contact/embed.js")

    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "http://testserver/contact/" in script.content.decode()


def test_the_acknowledgement_address_cannot_be_forged():
    ticket = received_ticket()

    answer = Client().get(f"/contact/thanks/{ticket.number}/")

    assert "This confirmation is no longer shown" in answer.content.decode()
    assert f"#{ticket.number}" not in answer.content.decode()


def test_a_stale_acknowledgement_address_no_longer_shows_the_ticket(time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    client = Client()
    location = send(client).headers["Location"]
    ticket = Ticket.objects.get()
    time_machine.move_to("2026-03-02 11:00Z", tick=False)

    late = client.get(location)

    assert f"#{ticket.number}" not in late.content.decode()


def test_a_team_the_page_names_that_does_not_exist_is_ignored(mailbox):
    Client().post("/contact/?team=99999", filled(opened=opened(team=99999)))

    assert Ticket.objects.get().team == mailbox.team


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "Contact us"),
        ("pt", "Contacte-nos"),
        ("es", "Contáctenos"),
        ("ro", "Contactați-ne"),
        ("pl", "Kontakt"),
    ],
)
def test_the_form_exists_in_five_languages(language, heading):
    page = Client().get("/contact/", headers={"accept-language": language}).content.decode()

    assert f"<h1>{heading}</h1>" in page
    assert f'<html lang="{language}">' in page


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://evil.example/page.html"},
    ],
)
def test_a_post_from_another_sites_page_is_refused_and_nothing_is_stored(headers):
    answer = Client().post("/contact/?lang=ro", filled(), **headers)

    assert answer.status_code == 403
    assert WebSubmission.objects.count() == 0
    assert "frame-ancestors" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "http://testserver"},  # the form's own page, framed or not
        {"HTTP_REFERER": "http://testserver/contact/?lang=ro&embed=1"},
        {"HTTP_ORIGIN": "https://shop.example.com"},  # a site allowed to embed the form
        {"HTTP_ORIGIN": "https://help.example.com"},  # another of Attenda's own addresses
        {},  # no browser's header at all: the stamp and the counts judge it
    ],
)
def test_a_post_from_the_forms_own_page_or_an_allowed_site_passes(settings, headers):
    settings.WEB_FORM_ORIGINS = ["https://shop.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://help.example.com"]

    answer = Client().post("/contact/?lang=ro", filled(), **headers)

    assert answer.status_code == 302
    assert WebSubmission.objects.get().state == SubmissionState.ACCEPTED


def test_a_stamp_makes_one_submission_and_a_second_use_is_held():
    stamp = opened()

    send(opened=stamp)
    send(opened=stamp, subject="Again")

    first, second = WebSubmission.objects.order_by("pk")
    assert first.state == SubmissionState.ACCEPTED
    assert (second.state, second.hold_reason) == (SubmissionState.HELD, HoldReason.REUSED_STAMP)
    assert Ticket.objects.count() == 1


def test_a_form_sent_back_with_errors_keeps_its_stamp_for_the_corrected_submission(time_machine):
    time_machine.move_to("2026-03-02 09:00:00Z", tick=False)
    client = Client()
    page = client.get("/contact/").content.decode()
    stamp = re.search(r'name="opened" value="([^"]+)"', page).group(1)
    time_machine.move_to("2026-03-02 09:01:00Z", tick=False)

    refused = send(client, opened=stamp, email="not an address")
    kept = re.search(r'name="opened" value="([^"]+)"', refused.content.decode()).group(1)
    send(client, opened=kept)

    assert refused.status_code == 422
    assert WebSubmission.objects.get().state == SubmissionState.ACCEPTED


def test_a_stamp_is_bound_to_the_form_of_the_team_it_was_given_for(team):
    Client().post(f"/contact/?team={team.pk}", filled(opened=opened(team=None)))

    assert WebSubmission.objects.get().hold_reason == HoldReason.BAD_TIMESTAMP


def test_a_stamp_signed_for_something_else_does_not_pass():
    other = signing.dumps(
        {"at": clock.now().timestamp() - 30, "nonce": "n", "team": None},
        salt="attenda.web-form.thanks",
    )

    send(opened=other)

    assert WebSubmission.objects.get().hold_reason == HoldReason.BAD_TIMESTAMP
