"""Shared fixtures: a file store per test run, task running on demand, live events through Redis,
and the people of a small team."""

import os

import pytest
import redis
from django.core.cache import caches
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tests.agents.factories import AgentFactory, TeamFactory

# The email channel's mailbox and real SMTP server, for its tests and the API's.
pytest_plugins = ["tests.channels.email.mail"]


@pytest.fixture(autouse=True)
def file_store(settings, tmp_path_factory):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("files"))},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    """Sign-in, password-reset and API rate counters start at zero in every test."""
    caches["rates"].clear()


@pytest.fixture(autouse=True)
def no_quiet_desk_seen(monkeypatch):
    """The search indexer's wait for a quiet desk before merging (tickets/search.py) is its
    process's and its connection's: each test starts with none seen and none waited."""
    from django.db import connection

    from attenda.tickets import search

    monkeypatch.setattr(search, "_merge_waiting_since", None)
    if connection.vendor == "sqlite":
        monkeypatch.setattr(connection, "_quiet_seen", None)


@pytest.fixture(autouse=True)
def no_batch_task_queued(monkeypatch):
    """A batch task (core.tasks.BatchTask) is queued at most once a ``delay`` by each process: a
    test that ran in the second before had queued one, rolled back with that test, and this test's
    commits queued none."""
    from attenda.channels.email.inbound import WAITING_READER
    from attenda.tickets.arrivals import READER
    from attenda.tickets.search import INDEXER

    for batch_task in (WAITING_READER, READER, INDEXER):
        monkeypatch.setattr(batch_task, "queued_until", 0.0)


@pytest.fixture(autouse=True)
def live_events_placed_as_written(request):
    """On PostgreSQL a live event's position is given as its transaction commits (core migration
    0005, a deferred trigger); a test whose transaction is rolled back never commits, so there
    each event is placed as it is written. Tests with real commits place them at commit."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        return
    if "db" not in request.fixturenames and marker is None:
        return
    request.getfixturevalue("db")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS core_liveevent_placed IMMEDIATE")


@pytest.fixture(autouse=True)
def fresh_kept_chats():
    """Chat widgets and chats kept by a web process (chat's queries) are not a test's before it:
    rolled-back tests reuse their ids."""
    from attenda.channels.chat import queries

    queries.forget_widgets()
    queries.forget_chats()


@pytest.fixture
def run_tasks(db):
    """Runs every task that is due, one by one as the database worker does, and says how many ran.
    (The worker's own loop closes database connections, which a test transaction cannot survive.)"""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> int:
        ran = 0
        while (due := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
            due.claim("test-worker")
            worker.run_task(due)
            ran += 1
        return ran

    return run


@pytest.fixture
def live_redis(settings) -> str:
    """Live events through Redis, as with several web processes."""
    url = os.environ.get("ATTENDA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {url}.")
        pytest.skip(f"Redis does not answer at {url}.")
    settings.REDIS_URL = url
    return url


@pytest.fixture
def team(db):
    return TeamFactory(name="Billing")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Technical")


@pytest.fixture
def agent(team):
    return AgentFactory(username="ana", first_name="Ana", last_name="Silva", teams=[team])


@pytest.fixture
def colleague(team):
    return AgentFactory(username="bruno", first_name="Bruno", last_name="Costa", teams=[team])


@pytest.fixture
def supervisor(team):
    return AgentFactory(username="sofia", first_name="Sofia", role="supervisor", teams=[team])


@pytest.fixture
def admin_agent(db):
    return AgentFactory(username="admin", role="admin")


@pytest.fixture
def outsider(other_team):
    return AgentFactory(username="olga", first_name="Olga", teams=[other_team])
