"""Reads of triage for the agent's pages, each naming the index it relies on."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Func, OuterRef, Q, QuerySet, TextField

from attenda.agents.models import Agent
from attenda.core.pagination import Page, keyset_page
from attenda.customers.models import Customer
from attenda.tickets.models import Status, Ticket, TimelineEntry
from attenda.triage.models import (
    CustomerFlag,
    EntryReading,
    KindRule,
    Reveal,
    SuggestionState,
    SupervisorFlag,
    TicketTriage,
    TrainedModel,
    TriageSettings,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class TicketPanel:
    """What the ticket page shows of triage."""

    suggestion: TicketTriage | None
    flag: SupervisorFlag | None
    customer_flagged: bool
    hidden_entries: frozenset[int]
    abusive_entries: frozenset[int]

    @property
    def kind_percent(self) -> int:
        return round(self.suggestion.kind_confidence * 100) if self.suggestion else 0

    @property
    def team_percent(self) -> int:
        return round(self.suggestion.team_confidence * 100) if self.suggestion else 0

    @property
    def team_suggested(self) -> bool:
        suggestion = self.suggestion
        return bool(
            suggestion and suggestion.team_id and suggestion.team_id != suggestion.ticket.team_id
        )

    @property
    def suggestion_pending(self) -> bool:
        suggestion = self.suggestion
        if suggestion is None or suggestion.state != SuggestionState.PENDING:
            return False
        ticket = suggestion.ticket
        return suggestion.kind != ticket.kind or (
            suggestion.team_id is not None and suggestion.team_id != ticket.team_id
        )


def abusive_entries(agent: Agent, entries: list[TimelineEntry]) -> tuple[set[int], set[int]]:
    """The abusive entries among these, and those of them this agent has not chosen to read. One
    query: the readings' primary key, with reveal_unique for the agent's reveals."""
    readings = EntryReading.objects.filter(
        entry_id__in=[entry.pk for entry in entries], abusive=True
    ).annotate(revealed=Exists(Reveal.objects.filter(entry_id=OuterRef("entry_id"), agent=agent)))
    abusive, hidden = set(), set()
    for entry_id, revealed in readings.values_list("entry_id", "revealed"):
        abusive.add(entry_id)
        if not revealed:
            hidden.add(entry_id)
    return abusive, hidden


class _IdList(Func):
    """The ids of a subquery's rows as one comma-separated text, so that one column of one query
    carries them: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL. A plain function to Django, so
    it adds no GROUP BY: the database aggregates every row the subquery finds."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(%(expressions)s::text, ',')",
            **extra_context,
        )


def _ids(column: str | None) -> frozenset[int]:
    return frozenset(int(found) for found in column.split(",")) if column else frozenset()


def ticket_panel(agent: Agent, ticket: Ticket, entries: list[TimelineEntry]) -> TicketPanel:
    """One query, from the ticket's row: its suggestion (the primary key) with its team, the
    ticket's open flag (flag_one_open), whether the customer is flagged (customer_flag_idx), the
    abusive entries shown (the readings' primary key) and those of them this agent chose to read
    (reveal_unique)."""
    shown = [entry.pk for entry in entries]
    found = (
        Ticket.objects.filter(pk=ticket.pk)
        .select_related("triage__team")
        .only(
            "customer_id",
            *(f"triage__{field.name}" for field in TicketTriage._meta.concrete_fields),
            "triage__team__name",
        )
        .annotate(
            open_flag=SupervisorFlag.objects.filter(
                ticket=OuterRef("pk"), cleared_at__isnull=True
            ).values("pk")[:1],
            customer_flagged=Exists(
                CustomerFlag.objects.filter(customer_id=ticket.customer_id, lifted_at__isnull=True)
            ),
            abusive_ids=EntryReading.objects.filter(entry_id__in=shown, abusive=True)
            .order_by()
            .annotate(ids=_IdList("entry_id"))
            .values("ids"),
            revealed_ids=Reveal.objects.filter(entry_id__in=shown, agent=agent)
            .order_by()
            .annotate(ids=_IdList("entry_id"))
            .values("ids"),
        )
        .get()
    )
    suggestion, flag = getattr(found, "triage", None), None
    if suggestion is not None:
        suggestion.ticket = ticket
        if found.open_flag is not None:
            flag = SupervisorFlag(pk=found.open_flag, ticket=ticket)
    abusive = _ids(found.abusive_ids)
    return TicketPanel(
        suggestion=suggestion,
        flag=flag,
        customer_flagged=found.customer_flagged,
        hidden_entries=abusive - _ids(found.revealed_ids),
        abusive_entries=abusive,
    )


def flagged_page(supervisor: Agent, *, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """Open flags on tickets now in the supervisor's teams (every team for an admin), newest
    first. flag_open_idx: the open flags in order, few beside the tickets, each joined to its
    ticket for the team, so a ticket handed to another team takes its flag along."""
    flags = SupervisorFlag.objects.filter(cleared_at__isnull=True).select_related(
        "ticket", "ticket__owner"
    )
    if not supervisor.is_admin:
        flags = flags.filter(ticket__team_id__in=supervisor.team_ids())
    return keyset_page(flags, order=("-flagged_at", "-id"), cursor=cursor, size=size)


@dataclass(frozen=True)
class AbuseReceived:
    agent: Agent
    messages: int


def abuse_received(supervisor: Agent, *, since: datetime, until: datetime) -> list[AbuseReceived]:
    """Abusive messages each agent of the supervisor's teams received (owned the ticket when they
    arrived) in [since, until), the most first; agents who received none are listed with 0.
    reading_abuse_owner_idx: one range of (owner, created_at) per agent."""
    agents = Agent.objects.filter(is_active=True)
    if not supervisor.is_admin:
        agents = agents.filter(teams__in=supervisor.team_ids()).distinct()
    counted = dict(
        EntryReading.objects.filter(
            abusive=True,
            owner__in=agents.values("pk"),
            created_at__gte=since,
            created_at__lt=until,
        )
        .values("owner")
        .annotate(messages=Count("pk"))
        .values_list("owner", "messages")
    )
    rows = [AbuseReceived(agent, counted.get(agent.pk, 0)) for agent in agents.order_by("username")]
    return sorted(rows, key=lambda row: -row.messages)


def abuse_flags(customer: Customer) -> dict:
    """For the customer page: the latest abuse flags, newest first (customer_flag_idx), and whether
    one is still raised."""
    flags = list(
        CustomerFlag.objects.filter(customer=customer)
        .select_related("lifted_by")
        .order_by("-raised_at")[:100]
    )
    return {
        "abuse_flags": flags,
        "abuse_flagged": any(flag.lifted_at is None for flag in flags),
    }


@dataclass(frozen=True)
class LearningState:
    settings: TriageSettings
    model: TrainedModel | None
    latest: TrainedModel | None
    labelled: int


def own_rules() -> list[KindRule]:
    """The admins' kind rules; a few dozen rows at most."""
    return list(KindRule.objects.order_by("kind", "language"))


def labelled() -> QuerySet[TicketTriage]:
    """Tickets whose kind an agent set or confirmed: a suggestion they accepted, or a ticket they
    worked to its end (solved or closed) with the kind it had then. ticket_triage_state_idx for the
    accepted ones; the others through the ticket's primary key."""
    return TicketTriage.objects.filter(
        Q(state=SuggestionState.ACCEPTED) | Q(ticket__status__in=[Status.SOLVED, Status.CLOSED]),
        ticket__merged_into__isnull=True,
    )


def learning_state() -> LearningState:
    row = TriageSettings.objects.filter(pk=1).first() or TriageSettings()
    latest = TrainedModel.objects.defer("data").order_by("-created_at", "-id").first()
    model = None
    if row.model_id is not None:
        model = TrainedModel.objects.defer("data").filter(pk=row.model_id).first()
    return LearningState(settings=row, model=model, latest=latest, labelled=labelled().count())
