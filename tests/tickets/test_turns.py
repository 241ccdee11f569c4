"""The worker writes what waits in a queue (texts for the search index, chat lines for their
readers) in turns of a few milliseconds at SQLite's one write lock, each taking what it wrote off
the queue: a chat line waits for one turn, not a batch, and a worker stopped between two turns loses
nothing and writes nothing twice."""

import pytest
from django.db import connection

from attenda.core import tasks
from attenda.tickets import arrivals, search, turns
from attenda.tickets.models import PendingArrival, PendingIndex, Ticket
from attenda.triage.models import EntryReading
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db


class StopAtSecondTurn:
    """Stops the worker as it takes the second turn's rows off the queue, as a killed worker
    would: that turn's transaction never commits."""

    def __init__(self, queue_table: str):
        self.delete = f'DELETE FROM "{queue_table}"'  # noqa: S608 - matched, not run.
        self.turns = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith(self.delete):
            self.turns += 1
            if self.turns == 2:
                raise KeyboardInterrupt
        return execute(sql, params, many, context)


def statements_during(work) -> list[str]:
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        work()
    return statements


def chat_lines(team, texts: list[str]) -> Ticket:
    ticket = received_ticket(team=team, channel="chat", body="Bom dia.")
    for text in texts:
        received_ticket(
            team=team,
            channel="chat",
            body=text,
            subject="",
            ticket_number=ticket.pk,
            read_later=True,
        )
    return ticket


@pytest.fixture
def sqlite_index():
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL the index is written by the database in one statement a text")


def test_texts_are_indexed_one_turn_at_a_time_each_taking_its_texts_off_the_queue(
    team, sqlite_index, monkeypatch
):
    monkeypatch.setattr(turns, "TURN_SECONDS", 0)
    received_ticket(team=team, subject="Morada", body="Mudei de casa.")
    PendingIndex.objects.filter(entry__isnull=True).delete()
    received_ticket(team=team, email="rui@example.com", subject="Fatura", body="Paguei duas vezes.")

    statements = statements_during(search.index_pending)

    steps = [
        "turn" if sql.startswith("SAVEPOINT") else "queue" if "pendingindex" in sql else "index"
        for sql in statements
        if sql.startswith(("SAVEPOINT", "INSERT", "UPDATE", "DELETE")) and "'merge'" not in sql
    ]
    # (the index's segments are merged later, once the other writers are quiet)
    assert steps == [
        "turn", "index", "index", "queue", "turn", "index", "queue", "turn", "index", "queue"
    ]  # fmt: skip
    assert PendingIndex.objects.count() == 0


def test_an_indexer_stopped_between_two_turns_loses_no_text_and_indexes_none_twice(
    team, agent, sqlite_index, monkeypatch
):
    monkeypatch.setattr(turns, "TURN_SECONDS", 0)
    first = received_ticket(team=team, subject="Morada", body="Mudei de casa.")
    second = received_ticket(team=team, email="rui@example.com", subject="Fatura", body="Paguei.")

    with (
        pytest.raises(KeyboardInterrupt),
        connection.execute_wrapper(StopAtSecondTurn("tickets_pendingindex")),
    ):
        search.index_pending()
    left = PendingIndex.objects.count()
    search.index_pending()

    assert left == 3
    assert PendingIndex.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject, document FROM tickets_search_document ORDER BY rowid")
        assert cursor.fetchall() == [("mor", " mud de cas"), ("fatur", " pagu")]
    assert [t.pk for t in search.find(agent, "casa").tickets] == [first.pk]
    assert [t.pk for t in search.find(agent, "paguei").tickets] == [second.pk]


def test_a_reader_stopped_between_two_turns_loses_no_line_and_reads_none_twice(team, monkeypatch):
    monkeypatch.setattr(turns, "TURN_SECONDS", 0)
    chat_lines(team, ["A encomenda é a 4411.", "Ainda não chegou.", "Podem ver?"])
    lines = list(PendingArrival.objects.order_by("pk").values_list("entry_id", flat=True))

    with (
        pytest.raises(KeyboardInterrupt),
        connection.execute_wrapper(StopAtSecondTurn("tickets_pendingarrival")),
    ):
        arrivals.read_waiting()
    read_before = list(EntryReading.objects.filter(entry__in=lines).values_list("entry", flat=True))
    left = list(PendingArrival.objects.order_by("pk").values_list("entry_id", flat=True))
    arrivals.read_waiting()

    assert read_before == lines[:1]
    assert left == lines[1:]
    assert (
        sorted(EntryReading.objects.filter(entry__in=lines).values_list("entry", flat=True))
        == lines
    )
    assert not PendingArrival.objects.exists()


def test_a_turn_ends_after_the_row_in_hand_when_another_writer_waits(team, monkeypatch):
    """With the time of a turn left, each row still ends it while a message waits for the lock."""
    monkeypatch.setattr(turns, "TURN_SECONDS", 60)
    monkeypatch.setattr(turns, "writers_waiting", lambda: True)
    written, turns_done = [], []

    count = turns.write_in_turns(
        ["a", "b", "c"],
        take=lambda rows: rows,
        write=written.append,
        done=lambda rows: turns_done.append(list(rows)),
    )

    assert count == 3
    assert written == ["a", "b", "c"]
    assert turns_done == [["a"], ["b"], ["c"]]
    monkeypatch.setattr(turns, "writers_waiting", lambda: False)
    turns_done.clear()
    turns.write_in_turns(
        ["d", "e"], take=lambda rows: rows, write=written.append, done=turns_done.append
    )
    assert turns_done == [["d", "e"]]


def test_light_rows_share_a_turn_for_a_few_milliseconds_while_another_writer_waits(monkeypatch):
    """The index's texts (a statement of a few hundred microseconds each) went one a turn with the
    intake's writers waiting: a transaction, a wait for the lock and an FTS5 segment per text. Light
    rows go on for TURN_SECONDS_WAITED; the turn ends before a row that is not light."""
    clock = [100.0]

    def write(row):
        clock[0] += 0.003 if row == "HEAVY" else 0.0005

    monkeypatch.setattr(turns, "writers_waiting", lambda: True)
    monkeypatch.setattr(turns.time, "monotonic", lambda: clock[0])
    turns_done = []

    turns.write_in_turns(
        ["a", "b", "c", "d", "e", "HEAVY", "f"],
        take=lambda rows: rows,
        write=write,
        done=lambda rows: turns_done.append(list(rows)),
        light=lambda row: row != "HEAVY",
    )

    # 0.5 ms a light row: four reach the 2 ms; "e" ends its turn before the heavy row, which
    # takes its 3 ms alone.
    assert turns_done == [["a", "b", "c", "d"], ["e"], ["HEAVY"], ["f"]]


def test_each_turn_takes_only_the_rows_it_may_write_next(monkeypatch):
    """A turn ended after one row (a writer waiting) does not read the whole batch again."""
    monkeypatch.setattr(turns, "TAKE_AHEAD", 2)
    monkeypatch.setattr(turns, "writers_waiting", lambda: True)
    asked, written = [], []

    def take(rows):
        asked.append(list(rows))
        return [row for row in rows if row != "gone"]

    turns.write_in_turns(
        ["a", "b", "gone", "c"], take=take, write=written.append, done=lambda rows: None
    )

    assert asked == [["a", "b"], ["b", "gone"], ["c"]]
    assert written == ["a", "b", "c"]


@pytest.mark.django_db(transaction=True)
def test_a_long_run_of_turns_copies_the_write_ahead_log_about_once_a_second(monkeypatch):
    """On SQLite the worker checkpoints between its turns, at most once a CHECKPOINT_SECONDS, so
    that no writer's commit crosses the automatic checkpoint and pays the copy and its fsync."""
    clock = [100.0]

    def write(row):
        clock[0] += 0.4

    monkeypatch.setattr(turns, "TURN_SECONDS", 0)
    monkeypatch.setattr(turns, "writers_waiting", lambda: False)
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(tasks, "_checkpointed_at", 0.0)

    statements = statements_during(
        lambda: turns.write_in_turns(
            list(range(6)), take=lambda rows: rows, write=write, done=lambda rows: None
        )
    )

    checkpoints = [sql for sql in statements if sql.startswith("PRAGMA wal_checkpoint")]
    # Turns end at 100.4, 100.8 ... 102.4: a copy after the first, and after the fourth.
    assert len(checkpoints) == (2 if connection.vendor == "sqlite" else 0)


def test_rows_all_taken_by_another_worker_meanwhile_end_the_turn_with_nothing_written():
    written = []

    count = turns.write_in_turns(
        ["first", "second"],
        take=lambda rows: [],
        write=written.append,
        done=lambda rows: None,
    )

    assert (count, written) == (0, [])
