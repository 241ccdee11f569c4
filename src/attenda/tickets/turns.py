"""The worker's writes from a queue of rows (the search indexer's, the chat lines' readers'), in
short transactions. SQLite has one write lock: a batch written in one transaction held it 1.2-5.2 s
on the loaded machine, and every chat line waited behind it. Here each turn at the lock writes a
few milliseconds' worth and takes what it wrote off the queue in the same transaction, then leaves
the lock free before the next: a worker that stops between two turns loses nothing and writes
nothing twice."""

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection, transaction

Row = TypeVar("Row")

# The writes of one transaction: a chat line waiting for the lock waits about this long.
TURN_SECONDS = 0.005
# The longest sleep of SQLite's busy handler between two tries for the lock (sqlite3.c, `delays`).
GIVE_WAY_SECONDS = 0.1


def write_in_turns(
    waiting: Sequence[Row],
    *,
    take: Callable[[list[Row]], list[Row]],
    write: Callable[[Row], object],
    done: Callable[[list[Row]], object],
) -> int:
    """Writes the waiting rows in order, in transactions of about TURN_SECONDS of writes each (at
    least one row); returns how many were written. In each transaction: ``take(rows)`` returns the
    rows still waiting, in order (another worker may have taken some; on PostgreSQL it locks
    them), ``write(row)`` writes one, and ``done(rows)`` takes the written rows off the queue."""
    left = list(waiting)
    written = 0
    while left:
        with transaction.atomic():
            held = time.monotonic()
            taken = take(left)
            turn = []
            for row in taken:
                write(row)
                turn.append(row)
                if time.monotonic() - held >= TURN_SECONDS:
                    break
            if turn:
                done(turn)
        written += len(turn)
        left = taken[len(turn) :]
        give_way(held)
    return written


def give_way(held_since: float) -> None:
    """Leaves SQLite's write lock free, after a transaction that held it, for as long as it was held
    (at most GIVE_WAY_SECONDS). SQLite's lock is not fair: a writer waiting for it sleeps in steps
    of up to 100 ms and tries again, so a worker that began its next transaction at once kept
    messages waiting through all of them (the indexer: 0.5-1.3 s on the loaded million). Outside
    tests' transactions only."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    time.sleep(min(max(time.monotonic() - held_since, 0.002), GIVE_WAY_SECONDS))
