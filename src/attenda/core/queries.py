"""Reads of the audit trail, newest first, by keyset so an old page costs what the first does."""

from django.db.models import QuerySet

from attenda.core.models import AuditEntry
from attenda.core.pagination import Page, keyset_page

ORDER = ("-created_at", "-id")


def audit_page(
    *, object_type: str = "", object_id: str = "", cursor: str | None, size: int = 50
) -> Page:
    """audit_object_idx for one object's history, audit_recent_idx for everything."""
    entries: QuerySet[AuditEntry] = AuditEntry.objects.select_related("actor")
    if object_type:
        entries = entries.filter(object_type=object_type)
        if object_id:
            entries = entries.filter(object_id=object_id)
    return keyset_page(entries, order=ORDER, cursor=cursor, size=size)
