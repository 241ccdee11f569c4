"""The worker's writes from a queue of rows (the search indexer's, the chat lines' readers'), in
short transactions. SQLite has one write lock: a batch written in one transaction held it 1.2-5.2 s
on the loaded machine, and every chat line waited behind it. Here each turn at the lock writes a
few milliseconds' worth and takes what it wrote off the queue in the same transaction, then lets
the writers waiting for the lock go first (core.tasks.give_way) before the next, and copies the
write-ahead log into the database file every second or so (core.tasks.checkpoint): a worker that
stops between two turns loses nothing and writes nothing twice."""

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import transaction

from attenda.core.tasks import CHECKPOINT_SECONDS, checkpoint, give_way, writers_waiting

Row = TypeVar("Row")

# The writes of one transaction: a chat line waiting for the lock waits about this long.
TURN_SECONDS = 0.005
TURN_SECONDS_WAITED = 0.002
# The rows a turn takes (reads again, locked) to write from: a turn ended by a waiting writer after
# one row had read the whole batch again, 15% of the worker's time reading kept mail.
TAKE_AHEAD = 16


def write_in_turns(
    waiting: Sequence[Row],
    *,
    take: Callable[[list[Row]], list[Row]],
    write: Callable[[Row], object],
    done: Callable[[list[Row]], object],
    light: Callable[[Row], bool] = lambda _row: False,
) -> int:
    """Writes the waiting rows in order, in transactions of about TURN_SECONDS of writes each (at
    least one row); when another writer waits for SQLite's lock, a turn goes on only with
    ``light`` rows and for TURN_SECONDS_WAITED at most (a message being taken waited up to a
    whole turn for each of its writes); returns how many were written. In each transaction:
    ``take(rows)``, given the next TAKE_AHEAD rows, returns those still waiting, in order
    (another worker may have taken some; on PostgreSQL it locks them), ``write(row)`` writes
    one, and ``done(rows)`` takes the written rows off the queue."""
    left = list(waiting)
    written = 0
    while left:
        ahead, left = left[:TAKE_AHEAD], left[TAKE_AHEAD:]
        with transaction.atomic():
            held = time.monotonic()
            taken = take(ahead)
            turn = []
            # Every row of ``ahead`` may have been taken meanwhile: ``taken`` is then empty.
            for index, row in enumerate(taken):
                following = taken[index + 1] if index + 1 < len(taken) else None
                write(row)
                turn.append(row)
                spent = time.monotonic() - held
                if spent >= TURN_SECONDS or (
                    (spent >= TURN_SECONDS_WAITED or following is None or not light(following))
                    and writers_waiting()
                ):
                    break
            if turn:
                done(turn)
        written += len(turn)
        left = taken[len(turn) :] + left
        give_way()
        checkpoint(unless_within=CHECKPOINT_SECONDS)
    return written
