"""Django's SQLite backend, with the installation's writers taking turns at SQLite's one write lock.

SQLite lets a writer that finds the lock taken sleep in its busy handler, up to 100 ms a try, and
wakes nobody when the lock is freed: a chat line often slept long after the lock was free, behind
writers that came after it, and a message taken beside the worker waited 130 ms for a lock held 5.
Here a writer first waits for the writers of its own process that came before it (woken the moment
the previous one commits), then for the other processes' through a lock file beside the database,
tried every half millisecond at most. The turn is held from ``BEGIN IMMEDIATE`` to the commit or
rollback, or around one write statement outside a transaction; SQLite's busy handler is left to
decide only for a writer that waited past the timeout."""

import fcntl
import os
import threading
import time
from collections import deque

from django.db.backends.sqlite3 import base

# Statements that take the write lock when run outside a transaction (SQLite begins one for them).
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLAC")
# The longest sleep between two tries at another process's lock.
LOCK_FILE_PAUSE = 0.0005


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


class LockFile:
    """The turn between processes: an exclusive ``flock`` on ``<database>-write-lock``, taken by
    the writer that holds its process's turn. A process that dies holding it lets it go with its
    file. Opened anew in a forked child, whose inherited descriptors would share the parent's locks.

    A writer that has to wait says so by a shared lock on ``<database>-write-wait`` until it has
    its turn: the worker, between two of its transactions, lets such writers go first
    (``others_waiting``, ``core.tasks.give_way``) instead of taking the lock again at once."""

    def __init__(self, database: str) -> None:
        self.lock_path = f"{database}-write-lock"
        self.wait_path = f"{database}-write-wait"
        self._opened: tuple[int, int, int, int] | None = None
        self._held: int | None = None

    def _descriptors(self) -> tuple[int, int, int]:
        """The lock file's and the wait file's descriptors in this process, and a second
        description of the wait file to look for waiters with (on the first it would find this
        process's own waiter and take its lock over). Made in one piece: two threads making them
        at once each use a whole set, and the lock is let go on the descriptor it was taken on."""
        opened = self._opened
        if opened is None or opened[0] != os.getpid():
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            opened = (
                os.getpid(),
                os.open(self.lock_path, flags, 0o660),
                os.open(self.wait_path, flags, 0o660),
                os.open(self.wait_path, flags, 0o660),
            )
            self._opened = opened
        return opened[1:]

    def take(self, timeout: float) -> bool:
        """True once this process holds the lock; False if ``timeout`` seconds passed first."""
        lock, wait, _look = self._descriptors()
        if _flocked(lock, fcntl.LOCK_EX):
            self._held = lock
            return True
        deadline = time.monotonic() + timeout
        pause = LOCK_FILE_PAUSE / 4
        fcntl.flock(wait, fcntl.LOCK_SH)
        try:
            while True:
                time.sleep(pause)
                pause = min(pause * 2, LOCK_FILE_PAUSE)
                if _flocked(lock, fcntl.LOCK_EX):
                    self._held = lock
                    return True
                if time.monotonic() >= deadline:
                    return False
        finally:
            fcntl.flock(wait, fcntl.LOCK_UN)

    def give(self) -> None:
        """Lets the lock go; called by the writer that took it (its process's turn keeps it one)."""
        held, self._held = self._held, None
        if held is not None:
            fcntl.flock(held, fcntl.LOCK_UN)

    def others_waiting(self) -> bool:
        """Whether a writer (of any process, this one's other threads too) waits for the lock."""
        _lock, _wait, look = self._descriptors()
        if not _flocked(look, fcntl.LOCK_EX):
            return True
        fcntl.flock(look, fcntl.LOCK_UN)
        return False


def _flocked(descriptor: int, kind: int) -> bool:
    try:
        fcntl.flock(descriptor, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


_lock_files: dict[str, LockFile] = {}
_lock_files_mutex = threading.Lock()


def lock_file(database: str) -> LockFile:
    with _lock_files_mutex:
        if database not in _lock_files:
            _lock_files[database] = LockFile(database)
        return _lock_files[database]


class TurnTakingCursor(base.SQLiteCursorWrapper):
    """A write statement outside a transaction (a task queued after a commit, a counter updated
    alone) takes the turn for as long as it runs."""

    def __init__(self, connection, wrapper: "DatabaseWrapper") -> None:
        super().__init__(connection)
        self.wrapper = wrapper

    def execute(self, query, params=None):
        if self.connection.in_transaction or not _writes(query):
            return super().execute(query, params)
        with self.wrapper.write_turn():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if self.connection.in_transaction or not _writes(query):
            return super().executemany(query, param_list)
        with self.wrapper.write_turn():
            return super().executemany(query, param_list)


def _writes(query: str) -> bool:
    return query.lstrip()[:6].upper() in WRITE_VERBS


class WriteTurn:
    def __init__(self, wrapper: "DatabaseWrapper") -> None:
        self.wrapper = wrapper

    def __enter__(self) -> None:
        self.wrapper._take_turn()

    def __exit__(self, *exception) -> None:
        self.wrapper._give_turn()


class DatabaseWrapper(base.DatabaseWrapper):
    holds_turn = False
    holds_lock_file = False
    # others_quiet_for's last change seen: (connection, data_version), and when it was first seen.
    _quiet_seen: tuple[int, int] | None = None
    _quiet_since = 0.0

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=lambda connection: TurnTakingCursor(connection, self))

    def write_turn(self) -> WriteTurn:
        return WriteTurn(self)

    def writers_waiting(self) -> bool:
        """Whether a writer waits for the write lock, in any process (LockFile.others_waiting)."""
        return not self.is_in_memory_db() and lock_file(self.settings_dict["NAME"]).others_waiting()

    def others_quiet_for(self, seconds: float) -> bool:
        """Whether no other connection has committed a write for at least ``seconds``, as far as
        this connection has looked: SQLite's ``data_version`` has stayed what it was at a look that
        long ago (this connection's own commits do not change it). The first look after a write
        by another knows only that it came after that write."""
        with self.cursor() as cursor:
            cursor.execute("PRAGMA data_version")
            (version,) = cursor.fetchone()
        seen = (id(self.connection), version)
        now = time.monotonic()
        if self._quiet_seen != seen:
            self._quiet_seen, self._quiet_since = seen, now
        return now - self._quiet_since >= seconds

    def _take_turn(self) -> None:
        # The timeout is SQLite's busy timeout: a writer never waits longer than it did before.
        timeout = self.settings_dict["OPTIONS"].get("timeout", 5)
        began = time.monotonic()
        self.holds_turn = WRITE_TURNS.take(timeout=timeout)
        # Without its process's turn the writer must not touch the lock file: another thread of
        # the process holds it, and would find it let go.
        if self.holds_turn and not self.is_in_memory_db():
            waited = time.monotonic() - began
            self.holds_lock_file = lock_file(self.settings_dict["NAME"]).take(
                timeout=max(timeout - waited, 0)
            )

    def _start_transaction_under_autocommit(self):
        self._take_turn()
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
        if self.holds_lock_file:
            self.holds_lock_file = False
            lock_file(self.settings_dict["NAME"]).give()
        if self.holds_turn:
            self.holds_turn = False
            WRITE_TURNS.give()
