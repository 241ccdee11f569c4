"""What taking one inbound message may cost: CPU time (not wall time, so a busy machine does not
trip it) and sizes (header block, parts, addresses). A message over its budget is set aside, byte
for byte, in the unprocessable store instead of holding up the mail behind it."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# CPU seconds one message may use from parsing to its timeline entry.
CPU_SECONDS = 2.0
# Sizes no customer's mail reaches; past them the work would grow with what a sender chose to send.
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_PARTS = 250
MAX_ADDRESSES = 200_000
MAX_HTML_DEPTH = 2_000


class OverBudget(BaseException):  # noqa: N818 - named for what happened, like CancelledError.
    """Raised when a message costs more than its budget. A BaseException, as asyncio's
    CancelledError is: the parser's ``except Exception`` blocks, which keep one broken part from
    losing the others, must not swallow it and carry on paying."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Meter:
    """The CPU time spent on one message so far, against its budget."""

    def __init__(self, cpu_seconds: float | None = None) -> None:
        self.cpu_seconds = CPU_SECONDS if cpu_seconds is None else cpu_seconds
        self.started = time.thread_time()
        self.counts: dict[str, int] = {}

    def spent(self) -> float:
        return time.thread_time() - self.started

    def check(self, where: str) -> None:
        if self.spent() > self.cpu_seconds:
            raise OverBudget(f"more than {self.cpu_seconds:g} s of CPU time ({where})")


_current: ContextVar[Meter | None] = ContextVar("mail_meter", default=None)


@contextmanager
def metered(meter: Meter) -> Iterator[Meter]:
    """Charges the work inside to ``meter``; parsing outside any meter (a page showing a mail)
    is not limited."""
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)


def metering() -> bool:
    """Whether the work going on is charged to a message being taken."""
    return _current.get() is not None


def check(where: str) -> None:
    """Raises OverBudget when the message being taken has used up its CPU time."""
    meter = _current.get()
    if meter is not None:
        meter.check(where)


def count(what: str, number: int, maximum: int) -> None:
    """Adds ``number`` of ``what`` (parts, addresses, header bytes) to the message being taken;
    raises OverBudget when it has more than ``maximum`` in all, before the work on them is done."""
    meter = _current.get()
    if meter is None:
        return
    total = meter.counts[what] = meter.counts.get(what, 0) + number
    if total > maximum:
        raise OverBudget(f"more than {maximum:,} {what}")
