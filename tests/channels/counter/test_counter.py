"""The counter page: call next (service priority, then waiting time), recall, no-show, transfer with
a hand-off note, and finishing a visit onto the customer's record and a ticket through receive()."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attenda.channels.counter.models import Visit, VisitStatus
from attenda.core.models import AuditEntry, LiveEvent
from attenda.customers.models import Customer, Identity
from attenda.tickets.models import Channel, EntryKind, Ticket
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

EARLY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _url(counter, action=""):
    return f"/offices/{counter.office_id}/counters/{counter.pk}/{action}"


def _visit_url(counter, visit_id, action):
    return f"/offices/{counter.office_id}/counters/{counter.pk}/visits/{visit_id}/{action}/"


def _call_next(client, counter):
    response = client.post(_url(counter, "call-next/"))
    assert response.status_code == 302
    return Visit.objects.filter(counter=counter, status=VisitStatus.CALLED).first()


def test_the_next_called_is_of_the_highest_priority_service_then_the_longest_waiting(
    client, take, agent, billing, contracts, counter_one
):
    # given billing visitors who came first, and a new contract (priority 3) after them
    # (agents sign in at the hour the test's clock shows: a session lasts twelve hours)
    with time_machine.travel(EARLY, tick=False):
        first_billing = take(billing)
    with time_machine.travel(EARLY + timedelta(minutes=1), tick=False):
        second_billing = take(billing)
    with time_machine.travel(EARLY + timedelta(minutes=2), tick=False):
        contract = take(contracts)
    client.force_login(agent)

    called = []
    for _ in range(3):
        visit = _call_next(client, counter_one)
        called.append(visit.pk)
        client.post(_visit_url(counter_one, visit.pk, "no-show"))

    assert called == [contract, first_billing, second_billing]


def test_a_call_is_published_for_the_display_with_its_counter_and_timed(
    client, take, agent, billing, counter_one
):
    with time_machine.travel(EARLY, tick=False):
        visit_id = take(billing)

    with time_machine.travel(EARLY + timedelta(minutes=7), tick=False):
        client.force_login(agent)
        _call_next(client, counter_one)

    visit = Visit.objects.get(pk=visit_id)
    assert (visit.status, visit.counter, visit.agent) == (VisitStatus.CALLED, counter_one, agent)
    assert visit.waiting_seconds == 7 * 60
    event = LiveEvent.objects.filter(kind="called").get()
    assert event.stream == f"office:{billing.office_id}"
    assert event.payload == {
        "visit": visit_id,
        "number": "B-001",
        "service": billing.pk,
        "counter": "Counter 1",
        "counter_id": counter_one.pk,
    }


def test_nobody_waiting_calls_nobody(client, agent, billing, counter_one):
    client.force_login(agent)

    response = client.post(_url(counter_one, "call-next/"), follow=True)

    assert "Nobody is waiting." in response.content.decode()
    assert not LiveEvent.objects.exists()


def test_a_counter_with_a_visitor_calls_nobody_else(client, take, agent, billing, counter_one):
    take(billing)
    second = take(billing)
    client.force_login(agent)
    _call_next(client, counter_one)

    client.post(_url(counter_one, "call-next/"))

    assert Visit.objects.get(pk=second).status == VisitStatus.WAITING


def test_two_counters_never_call_the_same_visitor(
    client, take, agent, colleague, billing, counter_one, counter_two
):
    first = take(billing)
    second = take(billing)
    client.force_login(agent)
    at_one = _call_next(client, counter_one)
    client.force_login(colleague)
    at_two = _call_next(client, counter_two)

    assert (at_one.pk, at_two.pk) == (first, second)


def test_recall_calls_the_same_number_again_on_the_display(
    client, take, agent, billing, counter_one
):
    visit_id = take(billing)
    client.force_login(agent)
    _call_next(client, counter_one)

    client.post(_visit_url(counter_one, visit_id, "recall"))

    assert Visit.objects.get(pk=visit_id).times_called == 2
    calls = LiveEvent.objects.filter(kind="called").order_by("pk")
    assert [event.payload.get("recall", False) for event in calls] == [False, True]


def test_a_no_show_ends_the_visit_and_frees_the_counter(client, take, agent, billing, counter_one):
    visit_id = take(billing)
    client.force_login(agent)
    _call_next(client, counter_one)

    client.post(_visit_url(counter_one, visit_id, "no-show"))

    visit = Visit.objects.get(pk=visit_id)
    assert visit.status == VisitStatus.NO_SHOW
    assert visit.ended_at is not None
    assert visit.customer is None
    assert LiveEvent.objects.filter(kind="cleared").count() == 1
    assert AuditEntry.objects.filter(action="visit.no_show", object_id=str(visit_id)).exists()


def test_a_transfer_needs_a_note_and_keeps_the_number_and_place(
    client, take, agent, colleague, billing, contracts, counter_one, counter_two
):
    # given a billing visitor who came early, at counter one, and a new-contract visitor later
    with time_machine.travel(EARLY, tick=False):
        visit_id = take(billing)
    with time_machine.travel(EARLY + timedelta(minutes=5), tick=False):
        later = take(contracts)
    with time_machine.travel(EARLY + timedelta(minutes=6), tick=False):
        client.force_login(agent)
        client.post(_url(counter_one, "call-next/"))  # the contract is called first
        client.post(_visit_url(counter_one, later, "no-show"))
        _call_next(client, counter_one)

    # when the agent transfers without a note, nothing changes
    # (on the test's clock: the session signed in at its hour lasts twelve hours)
    with time_machine.travel(EARLY + timedelta(minutes=7), tick=False):
        refused = client.post(
            _visit_url(counter_one, visit_id, "transfer"),
            {"to_service": contracts.pk, "note": " "},
        )
    assert refused.status_code == 422
    assert Visit.objects.get(pk=visit_id).status == VisitStatus.CALLED

    # when with a note
    with time_machine.travel(EARLY + timedelta(minutes=9), tick=False):
        client.post(
            _visit_url(counter_one, visit_id, "transfer"),
            {"to_service": contracts.pk, "note": "Quer mudar de tarifário; fatura já vista."},
        )

    # then this visit ends, timed, and the visitor waits for new contracts with the same number
    ended = Visit.objects.get(pk=visit_id)
    assert (ended.status, ended.service_seconds) == (VisitStatus.TRANSFERRED, 3 * 60)
    moved = ended.transferred_to
    assert (moved.label, moved.service, moved.status) == ("B-001", contracts, VisitStatus.WAITING)
    assert moved.waiting_since == EARLY
    # and the next counter to call reads the note first
    client.force_login(colleague)
    _call_next(client, counter_two)
    page = client.get(_url(counter_two)).content.decode()
    assert "Quer mudar de tarifário; fatura já vista." in page
    assert 'id="current-number">B-001</p>' in page


def test_finishing_finds_the_customer_by_the_kiosk_phone_and_opens_a_counter_ticket(
    client, take, agent, billing, counter_one
):
    customer = CustomerFactory(name="Maria Santos")
    IdentityFactory(customer=customer, kind="phone", value="+351912345678")
    visit_id = take(billing)
    client.post(
        f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/",
        {"phone": "912345678", "lang": "pt"},
    )
    client.force_login(agent)
    _call_next(client, counter_one)

    # the counter page offers the customer the phone number finds
    page = client.get(_url(counter_one)).content.decode()
    assert f'<option value="{customer.pk}" selected>Maria Santos</option>' in page

    response = client.post(
        _visit_url(counter_one, visit_id, "finish"),
        {"customer": customer.pk, "body": "Pediu a segunda via da fatura."},
    )

    assert response.status_code == 302
    visit = Visit.objects.get(pk=visit_id)
    assert (visit.status, visit.customer, visit.agent) == (VisitStatus.DONE, customer, agent)
    assert visit.service_seconds is not None
    ticket = visit.ticket
    assert (ticket.customer, ticket.channel, ticket.team) == (
        customer,
        Channel.COUNTER,
        agent.teams.get(),
    )
    entry = ticket.timeline.get(kind=EntryKind.VISIT)
    assert (entry.channel, entry.body, entry.author_agent) == (
        Channel.COUNTER,
        "Pediu a segunda via da fatura.",
        agent,
    )
    assert ticket.subject == "Visit B-001 at Loja do Chiado: Billing"


def test_finishing_onto_an_open_ticket_the_agent_picks(
    client, take, agent, team, billing, counter_one
):
    open_ticket = received_ticket(team=team, subject="Fatura em duplicado")
    visit_id = take(billing)
    client.force_login(agent)
    _call_next(client, counter_one)

    client.post(
        _visit_url(counter_one, visit_id, "finish"),
        {
            "customer": open_ticket.customer_id,
            "ticket": open_ticket.pk,
            "body": "Trouxe o comprovativo.",
        },
    )

    assert Visit.objects.get(pk=visit_id).ticket == open_ticket
    assert open_ticket.timeline.filter(kind=EntryKind.VISIT, body="Trouxe o comprovativo.").exists()
    assert Ticket.objects.count() == 1


def test_finishing_without_a_record_creates_one_with_the_kiosk_address(
    client, take, agent, billing, counter_one
):
    visit_id = take(billing)
    client.post(
        f"/kiosk/{billing.office.kiosk_token}/visits/{visit_id}/",
        {"email": "Joana@Example.pt", "lang": "pt"},
    )
    client.force_login(agent)
    _call_next(client, counter_one)

    client.post(
        _visit_url(counter_one, visit_id, "finish"),
        {"name": "Joana Lima", "body": "Novo contrato de luz.", "solved": "on"},
    )

    customer = Customer.objects.get(name="Joana Lima")
    assert Identity.objects.get(customer=customer).value == "joana@example.pt"
    assert customer.language == "pt"
    assert Visit.objects.get(pk=visit_id).ticket.status == "solved"


def test_an_agent_of_another_team_cannot_work_the_counter(
    client, take, outsider, billing, counter_one
):
    visit_id = take(billing)
    client.force_login(outsider)

    response = client.post(_url(counter_one, "call-next/"))

    assert response.status_code == 403
    assert Visit.objects.get(pk=visit_id).status == VisitStatus.WAITING


def test_a_visitor_is_not_finished_twice(client, take, agent, billing, counter_one):
    visit_id = take(billing)
    client.force_login(agent)
    _call_next(client, counter_one)
    client.post(_visit_url(counter_one, visit_id, "no-show"))

    response = client.post(
        _visit_url(counter_one, visit_id, "finish"), {"name": "Rui", "body": "Veio depois."}
    )

    assert response.status_code == 422
    assert not Ticket.objects.exists()
