"""Background work that fails is tried again after growing waits; work that fails every attempt is
kept for an admin, who can run it again. On the database queue, and for real on Redis through RQ."""

import ast
import datetime as dt
import os
from pathlib import Path

import django_rq
import pytest
import redis
import time_machine
from django.urls import reverse
from django.utils import translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import Job
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

import attenda
from attenda.core.models import FailedTask
from attenda.core.periodic import enqueue_due
from attenda.core.tasks import run_with_retries
from tests.core import tasks_for_tests
from tests.core.tasks_for_tests import call_partner, note_language
from tests.routing.factories import ServiceLevelPolicyFactory
from tests.tickets.factories import received_ticket

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TASK_PATH = "tests.core.tasks_for_tests.call_partner"
# A database of its own: the tests empty it before and after.
REDIS_URL = os.environ.get("ATTENDA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def no_attempts_yet():
    tasks_for_tests.attempts.clear()
    yield
    tasks_for_tests.attempts.clear()


@pytest.fixture
def three_attempts(settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BASE_SECONDS = 30


def test_a_failing_task_is_tried_again_after_a_growing_wait(
    three_attempts, run_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            call_partner.enqueue_on_commit("billing-api", failures=2)

        ran = [run_tasks()]
        for seconds in (29, 1, 119, 1):
            traveller.shift(seconds)
            ran.append(run_tasks())

    assert ran == [1, 0, 1, 0, 1]
    assert tasks_for_tests.attempts == ["billing-api", "billing-api", "billing-api"]
    assert FailedTask.objects.count() == 0


def test_a_task_that_fails_every_attempt_waits_for_an_admin_to_run_it_again(
    three_attempts, run_tasks, django_capture_on_commit_callbacks, client, admin_agent
):
    client.force_login(admin_agent)
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            call_partner.enqueue_on_commit("billing-api", failures=3)
        run_tasks()
        traveller.shift(30)
        run_tasks()
        traveller.shift(120)
        run_tasks()
        failed = FailedTask.objects.get()

        page = client.get(reverse("failed_tasks"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("run_failed_task_again", args=[failed.pk]))
        ran_again = run_tasks()
        page_after = client.get(reverse("failed_tasks"))

    assert (failed.task_path, failed.args, failed.kwargs, failed.attempts, failed.error) == (
        TASK_PATH,
        ["billing-api"],
        {"failures": 3},
        3,
        "ConnectionError('billing-api did not answer')",
    )
    assert page.status_code == 200
    assert TASK_PATH in page.content.decode()
    assert "Run again" in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, reverse("failed_tasks"))
    assert ran_again == 1
    assert tasks_for_tests.attempts == ["billing-api"] * 4
    failed.refresh_from_db()
    assert failed.retried_at == START + dt.timedelta(seconds=150)
    assert TASK_PATH not in page_after.content.decode()


def test_each_task_runs_in_the_sites_language_whatever_was_active_on_the_thread(
    run_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note_language.enqueue_on_commit(leave="ro")
    with django_capture_on_commit_callbacks(execute=True):
        note_language.enqueue_on_commit()

    with translation.override("pl"):
        ran = run_tasks()
        after = translation.get_language()

    assert (ran, tasks_for_tests.attempts, after) == (2, ["en", "en"], "pl")


def test_a_task_whose_code_cannot_be_found_is_kept_for_an_admin(three_attempts, run_tasks):
    with time_machine.travel(START, tick=False) as traveller:
        run_with_retries.enqueue("tests.core.tasks_for_tests.moved_away", ["billing-api"], {}, 1)
        for _wait in range(3):
            run_tasks()
            traveller.shift(3600)

    failed = FailedTask.objects.get()
    assert (failed.task_path, failed.attempts) == ("tests.core.tasks_for_tests.moved_away", 3)


def test_an_agent_who_is_not_an_admin_can_neither_see_nor_run_failed_tasks(
    settings, run_tasks, django_capture_on_commit_callbacks, client, agent
):
    settings.TASK_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        call_partner.enqueue_on_commit("billing-api", failures=1)
    run_tasks()
    failed = FailedTask.objects.get()
    client.force_login(agent)

    page = client.get(reverse("failed_tasks"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("run_failed_task_again", args=[failed.pk]))

    assert (page.status_code, response.status_code) == (403, 403)
    failed.refresh_from_db()
    assert failed.retried_at is None
    assert callbacks == []
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0
    assert tasks_for_tests.attempts == ["billing-api"]


@pytest.fixture
def rq_queue(settings):
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {REDIS_URL}.")
        pytest.skip(f"Redis does not answer at {REDIS_URL}.")
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    connection.flushdb()
    yield django_rq.get_queue("default", job_class=Job)
    connection.flushdb()


def work(queue) -> None:
    """One pass of an RQ worker in this process: due retries are queued first, then all is run."""
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(
        burst=True, with_scheduler=True
    )


@pytest.mark.redis
def test_on_redis_a_failing_task_runs_again_once_its_wait_is_over(
    db, rq_queue, three_attempts, django_capture_on_commit_callbacks
):
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            call_partner.enqueue_on_commit("billing-api", failures=1)

        work(rq_queue)
        waiting_after_failure = scheduled.count
        traveller.shift(29)
        work(rq_queue)
        attempts_before_the_wait_is_over = len(tasks_for_tests.attempts)
        traveller.shift(2)
        work(rq_queue)

    assert waiting_after_failure == 1
    assert attempts_before_the_wait_is_over == 1
    assert tasks_for_tests.attempts == ["billing-api", "billing-api"]
    assert (scheduled.count, rq_queue.count) == (0, 0)
    assert FailedTask.objects.count() == 0


@pytest.mark.redis
def test_on_redis_a_task_that_fails_every_attempt_is_kept_and_can_run_again(
    rq_queue, three_attempts, django_capture_on_commit_callbacks, client, admin_agent
):
    client.force_login(admin_agent)
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            call_partner.enqueue_on_commit("billing-api", failures=3)
        work(rq_queue)
        traveller.shift(30)
        work(rq_queue)
        traveller.shift(120)
        work(rq_queue)
        failed = FailedTask.objects.get()

        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("run_failed_task_again", args=[failed.pk]))
        work(rq_queue)

    assert (failed.task_path, failed.attempts) == (TASK_PATH, 3)
    assert tasks_for_tests.attempts == ["billing-api"] * 4
    failed.refresh_from_db()
    assert failed.retried_at == START + dt.timedelta(seconds=150)
    assert ScheduledJobRegistry(queue=rq_queue).count == 0


@pytest.mark.redis
def test_on_redis_the_scheduled_sweep_runs_on_a_worker_and_escalates_once(rq_queue, team):
    ServiceLevelPolicyFactory(
        first_response_minutes=60, resolution_minutes=None, business_time=False
    )
    with time_machine.travel(START, tick=False):
        ticket = received_ticket(team=team)
    next_runs: dict = {}

    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        enqueue_due(next_runs, now=START + dt.timedelta(hours=2))
        work(rq_queue)
        enqueue_due(next_runs, now=START + dt.timedelta(hours=2, minutes=1))
        work(rq_queue)

    ticket.refresh_from_db()
    assert ticket.service_clock["first_response"]["breached"] is True
    assert ticket.escalate_at is None
    assert ticket.timeline.filter(data__has_key="escalation").count() == 1


def test_every_background_task_of_attenda_has_a_label_for_people():
    unlabelled = []
    for path in Path(attenda.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                name = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(name, ast.Name) and name.id == "background":
                    keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
                    if not any(keyword.arg == "label" for keyword in keywords):
                        unlabelled.append(f"{path.name}:{node.name}")
    assert unlabelled == []


def test_the_failed_tasks_page_names_the_work_not_its_code(client, admin_agent):
    FailedTask.objects.create(
        task_path="attenda.tickets.tasks.index_pending_text", attempts=3, error="OperationalError()"
    )
    client.force_login(admin_agent)

    page = client.get(reverse("failed_tasks")).content.decode()

    assert "Indexing new text for search" in page
    assert "attenda.tickets.tasks" not in page
