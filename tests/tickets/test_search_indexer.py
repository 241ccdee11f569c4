"""Text reaches the search index through a queue written with the text: it is searchable once the
indexer ran, the indexer is queued by the commit and by the scheduler, and a process that stops
between the commit and the indexing loses nothing."""

import time
from contextlib import contextmanager

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from attenda.core import clock
from attenda.core.periodic import enqueue_due
from attenda.tickets import search
from attenda.tickets.models import PendingIndex, Status
from attenda.tickets.services import add_note, set_status
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


def numbers(results) -> list[int]:
    return [ticket.pk for ticket in results.tickets]


def test_a_message_is_found_once_the_indexer_queued_by_its_commit_has_run(
    team, agent, run_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(search.INDEXER, "delay", 0)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = received_ticket(team=team, subject="Contador", body="O contador está avariado.")

    assert search.find(agent, "avariado").tickets == []
    assert run_tasks() >= 1
    assert numbers(search.find(agent, "avariado")) == [ticket.pk]
    assert numbers(search.find(agent, "contador")) == [ticket.pk]
    assert PendingIndex.objects.count() == 0


def test_the_indexer_starts_a_moment_after_the_commit_so_commits_in_between_share_it(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received_ticket(team=team, email="ana@example.com", body="Primeira mensagem.")
    with django_capture_on_commit_callbacks(execute=True):
        received_ticket(team=team, email="rui@example.com", body="Segunda mensagem.")

    queued = DBTaskResult.objects.filter(args_kwargs__args__0=search.INDEXER.task_path)
    assert queued.count() == 1
    assert queued.get().run_after > clock.now()


def test_a_message_whose_process_stopped_right_after_the_commit_is_indexed_by_the_scheduler(
    team, agent, run_tasks, django_capture_on_commit_callbacks
):
    # The callbacks are dropped, as when the process ends between the commit and queueing the indexer.
    with django_capture_on_commit_callbacks(execute=False):
        ticket = received_ticket(team=team, body="A fatura de março não chegou.")
    assert run_tasks() == 0
    assert search.find(agent, "março").tickets == []
    assert PendingIndex.objects.filter(ticket=ticket).count() == 2  # subject and message

    enqueue_due({}, now=clock.now())
    run_tasks()

    assert numbers(search.find(agent, "março")) == [ticket.pk]
    assert PendingIndex.objects.count() == 0


def test_the_indexer_takes_the_queue_in_batches_in_the_order_it_was_written(team, agent):
    ticket = received_ticket(team=team, subject="Morada", body="Mudei de casa.")
    add_note(ticket=ticket, agent=agent, body="Confirmar a nova morada em Braga.")
    set_status(ticket=ticket, actor=agent, status=Status.SOLVED)

    assert PendingIndex.objects.count() == 3  # the status change has nothing to search
    assert search.index_pending(batch=2) == 2
    assert search.index_pending(batch=2) == 1
    assert search.index_pending(batch=2) == 0
    assert numbers(search.find(agent, "braga casa morada")) == [ticket.pk]


def test_on_sqlite_the_index_merges_only_in_the_indexers_steps_never_inside_a_write():
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT k, v FROM tickets_search_document_config")
        options = dict(cursor.fetchall())

    assert options["automerge"] == 0
    # A level merged at once only if the indexer fell far behind, long before FTS5 runs out of
    # segment ids (2,000).
    assert options["crisismerge"] == 64


def test_on_sqlite_the_indexer_merges_the_segments_once_the_other_writers_have_been_quiet(
    team, monkeypatch
):
    """A merge step held the write lock up to 85 ms on a full desk: it waits for a quiet desk.
    (That another connection's write ends the quiet: tests/core/test_sqlite3.py.)"""
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    monkeypatch.setattr(search, "FTS5_MERGE_QUIET_SECONDS", 0.2)

    with _merges_counted() as merges:
        _index_five_segments(team)
        assert merges == []

        time.sleep(0.25)
        search.index_pending()  # as the scheduler runs it, with nothing waiting
    assert merges


def test_on_sqlite_the_segments_wait_for_a_quiet_desk_only_so_long(team, monkeypatch):
    """A desk whose writers are never quiet long enough still has its segments merged, as before."""
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    monkeypatch.setattr(search, "FTS5_MERGE_QUIET_SECONDS", 3600)
    monkeypatch.setattr(search, "FTS5_MERGE_LONGEST_WAIT_SECONDS", 0.2)

    with _merges_counted() as merges:
        _index_five_segments(team)
        assert merges == []

        time.sleep(0.25)
        search.index_pending()
    assert merges
    assert search._merge_waiting_since is None  # all merged: nothing waits


@contextmanager
def _merges_counted():
    merges = []

    def count_merges(execute, sql, params, many, context):
        if "'merge'" in sql:
            merges.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_merges):
        yield merges


def _index_five_segments(team) -> None:
    for number in range(5):  # FTS5 merges a level of 4 segments ('usermerge')
        received_ticket(team=team, email=f"c{number}@example.com", body="Fatura em dobro.")
        search.index_pending()


def test_on_postgresql_indexed_texts_go_into_the_gin_index_not_its_pending_list(team):
    """Every search reads the GIN index's pending list whole: the indexer leaves none."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's full-text index has no pending list")
    received_ticket(team=team, subject="Fatura em dobro", body="Paguei duas vezes.")

    search.index_pending()

    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('tickets_search_document_gin'::regclass)")
        assert cursor.fetchone() == (0,)
