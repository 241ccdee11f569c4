"""Work that a worker was running when it died is put back on the queue, on either task backend.

Database queue: each `attenda worker` holds a lease (WorkerLease) that a heartbeat thread renews
every WORKER_BEAT_SECONDS. A task stays "running" under the id of the worker that claimed it; once
that worker's lease is older than WORKER_LEASE_SECONDS (killed, its machine gone, its connection
lost), ``requeue_abandoned`` — a periodic task (core.periodic) — makes the task ready again for any
other worker. A worker that cannot renew its own lease for WORKER_FENCE_SECONDS (less than the
lease) stops itself, so a task is never run by two workers at once.

Redis queue: RQ notices itself that a worker died (its job's heartbeat runs out) and files the job
as failed ("abandoned"); when its work horse is killed the worker files it the same way.
``requeue_abandoned`` moves such jobs back onto their queue. One worker also runs RQ's scheduler,
which queues the work that waits for a moment (a retry, the search indexer a second after a
commit); when that worker dies another takes the scheduler over (RQWorker).

Either way a task is put back at most TASK_MAX_ATTEMPTS times; one that kills its worker every
time is then kept as a FailedTask for an admin. Tasks must therefore be safe to run again
(sending a mail checks ``sent_at`` first; the search indexer takes only what is still pending)."""

import logging
import os
import secrets
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.translation import gettext_lazy
from rq.worker import Worker

from attenda.core import clock
from attenda.core.models import FailedTask, WorkerLease
from attenda.core.tasks import background

logger = logging.getLogger(__name__)

ABANDONED = "The worker running it stopped before it finished"
REQUEUED_META = "attenda_requeued"
KEPT_META = "attenda_kept"
RQ_ABANDONED_MARKS = ("AbandonedJobError", "Work-horse terminated unexpectedly")


class RQWorker(Worker):
    """RQ's worker, with its upkeep every RQ_MAINTENANCE_SECONDS instead of RQ's ten minutes. The
    upkeep is also when a worker takes over the scheduler of one that died: killed, the worker that
    ran it left a reply's retry, and the work waiting for it, unsent for up to ten minutes."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # The upkeep runs between waits for a job: a quiet queue must not put it off.
        return max(1, min(super().dequeue_timeout, int(self.maintenance_interval)))


def new_worker_id() -> str:
    """Unique across machines, and readable: host, process and a random part."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"[:64]


class Heartbeat(threading.Thread):
    """Renews this worker's lease until ``stop``; ends the process when it cannot (see module)."""

    def __init__(self, worker_id: str, *, fence=None) -> None:
        super().__init__(name=f"attenda-heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()
        self.fence = fence or (lambda: os._exit(70))
        self.last_beat = clock.now()

    def beat(self) -> None:
        now = clock.now()
        updated = WorkerLease.objects.filter(worker_id=self.worker_id).update(beat_at=now)
        if not updated:
            WorkerLease.objects.create(
                worker_id=self.worker_id,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=now,
                beat_at=now,
            )
        self.last_beat = now

    def run(self) -> None:
        while not self.stopping.wait(settings.WORKER_BEAT_SECONDS):
            try:
                close_old_connections()
                self.beat()
            except Exception:  # noqa: BLE001 - a lost database must not end the heartbeat quietly.
                logger.warning("The worker %s could not renew its lease", self.worker_id)
                connection.close()
            if clock.now() - self.last_beat > timedelta(seconds=settings.WORKER_FENCE_SECONDS):
                logger.critical(
                    "The worker %s could not renew its lease for %s s and stops, so that its"
                    " task can go to another worker.",
                    self.worker_id,
                    settings.WORKER_FENCE_SECONDS,
                )
                self.fence()
                return
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=settings.WORKER_BEAT_SECONDS + 5)
        WorkerLease.objects.filter(worker_id=self.worker_id).delete()


@background(label=gettext_lazy("Putting back tasks of stopped workers"))
def requeue_abandoned() -> int:
    """Puts back on the queue the tasks of workers that are gone; returns how many."""
    if settings.TASK_BACKEND == "database":
        return _requeue_database()
    if settings.TASK_BACKEND == "redis":
        return _requeue_redis()
    return 0


def _requeue_database() -> int:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = clock.now()
    live = set(
        WorkerLease.objects.filter(
            beat_at__gte=now - timedelta(seconds=settings.WORKER_LEASE_SECONDS)
        ).values_list("worker_id", flat=True)
    )
    requeued = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
        "pk", "worker_ids", "task_path", "args_kwargs"
    )
    for pk, worker_ids, task_path, args_kwargs in running:
        if worker_ids and worker_ids[-1] in live:
            continue
        # Only while it is still as read: a worker that finished it meanwhile wins.
        still = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING)
        if len(worker_ids) >= settings.TASK_MAX_ATTEMPTS:
            if still.update(status=TaskResultStatus.FAILED, finished_at=now, traceback=ABANDONED):
                _keep_failed(task_path, args_kwargs, attempts=len(worker_ids))
            continue
        if still.update(status=TaskResultStatus.READY, started_at=None):
            requeued += 1
            logger.warning(
                "Task %s (%s) was running on %s, which stopped; it is queued again.",
                pk,
                _work_of(task_path, args_kwargs),
                worker_ids[-1] if worker_ids else "no worker",
            )
    # Leases of workers long gone.
    WorkerLease.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return requeued


def _requeue_redis() -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    requeued = 0
    for name in settings.TASKS["default"]["QUEUES"]:
        queue = django_rq.get_queue(name, job_class=Job)
        # RQ files a dead worker's job as failed once its heartbeat runs out; do it now.
        StartedJobRegistry(queue=queue, job_class=Job).cleanup()
        failed = FailedJobRegistry(queue=queue, job_class=Job)
        for job_id in failed.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None or not _abandoned(job):
                continue
            times = int(job.meta.get(REQUEUED_META, 0)) + 1
            if times >= settings.TASK_MAX_ATTEMPTS:
                if not job.meta.get(KEPT_META):
                    job.meta[KEPT_META] = True
                    job.save_meta()
                    _keep_failed(job.func_name, {"args": list(job.args)}, attempts=times)
                continue
            job.meta[REQUEUED_META] = times
            job.meta.pop("_django_tasks_rq_exceptions", None)
            job.save_meta()
            failed.requeue(job)
            requeued += 1
            logger.warning(
                "Job %s's worker stopped before it finished; it is queued again.", job_id
            )
    return requeued


def _abandoned(job) -> bool:
    marks = " ".join(job.meta.get("_django_tasks_rq_exceptions", []))
    result = job.latest_result()
    if result is not None and result.exc_string:
        marks += " " + result.exc_string
    return any(mark in marks for mark in RQ_ABANDONED_MARKS)


def _work_of(task_path: str, args_kwargs: dict) -> str:
    """run_with_retries carries the real task's path as its first argument."""
    args = (args_kwargs or {}).get("args") or []
    return args[0] if args and isinstance(args[0], str) else task_path


def _keep_failed(task_path: str, args_kwargs: dict, *, attempts: int) -> None:
    args = (args_kwargs or {}).get("args") or []
    if len(args) == 4 and isinstance(args[0], str):  # run_with_retries(path, args, kwargs, attempt)
        task_path, task_args, task_kwargs = args[0], args[1], args[2]
    else:
        task_args, task_kwargs = args, (args_kwargs or {}).get("kwargs") or {}
    logger.error("Task %s stopped its worker %s times; kept for an admin.", task_path, attempts)
    FailedTask.objects.create(
        task_path=task_path, args=task_args, kwargs=task_kwargs, attempts=attempts, error=ABANDONED
    )
