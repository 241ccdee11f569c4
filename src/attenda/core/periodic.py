"""Work repeated on a schedule (the service-level sweep, triage's learning), for either task backend: one scheduler
per installation puts each periodic task on the queue when its interval has passed, and whichever
worker is free runs it through run_with_retries like any other task. The tasks themselves are
idempotent, so a sweep queued twice does its work once."""

import logging
import threading
from datetime import datetime, timedelta

from attenda.core import clock
from attenda.core.tasks import run_with_retries

logger = logging.getLogger(__name__)

# task path → how often it runs.
SCHEDULE: dict[str, timedelta] = {
    "attenda.routing.tasks.sweep_service_levels": timedelta(minutes=1),
    # Texts the search index has not taken yet: those whose indexer was never queued (the process
    # stopped right after its commit) or did not run (a worker killed mid-task).
    "attenda.tickets.tasks.index_pending_text": timedelta(seconds=10),
    # Chat lines not read yet: those whose reading was never queued or did not run (as above).
    "attenda.tickets.tasks.read_waiting_arrivals": timedelta(seconds=10),
    # Mail kept waiting to be read (a delivery report, most often), as above.
    "attenda.channels.email.tasks.read_waiting_mail": timedelta(seconds=10),
    # Live events older than any open page's reconnection.
    "attenda.core.tasks.prune_live_events": timedelta(minutes=10),
    # Messaging-app events stored by a webhook whose task was never queued or never ran.
    "attenda.channels.social.tasks.take_forgotten_events": timedelta(minutes=10),
    # Tasks whose worker died while running them go back on the queue (core/workers.py).
    "attenda.core.workers.requeue_abandoned": timedelta(seconds=10),
    # Triage's kind and team model, learnt again from the labels agents gave since.
    "attenda.triage.tasks.retrain_now": timedelta(hours=24),
}


def enqueue_due(next_runs: dict[str, datetime], *, now: datetime) -> list[str]:
    """Queues every task whose time has come and moves its next run on; returns their paths."""
    queued = []
    for path, every in SCHEDULE.items():
        if next_runs.get(path, now) <= now:
            run_with_retries.enqueue(path, [], {}, 1)
            next_runs[path] = now + every
            queued.append(path)
    return queued


def run_schedule(stop: threading.Event, *, tick_seconds: float = 1.0) -> None:
    """Until ``stop`` is set; each task runs once at start, then every interval."""
    next_runs: dict[str, datetime] = {}
    while not stop.is_set():
        for path in enqueue_due(next_runs, now=clock.now()):
            logger.debug("Queued the periodic task %s", path)
        stop.wait(tick_seconds)
