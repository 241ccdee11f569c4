"""The desk phone in a real browser: the agent's open page shows who is calling as the phone rings,
and the phone pages meet WCAG 2.1 AA as far as axe-core can tell."""

import pytest
from playwright.sync_api import expect

from attenda.channels.phone.models import Call, CtiEndpoint, PhoneLine, VoiceMenu
from attenda.customers.models import IdentityKind
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.browser
TOKEN = "browser-desk-token"


@pytest.fixture
def ringing_setup(team, agent, colleague):
    CtiEndpoint.objects.create(name="FreePBX", token=TOKEN, team=team)
    customer = CustomerFactory(name="Maria Santos", language="pt", standing_agent=colleague)
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value="+351912345678")
    return received_ticket(customer_id=customer.pk, team=team, subject="Fatura de outubro")


def _ring(page, live_server, call_id="browser-1"):
    response = page.request.post(
        f"{live_server.url}/api/v1/cti/{TOKEN}",
        form={
            "event": "newCall",
            "direction": "in",
            "from": "351912345678",
            "to": "351210000000",
            "callId": call_id,
            "user": "ana",
        },
    )
    assert response.ok


def test_the_ringing_agent_sees_the_caller_live_and_puts_the_call_on_their_ticket(
    page, live_server, log_in, agent, ringing_setup
):
    log_in(agent)
    page.goto("/")
    card = page.locator("#ringing")
    expect(card).to_be_hidden()

    _ring(page, live_server)

    expect(card).to_be_visible(timeout=15_000)
    expect(card.get_by_role("link", name="Maria Santos")).to_be_visible()
    expect(card).to_contain_text("Bruno Costa")
    expect(card).to_contain_text(f"#{ringing_setup.number} Fatura de outubro")
    card.get_by_role("button", name="Put the call on this ticket").click()
    expect(page.locator("#messages")).to_contain_text("The call will be on the ticket.")
    assert Call.objects.get().chosen_ticket_id == ringing_setup.pk


def test_the_ringing_card_has_no_wcag_violations(
    page, live_server, log_in, axe_violations, agent, ringing_setup
):
    log_in(agent)
    # Rung before the page opens: the page shows the call still ringing as it starts listening.
    _ring(page, live_server)
    page.goto("/")
    expect(page.locator("#ringing")).to_be_visible(timeout=15_000)

    assert axe_violations(page) == []


def test_the_phone_pages_have_no_wcag_violations(
    page, log_in, axe_violations, admin_agent, team, ringing_setup
):
    line = PhoneLine.objects.create(number="+351210000000", name="Clientes", team=team)
    menu = VoiceMenu.objects.create(
        line=line, language="pt", title="Principal", greeting="Bem-vindo."
    )
    Call.objects.create(
        provider="cti",
        call_id="m-1",
        direction="in",
        state="hangup",
        missed=True,
        number="+351912345678",
        customer=ringing_setup.customer,
        team=team,
    )
    log_in(admin_agent)

    for address in (
        "/settings/phone/",
        f"/settings/phone/lines/{line.pk}/menus/{menu.pk}/",
        "/phone/missed/",
        "/phone/person-answers/",
        f"/customers/{ringing_setup.customer.pk}/",
    ):
        page.goto(address)
        assert axe_violations(page) == [], address
