"""Reads of the office counter's pages, each naming the index it relies on."""

from datetime import datetime

from django.db.models import Count

from attenda.channels.counter.models import Office, Visit, VisitStatus


def waiting_by_service(office: Office) -> dict[int, int]:
    """visit_queue_idx: the number waiting per service."""
    return dict(
        Visit.objects.filter(office=office, status=VisitStatus.WAITING)
        .values_list("service")
        .annotate(waiting=Count("id"))
        .values_list("service", "waiting")
    )


def waiting_visits(office: Office, *, limit: int = 20) -> list[Visit]:
    """visit_queue_idx, in the order the counters will call them."""
    return list(
        Visit.objects.filter(office=office, status=VisitStatus.WAITING)
        .select_related("service")
        .order_by("priority", "waiting_since", "pk")[:limit]
    )


def recent_calls(office: Office, *, at: datetime, day, limit: int = 8) -> list[Visit]:
    """visit_office_day_idx: today's calls, newest first, as the waiting room's display lists them."""
    return list(
        Visit.objects.filter(office=office, day=day, called_at__isnull=False)
        .select_related("counter")
        .order_by("-called_at", "-pk")[:limit]
    )
