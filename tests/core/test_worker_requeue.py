"""A worker killed in the middle of a task loses nothing: the task goes back on the queue once the
worker's lease runs out (database queue) or RQ files it as abandoned (Redis), another worker runs
it, and a reply the killed worker was sending reaches the customer once. On SQLite and PostgreSQL;
the last test kills a real `attenda worker` with SIGKILL while it talks to the mail server."""

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import OutboundMail
from attenda.core.models import FailedTask, WorkerLease
from attenda.core.tasks import run_with_retries
from attenda.core.workers import Heartbeat, requeue_abandoned
from attenda.tickets.models import Delivery
from attenda.tickets.services import reply
from tests.channels.email.mail import Inbox, SmtpServer, raw_mail
from tests.core import tasks_for_tests
from tests.core.test_tasks import rq_queue, work  # noqa: F401 - a fixture used below.
from tests.test_cli import fresh_database_url  # noqa: F401 - a fixture used below.

START = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
TASK_PATH = "tests.core.tasks_for_tests.call_partner"


@pytest.fixture(autouse=True)
def no_attempts_yet():
    tasks_for_tests.attempts.clear()
    yield
    tasks_for_tests.attempts.clear()


def claim_and_die(worker_id: str, work: str = "") -> DBTaskResult:
    """What a worker does before it runs a task, and nothing after: as if killed mid-task."""
    task = next(task for task in DBTaskResult.objects.ready() if work in str(task.args_kwargs))
    task.claim(worker_id)
    return task


def lease(worker_id: str, *, beat_at: dt.datetime) -> None:
    WorkerLease.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": beat_at})


@pytest.mark.django_db
def test_a_reply_whose_worker_died_while_sending_is_sent_once_by_another_worker(
    mailbox, agent, smtp_server, run_tasks, django_capture_on_commit_callbacks, settings
):
    settings.WORKER_LEASE_SECONDS = 30
    with time_machine.travel(START, tick=False) as traveller:
        ticket = take_mail(mailbox, raw_mail(), source="api").mail.entry.ticket
        run_tasks()  # the acknowledgement
        smtp_server.inbox.messages.clear()
        with django_capture_on_commit_callbacks(execute=True):
            entry = reply(ticket=ticket, agent=agent, body="A fatura foi corrigida.")
        lease("worker-a", beat_at=START)
        task = claim_and_die("worker-a", "send_outbound")

        traveller.shift(29)
        lease("worker-b", beat_at=clock_now())
        requeued_while_alive = requeue_abandoned()
        traveller.shift(2)
        lease("worker-b", beat_at=clock_now())
        requeued_once_gone = requeue_abandoned()
        requeued_again = requeue_abandoned()
        ran = run_tasks()
        after = requeue_abandoned(), run_tasks()

    assert (requeued_while_alive, requeued_once_gone, requeued_again) == (0, 1, 0)
    assert ran >= 1  # the reply, and the search indexer its text asked for
    assert after == (0, 0)
    task.refresh_from_db()
    assert (task.status, task.worker_ids) == (
        TaskResultStatus.SUCCESSFUL,
        ["worker-a", "test-worker"],
    )
    outbound = OutboundMail.objects.get(entry=entry)
    assert outbound.sent_at is not None
    assert len(smtp_server.inbox.messages) == 1
    sent = message_from_bytes(smtp_server.inbox.messages[0][2], policy=policy.default)
    assert sent["Message-ID"] == f"<{outbound.message_id}>"
    entry.refresh_from_db()
    assert entry.delivery == Delivery.SENT


def clock_now() -> dt.datetime:
    from attenda.core import clock

    return clock.now()


@pytest.mark.django_db
def test_a_task_of_a_worker_that_beats_is_left_to_it(settings):
    run_with_retries.enqueue(TASK_PATH, ["billing-api"], {"failures": 0}, 1)
    with time_machine.travel(START, tick=False) as traveller:
        heartbeat = Heartbeat("worker-a")
        heartbeat.beat()
        claim_and_die("worker-a")
        for _minute in range(5):
            traveller.shift(25)
            heartbeat.beat()
            assert requeue_abandoned() == 0
        traveller.shift(settings.WORKER_LEASE_SECONDS + 1)
        assert requeue_abandoned() == 1


@pytest.mark.django_db
def test_a_task_that_kills_every_worker_that_runs_it_is_kept_for_an_admin(settings, run_tasks):
    settings.TASK_MAX_ATTEMPTS = 3
    run_with_retries.enqueue(TASK_PATH, ["billing-api"], {}, 1)
    with time_machine.travel(START, tick=False) as traveller:
        for number in range(3):
            claim_and_die(f"worker-{number}")
            traveller.shift(settings.WORKER_LEASE_SECONDS + 1)
            requeue_abandoned()

    failed = FailedTask.objects.get()
    assert (failed.task_path, failed.args, failed.attempts) == (
        TASK_PATH,
        ["billing-api"],
        3,
    )
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    assert run_tasks() == 0
    assert tasks_for_tests.attempts == []


@pytest.mark.django_db
def test_a_worker_that_cannot_renew_its_lease_stops_itself(settings, monkeypatch):
    settings.WORKER_LEASE_SECONDS = 6
    settings.WORKER_BEAT_SECONDS = 0.05
    settings.WORKER_FENCE_SECONDS = 0.2
    fenced = threading.Event()
    heartbeat = Heartbeat("worker-a", fence=fenced.set)
    monkeypatch.setattr(heartbeat, "beat", lambda: (_ for _ in ()).throw(OSError("gone")))
    heartbeat.start()
    assert fenced.wait(5)
    heartbeat.join(5)
    assert not heartbeat.is_alive()


@pytest.mark.redis
def test_on_redis_a_job_whose_worker_died_is_run_again_once(db, rq_queue, settings):  # noqa: F811
    settings.TASK_BACKEND = "redis"
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    result = run_with_retries.enqueue(TASK_PATH, ["billing-api"], {"failures": 0}, 1)
    job = rq_queue.fetch_job(result.id)
    # A worker took it and died: RQ keeps it as started until its heartbeat runs out.
    rq_queue.remove(job.id)
    job.set_status(JobStatus.STARTED)
    with rq_queue.connection.pipeline() as pipeline:
        pipeline.zadd(StartedJobRegistry(queue=rq_queue).key, {f"{job.id}:dead-execution": 1})
        pipeline.execute()

    requeued = requeue_abandoned()
    work(rq_queue)

    assert requeued == 1
    assert tasks_for_tests.attempts == ["billing-api"]
    assert requeue_abandoned() == 0
    assert rq_queue.fetch_job(job.id).get_status() == JobStatus.FINISHED


class StallingInbox(Inbox):
    """Holds the first session at its first recipient until released: a worker killed meanwhile
    never finishes the mail, as when a worker dies in the middle of sending."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


SETUP = """
from attenda.agents.models import Role, Team
from attenda.agents.services import create_agent
from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import Mailbox, OutboundMail
from attenda.tickets.services import reply
from django.db import transaction
from django_tasks_db.models import DBTaskResult

team = Team.objects.create(name="Care")
agent = create_agent(username="ana", password="x-unused-password-1", role=Role.AGENT, teams=[team],
                     actor=None)
mailbox = Mailbox.objects.create(address="support@attenda.test", name="Support", team=team,
                                 smtp_host="127.0.0.1", smtp_port={port}, smtp_security="none")
mail = take_mail(mailbox, {raw!r}, source="api").mail
DBTaskResult.objects.all().delete()  # the acknowledgement: not what this test is about
OutboundMail.objects.all().delete()
with transaction.atomic():
    reply(ticket=mail.entry.ticket, agent=agent, body="A fatura foi corrigida.")
print(OutboundMail.objects.get().message_id)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_nothing_and_the_mail_leaves_once(
    tmp_path,
    fresh_database_url,  # noqa: F811
):
    inbox = StallingInbox()
    server = SmtpServer()
    server.inbox = inbox
    server.start()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ATTENDA_")},
        "ATTENDA_DATA_DIR": str(tmp_path / "data"),
        "ATTENDA_SECRET_KEY": "a-test-key-not-a-secret-0123456789",
        "ATTENDA_TASK_BACKEND": "database",
        "ATTENDA_WORKER_LEASE_SECONDS": "6",
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    if fresh_database_url:
        environment["DATABASE_URL"] = fresh_database_url
    else:
        environment.pop("DATABASE_URL", None)
    (tmp_path / "data" / "static").mkdir(parents=True)

    def attenda(*arguments: str, **options) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
            [sys.executable, "-m", "attenda.cli", *arguments],
            env=environment,
            process_group=0,
            **options,
        )

    def python(code: str) -> str:
        return subprocess.run(  # noqa: S603 - this interpreter, our code.
            [sys.executable, "-m", "attenda.cli", "manage", "shell", "-c", code],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "attenda.cli", "manage", "migrate", "-v", "0"],
        env=environment,
        check=True,
    )
    message_id = python(SETUP.format(port=server.port, raw=raw_mail())).splitlines()[-1]
    first = attenda("worker")
    others: list[subprocess.Popen] = []
    try:
        assert inbox.stalled.wait(180), f"the worker never began to send: {first.poll()}"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        inbox.release.set()
        others = [attenda("worker"), attenda("schedule")]
        deadline = time.monotonic() + 90
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(4)  # another sweep or two: nothing more may leave
    finally:
        for process in others:
            os.killpg(process.pid, signal.SIGTERM)
        for process in others:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        server.stop()

    assert len(inbox.messages) == 1
    sent = message_from_bytes(inbox.messages[0][2], policy=policy.default)
    assert sent["Message-ID"] == f"<{message_id}>"
    state = python(
        "from attenda.channels.email.models import OutboundMail;"
        "o = OutboundMail.objects.select_related('entry').get();"
        "print(o.attempts, o.sent_at is not None, o.entry.delivery)"
    )
    assert state.splitlines()[-1] == "1 True sent"


@pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="one engine is enough for the settings",
)
def test_the_lease_is_longer_than_the_fence_and_the_beat():
    assert (
        django_settings.WORKER_BEAT_SECONDS
        < django_settings.WORKER_FENCE_SECONDS
        < django_settings.WORKER_LEASE_SECONDS
    )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_redis_a_worker_takes_the_scheduler_over_from_one_killed_with_sigkill(
    tmp_path,
    rq_queue,  # noqa: F811
    settings,
    fresh_database_url,  # noqa: F811
):
    """One worker runs RQ's scheduler, which queues the work that waits (a reply's retry, the
    search indexer after a commit). Killed, it leaves its lock for 61 s; RQ's other workers looked
    for a free one every ten minutes, and a desk's retries waited that long."""
    from rq.job import JobStatus
    from rq.scheduler import RQScheduler

    from tests.core.test_tasks import REDIS_URL

    settings.TASK_BACKEND = "redis"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ATTENDA_")},
        "ATTENDA_DATA_DIR": str(tmp_path / "data"),
        "ATTENDA_SECRET_KEY": "a-test-key-not-a-secret-0123456789",
        "ATTENDA_TASK_BACKEND": "redis",
        "ATTENDA_REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }
    if fresh_database_url:
        environment["DATABASE_URL"] = fresh_database_url
    else:
        environment.pop("DATABASE_URL", None)
    (tmp_path / "data" / "static").mkdir(parents=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "attenda.cli", "manage", "migrate", "-v", "0"],
        env=environment,
        check=True,
    )
    lock = RQScheduler.get_locking_key("default")

    def worker() -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
            [sys.executable, "-m", "attenda.cli", "worker"],
            env=environment,
            process_group=0,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def until(condition, seconds: float) -> float:
        started = time.monotonic()
        while not condition():
            assert time.monotonic() - started < seconds, "waited too long"
            time.sleep(0.2)
        return time.monotonic() - started

    first = worker()
    running = [first]
    try:
        until(lambda: rq_queue.connection.exists(lock), 120)
        second = worker()
        running.append(second)
        until(lambda: len(rq_queue.connection.smembers("rq:workers")) == 2, 120)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        running.remove(first)

        waiting = run_with_retries.using(
            run_after=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        ).enqueue("attenda.core.workers.requeue_abandoned", [], {}, 1)
        job = rq_queue.fetch_job(waiting.id)
        # The dead scheduler's lock lasts 61 s; the other worker looks every RQ_MAINTENANCE_SECONDS.
        took = until(
            lambda: job.get_status(refresh=True) == JobStatus.FINISHED,
            61 + django_settings.RQ_MAINTENANCE_SECONDS + 30,
        )
    finally:
        for process in running:
            os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    assert took < 61 + django_settings.RQ_MAINTENANCE_SECONDS + 30
