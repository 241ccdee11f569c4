"""Reads of triage for the agent's pages, each naming the index it relies on."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from attenda.agents.models import Agent, Team
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


# What ticket_panel reads of the suggestion; the other columns are loaded if asked for.
SUGGESTION_COLUMNS = (
    "ticket_id",
    "entry_id",
    "kind",
    "kind_confidence",
    "team_id",
    "team_confidence",
    "state",
)


def ticket_panel(agent: Agent, ticket: Ticket, entries: list[TimelineEntry]) -> TicketPanel:
    """One query: the ticket's suggestion (its primary key) with its team's name, the ticket's open
    flag (flag_one_open), whether the customer is flagged (customer_flag_idx), the abusive entries
    shown (the readings' primary key) and those of them this agent chose to read (reveal_unique).
    Written out: Django built it in about 3 ms of each ticket page, ten times the database's time."""
    shown = [entry.pk for entry in entries] or [0]
    in_shown = ", ".join(["%s"] * len(shown))
    id_list = (
        "STRING_AGG(entry_id::text, ',')"
        if connection.vendor == "postgresql"
        else "GROUP_CONCAT(entry_id)"
    )
    suggestion_columns = ", ".join(f"suggestion.{column}" for column in SUGGESTION_COLUMNS)
    sql = (
        f"SELECT {suggestion_columns}, team.name,"  # noqa: S608
        f" (SELECT id FROM {SupervisorFlag._meta.db_table}"
        "   WHERE ticket_id = %s AND cleared_at IS NULL LIMIT 1),"
        f" EXISTS (SELECT 1 FROM {CustomerFlag._meta.db_table}"
        "   WHERE customer_id = %s AND lifted_at IS NULL),"
        f" (SELECT {id_list} FROM {EntryReading._meta.db_table}"
        f"   WHERE entry_id IN ({in_shown}) AND abusive = %s),"
        f" (SELECT {id_list} FROM {Reveal._meta.db_table}"
        f"   WHERE entry_id IN ({in_shown}) AND agent_id = %s)"
        f" FROM (SELECT 1) AS this_ticket"
        f" LEFT JOIN {TicketTriage._meta.db_table} suggestion ON suggestion.ticket_id = %s"
        f" LEFT JOIN {Team._meta.db_table} team ON team.id = suggestion.team_id"
    )
    params = [ticket.pk, ticket.customer_id, *shown, True, *shown, agent.pk, ticket.pk]
    with connection.cursor() as cursor:
        # Safe: table names from the models, every value a parameter.
        cursor.execute(sql, params)
        row = cursor.fetchone()
    *suggested, team_name, open_flag, customer_flagged, abusive_ids, revealed_ids = row
    suggestion, flag = None, None
    if suggested[0] is not None:
        suggestion = TicketTriage.from_db(connection.alias, SUGGESTION_COLUMNS, suggested)
        suggestion.ticket = ticket
        if suggestion.team_id is not None:
            suggestion.team = Team(pk=suggestion.team_id, name=team_name)
        if open_flag is not None:
            flag = SupervisorFlag(pk=open_flag, ticket=ticket)
    abusive = _ids(abusive_ids)
    return TicketPanel(
        suggestion=suggestion,
        flag=flag,
        customer_flagged=bool(customer_flagged),
        hidden_entries=abusive - _ids(revealed_ids),
        abusive_entries=abusive,
    )


def _ids(column: str | None) -> frozenset[int]:
    return frozenset(int(found) for found in column.split(",")) if column else frozenset()


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
