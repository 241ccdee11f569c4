"""The agent's pages meet WCAG 2.1 A and AA as far as axe-core can tell, in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from attenda.channels.email.inbound import take_mail
from attenda.tickets.models import EntryKind
from attenda.tickets.services import add_note, assign, reply, transfer
from tests.channels.email.mail import raw_mail
from tests.routing.factories import ServiceLevelPolicyFactory, TeamCalendarFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def handed_over_ticket(team, agent, colleague):
    """A ticket with every kind of timeline entry an agent writes, just handed from Ana to Bruno, whose
    customer has a second ticket."""
    received_ticket(team=team, subject="Contador avariado", body="O contador não funciona.")
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    reply(ticket=ticket, agent=agent, body="Vamos verificar a sua fatura.")
    add_note(ticket=ticket, agent=agent, body="The October reading was estimated.")
    transfer(
        ticket=ticket,
        actor=agent,
        to_agent=colleague,
        note="She was billed twice; the refund is approved, send her the credit note.",
    )
    return ticket


def test_the_login_page_has_no_wcag_violations(page, axe_violations):
    page.goto("/login/")

    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert axe_violations(page) == []


def test_the_login_page_showing_a_wrong_password_has_no_wcag_violations(
    page, axe_violations, agent
):
    page.goto("/login/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill("not-the-password")

    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password."
    )
    assert axe_violations(page) == []


def test_the_inbox_has_no_wcag_violations(
    page, log_in, axe_violations, colleague, handed_over_ticket
):
    log_in(colleague)

    page.goto("/")

    expect(page.get_by_role("link", name="Mine")).to_be_visible()
    expect(page.get_by_role("link", name="Fatura de outubro")).to_be_visible()
    assert axe_violations(page) == []


def test_the_ticket_page_has_no_wcag_violations(
    page, log_in, axe_violations, colleague, handed_over_ticket
):
    log_in(colleague)

    page.goto(f"/tickets/{handed_over_ticket.number}/")

    expect(page.get_by_role("heading", name="Hand-off note from Ana Silva")).to_be_visible()
    expect(page.get_by_label("Reply to the customer")).to_be_visible()
    assert axe_violations(page) == []


def test_the_ticket_page_after_a_reply_has_no_wcag_violations(
    page, log_in, axe_violations, colleague, handed_over_ticket
):
    log_in(colleague)
    page.goto(f"/tickets/{handed_over_ticket.number}/")

    page.get_by_label("Reply to the customer").fill("A nota de crédito segue hoje.")
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("A nota de crédito segue hoje.")).to_be_visible()
    assert axe_violations(page) == []


def test_a_transfer_without_a_note_names_the_mistake_on_the_field_without_wcag_violations(
    page, log_in, axe_violations, agent, colleague, team
):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    log_in(agent)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_label("Transfer to agent").select_option(label="Bruno Costa")

    page.get_by_role("button", name="Transfer", exact=True).click()

    note = page.get_by_label("Hand-off note")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_accessible_description(
        re.compile("Write a hand-off note: what the customer needs and what was done.")
    )
    assert axe_violations(page) == []
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.handoff_count, ticket.pinned_handoff) == (agent, 0, None)
    assert not ticket.timeline.filter(kind=EntryKind.TRANSFER).exists()


def test_the_customer_page_has_no_wcag_violations(
    page, log_in, axe_violations, colleague, handed_over_ticket
):
    log_in(colleague)

    page.goto(f"/customers/{handed_over_ticket.customer_id}/")

    expect(page.get_by_role("heading", name="Maria Santos")).to_be_visible()
    assert axe_violations(page) == []


def test_an_emailed_ticket_and_the_mailbox_pages_have_no_wcag_violations(
    page, log_in, axe_violations, admin_agent, mailbox
):
    body = (
        "Já paguei.\n\nEm 3 de novembro, Suporte <support@attenda.test> escreveu:\n> Pode pagar?\n"
    )
    ticket = take_mail(mailbox, raw_mail(body=body), source="api").mail.entry.ticket
    log_in(admin_agent)

    page.goto(f"/tickets/{ticket.pk}/")
    page.get_by_text("Show the quoted text and signature").click()
    assert axe_violations(page) == []
    page.goto("/settings/mailboxes/")
    expect(page.get_by_role("heading", name="Held mail")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"/settings/mailboxes/{mailbox.pk}/")
    expect(page.get_by_label("IMAP password")).to_be_visible()
    assert axe_violations(page) == []


def test_the_supervisors_passed_around_list_has_no_wcag_violations(
    page, log_in, axe_violations, supervisor
):
    log_in(supervisor)

    page.goto("/tickets/passed-around/")

    expect(page.get_by_role("heading", name="Passed around")).to_be_visible()
    assert axe_violations(page) == []


def test_the_business_hours_and_service_level_pages_have_no_wcag_violations(
    page, log_in, axe_violations, admin_agent, team
):
    ServiceLevelPolicyFactory(name="Complaints first", kind="complaint")
    TeamCalendarFactory(team=team)
    log_in(admin_agent)

    page.goto("/settings/calendars/")
    expect(page.get_by_role("heading", name="Business hours")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"/settings/calendars/{team.pk}/")
    page.get_by_label("Monday").fill("09:00-13:00, 12:00-18:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("must not overlap")
    assert axe_violations(page) == []
    page.goto("/settings/service-levels/")
    expect(page.get_by_role("link", name="Complaints first")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/settings/service-levels/new/")
    expect(page.get_by_label("Name")).to_be_visible()
    assert axe_violations(page) == []


def test_the_inbox_by_deadline_has_no_wcag_violations(page, log_in, axe_violations, agent, team):
    ServiceLevelPolicyFactory(first_response_minutes=60)
    received_ticket(team=team)
    log_in(agent)

    page.goto("/?view=open&sort=deadline")

    expect(page.get_by_text("left", exact=False).first).to_be_visible()
    assert axe_violations(page) == []


def test_the_team_settings_and_availability_pages_have_no_wcag_violations(
    page, log_in, axe_violations, supervisor, agent, team
):
    log_in(supervisor)

    page.goto(f"/settings/teams/{team.pk}/")
    expect(page.get_by_label("How new tickets are assigned")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"/settings/agents/{agent.pk}/availability/")
    expect(page.get_by_label("Backup")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("My status").select_option("away")
    page.get_by_role("button", name="Set").click()
    expect(page.get_by_text("Your status is now: Away.")).to_be_visible()
    assert axe_violations(page) == []
