"""A page someone may not open is one line in the server's log, not a traceback."""

import io
import logging

import pytest

from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def test_a_forbidden_or_missing_page_logs_one_line_without_a_traceback(client, team, outsider):
    ticket = received_ticket(team=team)
    client.force_login(outsider)
    [console] = logging.getLogger().handlers[:1]
    terminal = io.StringIO()
    previous = console.setStream(terminal)

    try:
        client.get(f"/tickets/{ticket.pk}/")
        client.get("/settings/service-levels/new/")
    finally:
        console.setStream(previous)

    logged = terminal.getvalue()
    assert f"Not Found: /tickets/{ticket.pk}/" in logged
    assert "Forbidden (Permission denied): /settings/service-levels/new/" in logged
    assert "Traceback" not in logged


def test_the_task_worker_reports_failures_but_not_each_task_it_runs(
    run_tasks, django_capture_on_commit_callbacks
):
    from tests.core.tasks_for_tests import call_partner

    [console] = logging.getLogger().handlers[:1]
    terminal = io.StringIO()
    previous = console.setStream(terminal)
    worker_log = logging.getLogger("django_tasks")
    level = worker_log.level
    worker_log.setLevel(logging.INFO)  # as db_worker sets it
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_partner.enqueue_on_commit("Banco", failures=0)
        assert run_tasks() == 1
        worker_log.warning("Task id=1 failed")
    finally:
        worker_log.setLevel(level)
        console.setStream(previous)

    assert "state=SUCCESSFUL" not in terminal.getvalue()
    assert "Task id=1 failed" in terminal.getvalue()
