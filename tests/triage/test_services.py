"""Triage at the desk: every message read as it arrives, and what Attenda does with what it reads."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from attenda.channels.email.inbound import take_mail
from attenda.core.models import AuditEntry
from attenda.tickets.models import Channel, EntryKind, Kind, Priority, Ticket
from attenda.tickets.services import assign, log_contact
from attenda.triage import queries, services
from attenda.triage.headlines import triage_headline
from attenda.triage.models import (
    CustomerFlag,
    EntryReading,
    FlagReason,
    Reveal,
    SuggestionState,
    SupervisorFlag,
    TicketTriage,
)
from tests.agents.factories import AgentFactory
from tests.channels.email.mail import raw_mail
from tests.customers.factories import CustomerFactory, IdentityFactory
from tests.triage.factories import (
    ABUSIVE_COMPLAINT_PT,
    ABUSIVE_EN,
    ANGRY_EN,
    COMPLAINT_PT,
    LEAVING_PT,
    QUESTION_EN,
    QUESTION_ES,
    QUESTION_PL,
    QUESTION_RO,
    customer_writes,
)

pytestmark = pytest.mark.django_db


def triage_events(ticket) -> list[dict]:
    return [
        entry.data
        for entry in ticket.timeline.filter(kind=EntryKind.EVENT).order_by("id")
        if "triage" in entry.data
    ]


@pytest.mark.parametrize(
    ("body", "language"),
    [
        (COMPLAINT_PT, "pt"),
        (QUESTION_ES, "es"),
        (QUESTION_RO, "ro"),
        (QUESTION_PL, "pl"),
        (QUESTION_EN, "en"),
    ],
)
def test_every_inbound_message_carries_its_language_and_sets_the_new_tickets(team, body, language):
    received = customer_writes(body, team=team, language="en")

    received.entry.refresh_from_db()
    received.ticket.refresh_from_db()
    assert received.entry.language == language
    assert received.ticket.language == language


def test_a_customer_of_unknown_language_gets_the_one_they_write_in(team):
    received = customer_writes(QUESTION_RO, team=team)

    received.ticket.customer.refresh_from_db()
    assert received.ticket.customer.language == "ro"


def test_a_message_too_short_to_tell_falls_back_to_the_customers_language(team):
    IdentityFactory(
        customer=CustomerFactory(name="Ion Popescu", language="ro", country="RO"),
        value="ion@example.ro",
    )

    received = customer_writes("Ok", team=team, email="ion@example.ro")

    received.entry.refresh_from_db()
    assert received.entry.language == "ro"
    assert received.ticket.language == "ro"


def test_the_acknowledgement_speaks_the_language_the_customer_wrote_in(
    mailbox, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take_mail(
            mailbox,
            raw_mail(subject="Factura de octubre", body=QUESTION_ES),
            source="api",
        )
    run_tasks()

    ticket = Ticket.objects.get()
    assert mailbox.language == "pt"
    assert ticket.language == "es"
    acknowledgement = ticket.timeline.get(kind=EntryKind.ACKNOWLEDGEMENT)
    assert "Hemos recibido su mensaje" in acknowledgement.body


def test_a_new_ticket_gets_a_kind_suggestion_that_waits_below_the_threshold(team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)

    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    suggestion = TicketTriage.objects.get(ticket=ticket)
    assert suggestion.kind == Kind.COMPLAINT
    assert 0 < suggestion.kind_confidence <= 1.0
    assert suggestion.state == SuggestionState.PENDING
    ticket.refresh_from_db()
    assert ticket.kind == Kind.QUESTION
    assert triage_events(ticket) == []


def test_a_suggestion_above_the_threshold_is_applied_and_said_on_the_timeline(team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=0.5)

    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    ticket.refresh_from_db()
    suggestion = TicketTriage.objects.get(ticket=ticket)
    assert ticket.kind == Kind.COMPLAINT
    assert suggestion.state == SuggestionState.APPLIED
    assert suggestion.kind_confidence > 0.5
    [event] = triage_events(ticket)
    assert event["triage"] == "applied"
    assert event["changed"] == {"kind": {"from": "question", "to": "complaint"}}
    assert event["threshold"] == 0.5


def test_a_complaint_is_never_turned_into_another_kind_automatically(team):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=0.5)

    ticket = customer_writes(QUESTION_EN, team=team, kind=Kind.COMPLAINT).ticket

    ticket.refresh_from_db()
    assert ticket.kind == Kind.COMPLAINT


def test_an_angry_customer_raises_the_priority_one_step_once(team):
    ticket = customer_writes(ANGRY_EN, team=team).ticket

    customer_writes(ANGRY_EN, ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    raised = [event for event in triage_events(ticket) if event["triage"] == "priority_raised"]
    assert [{k: v for k, v in event.items() if k != "negative_tone"} for event in raised] == [
        {"triage": "priority_raised", "from": 2, "to": 3, "why": "angry"}
    ]
    # The calibrated chance that it is angry travels with the reason and is said on the timeline.
    assert raised[0]["negative_tone"] >= 0.9
    with translation.override("en"):
        sentence = triage_headline(raised[0], lambda team_id: "")
    assert sentence.startswith("Attenda raised the priority to High: the customer is angry")
    assert f"negative tone {round(raised[0]['negative_tone'] * 100)}%" in sentence


def test_words_of_leaving_flag_the_ticket_for_a_supervisor(team):
    ticket = customer_writes(LEAVING_PT, team=team).ticket

    flag = SupervisorFlag.objects.get(ticket=ticket)
    assert flag.reason == FlagReason.LEAVING
    assert flag.team == team
    assert flag.cleared_at is None
    assert {"triage": "flagged", "reason": "leaving", "entry": flag.entry_id} in triage_events(
        ticket
    )


def test_an_abusive_message_flags_the_customer_and_alerts_the_teams_supervisors(
    team, supervisor, agent, run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received = customer_writes(ABUSIVE_EN, team=team)
    run_tasks()

    reading = EntryReading.objects.get(entry=received.entry)
    assert reading.abusive
    assert reading.abuse in ("insult", "threat")
    flag = CustomerFlag.objects.get()
    assert (flag.customer, flag.entry, flag.lifted_at) == (
        received.ticket.customer,
        received.entry,
        None,
    )
    assert SupervisorFlag.objects.get(ticket=received.ticket).reason == FlagReason.ABUSE
    assert [message.to for message in mail.outbox] == [[supervisor.email]]
    alert = mail.outbox[0]
    assert f"#{received.ticket.pk}" in alert.subject
    assert "idiots" not in alert.body


def test_abuse_never_closes_lowers_or_changes_a_legitimate_complaint(team, agent):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=0.5)
    ticket = customer_writes(COMPLAINT_PT, team=team).ticket
    assign(ticket=ticket, owner=agent, actor=agent)
    ticket.refresh_from_db()
    before = (ticket.kind, ticket.priority, ticket.legal_deadline, ticket.status)

    customer_writes(ABUSIVE_COMPLAINT_PT, ticket=ticket)
    customer_writes(ABUSIVE_EN, ticket=ticket)

    ticket.refresh_from_db()
    assert ticket.kind == Kind.COMPLAINT
    assert (ticket.kind, ticket.legal_deadline) == (before[0], before[2])
    assert ticket.priority >= before[1]
    assert ticket.status == before[3]
    assert ticket.is_open
    assert ticket.owner == agent
    assert ticket.timeline.filter(kind=EntryKind.MESSAGE).count() == 3
    assert CustomerFlag.objects.count() == 2


def test_each_agent_is_counted_the_abusive_messages_of_the_tickets_they_owned(
    team, agent, colleague, supervisor, time_machine
):
    time_machine.move_to("2026-03-02 12:00Z", tick=False)
    first = customer_writes(QUESTION_EN, team=team).ticket
    assign(ticket=first, owner=agent, actor=agent)
    customer_writes(ABUSIVE_EN, ticket=first)
    customer_writes(ABUSIVE_EN, ticket=first)
    second = customer_writes(QUESTION_EN, team=team, email="joao@example.com").ticket
    assign(ticket=second, owner=colleague, actor=colleague)
    customer_writes(ABUSIVE_EN, ticket=second, email="joao@example.com")
    time_machine.move_to("2026-04-02 12:00Z", tick=False)
    customer_writes(ABUSIVE_EN, ticket=second, email="joao@example.com")

    rows = queries.abuse_received(
        supervisor,
        since=first.created_at.replace(day=1),
        until=first.created_at.replace(day=31),
    )

    counts = {row.agent.username: row.messages for row in rows}
    assert counts == {"ana": 2, "bruno": 1, "sofia": 0}
    assert [row.agent.username for row in rows][:2] == ["ana", "bruno"]


def test_an_agent_accepts_a_suggestion(team, agent):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    services.accept_suggestion(ticket=ticket, agent=agent)

    ticket.refresh_from_db()
    assert ticket.kind == Kind.COMPLAINT
    suggestion = TicketTriage.objects.get(ticket=ticket)
    assert (suggestion.state, suggestion.decided_by) == (SuggestionState.ACCEPTED, agent)
    with pytest.raises(ValidationError):
        services.accept_suggestion(ticket=ticket, agent=agent)


def test_an_agent_who_cannot_see_the_ticket_cannot_accept_and_nothing_changes(team, outsider):
    services.set_threshold(admin=AgentFactory(role="admin"), threshold=1.0)
    ticket = customer_writes(COMPLAINT_PT, team=team).ticket

    with pytest.raises(PermissionDenied):
        services.accept_suggestion(ticket=ticket, agent=outsider)

    ticket.refresh_from_db()
    assert ticket.kind == Kind.QUESTION
    assert TicketTriage.objects.get(ticket=ticket).state == SuggestionState.PENDING


def test_revealing_an_abusive_message_is_recorded_per_agent(team, agent):
    received = customer_writes(ABUSIVE_EN, team=team)

    services.reveal(entry_id=received.entry.pk, agent=agent)
    services.reveal(entry_id=received.entry.pk, agent=agent)

    assert list(Reveal.objects.values_list("agent", flat=True)) == [agent.pk]
    assert AuditEntry.objects.filter(action="triage.abuse_revealed").count() == 1


def test_an_agent_of_another_team_cannot_reveal_and_nothing_is_recorded(team, outsider):
    received = customer_writes(ABUSIVE_EN, team=team)

    with pytest.raises(received.entry.DoesNotExist):
        services.reveal(entry_id=received.entry.pk, agent=outsider)

    assert not Reveal.objects.exists()
    assert not AuditEntry.objects.filter(action="triage.abuse_revealed").exists()


def test_a_calm_message_has_nothing_to_reveal(team, agent):
    received = customer_writes(QUESTION_EN, team=team)

    with pytest.raises(received.entry.DoesNotExist):
        services.reveal(entry_id=received.entry.pk, agent=agent)


def test_a_supervisor_takes_an_abusive_conversation_over(team, agent, supervisor):
    ticket = customer_writes(ABUSIVE_EN, team=team).ticket
    assign(ticket=ticket, owner=agent, actor=agent)

    services.take_over(ticket=ticket, supervisor=supervisor)

    ticket.refresh_from_db()
    assert ticket.owner == supervisor


def test_an_agent_cannot_take_a_colleagues_conversation_over(team, agent, colleague):
    ticket = customer_writes(ABUSIVE_EN, team=team).ticket
    assign(ticket=ticket, owner=agent, actor=agent)

    with pytest.raises(PermissionDenied):
        services.take_over(ticket=ticket, supervisor=colleague)

    ticket.refresh_from_db()
    assert ticket.owner == agent


def test_the_boundary_reply_speaks_the_tickets_language(team):
    spanish = customer_writes(QUESTION_ES, team=team, email="ana@example.es").ticket
    polish = customer_writes(QUESTION_PL, team=team, email="jan@example.pl").ticket
    english = customer_writes(QUESTION_EN, team=team, email="john@example.com").ticket

    assert services.boundary_reply(ticket=english).startswith("Dear ")
    assert services.boundary_reply(ticket=spanish) != services.boundary_reply(ticket=english)
    assert services.boundary_reply(ticket=polish) != services.boundary_reply(ticket=english)
    assert "respet" in services.boundary_reply(ticket=spanish)


def test_a_supervisor_lifts_a_customers_flag_and_its_history_stays(team, supervisor, agent):
    ticket = customer_writes(ABUSIVE_EN, team=team).ticket

    with pytest.raises(PermissionDenied):
        services.lift_customer_flags(customer=ticket.customer, supervisor=agent)
    assert CustomerFlag.objects.get().lifted_at is None

    services.lift_customer_flags(customer=ticket.customer, supervisor=supervisor)

    flag = CustomerFlag.objects.get()
    assert flag.lifted_at is not None
    assert flag.lifted_by == supervisor


def test_only_a_supervisor_of_its_team_clears_a_flag(team, agent, supervisor):
    ticket = customer_writes(LEAVING_PT, team=team).ticket
    flag = SupervisorFlag.objects.get(ticket=ticket)

    with pytest.raises(PermissionDenied):
        services.clear_flag(flag_id=flag.pk, supervisor=agent)
    flag.refresh_from_db()
    assert flag.cleared_at is None

    services.clear_flag(flag_id=flag.pk, supervisor=supervisor)

    flag.refresh_from_db()
    assert flag.cleared_by == supervisor


def test_only_admins_set_the_threshold_and_it_stays_between_half_and_one(agent, admin_agent):
    with pytest.raises(PermissionDenied):
        services.set_threshold(admin=agent, threshold=0.7)
    with pytest.raises(ValidationError):
        services.set_threshold(admin=admin_agent, threshold=0.3)

    assert queries.learning_state().settings.auto_apply_threshold == 0.9


def test_an_admins_kind_rule_is_used_for_the_next_message(team, admin_agent, agent):
    services.set_threshold(admin=admin_agent, threshold=1.0)
    with pytest.raises(PermissionDenied):
        services.save_kind_rule(admin=agent, kind="order", language="en", keywords="zebra")

    services.save_kind_rule(
        admin=admin_agent,
        kind=Kind.ORDER,
        language="en",
        keywords="zebrafone\nquokka lamp",
        weight=3.0,
    )
    ticket = customer_writes(
        "Hello, where is the quokka lamp I bought last week? I would like to know.", team=team
    ).ticket

    assert TicketTriage.objects.get(ticket=ticket).kind == Kind.ORDER
    services.reset_kind_rule(admin=admin_agent, kind=Kind.ORDER, language="en")
    assert queries.own_rules() == []


def test_a_very_long_message_is_read_from_its_opening(team):
    body = QUESTION_PL + " " + "Lorem ipsum dolor sit amet. " * 40_000

    received = customer_writes(body, team=team, language="en")

    received.entry.refresh_from_db()
    assert received.entry.language == "pl"
    assert len(received.entry.body) == len(body)


def test_a_call_an_agent_logs_is_their_account_and_is_not_read(team, agent):
    customer = CustomerFactory(name="Maria Santos", language="pt")

    received = log_contact(
        agent=agent, customer=customer, channel=Channel.PHONE, body=ABUSIVE_EN, team=team
    )

    assert not EntryReading.objects.filter(entry=received.entry).exists()
    assert not CustomerFlag.objects.exists()
