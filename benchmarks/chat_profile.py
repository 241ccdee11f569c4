"""What each request of a chat costs the web process: a visitor's line, an agent's line, each
side's typing indicator and a visitor's stream reconnecting, through Django's test client on a
fresh database (SQLite unless --database-url names another; tasks queued to the database, as under
`attenda serve`). For each: the statements (and how many of them write), the CPU (thread time),
and on SQLite the CPU spent holding its one write lock and how many times it takes it, per
request. Not a benchmark of the whole server (no uvicorn, no open streams); a
map of where a chat's cost is.

    python -m benchmarks.chat_profile                       # live events through the database
    python -m benchmarks.chat_profile --redis redis://127.0.0.1:6379/2
    python -m benchmarks.chat_profile --cprofile visitor_line
    python -m benchmarks.chat_profile --database-url postgres://postgres@127.0.0.1:5432/attenda_chat_profile
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time

from benchmarks import database
from benchmarks.chat_bench import ORIGIN

WRITES = ("INSERT", "UPDATE", "DELETE")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat_profile", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{database.RESULTS / 'chat_profile.db'}",
        help="made anew for the run",
    )
    parser.add_argument(
        "--redis", default="", help="ATTENDA_REDIS_URL for the run (none by default)"
    )
    parser.add_argument(
        "--requests", type=int, default=60, help="of each kind, after 10 unmeasured"
    )
    parser.add_argument(
        "--cprofile", help="profile one kind of request and print its top functions"
    )
    parser.add_argument(
        "--line-rate",
        type=float,
        default=8,
        help="visitor lines a second for the worker's share (a web process's at 500 visitors)",
    )
    args = parser.parse_args(argv)
    os.environ["ATTENDA_TASK_BACKEND"] = "database"
    os.environ["ATTENDA_REDIS_URL"] = args.redis
    database.recreate(args.database_url)
    database.configure(args.database_url)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # One visitor sends them all: the rate limits are counted (in Redis when given) but not hit.
    settings.CHAT_RATE_PER_VISITOR = settings.CHAT_RATE_PER_ADDRESS = 10**6
    steps = _chat()
    results = {}
    for name, step in steps.items():
        for _ in range(10):
            step()
        results[name] = _measured(step, args.requests, profile=args.cprofile == name)
    results["worker_per_visitor_line"] = _worker_share(
        steps["visitor_line"], args.requests, rate=args.line_rate
    )
    print(json.dumps({"redis": bool(args.redis), **results}, indent=1))


def _measured(step, count: int, *, profile: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = cProfile.Profile()
    cpu, statements, writes, locked, turns = [], [], [], [], []
    for _ in range(count):
        with CaptureQueriesContext(connection) as queries, _WriteLock() as lock:
            began = time.thread_time()
            if profile:
                profiler.enable()
            step()
            if profile:
                profiler.disable()
            cpu.append((time.thread_time() - began) * 1000)
        locked.append(lock.held * 1000)
        turns.append(lock.turns)
        sql = [query["sql"].lstrip().upper() for query in queries.captured_queries]
        statements.append(len(sql))
        writes.append(sum(statement.startswith(WRITES) for statement in sql))
    if profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    return {
        "statements": statistics.median(statements),
        "writing_statements": statistics.median(writes),
        "cpu_ms_p50": round(statistics.median(cpu), 2),
        "cpu_ms_mean": round(statistics.mean(cpu), 2),
        "write_lock_cpu_ms_p50": round(statistics.median(locked), 2),
        "write_lock_turns_mean": round(statistics.mean(turns), 2),
    }


def _worker_share(visitor_line, count: int, *, rate: float) -> dict:
    """What the worker spends on a visitor's line: ``count`` lines sent at ``rate`` a second, then
    every task they queued run as `attenda worker` runs them (claimed, run, marked done), its CPU
    and its turns at SQLite's write lock divided by the lines."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="chat-profile",
        excluded_queue_names=[],
    )
    time.sleep(2)
    worker.run()
    for _ in range(count):
        visitor_line()
        time.sleep(1 / rate)
    # Whatever the lines queued is due (a task deferred by a second at most).
    time.sleep(2)
    tasks = DBTaskResult.objects.ready().count()
    with _WriteLock() as lock:
        began = time.thread_time()
        worker.run()
        cpu = (time.thread_time() - began) * 1000
    return {
        "lines": count,
        "tasks": tasks,
        "cpu_ms_per_line": round(cpu / count, 2),
        "write_lock_cpu_ms_per_line": round(lock.held * 1000 / count, 2),
        "write_lock_turns_per_line": round(lock.turns / count, 2),
    }


class _WriteLock:
    """The CPU a request spends holding SQLite's one write lock (from BEGIN IMMEDIATE to the end
    of the COMMIT or ROLLBACK, and a write outside a transaction while it runs): how long the
    other writers wait behind it on a core of its own. Thread CPU time, not wall-clock, which on
    a shared machine measures the scheduler."""

    def __init__(self) -> None:
        from django.db import connections

        self.connection = connections["default"]
        self.held = 0.0
        self.since: float | None = None
        # Each time the request takes the lock: a transaction, or a write outside one.
        self.turns = 0

    def __enter__(self):
        if self.connection.vendor != "sqlite":
            return self  # PostgreSQL's writers do not wait for one lock.
        begin, end = self.connection._start_transaction_under_autocommit, self.connection._commit
        rollback = self.connection._rollback

        def begun():
            self.turns += 1
            self.since = time.thread_time()
            return begin()

        def ended(finish):
            def finished():
                try:
                    return finish()
                finally:
                    if self.since is not None:
                        self.held += time.thread_time() - self.since
                        self.since = None

            return finished

        self.connection._start_transaction_under_autocommit = begun
        self.connection._commit, self.connection._rollback = ended(end), ended(rollback)
        self.wrapper = self.connection.execute_wrapper(self._alone)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        if self.connection.vendor != "sqlite":
            return
        self.wrapper.__exit__(*exc)
        for name in ("_start_transaction_under_autocommit", "_commit", "_rollback"):
            delattr(self.connection, name)

    def _alone(self, execute, sql, params, many, context):
        if self.connection.in_atomic_block or sql.lstrip()[:6].upper() not in WRITES:
            return execute(sql, params, many, context)
        self.turns += 1
        began = time.thread_time()
        try:
            return execute(sql, params, many, context)
        finally:
            self.held += time.thread_time() - began


def _prepare() -> dict:
    """A chat team with one agent and its widget, on the fresh database."""
    from attenda.agents.models import Agent, Team
    from attenda.channels.chat.models import ChatWidget

    team = Team.objects.create(name="Chat")
    agent = Agent.objects.create(username="chat0", first_name="Agent")
    team.agents.add(agent)
    widget = ChatWidget.objects.create(name="Shop", team=team, allowed_origins=ORIGIN)
    return {"widget": widget.key, "usernames": [agent.username]}


def _chat() -> dict:
    """A widget, a visitor whose chat an agent took, and the requests each side makes."""
    from django.test import Client

    from attenda.agents.models import Agent
    from attenda.channels.chat.models import ChatConversation
    from attenda.channels.chat.services import accept_chat

    desk = _prepare()
    widget = f"/chat/w/{desk['widget']}"
    visitor = Client(headers={"Origin": ORIGIN})

    def widget_post(path: str, body: dict):
        response = visitor.post(
            f"{widget}/{path}/", json.dumps(body), content_type="text/plain;charset=UTF-8"
        )
        assert response.status_code < 300, response.content
        return response

    started = widget_post("start", {"text": "Hello, my order has not arrived.", "name": "V"})
    token = started.json()["token"]
    agent_user = Agent.objects.get(username=desk["usernames"][0])
    conversation = ChatConversation.objects.get()
    accept_chat(conversation=conversation, agent=agent_user)
    agent = Client()
    agent.force_login(agent_user, backend="django.contrib.auth.backends.ModelBackend")
    agent.get("/chats/")
    csrf = {"X-CSRFToken": agent.cookies["attenda-csrf"].value}
    numbers = iter(range(10**9))

    def agent_post(path: str, data: dict | None = None, **headers):
        response = agent.post(
            f"/chats/{conversation.pk}/{path}/", data or {}, headers={**csrf, **headers}
        )
        assert response.status_code < 400, response.status_code
        return response

    def reconnect():
        # Resuming after the newest event, as a browser does: nothing is read back.
        response = visitor.get(
            f"{widget}/events/?token={token}", headers={"Last-Event-ID": str(10**9)}
        )
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)

    def visitor_line():
        widget_post("messages", {"token": token, "text": f"Any news? {next(numbers)}"})

    def agent_line():
        agent_post("send", {"body": f"Still looking {next(numbers)}"}, Accept="application/json")

    return {
        "visitor_line": visitor_line,
        "agent_line": agent_line,
        "visitor_typing": lambda: widget_post("typing", {"token": token}),
        "agent_typing": lambda: agent_post("typing"),
        "visitor_reconnects": reconnect,
    }


if __name__ == "__main__":
    main()
