"""The single way to write the audit trail; services call it inside their transaction."""

from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from attenda.core import clock
from attenda.core.models import AuditEntry

# Most writes record, every message received among them: written out, as building the INSERT
# cost Django more than running it.
_RECORD_SQL = (
    "INSERT INTO core_auditentry (actor_id, action, object_type, object_id, data, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def record(*, actor: Any, action: str, target: models.Model, **data: Any) -> None:
    """Dotted action names (``ticket.transferred``) group cleanly in the trail."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SQL,
            [
                actor.pk if getattr(actor, "pk", None) else None,
                action,
                target._meta.label_lower,
                str(target.pk),
                connection.ops.adapt_json_value(data, None),
                connection.ops.adapt_datetimefield_value(clock.now()),
            ],
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
