"""A walk-in visitor in a real browser: takes a number at the kiosk, is called at a counter, sees
the call on the waiting-room display as it happens, and the visit lands on their customer record.
The kiosk, the counter page and the display meet WCAG 2.1 AA as far as axe-core can tell."""

import re

import pytest
from playwright.sync_api import expect

from tests.channels.counter.factories import CounterFactory, OfficeFactory, ServiceFactory
from tests.customers.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def office(team):
    office = OfficeFactory(name="Loja do Chiado", team=team)
    ServiceFactory(office=office, name="Billing", letter="B", priority=5)
    ServiceFactory(office=office, name="New contract", letter="N", priority=3)
    CounterFactory(office=office, name="Counter 1")
    return office


def test_a_visitor_is_called_to_a_counter_seen_on_the_display_and_served_onto_their_record(
    page, context, log_in, axe_violations, agent, office, tmp_path
):
    customer = CustomerFactory(name="Maria Santos")
    IdentityFactory(customer=customer, kind="phone", value="+351912345678")
    counter = office.counters.get()

    # the waiting-room screen is open, with no number called yet
    display = context.new_page()
    display.goto(f"/display/{office.display_token}/")
    expect(display.get_by_text("No number has been called yet today.")).to_be_visible()
    assert axe_violations(display) == []
    display.screenshot(path=tmp_path / "display-empty.png")

    # a visitor switches the kiosk to English and takes a Billing number
    page.goto(f"/kiosk/{office.kiosk_token}/")
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Welcome to Loja do Chiado")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "kiosk.png")
    page.get_by_role("button", name="Billing").click()
    expect(page.locator("#number")).to_have_text("B-001")
    expect(page.get_by_role("status").first).to_contain_text("0 people ahead of you.")
    page.get_by_label("Mobile phone number").fill("912 345 678")
    page.get_by_role("button", name="Tell me").click()
    expect(page.get_by_text("We will tell you when your turn is near.")).to_be_visible()
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "kiosk-number.png")

    # an agent at Counter 1 calls next
    log_in(agent)
    page.goto(f"/offices/{office.pk}/counters/{counter.pk}/")
    page.get_by_role("button", name="Call next").click()
    expect(page.locator("#current-number")).to_have_text("B-001")

    # the display shows the call without reloading
    latest = display.locator("#calls tr.latest")
    expect(latest).to_contain_text("B-001")
    expect(latest).to_contain_text("Counter 1")
    assert axe_violations(display) == []
    display.screenshot(path=tmp_path / "display-called.png")

    # the counter page offers the customer the kiosk's phone number finds; the agent serves her
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "counter.png", full_page=True)
    expect(page.get_by_label("Customer record")).to_have_value(str(customer.pk))
    page.get_by_label("What the visitor came for and what was done").fill(
        "Pediu a segunda via da fatura de outubro."
    )
    page.get_by_role("button", name="Finish and put the visit on the ticket").click()
    expect(page.get_by_role("heading", name="Nobody at this counter")).to_be_visible()

    # the visit is on her record
    page.goto(f"/customers/{customer.pk}/")
    visit_ticket = page.get_by_role("link", name=re.compile("Visit B-001 at Loja do Chiado"))
    expect(visit_ticket).to_be_visible()
    visit_ticket.click()
    expect(page.get_by_text("Pediu a segunda via da fatura de outubro.")).to_be_visible()
    expect(page.get_by_text("Office visit").first).to_be_visible()
