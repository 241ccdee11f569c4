"""Where a message's time goes on the way in: the corpus mix through `take_mail()` under cProfile,
with the SQL statements of each message counted and grouped (CaptureQueriesContext), into a fresh
database or a loaded desk: each stage's own-thread CPU, and the CPU by what became of the message
(a delivery report, put on a ticket...). Not a benchmark (the profiler slows everything); a map of
the cost. `--no-cprofile` gives the stages' CPU alone, `--no-stages` cProfile alone.

    python -m benchmarks.intake_profile                               # fresh SQLite database
    python -m benchmarks.intake_profile --database-url sqlite:///$PWD/benchmarks/results/bench.db
    python -m benchmarks.intake_profile --api                         # POST /api/v1/tickets instead
"""

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import time

from benchmarks import database
from benchmarks.mail_ingest import corpus_messages, renamed

_LITERALS = re.compile(r"'[^']*'|\b\d+\b|%s|\?")


def shape(sql: str) -> str:
    """A statement without its values, so the same query from different messages counts as one."""
    return _LITERALS.sub("?", sql)[:160]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake_profile", description=__doc__
    )
    parser.add_argument("--database-url", default=f"sqlite:///{database.RESULTS / 'profile.db'}")
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--api", action="store_true", help="profile POST /api/v1/tickets")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument(
        "--no-cprofile", action="store_true", help="count queries only (to run under py-spy)"
    )
    parser.add_argument(
        "--no-stages",
        action="store_true",
        help="cProfile alone, without the per-stage CPU timers (whose clock calls it would count)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    if "profile.db" in args.database_url:
        database.recreate(args.database_url)
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    stages = {} if args.no_stages else _time_stages()
    step = _api_create() if args.api else _take_mail()
    for number in range(args.warmup):
        step(-1 - number)
    counts, shapes, cpu = [], collections.Counter(), []
    kinds: dict[str, list[float]] = collections.defaultdict(list)
    profiler = cProfile.Profile()
    if args.no_cprofile:
        profiler.enable = profiler.disable = lambda: None
    for totals in stages.values():
        totals[:] = [0, 0.0]
    for number in range(args.messages):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            began = time.thread_time()
            profiler.enable()
            kind = step(number)
            profiler.disable()
            cpu.append((time.thread_time() - began) * 1000)
        kinds[kind].append(cpu[-1])
        counts.append(len(queries.captured_queries))
        shapes.update(shape(query["sql"]) for query in queries.captured_queries)
    print(
        json.dumps(
            {
                "messages": args.messages,
                "queries_mean": round(statistics.mean(counts), 1),
                "queries_median": statistics.median(counts),
                "queries_max": max(counts),
                "cpu_ms_profiled_median": round(statistics.median(cpu), 2),
            }
        )
    )
    print("\nCPU per message by what became of it (ms, mean; share of the messages):")
    for kind, times in sorted(kinds.items(), key=lambda item: -len(item[1])):
        print(f"{statistics.mean(times):7.3f}  {len(times) / args.messages:5.0%}  {kind}")
    print("\nCPU per message (inclusive, ms, mean over all messages) and calls per message:")
    for name, (calls, seconds) in sorted(stages.items(), key=lambda item: -item[1][1]):
        print(f"{seconds * 1000 / args.messages:7.3f}  {calls / args.messages:5.2f}  {name}")
    print("\nStatements per message (mean), most frequent first:")
    for sql, count in shapes.most_common(40):
        print(f"{count / args.messages:6.2f}  {sql}")
    if args.no_cprofile:
        return
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    print(out.getvalue())
    profiler.dump_stats(
        str(database.RESULTS / ("profile-api.prof" if args.api else "profile-mail.prof"))
    )


STAGES = [
    "attenda.channels.email.inbound:take_mail",
    "attenda.channels.email.inbound:parse_message",
    "attenda.channels.email.inbound:read_bounce",
    "attenda.channels.email.inbound:_record_bounce",
    "attenda.channels.email.inbound:_flooding",
    "attenda.channels.email.inbound:ticket_entry",
    "attenda.channels.email.inbound:split_reply",
    "attenda.channels.email.inbound:check_sender",
    "attenda.channels.email.inbound:automatic_reason",
    "attenda.channels.email.inbound:_keep_participants",
    "attenda.channels.email.outbound:acknowledge",
    "attenda.tickets.services:receive",
    "attenda.tickets.services:store_blob",
    "attenda.tickets.services:identify",
    "attenda.tickets.services:_thread",
    "attenda.tickets.services:hold_legal_deadline",
    "attenda.routing.service_levels:start_clocks",
    "attenda.tickets.services:_append",
    "attenda.tickets.services:_attach",
    "attenda.tickets.arrivals:arrived",
    "attenda.triage.services:read_text",
    "attenda.triage.services:configuration",
    "attenda.triage.services:_suggest",
    "attenda.triage.learnt_abuse:is_abusive",
    "attenda.triage.language:detect",
    "attenda.routing.assignment:route_received",
    "attenda.core.audit:record",
    "attenda.tickets.search:queue_ticket",
    "attenda.tickets.search:queue_entry",
    "attenda.tickets.search:queue_texts",
    "attenda.customers.services:_new_customer",
    "attenda.channels.email.inbound:_write",
    "attenda.channels.email.bounces:_parse",
    "attenda.triage.services:triage_entry",
    "django_tasks_db.backend:DatabaseBackend.enqueue",
    "attenda.tickets.services:_raw_blob_id",
    "attenda.channels.email.outbound:_acknowledged_lately",
    "attenda.customers.services:write_search_terms",
    "django.core.files.storage.filesystem:FileSystemStorage._save",
    "django.db.models.base:Model.full_clean",
    "django.db.backends.utils:CursorWrapper._execute",
    "django.db.backends.base.base:BaseDatabaseWrapper._commit",
]


def _time_stages() -> dict[str, list]:
    """Wraps each stage (module:function, or module:Class.method) to add up its own thread's CPU
    time, inclusive of what it calls. Recursive calls are counted once."""
    import importlib

    totals: dict[str, list] = {}
    for target in STAGES:
        module_name, _colon, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner, _dot, name = attribute.rpartition(".")
        holder = getattr(module, owner) if owner else module
        original = getattr(holder, name, None)
        if original is None:
            continue
        totals[target] = [0, 0.0]
        active = [0]

        def timed(*args, __original=original, __totals=totals[target], __active=active, **kwargs):
            if __active[0]:
                return __original(*args, **kwargs)
            __active[0] += 1
            began = time.thread_time()
            try:
                return __original(*args, **kwargs)
            finally:
                __active[0] -= 1
                __totals[0] += 1
                __totals[1] += time.thread_time() - began

        setattr(holder, name, timed)
    return totals


def _take_mail():
    from attenda.channels.email.inbound import take_mail
    from attenda.channels.email.models import Mailbox

    mailbox, _created = Mailbox.objects.get_or_create(
        address="support@attenda.test", defaults={"name": "Support", "language": "pt"}
    )
    messages = corpus_messages()
    run = time.time_ns()

    def step(number: int) -> str:
        raw = messages[number % len(messages)]
        taken = take_mail(mailbox, renamed(raw, f"profile-{run}-{number}@attenda"), source="api")
        return str(taken.mail.state)

    return step


def _api_create():
    from django.test import Client

    from attenda.agents.models import Agent, Role
    from attenda.agents.services import create_agent, issue_api_token
    from benchmarks.api_create import BODIES

    admin = Agent.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        admin = create_agent(username="profile-admin", password=None, role=Role.ADMIN, actor=None)
    _token, key = issue_api_token(agent=admin, name=f"profile {time.time_ns()}")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    run = time.time_ns()

    def step(number: int) -> str:
        payload = {
            "subject": f"Pedido {number}",
            "body": BODIES[number % len(BODIES)],
            "identities": [{"kind": "email", "value": f"api-{run}-{number % 50}@example.com"}],
            "customer_name": "Cliente Novo",
        }
        answer = client.post(
            "/api/v1/tickets", json.dumps(payload), content_type="application/json"
        )
        assert answer.status_code == 201, answer.content[:300]
        return "created"

    return step


if __name__ == "__main__":
    main()
