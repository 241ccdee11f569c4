"""Service levels at a million open tickets: finding the tickets due in the next hour (an index range
of ticket_open_due_idx, target 20 ms) and one escalation sweep over 10,000 breached tickets (target
5 s), with the database's plan for each of the sweep's and the list's queries.

    python -m benchmarks.service_levels_bench --database-url sqlite:///benchmarks/results/sla.db
    python -m benchmarks.service_levels_bench --database-url postgres://postgres@127.0.0.1:5432/attenda_bench_sla

Every run loads its database afresh (the sweep changes the tickets it escalates): 1,000,000 open
tickets in 20 teams, each held to one service-level policy, their first-response deadlines spread
over the next 30 days, except ``--due`` of them whose deadline passed in the last hour and that no
sweep has seen. Tickets have no timeline: neither query reads one.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from benchmarks import database
from benchmarks.inbox import percentile

RESULTS_SQLITE = f"sqlite:///{database.RESULTS / 'sla.db'}"
TARGETS_MS = {"due in the next hour": 20.0, "inbox by deadline": 20.0}
SWEEP_TARGET_SECONDS = 5.0
TEAMS = 20
BLOCK = 50_000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service_levels_bench")
    parser.add_argument("--database-url", default=RESULTS_SQLITE)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000, help="tickets for the sweep")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    if args.database_url.rstrip("/").endswith(("/attenda_bench", "bench.db")):
        parser.error("use a database of its own, not the page benchmarks' one")
    # The sweep queues its notifications as the worker would find them: rows of the task table.
    os.environ["ATTENDA_TASK_BACKEND"] = "database"
    database.configure(args.database_url)
    from django.db import connection

    loaded, now = load(args.database_url, tickets=args.tickets, due=args.due)
    report = {
        "engine": connection.vendor,
        "tickets": args.tickets,
        "load_seconds": loaded,
        "load_average": os.getloadavg(),
        "measurements": measure(args.requests, due=args.due, now=now),
    }
    report["load_average_after"] = os.getloadavg()
    path = database.RESULTS / f"sla-{database.label(args.database_url)}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    missed = [item for item in report["measurements"] if item["missed"]]
    for item in report["measurements"]:
        print(json.dumps({key: value for key, value in item.items() if key != "plan"}))
        for line in item.get("plan", []):
            print(f"    {line}")
    print(f"load average {report['load_average']} → {report['load_average_after']} ({path})")
    return 1 if missed else 0


def load(database_url: str, *, tickets: int, due: int) -> tuple[float, datetime]:
    """Returns how long it took and the moment the deadlines were laid out from."""
    from django.core.management import call_command
    from django.db import connection

    from attenda.agents.models import Agent, Role, Team
    from attenda.core import clock
    from attenda.customers.models import Customer
    from attenda.routing.models import ServiceLevelPolicy
    from attenda.tickets.models import Ticket
    from benchmarks.load import PostgresTables, SqliteTables
    from benchmarks.population import stamp

    started = time.perf_counter()
    database.recreate(database_url)
    connection.close()
    call_command("migrate", verbosity=0, interactive=False)
    teams = Team.objects.bulk_create(Team(name=f"Team {number}") for number in range(TEAMS))
    for team in teams:
        supervisor = Agent.objects.create(
            username=f"supervisor{team.pk}", email=f"s{team.pk}@example.com", role=Role.SUPERVISOR
        )
        supervisor.teams.add(team)
    customer = Customer.objects.create(name="Maria Santos")
    policy = ServiceLevelPolicy.objects.create(
        name="Everyone", first_response_minutes=24 * 60, business_time=False, raise_priority=True
    )
    tables = (
        SqliteTables(connection) if connection.vendor == "sqlite" else PostgresTables(connection)
    )
    tables.set_aside_indexes([Ticket._meta.db_table])
    now = clock.now()
    epoch = int(now.timestamp() * 1_000_000)
    hour, month = 3_600_000_000, 30 * 86_400_000_000
    fields = (
        "id", "customer", "customer_name", "subject", "kind", "status", "priority", "channel",
        "language", "team", "created_at", "updated_at", "waiting_since", "handoff_count",
        "legal_consequence", "deemed_accepted", "service_level", "service_clock",
        "first_response_due", "due_at", "escalate_at", "preview",
    )  # fmt: skip

    def rows(first: int, stop: int):
        for number in range(first, stop):
            # The first `due` tickets breached in the last hour; the rest are due within 30 days,
            # spread evenly (about 1,400 an hour).
            if number <= due:
                due_at = epoch - hour + hour * number // (due + 1)
            else:
                due_at = epoch + month * (number - due) // (tickets - due + 1)
            created = due_at - 24 * hour
            clock_state = {
                "first_response": {
                    "spent": 0.0,
                    "since": _iso(stamp(created)),
                    "due": _iso(stamp(due_at)),
                    "warn": _iso(stamp(created + 18 * hour)),
                    "warned": True,
                    "breached": False,
                }
            }
            yield (
                number, customer.pk, "Maria Santos", f"Fatura {number}", "question", "open", 2,
                "email", "pt", teams[number % TEAMS].pk, stamp(created), stamp(created),
                stamp(created), 0, "", False, policy.pk, json.dumps(clock_state), stamp(due_at),
                stamp(due_at), stamp(due_at), "A fatura deste mês está errada.",
            )  # fmt: skip

    for first in range(1, tickets + 1, BLOCK):
        tables.write(Ticket, fields, rows(first, min(first + BLOCK, tickets + 1)))
    tables.restore_indexes()
    tables.finish([Ticket])
    return round(time.perf_counter() - started, 1), now


def _iso(text: str) -> str:
    return text.replace(" ", "T") + "+00:00"


def measure(requests: int, *, due: int, now: datetime) -> list[dict]:
    from django.db import connection, reset_queries

    from attenda.agents.models import Agent, Role, Team
    from attenda.routing import queries
    from attenda.routing.services import sweep
    from attenda.tickets.models import Ticket
    from attenda.tickets.queries import InboxFilters, inbox_page
    from benchmarks.plans import explain, require_index

    team = Team.objects.order_by("id").first()
    admin = Agent.objects.create(username="admin", role=Role.ADMIN)
    results = []

    def timed(name: str, run: Callable[[], object], index: str) -> None:
        for _warmup in range(10):
            run()
        samples, cpu = [], []
        for _request in range(requests):
            begin, cpu_begin = time.perf_counter(), time.process_time()
            found = run()
            samples.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - cpu_begin) * 1000)
        samples.sort()
        cpu.sort()
        connection.force_debug_cursor = True
        reset_queries()
        run()
        sql = connection.queries[0]["sql"]
        connection.force_debug_cursor = False
        plan = explain(connection, sql)
        # Reading the rows the list returns is the work asked for, not a scan.
        plan.problems = [
            problem
            for problem in plan.problems
            if not (
                problem.startswith("reads ")
                and int(problem.split()[1].replace(",", "")) <= len(found)
            )
        ]
        require_index(plan, connection.vendor, index)
        p95 = percentile(samples, 0.95)
        results.append(
            {
                "name": name,
                "requests": requests,
                "rows": len(found),
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(p95, 2),
                # This process's CPU (the whole query on SQLite): what a shared machine's load
                # does not stretch.
                "cpu_p50_ms": round(statistics.median(cpu), 2),
                "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
                "target_ms": TARGETS_MS[name],
                "problems": plan.problems,
                "missed": p95 > TARGETS_MS[name] or bool(plan.problems),
                "plan": plan.lines,
            }
        )

    timed(
        "due in the next hour",
        lambda: list(queries.due_within(now, timedelta(hours=1)).values_list("id", flat=True)),
        "ticket_open_due_idx",
    )
    timed(
        "inbox by deadline",
        lambda: (
            inbox_page(
                admin, view="open", filters=InboxFilters(team=team.pk), sort="deadline", cursor=None
            ).items
        ),
        "ticket_team_due_idx",
    )

    connection.force_debug_cursor = True
    reset_queries()
    queries.sweep_batch(now, 500)
    batch_sql = [query["sql"] for query in connection.queries]
    connection.force_debug_cursor = False
    plans = [explain(connection, sql) for sql in batch_sql]
    begin, cpu_begin = time.perf_counter(), time.process_time()
    escalated = sweep(now=now)
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu_begin
    again = sweep(now=now)
    breached = Ticket.objects.filter(priority=3).count()
    results.append(
        {
            "name": "escalation sweep",
            "tickets": escalated,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_seconds, 2),
            "per_ticket_ms": round(seconds * 1000 / max(escalated, 1), 3),
            "second_sweep": again,
            "target_seconds": SWEEP_TARGET_SECONDS,
            "problems": [problem for plan in plans for problem in plan.problems],
            "missed": seconds > SWEEP_TARGET_SECONDS
            or escalated != due
            or again != 0
            or breached != due,
            "plan": [line for plan in plans for line in plan.lines],
        }
    )
    return results


if __name__ == "__main__":
    sys.exit(main())
