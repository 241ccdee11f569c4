"""An abusive message in Debian's Chromium: hidden behind its warning until the agent, with the
keyboard alone, chooses to read it; and triage's pages meet WCAG 2.1 A and AA as far as axe-core
can tell."""

import pytest
from playwright.sync_api import expect

from attenda.tickets.services import assign
from tests.triage.factories import ABUSIVE_EN, LEAVING_PT, QUESTION_EN, customer_writes

pytestmark = pytest.mark.browser


@pytest.fixture
def abusive(team, agent):
    ticket = customer_writes(QUESTION_EN, team=team).ticket
    assign(ticket=ticket, owner=agent, actor=agent)
    return customer_writes(ABUSIVE_EN, ticket=ticket)


def test_the_agent_reveals_an_abusive_message_with_the_keyboard(page, log_in, agent, abusive):
    log_in(agent)
    page.goto(f"/tickets/{abusive.ticket.number}/")
    expect(page.get_by_text("This message was hidden because it may insult")).to_be_visible()
    expect(page.get_by_text("useless idiots")).to_have_count(0)
    reveal = page.get_by_role("button", name="Show the message")

    for _press in range(200):
        page.keyboard.press("Tab")
        if reveal.evaluate("button => button === document.activeElement"):
            break
    page.keyboard.press("Enter")

    revealed = page.locator(f"#entry-{abusive.entry.pk}-text")
    expect(revealed).to_have_text(ABUSIVE_EN)
    expect(revealed).to_be_focused()
    expect(page.get_by_role("button", name="Show the message")).to_have_count(0)


def test_the_ticket_page_with_a_hidden_message_has_no_wcag_violations(
    page, log_in, axe_violations, supervisor, abusive
):
    log_in(supervisor)

    page.goto(f"/tickets/{abusive.ticket.number}/")

    expect(page.get_by_role("button", name="Show the message")).to_be_visible()
    expect(page.get_by_role("button", name="Take the conversation over")).to_be_visible()
    assert axe_violations(page) == []


def test_the_flagged_list_has_no_wcag_violations(
    page, log_in, axe_violations, team, supervisor, abusive
):
    customer_writes(LEAVING_PT, team=team, email="leaving@example.com")
    log_in(supervisor)

    page.goto("/tickets/flagged/")

    expect(page.get_by_role("heading", name="Flagged for a supervisor")).to_be_visible()
    assert axe_violations(page) == []


def test_the_abuse_received_list_has_no_wcag_violations(
    page, log_in, axe_violations, supervisor, abusive
):
    log_in(supervisor)

    page.goto("/agents/abuse/")

    expect(page.get_by_role("cell", name="Ana Silva")).to_be_visible()
    assert axe_violations(page) == []


def test_the_customer_page_with_its_abuse_flag_has_no_wcag_violations(
    page, log_in, axe_violations, supervisor, abusive
):
    log_in(supervisor)

    page.goto(f"/customers/{abusive.ticket.customer_id}/")

    expect(page.get_by_role("button", name="Lift the flag")).to_be_visible()
    assert axe_violations(page) == []


def test_the_triage_settings_page_has_no_wcag_violations(page, log_in, axe_violations, admin_agent):
    log_in(admin_agent)

    page.goto("/settings/triage/")

    expect(page.get_by_role("button", name="Retrain now")).to_be_visible()
    assert axe_violations(page) == []
