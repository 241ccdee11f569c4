"""The daily tools of the workspace in a real browser: keyboard shortcuts and their help, drafts
that survive a reload, bulk changes from the inbox and the live inbox."""

import re

import pytest
from playwright.sync_api import expect

from attenda.tickets.models import EntryKind, Status, Ticket, TimelineEntry
from attenda.tickets.services import assign
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.browser

REPLY = "Bom dia, Maria. A fatura de outubro foi corrigida."


@pytest.fixture
def ticket(team, agent) -> Ticket:
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    return ticket


def test_an_agent_finds_the_shortcuts_and_answers_a_ticket_without_the_mouse(
    page, log_in, agent, ticket
):
    log_in(agent)
    page.goto("/?view=mine")

    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Write a reply")
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    page.keyboard.press("j")
    expect(page.get_by_role("link", name="Fatura de outubro")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))

    page.keyboard.press("r")
    expect(page.get_by_label("Reply to the customer")).to_be_focused()
    page.keyboard.type("r and n type letters here, not shortcuts. " + REPLY)
    page.keyboard.press("Control+Enter")

    expect(page.get_by_role("region", name="Timeline").get_by_text(REPLY)).to_be_visible()
    assert TimelineEntry.objects.get(ticket=ticket, kind=EntryKind.REPLY).body == (
        "r and n type letters here, not shortcuts. " + REPLY
    )

    reply_box = page.get_by_label("Reply to the customer")
    expect(reply_box).to_have_value("")
    expect(reply_box).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("n")
    expect(page.get_by_label("Internal note")).to_be_focused()
    expect(page.get_by_role("tab", name="Note")).to_have_attribute("aria-selected", "true")


def test_a_draft_comes_back_after_a_reload_and_is_gone_once_sent(page, log_in, agent, ticket):
    log_in(agent)
    page.goto(f"/tickets/{ticket.number}/")
    page.get_by_label("Reply to the customer").fill(REPLY)

    page.reload()

    expect(page.get_by_label("Reply to the customer")).to_have_value(REPLY)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("region", name="Timeline").get_by_text(REPLY)).to_be_visible()
    page.reload()
    expect(page.get_by_label("Reply to the customer")).to_have_value("")


def test_an_agent_takes_and_tags_every_unassigned_ticket_at_once(page, log_in, team, agent):
    first = received_ticket(team=team, email="ana@example.com", subject="Fatura duplicada")
    second = received_ticket(team=team, email="rui@example.com", subject="Contador avariado")
    log_in(agent)
    page.goto("/?view=unassigned")

    page.get_by_label("Select all tickets on this page").check()
    expect(page.get_by_text("Tickets selected: 2")).to_be_visible()
    page.get_by_label("Owner", exact=True).select_option(label="Ana Silva")
    page.get_by_label("Add tags").fill("fatura")
    page.get_by_role("button", name="Apply to selected").click()

    expect(page.get_by_text("Owner changed on 2 tickets.")).to_be_visible()
    expect(page.get_by_text("Tags added to 2 tickets.")).to_be_visible()
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.owner, ticket.tag_names, ticket.status) == (agent, ["fatura"], Status.NEW)


def test_a_ticket_received_while_the_inbox_is_open_is_announced_and_shown_on_request(
    page, log_in, team, agent
):
    received_ticket(team=team, email="ana@example.com", subject="Fatura duplicada")
    log_in(agent)
    page.goto("/?view=unassigned")
    expect(page.get_by_role("link", name="Fatura duplicada")).to_be_visible()

    received_ticket(team=team, email="rui@example.com", subject="Contador avariado")

    expect(page.get_by_text("1 ticket is new or changed.")).to_be_visible()
    expect(page.get_by_role("link", name="Contador avariado")).to_have_count(0)
    page.get_by_role("link", name="Show", exact=True).click()
    expect(page.get_by_role("link", name="Contador avariado")).to_be_visible()
