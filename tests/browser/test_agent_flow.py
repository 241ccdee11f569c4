"""An agent's day in a real browser: answer a customer, hand the ticket to a colleague with a note,
and the colleague reads that note before anything else. Once with the mouse, once by keyboard alone."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from attenda.tickets.models import EntryKind, Ticket, TimelineEntry
from attenda.tickets.services import assign, transfer
from tests.agents.factories import PASSWORD
from tests.tickets.factories import outgoing_mailbox, received_ticket

pytestmark = pytest.mark.browser

REPLY = "Bom dia, Maria. Vamos corrigir a fatura de outubro."
NOTE = "She was billed twice in October; the refund is approved, send her the credit note."


@pytest.fixture
def ticket(team, agent) -> Ticket:
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=agent, actor=agent)
    return ticket


def timeline(page: Page) -> Locator:
    return page.get_by_role("region", name="Timeline")


def keyboard_focus_to(page: Page, target: Locator, most_presses: int = 80) -> None:
    """Presses Tab, or Shift+Tab when the target comes before the focused element, until it has the
    focus; fails if it cannot be reached that way or its focus is not shown."""
    expect(target).to_be_visible()
    backwards = target.evaluate(
        "el => Boolean(el.compareDocumentPosition(document.activeElement)"
        " & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    for _press in range(most_presses):
        if target.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    expect(target).to_be_focused()
    shown = target.evaluate(
        "el => { const style = getComputedStyle(el);"
        " return el.matches(':focus-visible')"
        " && (style.outlineStyle !== 'none' || style.boxShadow !== 'none'); }"
    )
    assert shown, f"{target} has the focus, but nothing shows it"


def test_an_agent_answers_and_hands_over_and_the_colleague_reads_the_note_first(
    page, log_in, team, agent, colleague, ticket
):
    log_in(agent)
    page.get_by_role("link", name="Mine").click()
    page.get_by_role("link", name=re.compile("Fatura de outubro")).click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))

    page.get_by_label("Reply to the customer").fill(REPLY)
    page.get_by_role("button", name="Send reply").click()

    expect(timeline(page).get_by_text(REPLY)).to_be_visible()
    assert list(
        TimelineEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).values_list(
            "body", "author_agent"
        )
    ) == [(REPLY, agent.pk)]

    page.get_by_label("Transfer to agent").select_option(label="Bruno Costa")
    page.get_by_label("Hand-off note").fill(NOTE)
    page.get_by_role("button", name="Transfer", exact=True).click()

    expect(timeline(page).get_by_text(NOTE)).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.team, ticket.handoff_count) == (colleague, team, 1)
    assert ticket.pinned_handoff.body == NOTE

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    log_in(colleague)
    page.get_by_role("link", name="Mine").click()
    page.get_by_role("link", name=re.compile("Fatura de outubro")).click()

    handoff = page.get_by_role("heading", name="Hand-off note from Ana Silva")
    expect(page.get_by_role("main").get_by_role("heading").first).to_have_text(
        "Hand-off note from Ana Silva"
    )
    expect(page.locator("section").filter(has=handoff)).to_contain_text(NOTE)

    page.get_by_role("button", name="Got it").click()

    expect(handoff).to_have_count(0)
    expect(timeline(page).get_by_text(NOTE)).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.pinned_handoff is None
    assert ticket.owner == colleague


def test_an_agent_answers_and_hands_over_with_the_keyboard_alone(page, agent, colleague, ticket):
    page.goto("/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(agent.username)
    keyboard_focus_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    keyboard_focus_to(page, page.get_by_role("button", name="Log in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    keyboard_focus_to(page, page.get_by_role("link", name="Mine"))
    page.keyboard.press("Enter")
    keyboard_focus_to(page, page.get_by_role("link", name=re.compile("Fatura de outubro")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.number}/$"))

    keyboard_focus_to(page, page.get_by_label("Reply to the customer"))
    page.keyboard.type(REPLY)
    keyboard_focus_to(page, page.get_by_role("button", name="Send reply"))
    page.keyboard.press("Enter")

    expect(timeline(page).get_by_text(REPLY)).to_be_visible()
    assert list(
        TimelineEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).values_list(
            "body", "author_agent"
        )
    ) == [(REPLY, agent.pk)]

    keyboard_focus_to(page, page.get_by_label("Hand-off note"))
    page.keyboard.type(NOTE)
    keyboard_focus_to(page, page.get_by_label("Transfer to agent"))
    page.keyboard.type("Bruno")
    expect(page.get_by_label("Transfer to agent").locator("option:checked")).to_have_text(
        re.compile("Bruno Costa")
    )
    keyboard_focus_to(page, page.get_by_role("button", name="Transfer", exact=True))
    page.keyboard.press("Enter")

    expect(timeline(page).get_by_text(NOTE)).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.handoff_count) == (colleague, 1)
    assert ticket.pinned_handoff.body == NOTE


def test_the_colleague_acknowledges_the_hand_off_note_with_the_keyboard(
    page, agent, colleague, ticket
):
    transfer(ticket=ticket, actor=agent, to_agent=colleague, note=NOTE)

    page.goto("/login/")
    page.keyboard.type(colleague.username)
    keyboard_focus_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    keyboard_focus_to(page, page.get_by_role("link", name=re.compile("Fatura de outubro")))
    page.keyboard.press("Enter")
    keyboard_focus_to(page, page.get_by_role("button", name="Got it"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Hand-off note from Ana Silva")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.pinned_handoff is None


def test_the_customer_card_on_a_ticket_shows_the_customers_other_ticket(
    page, log_in, team, agent, ticket
):
    other = received_ticket(team=team, subject="Contador avariado", body="O contador parou.")
    log_in(agent)

    page.goto(f"/tickets/{ticket.number}/")

    card = page.get_by_role("region", name="Customer")
    expect(card.get_by_role("link", name="Maria Santos")).to_have_attribute(
        "href", f"/customers/{ticket.customer_id}/"
    )
    expect(card.get_by_role("link", name=re.compile("Contador avariado"))).to_have_attribute(
        "href", f"/tickets/{other.number}/"
    )
    expect(card.get_by_role("link", name=re.compile("Fatura de outubro"))).to_have_count(0)

    card.get_by_role("link", name=re.compile("Contador avariado")).click()

    expect(page).to_have_url(re.compile(rf"/tickets/{other.number}/$"))
    expect(page.get_by_role("heading", name=re.compile("Contador avariado"))).to_be_visible()


def test_the_skip_link_takes_a_keyboard_user_past_the_navigation(page, log_in, agent, ticket):
    # With a mailbox the reply's way is plain text, not a link to another way.
    outgoing_mailbox()
    log_in(agent)
    page.goto(f"/tickets/{ticket.number}/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    # The composer's Reply tab, then its text: the first stops after the navigation.
    expect(page.get_by_role("tab", name="Reply")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reply to the customer")).to_be_focused()
