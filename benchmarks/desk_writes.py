"""What the write benchmarks (mail intake, API create) share on a full desk: Attenda's own worker
running beside them, as in production (it indexes the text and sends the acknowledgements), the
figures of a series of writes, the stall check (no write may take 20 times the median), and how
long the written text waited for the search index."""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A write slower than this many medians is a stall, whatever the percentiles say.
STALL_FACTOR = 20


@contextmanager
def worker_beside(database_url: str) -> Iterator[subprocess.Popen]:
    """`attenda worker` on the same database, with the benchmark's settings and mail kept in memory."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "ATTENDA_TASK_BACKEND": "database",
        "ATTENDA_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "attenda.cli", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def cpu_seconds_of(process: subprocess.Popen) -> float:
    """The CPU time a running process has used so far (user and system, from /proc)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figures(
    times_ms: list[float], seconds: float, cpu_seconds: float, cpu_ms: list[float] | None = None
) -> dict:
    """``cpu_ms`` is each write's own CPU time (this thread's): on a shared machine the wall clock
    also counts the time other work had the cores, the CPU time only the write's own work, which
    is where a stall inside the database engine (a merge, a flush) shows."""
    ordered = sorted(times_ms)
    median = statistics.median(ordered)
    cpu = {}
    if cpu_ms:
        cpu_ordered = sorted(cpu_ms)
        cpu_median = statistics.median(cpu_ordered)
        cpu = {
            "cpu_p50_ms": round(cpu_median, 2),
            "cpu_p95_ms": round(cpu_ordered[int(0.95 * len(cpu_ordered)) - 1], 2),
            "cpu_max_ms": round(cpu_ordered[-1], 2),
            "cpu_over_20x_median": sum(
                1 for value in cpu_ordered if value > STALL_FACTOR * cpu_median
            ),
        }
    return {
        **cpu,
        "writes": len(ordered),
        "seconds": round(seconds, 2),
        "per_second": round(len(ordered) / seconds, 1),
        # This process's CPU alone: what a busy machine's wall-clock figure would be on a quiet one.
        "per_cpu_second": round(len(ordered) / cpu_seconds, 1) if cpu_seconds else None,
        "p50_ms": round(median, 2),
        "p95_ms": round(ordered[int(0.95 * len(ordered)) - 1], 2),
        "p99_ms": round(ordered[int(0.99 * len(ordered)) - 1], 2),
        "max_ms": round(ordered[-1], 2),
        "over_20x_median": sum(1 for value in ordered if value > STALL_FACTOR * median),
        "load_average": round(os.getloadavg()[0], 2),
    }


def wait_for_worker(*, timeout: float = 120) -> dict:
    """Seconds until the worker has read every mail kept waiting for it (``reading_waited_s``), then
    indexed every text written so far (``index_waited_s``); None: not within ``timeout``. Reading
    comes first: a mail read may become a ticket, whose text is then indexed."""
    from attenda.channels.email.models import InboundMail, MailState
    from attenda.tickets.models import PendingIndex

    reading = InboundMail.objects.filter(state=MailState.READING)
    return {
        "reading_waited_s": _waited(reading.exists, timeout),
        "index_waited_s": _waited(PendingIndex.objects.exists, timeout),
    }


def _waited(waiting, timeout: float) -> float | None:
    started = time.perf_counter()
    while waiting():
        if time.perf_counter() - started > timeout:
            return None
        time.sleep(0.1)
    return round(time.perf_counter() - started, 2)


def missed(result: dict, *, per_second: float | None, p95_ms: float | None) -> list[str]:
    failures = []
    if result["over_20x_median"]:
        failures.append(
            f"{result['over_20x_median']} writes took over {STALL_FACTOR}× the median"
            f" ({result['max_ms']} ms against {result['p50_ms']} ms)"
        )
    if per_second is not None and result["per_second"] < per_second:
        failures.append(f"{result['per_second']} writes/s is under {per_second}")
    if p95_ms is not None and result["p95_ms"] > p95_ms:
        failures.append(f"p95 {result['p95_ms']} ms is over {p95_ms}")
    return failures


class SlowStatements:
    """Every SQL statement slower than ``threshold_ms`` on the wall clock, with its own CPU time and
    the statement, to tell a wait for SQLite's write lock (BEGIN IMMEDIATE), a checkpoint's fsync
    (COMMIT) and the engine's own work (an INSERT's CPU) apart."""

    def __init__(self, threshold_ms: float = 200):
        self.threshold_ms = threshold_ms
        self.found: list[dict] = []
        self.statements_ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        began, cpu_began = time.perf_counter(), time.thread_time()
        try:
            return execute(sql, params, many, context)
        finally:
            wall = (time.perf_counter() - began) * 1000
            self.statements_ms += wall
            if wall > self.threshold_ms:
                self.found.append(
                    {
                        "wall_ms": round(wall, 1),
                        "cpu_ms": round((time.thread_time() - cpu_began) * 1000, 1),
                        "sql": sql[:120],
                        "load_average": round(os.getloadavg()[0], 2),
                    }
                )

    def summary(self) -> dict:
        by_statement: dict[str, list[float]] = {}
        for slow in self.found:
            by_statement.setdefault(slow["sql"].split(" ", 1)[0], []).append(slow["wall_ms"])
        return {
            "slow_statements": len(self.found),
            "by_verb": {
                verb: [len(walls), round(sum(walls))] for verb, walls in by_statement.items()
            },
            "slowest": sorted(self.found, key=lambda slow: -slow["wall_ms"])[:5],
        }
