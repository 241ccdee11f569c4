"""Reads for routing: the statutory rules in force, the tickets due soon, and the work of the
escalation sweep, each one range of the Ticket index named beside it."""

from collections.abc import Collection
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Value

from attenda.routing.deadlines import SHIPPED_RULES, StatutoryRule
from attenda.routing.models import StatutoryRule as StatutoryRuleRow
from attenda.tickets.models import Ticket


def statutory_rules() -> tuple[StatutoryRule, ...]:
    """The shipped rules, then the admins' rows: a row from the same day as a shipped rule comes
    later in the table and so wins in ``rule_for``."""
    return SHIPPED_RULES + tuple(row.as_rule() for row in StatutoryRuleRow.objects.order_by("id"))


def due_within(now: datetime, window: timedelta) -> QuerySet[Ticket]:
    """Open tickets whose nearest deadline falls in [now, now + window), soonest first.
    ticket_open_due_idx."""
    return Ticket.objects.filter(
        Q(is_open=Value(True)), due_at__gte=now, due_at__lt=now + window
    ).order_by("due_at", "id")


def sweep_batch(now: datetime, size: int, *, excluding: Collection[int] = ()) -> list[int]:
    """Up to ``size`` tickets with a warning or a breach due by ``now``, the earliest first.
    ticket_warn_idx and ticket_escalate_idx: two ranges, never a scan. ``excluding`` is normally
    empty (escalated tickets leave both ranges)."""
    found: dict[int, None] = {}
    for column in ("warn_at", "escalate_at"):
        tickets = Ticket.objects.filter(**{f"{column}__lte": now}).order_by(column)
        if excluding:
            tickets = tickets.exclude(pk__in=excluding)
        found.update(dict.fromkeys(tickets.values_list("id", flat=True)[:size]))
    return list(found)[:size]
