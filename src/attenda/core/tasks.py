"""Background work with retries. The tasks API retries nothing by itself, so every task runs through
``run_with_retries``: a failure is tried again with growing waits and, once it gives up, kept as a
FailedTask for an admin instead of vanishing."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy
from django_tasks import task
from django_tasks_db import DatabaseBackend

from attenda.core import clock
from attenda.core.models import FailedTask

logger = logging.getLogger(__name__)


class BackgroundTask:
    """A plain function that runs on the worker. ``enqueue_on_commit`` is how services start one.
    ``gave_up``, if given, is called with the same arguments and the last error once every attempt
    has failed, so the work can say so where people look (a reply marked "not sent")."""

    def __init__(
        self,
        func: Callable[..., Any],
        gave_up: Callable[..., None] | None = None,
        label: str = "",
    ) -> None:
        self.func = func
        self.gave_up = gave_up
        # What the work is, in the reader's language, for the failed tasks page.
        self.label = label
        self.path = f"{func.__module__}.{func.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def enqueue_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(lambda: run_with_retries.enqueue(self.path, list(args), kwargs, 1))

    def enqueue_with_commit(self, *args: Any, **kwargs: Any) -> None:
        """As ``enqueue_on_commit``, but on the database queue inside the caller's transaction
        (``with_commit``): for work that follows each line of a chat, whose other side waits."""
        with_commit(lambda: run_with_retries.enqueue(self.path, list(args), kwargs, 1))


def with_commit(enqueue: Callable[[], object], *, robust: bool = False) -> None:
    """Queues work that runs once the caller's transaction commits. A queue in the database takes it
    inside that transaction: the task is committed with what it follows (nothing lost between the
    two), and on SQLite it costs no second turn at the one write lock, which a chat's line waited
    for before its agent heard it. A queue elsewhere (Redis) is told after the commit, so that no
    worker starts before what it reads is there; ``robust`` as ``transaction.on_commit``'s."""
    if transaction.get_connection().in_atomic_block and isinstance(
        run_with_retries.get_backend(), DatabaseBackend
    ):
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=robust)


class BatchTask:
    """A task that works through what waits in a queue of rows, queued ``delay`` seconds after a
    commit and at most once a ``delay`` by each process: the commits in between share one run (and
    one transaction per batch) instead of each starting a task of its own. The rows are written in
    the committing transaction, so a process that stops before queuing loses nothing: the
    scheduler runs the same task every few seconds for what waits."""

    def __init__(self, task_path: str, delay: float) -> None:
        self.task_path = task_path
        self.delay = delay
        self.queued_until = 0.0
        self._lock = threading.Lock()

    def after_commit(self) -> None:
        """Queues the task with the caller's transaction (``with_commit``)."""
        with_commit(self._queue, robust=True)

    def _queue(self) -> None:
        """Queues the task ``delay`` seconds from now, unless this process has queued one that has
        not started yet: it will see this commit too, having been told to start after it."""
        task = run_with_retries
        if self.delay and task.get_backend().supports_defer:
            with self._lock:
                now = time.monotonic()
                if now < self.queued_until:
                    return
                self.queued_until = now + self.delay
            task = task.using(run_after=clock.now() + timedelta(seconds=self.delay))
        task.enqueue(self.task_path, [], {}, 1)


# The longest a worker leaves SQLite's write lock to other writers between two of its transactions.
GIVE_WAY_SECONDS = 0.1
# How often it looks whether they still wait meanwhile.
GIVE_WAY_LOOK_SECONDS = 0.0005


def writers_waiting() -> bool:
    """Whether, on SQLite, a writer of any process waits for the write lock (the lock file's
    waiters, core.sqlite3); never on PostgreSQL, whose writers do not wait for each other."""
    return connection.vendor == "sqlite" and connection.writers_waiting()


def writers_quiet_for(seconds: float) -> bool:
    """Whether, on SQLite, no other connection has written for ``seconds`` as far as this one has
    looked (core.sqlite3, ``others_quiet_for``); always on PostgreSQL, whose writers do not wait
    for each other."""
    return connection.vendor != "sqlite" or connection.others_quiet_for(seconds)


def give_way() -> None:
    """After one of the worker's transactions on SQLite: lets the writers waiting for the write lock
    (a chat line, a message being taken) go first, for at most GIVE_WAY_SECONDS; with none waiting,
    goes on at once. A worker already running took the lock again before any waiter could, and kept
    messages waiting through all its transactions (the search indexer: 0.5-1.3 s on the loaded
    million). Outside tests' transactions only."""
    if connection.in_atomic_block:
        return
    deadline = time.monotonic() + GIVE_WAY_SECONDS
    while writers_waiting() and time.monotonic() < deadline:
        time.sleep(GIVE_WAY_LOOK_SECONDS)


# While the worker writes, it copies SQLite's write-ahead log into the database file at least this
# often: with the worker reading kept mail for seconds on end, the log grew past wal_autocheckpoint
# (settings.py) about once per 1,000 messages taken, and the commit that crossed it paid the copy
# and its fsync under the write lock (70-100 ms on the loaded million; every other write waited).
CHECKPOINT_SECONDS = 1.0
_checkpointed_at = 0.0


def checkpoint(*, unless_within: float = 0.0) -> None:
    """Copies SQLite's write-ahead log into the database file (and syncs it) in the worker, rather
    than in whichever commit crosses SQLite's automatic checkpoint (set high in settings.py, a
    backstop when no worker runs); not again within ``unless_within`` seconds of the last one in
    this process. PASSIVE: it takes no lock a writer needs, and stops at pages a reader still uses.
    Outside transactions, on SQLite only."""
    global _checkpointed_at
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    now = time.monotonic()
    if now - _checkpointed_at < unless_within:
        return
    _checkpointed_at = now
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def background(
    func: Callable[..., Any] | None = None,
    *,
    gave_up: Callable[..., None] | None = None,
    label: str = "",
) -> BackgroundTask | Callable[[Callable[..., Any]], BackgroundTask]:
    """``@background``, or ``@background(gave_up=..., label=...)``."""
    if func is None:
        return lambda func: BackgroundTask(func, gave_up, label)
    return BackgroundTask(func, gave_up, label)


def task_label(task_path: str) -> str:
    """The task's label for people; a task whose code moved or broke is named by its path."""
    try:
        background_task = import_string(task_path)
    except ImportError:
        return task_path
    return str(getattr(background_task, "label", "") or task_path)


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=settings.TASK_RETRY_BASE_SECONDS * 4 ** (attempt - 1))


@task()
def run_with_retries(task_path: str, args: list, kwargs: dict, attempt: int) -> None:
    """Each task starts in the site's language, whatever the one before it on this thread (or, with
    the immediate backend, the request that queued it) left active, and leaves none behind: work
    that writes to people chooses their language with ``translation.override``."""
    with translation.override(settings.LANGUAGE_CODE):
        _run(task_path, args, kwargs, attempt)


def _run(task_path: str, args: list, kwargs: dict, attempt: int) -> None:
    background_task: BackgroundTask | None = None
    try:
        # Inside the try: a task whose code moved or broke is kept for an admin like any other failure.
        background_task = import_string(task_path)
        background_task.func(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - any failure of the work is retried, then kept.
        if attempt < settings.TASK_MAX_ATTEMPTS:
            logger.warning("Task %s failed on attempt %s, retrying: %r", task_path, attempt, error)
            run_with_retries.using(run_after=clock.now() + retry_delay(attempt)).enqueue(
                task_path, args, kwargs, attempt + 1
            )
            return
        logger.exception("Task %s gave up after %s attempts", task_path, attempt)
        FailedTask.objects.create(
            task_path=task_path, args=args, kwargs=kwargs, attempts=attempt, error=repr(error)
        )
        if background_task is not None and background_task.gave_up is not None:
            background_task.gave_up(*args, error=error, **kwargs)


def run_failed_task_again(*, failed_task: FailedTask) -> None:
    """An admin's second chance for work that gave up: a fresh series of attempts."""
    with transaction.atomic():
        failed_task.retried_at = clock.now()
        failed_task.save(update_fields=["retried_at"])
        transaction.on_commit(
            lambda: run_with_retries.enqueue(
                failed_task.task_path, failed_task.args, failed_task.kwargs, 1
            )
        )


@background(label=gettext_lazy("Removing old live events"))
def prune_live_events() -> None:
    from attenda.core import live

    live.prune()
