"""Django's SQLite backend, with a process's writers queued for SQLite's one write lock. SQLite lets
a writer that finds the lock taken sleep in its busy handler, up to 100 ms a try, and wakes nobody
when the lock is freed: a chat line often slept long after the lock was free, behind writers that
came after it. Here a transaction (``BEGIN IMMEDIATE``) first waits for the writers of its own
process that came before it, and is woken the moment the previous one commits; SQLite's busy
handler is left to wait for the other processes."""

import threading
from collections import deque

from django.db.backends.sqlite3 import base


class WriteTurns:
    """The writers of a process, in the order they asked. A writer that waited past the timeout
    goes on without its turn (SQLite's busy handler then decides), so that the queue can never hold
    a writer for ever: a holder waiting for something that needs another writer to finish."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._taken = False

    def take(self, timeout: float) -> bool:
        """True once it is this writer's turn; False if ``timeout`` seconds passed first."""
        with self._mutex:
            if not self._taken:
                self._taken = True
                return True
            woken = threading.Lock()
            woken.acquire()
            self._waiting.append(woken)
        if woken.acquire(timeout=timeout):
            return True
        with self._mutex:
            if woken in self._waiting:
                self._waiting.remove(woken)
                return False
        # Handed the turn just as the wait ended.
        return True

    def give(self) -> None:
        """Hands the turn to the writer that has waited longest."""
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._taken = False


WRITE_TURNS = WriteTurns()


class DatabaseWrapper(base.DatabaseWrapper):
    holds_turn = False

    def _start_transaction_under_autocommit(self):
        # The timeout is SQLite's busy timeout: a writer never waits longer than it did before.
        self.holds_turn = WRITE_TURNS.take(timeout=self.settings_dict["OPTIONS"].get("timeout", 5))
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._give_turn_after_transaction()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._give_turn_after_transaction()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._give_turn()

    def _give_turn_after_transaction(self) -> None:
        # A COMMIT that failed leaves the transaction open, and its rollback gives the turn.
        if self.connection is None or not self.connection.in_transaction:
            self._give_turn()

    def _give_turn(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            WRITE_TURNS.give()
