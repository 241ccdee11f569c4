"""The demo desk: loaded once, in five languages, with tickets written in bulk that cannot be told
apart from tickets made through the services."""

import datetime as dt

import phonenumbers
import pytest
from django.urls import reverse

from attenda.core import clock
from attenda.core.models import AuditEntry
from attenda.customers.models import Customer, IdentityKind
from attenda.customers.services import IdentityClaim, create_customer
from attenda.demo import DemoAlreadyLoaded, load_demo
from attenda.demo.conversations import SCENARIOS, WRONG_INVOICE
from attenda.demo.planning import Action, Step, TicketPlan
from attenda.demo.writing import History, carry_out
from attenda.tickets.models import (
    Channel,
    EntryKind,
    Kind,
    Priority,
    Status,
    Ticket,
    TimelineEntry,
)
from tests.agents.factories import AgentFactory, TeamFactory

PASSWORD = "demo-password-for-tests"
LANGUAGES = ("pt", "es", "ro", "pl", "en")


@pytest.fixture
def small_demo(db):
    return load_demo(password=PASSWORD, customers=30, tickets=120)


def test_a_small_demo_has_every_language_and_the_numbers_asked_for(small_demo):
    assert (small_demo.teams, small_demo.agents, small_demo.customers, small_demo.tickets) == (
        3,
        10,
        30,
        120,
    )
    assert (Customer.objects.count(), Ticket.objects.count()) == (30, 120)
    assert set(Customer.objects.values_list("language", flat=True)) == set(LANGUAGES)


def test_the_demo_is_loaded_only_once(small_demo):
    counts = (Customer.objects.count(), Ticket.objects.count(), TimelineEntry.objects.count())

    with pytest.raises(DemoAlreadyLoaded):
        load_demo(password=PASSWORD, customers=30, tickets=120)

    assert (
        Customer.objects.count(),
        Ticket.objects.count(),
        TimelineEntry.objects.count(),
    ) == counts


def test_every_demo_ticket_is_written_in_its_customers_language(small_demo):
    subjects = {
        (language, conversation.subject)
        for scenario in SCENARIOS
        for language, conversation in scenario.texts.items()
    }

    written = set(Ticket.objects.values_list("language", "subject"))
    customer_languages = set(
        TimelineEntry.objects.filter(author_customer__isnull=False).values_list(
            "language", "author_customer__language"
        )
    )

    assert written <= subjects
    assert customer_languages == {(language, language) for language in LANGUAGES}
    assert set(Ticket.objects.values_list("language", "customer__language")) == {
        (language, language) for language in LANGUAGES
    }


def what_the_timeline_says(ticket: Ticket, now: dt.datetime) -> tuple[bool, ...]:
    """Whether each field a list shows agrees with what happened on the ticket's timeline."""
    entries = sorted(ticket.timeline.all(), key=lambda entry: (entry.created_at, entry.pk))
    replies = [entry for entry in entries if entry.kind == EntryKind.REPLY]
    transfers = [entry for entry in entries if entry.kind == EntryKind.TRANSFER]
    solved = [
        entry
        for entry in entries
        if entry.kind == EntryKind.STATUS_CHANGE and entry.data["to"] == Status.SOLVED
    ]
    return (
        ticket.customer_name == ticket.customer.name,
        entries[0].created_at == ticket.created_at,
        entries[0].author_customer_id == ticket.customer_id,
        ticket.first_response_at == (replies[0].created_at if replies else None),
        ticket.handoff_count == len(transfers),
        ticket.pinned_handoff_id in (None, transfers[-1].pk if transfers else None),
        ticket.solved_at == (solved[-1].created_at if solved else None),
        ticket.created_at <= ticket.waiting_since <= ticket.updated_at <= now,
        entries[-1].created_at <= now,
    )


def test_every_demo_ticket_agrees_with_its_timeline(small_demo):
    now = clock.now()
    tickets = Ticket.objects.select_related("customer").prefetch_related("timeline")

    said = {ticket.pk: what_the_timeline_says(ticket, now) for ticket in tickets}

    assert said == {ticket.pk: (True,) * 9 for ticket in tickets}


def test_demo_phone_numbers_are_e164_numbers_of_the_customers_country(small_demo):
    numbers = Customer.objects.filter(identities__kind=IdentityKind.PHONE).values_list(
        "country", "identities__value"
    )

    countries = {
        (country, phonenumbers.region_code_for_number(phonenumbers.parse(number)))
        for country, number in numbers
    }

    assert len(numbers) == 30
    assert countries == {(country, country) for country in ("PT", "ES", "RO", "PL", "GB")}


def test_demo_agents_sign_in_with_the_demo_password(small_demo, client):
    signed_in = client.post(reverse("login"), {"username": "lucia", "password": PASSWORD})

    assert (signed_in.status_code, signed_in["Location"]) == (302, reverse("inbox"))


@pytest.fixture
def people(db):
    billing, technical = TeamFactory(name="Billing"), TeamFactory(name="Technical support")
    joao = AgentFactory(username="joao", first_name="João", teams=[billing])
    ines = AgentFactory(username="ines", first_name="Inês", teams=[technical])
    maria = create_customer(
        name="Maria Santos",
        claims=[
            IdentityClaim(kind="email", value="maria@example.com"),
            IdentityClaim(kind="phone", value="912 345 678"),
        ],
        language="pt",
        country="PT",
        actor=None,
    )
    return billing, technical, joao, ines, maria


def plan_from_email(people, run: str) -> TicketPlan:
    billing, technical, joao, ines, maria = people
    opened = clock.now() - dt.timedelta(hours=2)

    def at(minutes: int) -> dt.datetime:
        return opened + dt.timedelta(minutes=minutes)

    return TicketPlan(
        customer=maria,
        claim_kind="email",
        claim_value="maria@example.com",
        language="pt",
        scenario=WRONG_INVOICE,
        channel=Channel.EMAIL,
        team=billing,
        kind=Kind.COMPLAINT,
        priority=Priority.NORMAL,
        opened_at=opened,
        subject="Fatura com valor errado",
        body="A minha fatura está errada.",
        logged_by=None,
        external_id=f"<open-{run}@example.com>",
        steps=[
            Step(Action.DETAILS, at(1), joao, priority=Priority.HIGH),
            Step(Action.ASSIGN, at(2), joao),
            Step(Action.TAG, at(3), joao, tags=("roaming", "billing-error")),
            Step(Action.NOTE, at(4), joao, body="Débito de roaming indevido."),
            Step(Action.TRANSFER, at(5), joao, body="Falta a nota de crédito.", to_team=technical),
            Step(Action.ASSIGN, at(6), ines),
            Step(Action.ACKNOWLEDGE, at(7), ines),
            Step(Action.REPLY, at(8), ines, body="Esteve fora?", status=Status.WAITING_ON_CUSTOMER),
            Step(
                Action.CONTACT,
                at(9),
                None,
                body="Não saí de Portugal.",
                channel=Channel.EMAIL,
                external_id=f"<answer-{run}@example.com>",
            ),
            Step(Action.CONTACT, at(10), ines, body="Ligou a confirmar.", channel=Channel.PHONE),
            Step(Action.REPLY, at(11), ines, body="Nota de crédito emitida.", status=Status.SOLVED),
            Step(Action.STATUS, at(12), ines, status=Status.CLOSED),
        ],
    )


def plan_from_a_call(people, run: str) -> TicketPlan:
    billing, technical, joao, ines, maria = people
    opened = clock.now() - dt.timedelta(hours=1)

    def at(minutes: int) -> dt.datetime:
        return opened + dt.timedelta(minutes=minutes)

    return TicketPlan(
        customer=maria,
        claim_kind="email",
        claim_value="maria@example.com",
        language="pt",
        scenario=WRONG_INVOICE,
        channel=Channel.PHONE,
        team=billing,
        kind=Kind.COMPLAINT,
        priority=Priority.NORMAL,
        opened_at=opened,
        subject="Fatura com valor errado",
        body="Cliente ligou: a fatura está errada.",
        logged_by=joao,
        external_id=None,
        steps=[
            Step(Action.DETAILS, at(1), joao, kind=Kind.COMPLAINT, priority=Priority.URGENT),
            Step(Action.ASSIGN, at(2), joao),
            Step(Action.STATUS, at(3), joao, status=Status.OPEN),
            Step(
                Action.TRANSFER,
                at(4),
                joao,
                body="A cliente quer falar com a equipa técnica.",
                to_team=technical,
                to_agent=ines,
            ),
        ],
    )


def shape(ticket: Ticket) -> dict:
    """The ticket, its timeline and its audit trail, with ids and moments replaced by the position
    of the timeline entry they belong to, so two tickets written at different times compare."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    entries = list(ticket.timeline.order_by("created_at", "pk"))
    position = {entry.pk: number for number, entry in enumerate(entries)}
    moment = {}
    for number, entry in enumerate(entries):
        moment.setdefault(entry.created_at, number)

    def data(values: dict) -> dict:
        return {
            key: position[value] if key in ("entry", "handoff_read") else value
            for key, value in values.items()
        }

    audits = AuditEntry.objects.filter(
        object_type="tickets.ticket", object_id=str(ticket.pk)
    ).order_by("created_at", "pk")
    return {
        "ticket": (
            ticket.customer_name,
            ticket.subject,
            ticket.kind,
            ticket.status,
            ticket.is_open,
            ticket.priority,
            ticket.channel,
            ticket.language,
            ticket.team_id,
            ticket.owner_id,
            ticket.handoff_count,
            position.get(ticket.pinned_handoff_id),
            sorted(ticket.tags.values_list("name", flat=True)),
            ticket.legal_consequence,
            ticket.legal_deadline is not None,
        ),
        "moments": [
            moment.get(value, value) if value is not None else None
            for value in (
                ticket.created_at,
                ticket.updated_at,
                ticket.waiting_since,
                ticket.first_response_at,
                ticket.solved_at,
            )
        ],
        "timeline": [
            (
                entry.kind,
                entry.author_agent_id,
                entry.author_customer_id,
                entry.channel,
                entry.body,
                entry.language,
                entry.external_id is not None,
                data(entry.data),
            )
            for entry in entries
        ],
        "audit": [(audit.action, audit.actor_id, data(audit.data)) for audit in audits],
    }


@pytest.mark.parametrize("make_plan", [plan_from_email, plan_from_a_call])
def test_a_ticket_written_in_bulk_is_the_ticket_the_services_make(people, make_plan):
    history = History()
    history.write(make_plan(people, "bulk"))
    history.save()
    in_bulk = Ticket.objects.earliest("pk")

    through_services = carry_out(make_plan(people, "services"))

    assert shape(in_bulk) == shape(through_services)
