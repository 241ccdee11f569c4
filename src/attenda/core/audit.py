"""The single way to write the audit trail; services call it inside their transaction."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from attenda.core.models import AuditEntry


def record(*, actor: Any, action: str, target: models.Model, **data: Any) -> AuditEntry:
    """Dotted action names (``ticket.transferred``) group cleanly in the trail."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        data=data,
    )


def record_many(*, actor: Any, action: str, targets: Iterable[models.Model]) -> list[AuditEntry]:
    """The same action on many objects at once (the escalation sweep), in one INSERT."""
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
            data={},
        )
        for target in targets
    )
