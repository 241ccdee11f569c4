"""Measures what an agent waits for on a loaded benchmark database: the inbox's first page (a team's
open tickets, oldest waiting first), the page 500 pages deep, and the ticket page — each through
Django's test client, and the queries behind them directly — with the SQL each one runs and the
database's plan for the inbox list.

    python -m benchmarks.inbox --database-url sqlite:///benchmarks/results/bench.db

Wall-clock times are what the issue's targets are about. CPU times are printed beside them because a
shared machine stretches wall-clock time: "cpu" is this process's own (the whole server on SQLite),
"db cpu" the PostgreSQL backend's, both per request.
"""

import argparse
import gc
import itertools
import json
import math
import os
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import database

# The targets, in milliseconds at the 95th percentile, for the pages measured server-side.
TARGETS = {"inbox first page": 20.0, "inbox deep page": 20.0, "ticket page": 30.0}
# The inbox pages run the same queries on every page; a ticket page's depend on the ticket (the
# reply's route by its channel: other channels are asked when its own cannot reply), never on its
# size: at most the count tests/tickets/test_query_counts.py pins, one more on a chat ticket, whose
# panel looks for the chat still open, and one more on a ticket others were merged into.
TICKET_PAGE_MOST_QUERIES = 16
INTENDED_INDEXES = {"open": "ticket_team_wait_idx", "unassigned": "ticket_unassigned_wait_idx"}
BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass
class Measurement:
    name: str
    level: str  # "page" (test client) or "query" (the function in tickets/queries.py)
    samples: "Samples" = field(repr=False)
    queries: list[int]
    breakdown: dict | None = None
    load_average: float | None = None

    @property
    def summary(self) -> dict:
        wall, cpu = sorted(self.samples.wall_ms), sorted(self.samples.cpu_ms)
        by_offset = self.samples.by_offset()
        return {
            "name": self.name,
            "level": self.level,
            "requests": len(wall),
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": round(percentile(wall, 0.95), 2),
            "max_ms": round(wall[-1], 2),
            "mean_ms": round(statistics.fmean(wall), 2),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
            "database_cpu_mean_ms": self.samples.database_cpu_ms,
            "page_faults_p50": statistics.median(self.samples.page_faults),
            "median_by_stack_depth_ms": {
                "best": round(min(by_offset.values()), 2),
                "worst": round(max(by_offset.values()), 2),
            },
            "queries": sorted(set(self.queries)),
            "queries_fixed": len(set(self.queries)) == 1,
            "target_p95_ms": TARGETS.get(self.name) if self.level == "page" else None,
            "breakdown_mean_ms": self.breakdown,
            "load_average": self.load_average,
        }


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least this fraction of the values at or below it."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def backend_cpu_seconds(connection) -> float | None:
    """CPU the PostgreSQL backend serving this connection has used so far (same machine only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# CPython 3.11 keeps frames on a data stack made of 16 KB chunks and unmaps a chunk as soon as
# the call that needed it returns; a page whose template recursion keeps crossing a chunk boundary
# pays a fresh mmap and page faults each time (python/cpython#142183, fixed from 3.13). Whether it
# crosses depends on how deep the server's stack already is when the view runs, which differs
# between this harness, a test run and each deployment. Attenda's FreshStackMiddleware starts each
# request on a fresh chunk; each page is still timed from 16 stack depths spread over one chunk (a
# frame of below() takes some 130 bytes), pooled, so a page that depends on the depth shows it.
STACK_OFFSETS = tuple(range(0, 128, 8))


def below(frames: int, call: Callable[[], object]) -> object:
    """call(), run ``frames`` Python frames deeper than here."""
    return below(frames - 1, call) if frames else call()


@dataclass
class Samples:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    page_faults: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    database_cpu_ms: float | None = None

    def by_offset(self) -> dict[int, float]:
        """Median wall-clock time at each stack depth."""
        times: dict[int, list[float]] = {}
        for offset, wall in zip(self.offsets, self.wall_ms, strict=True):
            times.setdefault(offset, []).append(wall)
        return {offset: statistics.median(values) for offset, values in sorted(times.items())}


def timed(connection, call: Callable[[], object], count: int) -> Samples:
    """Wall-clock and CPU milliseconds and minor page faults of each call, the calls spread over
    STACK_OFFSETS, and the PostgreSQL backend's CPU per call."""
    samples = Samples()
    database_before = backend_cpu_seconds(connection)
    for number in range(count):
        offset = STACK_OFFSETS[number % len(STACK_OFFSETS)]
        faults_before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        below(offset, call)
        samples.cpu_ms.append((time.thread_time_ns() - started_cpu) / 1e6)
        samples.wall_ms.append((time.perf_counter_ns() - started) / 1e6)
        samples.page_faults.append(
            resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults_before
        )
        samples.offsets.append(offset)
    database_after = backend_cpu_seconds(connection)
    if database_before is not None and database_after is not None:
        samples.database_cpu_ms = round((database_after - database_before) * 1000 / count, 2)
    return samples


def counted(connection, call: Callable[[], object]) -> tuple[int, list[dict]]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries), list(captured.captured_queries)


@contextmanager
def where_time_goes(connection) -> Iterator[dict]:
    """Wall time spent executing SQL and rendering templates (which includes any SQL run while
    rendering), for the calls made inside."""
    from django.template.backends.django import Template

    totals = {"sql_ms": 0.0, "render_ms": 0.0}
    render = Template.render
    depth = 0

    def timed_render(self, *args, **kwargs):
        # Form widgets render templates of their own inside the page's: count the outermost only.
        nonlocal depth
        depth += 1
        started = time.perf_counter_ns()
        try:
            return render(self, *args, **kwargs)
        finally:
            depth -= 1
            if depth == 0:
                totals["render_ms"] += (time.perf_counter_ns() - started) / 1e6

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            totals["sql_ms"] += (time.perf_counter_ns() - started) / 1e6

    Template.render = timed_render
    try:
        with connection.execute_wrapper(timed_sql):
            yield totals
    finally:
        Template.render = render


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inbox", description=__doc__)
    parser.add_argument("--database-url", default=database.SQLITE_URL)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests before timing")
    parser.add_argument("--depth", type=int, default=500, help="pages walked before the deep page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/inbox-ENGINE.json")
    args = parser.parse_args(argv)
    database.configure(args.database_url)
    engine = database.engine_name(args.database_url)
    report = run(args, engine, database.label(args.database_url))
    out = args.out or database.RESULTS / f"inbox-{database.label(args.database_url)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {out}")
    if report["failures"]:
        print("\nMissed:\n  " + "\n  ".join(report["failures"]))
        sys.exit(1)


def run(args, engine: str, label: str) -> dict:
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.urls import reverse

    from attenda.agents.models import Agent, Role, Team
    from attenda.tickets.models import Ticket, TimelineEntry
    from attenda.tickets.queries import InboxFilters, inbox_rows_page, ticket_page
    from benchmarks import plans

    load_before = os.getloadavg()
    rng = random.Random(args.seed)
    tickets = Ticket.objects.count()
    entries = TimelineEntry.objects.count()
    # The team with the longest open list, and one of its plain agents, who sees only that team.
    team = (
        Team.objects.annotate(open_tickets=Count("tickets", filter=Q(tickets__is_open=True)))
        .order_by("-open_tickets")
        .first()
    )
    agent = (
        Agent.objects.annotate(team_count=Count("teams"))
        .filter(team_count=1, teams=team, role=Role.AGENT, is_active=True)
        .order_by("pk")
        .first()
    )
    print(
        f"{engine}: {tickets:,} tickets, {entries:,} timeline entries; team {team.name!r} "
        f"({team.open_tickets:,} open), agent {agent.username}; load average "
        f"{load_before[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    filters = InboxFilters(team=team.pk)
    size = 50

    def inbox(view: str = "open", cursor: str | None = None):
        return inbox_rows_page(
            agent, view=view, filters=filters, sort="waiting", cursor=cursor, size=size
        )

    # Walk the cursor the way an agent would, page after page, and keep where it got to.
    cursor, depth = None, 0
    walk_started = time.perf_counter()
    for _ in range(args.depth):
        page = inbox(cursor=cursor)
        if page.next_cursor is None:
            break
        cursor, depth = page.next_cursor, depth + 1
    walk_seconds = time.perf_counter() - walk_started
    deep_cursor = cursor
    print(
        f"walked {depth} pages by cursor in {walk_seconds:.1f} s "
        f"({walk_seconds / max(depth, 1) * 1000:.1f} ms a page)",
        flush=True,
    )

    numbers = sample_ticket_numbers(rng, agent, count=args.requests + args.warmup)
    warm_numbers = itertools.cycle(numbers[: args.warmup] or numbers)
    measured_numbers = numbers[args.warmup :] or numbers

    def each_ticket(call: Callable[[int], object]) -> Callable[[], object]:
        pending = list(measured_numbers)
        return lambda: call(pending.pop() if pending else rng.choice(measured_numbers))

    measurements: list[Measurement] = []

    def measure(
        name: str, level: str, call: Callable[[], object], warm: Callable[[], object]
    ) -> list[dict]:
        """Warms up, counts the queries of a few calls, times the rest; returns the last call's
        queries."""
        for _ in range(args.warmup):
            warm()
        counts, queries = [], []
        for _ in range(5):
            count, queries = counted(connection, warm)
            counts.append(count)
        with where_time_goes(connection) as totals:
            for _ in range(10):
                warm()
        breakdown = {key: round(value / 10, 2) for key, value in totals.items()}
        if level == "query":
            del breakdown["render_ms"]
        # As a web process once started (asgi.py): what is loaded is set aside from the collector.
        gc.collect()
        gc.freeze()
        samples = timed(connection, call, args.requests)
        measurements.append(
            Measurement(name, level, samples, counts, breakdown, os.getloadavg()[0])
        )
        print(
            f"  {level} {name}: p95 {percentile(sorted(samples.wall_ms), 0.95):.1f} ms", flush=True
        )
        return queries

    # Query level: the functions the pages call, so there are figures before the pages exist.
    measure("inbox first page", "query", inbox, inbox)
    measure(
        "inbox deep page",
        "query",
        lambda: inbox(cursor=deep_cursor),
        lambda: inbox(cursor=deep_cursor),
    )
    measure("inbox unassigned", "query", lambda: inbox("unassigned"), lambda: inbox("unassigned"))
    measure(
        "ticket page",
        "query",
        each_ticket(lambda number: ticket_page(agent, number)),
        lambda: ticket_page(agent, next(warm_numbers)),
    )

    # Plans of the inbox list, first and deep, as the query function runs it.
    failures = []
    inbox_plans = {}
    for name, view, page_cursor in (
        ("inbox first page", "open", None),
        ("inbox deep page", "open", deep_cursor),
        ("inbox unassigned", "unassigned", None),
    ):
        _count, queries = counted(connection, lambda v=view, c=page_cursor: inbox(v, c))
        plan = plans.explain(connection, plans.list_query(queries))
        plans.require_index(plan, connection.vendor, INTENDED_INDEXES[view])
        inbox_plans[name] = asdict(plan)
        if plan.problems:
            failures.append(f"plan of the {name} list: " + "; ".join(plan.problems))

    # Page level: the agent's pages through Django's test client, as the server handles them.
    client = Client()
    client.force_login(agent, backend=BACKEND)
    first_url = f"{reverse('inbox')}?view=open&team={team.pk}&sort=waiting"
    unassigned_url = f"{reverse('inbox')}?view=unassigned&team={team.pk}&sort=waiting"
    deep_url = f"{first_url}&cursor={deep_cursor}"
    not_ready = pages_not_ready(client, first_url, inbox().items[:1])
    page_plans: dict[str, list] = {}
    if not_ready:
        print(f"pages not measured: {not_ready}", flush=True)
    else:
        failures += follow_page_links(client, first_url, depth, deep_cursor)
        deep_first = inbox(cursor=deep_cursor).items[0]
        if reverse("ticket", args=[deep_first.number]) not in client.get(deep_url).content.decode():
            failures.append(f"the deep page does not list ticket {deep_first.number}")

        def get(url: str) -> object:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        def ticket_url(number: int) -> str:
            return reverse("ticket", args=[number])

        for name, call, warm in (
            ("inbox first page", lambda: get(first_url), lambda: get(first_url)),
            ("inbox deep page", lambda: get(deep_url), lambda: get(deep_url)),
            ("inbox unassigned", lambda: get(unassigned_url), lambda: get(unassigned_url)),
            (
                "ticket page",
                each_ticket(lambda number: get(ticket_url(number))),
                lambda: get(ticket_url(next(warm_numbers))),
            ),
        ):
            queries = measure(name, "page", call, warm)
            page_plans[name] = [
                asdict(plans.explain(connection, query["sql"]))
                for query in queries
                if query["sql"].lstrip().upper().startswith("SELECT")
            ]
            failures += [
                f"a query of the {name}: " + "; ".join(plan["problems"])
                for plan in page_plans[name]
                if plan["problems"]
            ]

    summaries = [measurement.summary for measurement in measurements]
    for summary in summaries:
        target = summary["target_p95_ms"]
        if target is not None and summary["p95_ms"] > target:
            failures.append(f"{summary['name']}: p95 {summary['p95_ms']} ms is over {target:g} ms")
        if summary["level"] != "page":
            continue
        if summary["name"] == "ticket page":
            if max(summary["queries"]) > TICKET_PAGE_MOST_QUERIES:
                failures.append(f"ticket page: {summary['queries']} queries, over the pinned count")
        elif not summary["queries_fixed"]:
            failures.append(f"{summary['name']}: the number of queries varies {summary['queries']}")
    page_counts = {s["name"]: s["queries"] for s in summaries if s["level"] == "page"}
    if page_counts and page_counts["inbox first page"] != page_counts["inbox deep page"]:
        failures.append(f"the first and the deep inbox page run different queries: {page_counts}")

    load_report = database.RESULTS / f"load-{label}.json"
    report = {
        "engine": engine,
        "database_version": database_version(connection),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average": {"before": load_before[0], "after": os.getloadavg()[0]},
        "cores": os.cpu_count(),
        "tickets": tickets,
        "timeline_entries": entries,
        "team": {"name": team.name, "open_tickets": team.open_tickets},
        "agent": agent.username,
        "page_size": size,
        "deep_page": {"pages_walked": depth, "first_row": depth * size + 1},
        "walk_seconds": round(walk_seconds, 2),
        "pages_measured": not not_ready,
        "pages_not_measured_because": not_ready,
        "load": json.loads(load_report.read_text()) if load_report.exists() else None,
        "results": summaries,
        "inbox_plans": inbox_plans,
        "page_plans": page_plans,
        "failures": failures,
    }
    print_table(report)
    return report


def sample_ticket_numbers(rng: random.Random, agent, *, count: int) -> list[int]:
    """Random tickets the agent may open, from anywhere in the table's history."""
    from django.db.models import Max

    from attenda.tickets.models import Ticket
    from attenda.tickets.permissions import visible_tickets

    highest = Ticket.objects.aggregate(highest=Max("id"))["highest"]
    found: list[int] = []
    while len(found) < count:
        candidates = [rng.randint(1, highest) for _ in range(500)]
        found.extend(visible_tickets(agent).filter(pk__in=candidates).values_list("pk", flat=True))
    rng.shuffle(found)
    return found[:count]


def pages_not_ready(client, url: str, expected: list) -> str:
    """Why the pages cannot be measured yet, or "" when the inbox lists what the query returns."""
    from django.urls import reverse

    response = client.get(url)
    if response.status_code != 200:
        return f"GET {url} answered {response.status_code}"
    if expected and reverse("ticket", args=[expected[0].number]) not in response.content.decode():
        return (
            f"the inbox page does not link ticket {expected[0].number}, the first the query returns"
        )
    return ""


def linked_cursor(html: str) -> str | None:
    """The cursor of the "Next page" link (the status form in the header carries this page's)."""
    match = re.search(r'class="pager"><a href="[^"]*[?&;]cursor=([A-Za-z0-9_\-]+)', html)
    return match.group(1) if match else None


def follow_page_links(client, first_url: str, depth: int, deep_cursor: str | None) -> list[str]:
    """Walks the inbox by its own "next page" links, as a browser would, to the deep page."""
    cursor = None
    for walked in range(depth):
        url = first_url + (f"&cursor={cursor}" if cursor else "")
        cursor = linked_cursor(client.get(url).content.decode())
        if cursor is None:
            return [f"the inbox page {walked + 1} has no link to a next page"]
    if cursor != deep_cursor:
        return [f"following {depth} next-page links did not reach the page the query reaches"]
    return []


def database_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def print_table(report: dict) -> None:
    print(
        f"\n{report['database_version']}: {report['tickets']:,} tickets, "
        f"{report['timeline_entries']:,} timeline entries; team {report['team']['name']!r} "
        f"with {report['team']['open_tickets']:,} open; deep page = rows "
        f"{report['deep_page']['first_row']:,}+ after {report['deep_page']['pages_walked']} pages; "
        f"load average {report['load_average']['before']:.1f}→{report['load_average']['after']:.1f}"
        f" on {report['cores']} cores"
    )
    header = (
        f"{'':17} {'level':5} {'p50':>7} {'p95':>7} {'max':>7} {'target':>6} {'cpu50':>7} "
        f"{'cpu95':>7} {'db cpu':>7} {'sql':>6} {'render':>7} {'faults':>6} {'depth±':>13} "
        f"{'SQL':>4}"
    )
    print(header + "\n" + "-" * len(header))
    for row in report["results"]:
        target = f"≤{row['target_p95_ms']:g}" if row["target_p95_ms"] else ""
        database_cpu = row["database_cpu_mean_ms"]
        database_cpu = "" if database_cpu is None else f"{database_cpu:.2f}"
        breakdown = row["breakdown_mean_ms"] or {}
        render = f"{breakdown['render_ms']:.2f}" if "render_ms" in breakdown else ""
        queries = ",".join(str(count) for count in row["queries"])
        depths = "{best:.1f}–{worst:.1f}".format(**row["median_by_stack_depth_ms"])
        print(
            f"{row['name']:17} {row['level']:5} {row['p50_ms']:7.2f} {row['p95_ms']:7.2f} "
            f"{row['max_ms']:7.2f} {target:>6} {row['cpu_p50_ms']:7.2f} {row['cpu_p95_ms']:7.2f} "
            f"{database_cpu:>7} {breakdown.get('sql_ms', 0):6.2f} {render:>7} "
            f"{row['page_faults_p50']:>6.0f} {depths:>13} {queries:>4}"
        )
    print(
        "(milliseconds per request; sql and render are means; faults: minor page faults per request,"
        " median; depth±: the median at the best and the worst of the 16 stack depths;"
        " SQL: queries per request)"
    )
    for name, plan in report["inbox_plans"].items():
        print(f"\nPlan of the {name} list:")
        for line in plan["lines"]:
            print(f"  {line}")
        for problem in plan["problems"]:
            print(f"  !! {problem}")
        for note in plan["notes"]:
            print(f"  note: {note}")


if __name__ == "__main__":
    main()
