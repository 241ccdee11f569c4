"""Cross-cutting records: the audit trail of every change, and background work that gave up."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from attenda.core import clock


class AuditEntry(models.Model):
    """Who changed what, and when. Written by the service that made the change, never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=clock.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "created_at", "id"], name="audit_object_idx"
            ),
            models.Index(fields=["created_at", "id"], name="audit_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class FailedTask(models.Model):
    """Background work that failed on every attempt. Kept for an admin to read and run again."""

    task_path = models.CharField(_("task"), max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(_("attempts"))
    error = models.TextField(_("last error"))
    failed_at = models.DateTimeField(_("failed at"), default=clock.now)
    retried_at = models.DateTimeField(_("run again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        indexes = [models.Index(fields=["retried_at", "-failed_at"], name="failedtask_open_idx")]

    def __str__(self) -> str:
        return self.task_path


class LiveEvent(models.Model):
    """Something an open page should hear at once (core/live.py): kept an hour, so a page that
    reconnects resumes after the last position it heard.

    ``position`` is the event's place in the order its transaction committed, given by the database
    as it commits (migration core 0005): pages read what is after the last position they heard, so
    an event may not appear behind one they have heard. Ids would not do: on PostgreSQL an id is
    taken when the row is written, and a transaction that wrote first may commit last. None until
    the writer's transaction commits."""

    stream = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)
    position = models.BigIntegerField(null=True, unique=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["stream", "position"], name="core_liveevent_stream_position"),
            models.Index(fields=["created_at"], name="core_liveevent_created"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} {self.kind}"


class WorkerLease(models.Model):
    """A running `attenda worker` of the database queue, as last heard from. Its heartbeat renews
    the lease every few seconds; tasks claimed by a worker whose lease ran out are put back on the
    queue (core.workers.requeue_abandoned)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=clock.now)
    beat_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.worker_id
