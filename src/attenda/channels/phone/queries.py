"""Reads for the phone pages, each on the index named."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from attenda.agents.models import Agent
from attenda.channels.phone.models import PERSON_TARGET_SECONDS, Call, CtiEndpoint, UnreadWebhook
from attenda.core import clock
from attenda.customers.models import Customer

MISSED_SHOWN = 100
CUSTOMER_CALLS = 20


def missed_calls(agent: Agent) -> list[Call]:
    """call_missed_idx: missed calls nobody called back yet, newest first; an agent sees their
    teams' and those of no team."""
    calls = calls_of_agent(agent).filter(missed=True, done=False).select_related("customer", "team")
    return list(calls.order_by("-started_at")[:MISSED_SHOWN])


def calls_of_agent(agent: Agent) -> QuerySet[Call]:
    """The calls an agent may deal with: their teams' and those of no team."""
    calls = Call.objects.all()
    if not agent.is_admin:
        calls = calls.filter(Q(team_id__in=agent.team_ids()) | Q(team__isnull=True))
    return calls


def customer_calls(customer: Customer) -> list[Call]:
    """call_customer_idx: the customer's calls, newest first."""
    return list(
        Call.objects.filter(customer=customer)
        .select_related("answered_by", "ticket")
        .order_by("-started_at")[:CUSTOMER_CALLS]
    )


@dataclass(frozen=True)
class PersonAnswers:
    requested: int
    answered: int
    within_target: int
    target_seconds: int

    @property
    def share(self) -> float | None:
        return round(100 * self.within_target / self.requested, 1) if self.requested else None


def person_answers(*, days: int = 365) -> PersonAnswers:
    """call_person_idx: calls in the last ``days`` where a person was asked for, and how many a
    person answered within PERSON_TARGET_SECONDS (Ley 10/2025: 95 % within 3 minutes). A request
    nobody answered counts against the share."""
    since = clock.now() - timedelta(days=days)
    waited = ExpressionWrapper(
        F("person_answered_at") - F("person_requested_at"), output_field=DurationField()
    )
    counts = (
        Call.objects.filter(person_requested_at__gte=since)
        .annotate(waited=waited)
        .aggregate(
            requested=Count("id"),
            answered=Count("id", filter=Q(person_answered_at__isnull=False)),
            within=Count("id", filter=Q(waited__lte=timedelta(seconds=PERSON_TARGET_SECONDS))),
        )
    )
    return PersonAnswers(
        requested=counts["requested"],
        answered=counts["answered"],
        within_target=counts["within"],
        target_seconds=PERSON_TARGET_SECONDS,
    )


def unread_webhooks() -> QuerySet[UnreadWebhook]:
    """webhook_received_idx, newest first."""
    return UnreadWebhook.objects.order_by("-received_at")


def cti_endpoints() -> list[CtiEndpoint]:
    return list(CtiEndpoint.objects.select_related("team"))
