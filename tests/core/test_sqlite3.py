"""The writers of a process take turns at SQLite's write lock in the order they asked, each woken
as the one before commits, and the processes' writers through a lock file beside the database,
instead of sleeping in SQLite's busy handler (attenda.core.sqlite3)."""

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, transaction
from django.db.utils import ConnectionHandler

from attenda.core.sqlite3.base import WRITE_TURNS, LockFile, WriteTurns


@pytest.fixture
def databases(tmp_path, django_db_blocker, monkeypatch):
    """A SQLite file of its own ("turns"), whose connections never wait in SQLite's busy handler:
    a write that found the lock taken fails at once."""
    handler = ConnectionHandler(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            "turns": {
                "ENGINE": "attenda.core.sqlite3",
                "NAME": str(tmp_path / "turns.sqlite3"),
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=0;",
                },
            },
        }
    )
    own_connection = transaction.get_connection
    monkeypatch.setattr(
        transaction,
        "get_connection",
        lambda using=None: handler[using] if using == "turns" else own_connection(using),
    )
    with django_db_blocker.unblock():
        handler["turns"].cursor().execute("CREATE TABLE line (text TEXT)")
        yield handler
        handler.close_all()


def write(databases, text: str) -> None:
    with transaction.atomic(using="turns"):
        databases["turns"].cursor().execute("INSERT INTO line VALUES (%s)", [text])


def lines(databases) -> list[str]:
    with databases["turns"].cursor() as cursor:
        cursor.execute("SELECT text FROM line ORDER BY rowid")
        return [text for (text,) in cursor.fetchall()]


def second_write_while_the_first_is_held(databases, second) -> list[Exception]:
    """A transaction writes 'first' and holds the lock 0.2 s; meanwhile ``second()`` runs in
    another thread. Returns the errors ``second`` raised."""
    holding, errors = threading.Event(), []

    def first_writer():
        connection = databases["turns"]
        with transaction.atomic(using="turns"):
            connection.cursor().execute("INSERT INTO line VALUES ('first')")
            holding.set()
            threading.Event().wait(0.2)
        connection.close()

    def second_writer():
        holding.wait()
        try:
            second()
        except OperationalError as error:
            errors.append(error)
        databases["turns"].close()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_write_waiting_in_the_same_process_begins_as_the_one_before_commits(databases):
    errors = second_write_while_the_first_is_held(databases, lambda: write(databases, "second"))

    assert errors == []
    assert lines(databases) == ["first", "second"]


def test_nested_atomic_blocks_take_one_turn_and_give_it_back(databases):
    connection = databases["turns"]
    with transaction.atomic(using="turns"):
        with transaction.atomic(using="turns"):
            connection.cursor().execute("INSERT INTO line VALUES ('nested')")
        held = connection.holds_turn

    assert held is True
    assert connection.holds_turn is False
    assert WRITE_TURNS.take(timeout=0) is True
    WRITE_TURNS.give()


def test_a_transaction_rolled_back_gives_its_turn_back(databases):
    connection = databases["turns"]
    with pytest.raises(ZeroDivisionError), transaction.atomic(using="turns"):
        connection.cursor().execute("INSERT INTO line VALUES ('undone')")
        1 / 0  # noqa: B018

    assert connection.holds_turn is False
    assert lines(databases) == []
    assert WRITE_TURNS.take(timeout=0) is True
    WRITE_TURNS.give()


def test_a_writer_that_waited_past_the_timeout_goes_on_without_its_turn():
    turns = WriteTurns()
    turns.take(timeout=1)

    assert turns.take(timeout=0.01) is False
    turns.give()
    assert turns.take(timeout=0) is True


def test_turns_are_handed_over_in_the_order_they_were_asked_for():
    turns, order, asked = WriteTurns(), [], []
    turns.take(timeout=1)

    def writer(name: str) -> None:
        turns.take(timeout=5)
        order.append(name)
        turns.give()

    threads = []
    for name in ("a", "b", "c"):
        threads.append(threading.Thread(target=writer, args=(name,)))
        threads[-1].start()
        # Each asks once the one before is waiting.
        while len(turns._waiting) < len(threads):
            threading.Event().wait(0.001)
        asked.append(name)
    turns.give()
    for thread in threads:
        thread.join()

    assert order == asked == ["a", "b", "c"]


def test_an_autocommit_write_waits_for_the_turn_of_a_transaction_in_the_same_process(databases):
    errors = second_write_while_the_first_is_held(
        databases, lambda: databases["turns"].cursor().execute("INSERT INTO line VALUES ('second')")
    )

    assert errors == []
    assert lines(databases) == ["first", "second"]
    assert WRITE_TURNS.take(timeout=0) is True
    WRITE_TURNS.give()


ANOTHER_PROCESS = """
import sqlite3, sys, time
from attenda.core.sqlite3.base import lock_file

database = sys.argv[1]
lock = lock_file(database)
assert lock.take(timeout=5)
connection = sqlite3.connect(database, isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("INSERT INTO line VALUES ('other process')")
print("holding", flush=True)
time.sleep(0.3)
connection.execute("COMMIT")
lock.give()
"""


def test_a_write_waits_for_another_process_at_the_lock_file_not_in_sqlites_busy_handler(
    databases, tmp_path
):
    """The database's busy timeout is 0 here: a writer that reached SQLite's lock while the other
    process held it would fail at once."""
    other = subprocess.Popen(
        [sys.executable, "-c", ANOTHER_PROCESS, str(tmp_path / "turns.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert other.stdout.readline().strip() == "holding"

    write(databases, "this process")

    assert other.wait(timeout=10) == 0
    assert lines(databases) == ["other process", "this process"]
    assert databases["turns"].holds_lock_file is False


def test_a_forked_process_takes_the_lock_file_through_its_own_descriptor(tmp_path):
    lock = LockFile(str(tmp_path / "db.sqlite3"))
    assert lock.take(timeout=0) is True
    read, written = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit code says it
        os.close(read)
        os.write(written, b"1" if lock.take(timeout=0) else b"0")
        os._exit(0)
    os.close(written)
    taken_in_child = os.read(read, 1)
    os.waitpid(child, 0)
    lock.give()

    assert taken_in_child == b"0"
    assert lock.take(timeout=0) is True
    lock.give()


WAITING_PROCESS = """
import sys
from attenda.core.sqlite3.base import lock_file

lock = lock_file(sys.argv[1])
print("asking", flush=True)
assert lock.take(timeout=10)
lock.give()
"""


def test_a_writer_of_another_process_is_seen_waiting_until_it_has_the_lock(tmp_path):
    """What core.tasks.give_way looks at between two of the worker's transactions."""
    database = str(tmp_path / "db.sqlite3")
    lock = LockFile(database)
    assert lock.take(timeout=0) is True
    assert lock.others_waiting() is False
    other = subprocess.Popen(
        [sys.executable, "-c", WAITING_PROCESS, database],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert other.stdout.readline().strip() == "asking"
    seen_waiting = any(lock.others_waiting() or time.sleep(0.01) for _look in range(500))

    lock.give()

    assert other.wait(timeout=10) == 0
    assert seen_waiting is True
    assert lock.others_waiting() is False


def test_between_its_transactions_the_worker_lets_waiting_writers_go_first(monkeypatch):
    """core.tasks.give_way: it pauses while a writer waits, and not at all when none does."""
    from django.db import connection

    from attenda.core import tasks

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's writers do not wait for each other")
    looks, pauses = iter([True, True, False, False]), []
    monkeypatch.setattr(connection, "writers_waiting", lambda: next(looks))
    monkeypatch.setattr(tasks.time, "sleep", pauses.append)

    tasks.give_way()
    assert pauses == [tasks.GIVE_WAY_LOOK_SECONDS] * 2
    tasks.give_way()
    assert len(pauses) == 2


def test_others_are_quiet_once_no_other_connection_has_written_for_the_time_asked(
    databases, tmp_path
):
    wrapper = databases["turns"]
    # the first look knows nothing of what came before it
    assert not wrapper.others_quiet_for(0.1)
    assert wrapper.others_quiet_for(0)
    time.sleep(0.15)
    assert wrapper.others_quiet_for(0.1)

    # its own writes are not another's
    write(databases, "own")
    assert wrapper.others_quiet_for(0.1)

    other = sqlite3.connect(tmp_path / "turns.sqlite3")
    with other:
        other.execute("INSERT INTO line VALUES ('another connection')")
    other.close()
    assert not wrapper.others_quiet_for(0.1)
    time.sleep(0.15)
    assert wrapper.others_quiet_for(0.1)
