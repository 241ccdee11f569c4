"""Attenda over HTTP on the loaded million-ticket desk: `attenda serve --processes 2` (with its
worker, scheduler and mail fetcher, as in production) and signed-in agents working at once, each
with a connection and a session of its own, asking for one page after another as fast as the
server answers: the inbox, a ticket page, a search, and the API's ticket list. Each page is driven
alone for a while, so its rate is its own.

    python -m benchmarks.http_bench --database-url sqlite:///$PWD/benchmarks/results/bench.db
    python -m benchmarks.http_bench --database-url postgres://postgres@127.0.0.1:5432/attenda_bench

The load generator (asyncio and httpx) runs on the same two cores as the server; its own CPU is
reported beside the figures.
"""

import argparse
import asyncio
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import database

PASSWORD = "http-benchmark-password-7"  # noqa: S105 - set on the benchmark's own agents.
TARGETS = {"inbox": (150, 300), "ticket": (100, None)}


def prepare(users: int) -> dict:
    """Agents of the largest team with a known password, tickets they may open, an API token."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from attenda.agents.models import Agent, Role, Team
    from attenda.agents.services import issue_api_token
    from attenda.tickets.models import Ticket

    team = Team.objects.annotate(size=Count("tickets")).order_by("-size").first()
    agents = list(
        Agent.objects.filter(teams=team, role=Role.AGENT, is_active=True).order_by("pk")[:users]
    )
    Agent.objects.filter(pk__in=[agent.pk for agent in agents]).update(
        password=make_password(PASSWORD)
    )
    tickets = list(
        Ticket.objects.filter(team=team).order_by("?").values_list("pk", flat=True)[:2000]
    )
    _token, key = issue_api_token(agent=agents[0], name=f"http benchmark {time.time_ns()}")
    return {
        "team": team.pk,
        "usernames": [agent.username for agent in agents],
        "tickets": tickets,
        "token": key,
    }


def start_server(database_url: str, port: int, processes: int, log: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "ATTENDA_TASK_BACKEND": "database",
        "ATTENDA_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ATTENDA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
        [sys.executable, "-m", "attenda.cli", "serve", "--port", str(port)]
        + ["--processes", str(processes)],
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    deadline = time.monotonic() + 600
    while "Attenda is running" not in log.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"The server did not start:\n{log.read_text()}")
        time.sleep(0.5)
    return server


async def sign_in(base: str, username: str):
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=60)
    page = await client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = await client.post(
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in: {answer.status_code}")
    return client


def server_cpu_seconds(root: int, *, only: str = "") -> float:
    """CPU time used so far by the server and every process it started (web, worker, scheduler);
    with ``only``, by the processes under the first whose command line holds it (``uvicorn``: the
    web processes alone)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, stack, counting = 0.0, [(root, not only)], False
    while stack:
        pid, counting = stack.pop()
        if not counting:
            try:
                counting = only.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                counting = False
        if counting:
            total += times.get(pid, 0.0)
        stack.extend((child, counting) for child in children.get(pid, []))
    return total


class Renicer(threading.Thread):
    """On a shared machine the benchmark runs at a raised priority (`nice -n -10`); PostgreSQL's
    backends for its database are started by the server, not by it, so they are given the same
    priority here, every second, or every query would wait behind everyone else's work."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(database_url)
        self.name_of_database = parts.path.lstrip("/")
        self.server_url = f"postgresql://{parts.netloc}/postgres"
        self.nice = os.nice(0)
        self.stopping = threading.Event()
        self.done: set[int] = set()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as connection:
            while not self.stopping.wait(1.0):
                rows = connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name_of_database]
                ).fetchall()
                for (pid,) in rows:
                    if pid not in self.done:
                        try:
                            os.setpriority(os.PRIO_PROCESS, pid, self.nice)
                        except OSError:
                            continue
                        self.done.add(pid)

    @classmethod
    def wanted(cls, database_url: str) -> bool:
        return (
            database.engine_name(database_url) == "postgresql"
            and os.geteuid() == 0
            and os.nice(0) < 0
        )


def pages(desk: dict, rng: random.Random) -> dict:
    words = ["fatura", "factura", "router", "internet", "faktura", "tarifário", "invoice"]
    return {
        "inbox": lambda: f"/?view=open&team={desk['team']}&sort=waiting",
        "ticket": lambda: f"/tickets/{rng.choice(desk['tickets'])}/",
        "search": lambda: f"/search/?q={rng.choice(words)}",
        "api": lambda: f"/api/v1/tickets?team={desk['team']}",
    }


async def measure(clients, path_of, *, headers, server: int, seconds: float, warmup: float) -> dict:
    """Every agent asks for the page again as soon as it has its answer; timed after the warmup."""
    times: list[float] = []
    errors: list[int] = []
    window = {"measuring": False, "stop_at": time.monotonic() + warmup + seconds}

    async def agent(client) -> None:
        while time.monotonic() < window["stop_at"]:
            began = time.perf_counter()
            answer = await client.get(path_of(), headers=headers)
            took = (time.perf_counter() - began) * 1000
            if window["measuring"]:
                times.append(took)
                if answer.status_code != 200:
                    errors.append(answer.status_code)

    load_before = os.getloadavg()[0]
    tasks = [asyncio.create_task(agent(client)) for client in clients]
    await asyncio.sleep(warmup)
    window["measuring"] = True
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = server_cpu_seconds(server)
    web_before = server_cpu_seconds(server, only="uvicorn")
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu_ms = (server_cpu_seconds(server) - server_before) * 1000
    web_cpu_ms = (server_cpu_seconds(server, only="uvicorn") - web_before) * 1000
    times.sort()
    count = len(times)
    generator_cpu = (
        cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    )
    return {
        "requests": count,
        "per_second": round(count / elapsed, 1),
        "p50_ms": round(times[count // 2], 1),
        "p95_ms": round(times[int(count * 0.95) - 1], 1),
        "p99_ms": round(times[int(count * 0.99) - 1], 1),
        "max_ms": round(times[-1], 1),
        # Attenda's CPU per request (web processes, worker, scheduler, mail fetcher), and the
        # rate two otherwise idle cores would give at that cost.
        "server_cpu_ms": round(server_cpu_ms / count, 2),
        # The web processes alone (uvicorn's), without the worker's and scheduler's polling.
        "web_cpu_ms": round(web_cpu_ms / count, 2),
        "rate_on_2_idle_cores": round(2000 / (server_cpu_ms / count), 1),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "load_generator_cpu_share": round(generator_cpu / elapsed, 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


async def drive(
    base: str,
    desk: dict,
    *,
    server: int,
    users: int,
    seconds: float,
    warmup: float,
    only: list[str],
) -> dict:
    rng = random.Random(20261206)
    clients = [await sign_in(base, name) for name in desk["usernames"][:users]]
    results = {}
    for page, path_of in pages(desk, rng).items():
        if only and page not in only:
            continue
        headers = {"Authorization": f"Bearer {desk['token']}"} if page == "api" else None
        results[page] = await measure(
            clients, path_of, headers=headers, server=server, seconds=seconds, warmup=warmup
        )
        print(f"{page}: {results[page]}", flush=True)
    for client in clients:
        await client.aclose()
    return results


def free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_bench", description=__doc__)
    parser.add_argument("--database-url", default=database.SQLITE_URL)
    parser.add_argument("--port", type=int, default=8106)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20, help="measured, per page")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured, per page")
    parser.add_argument(
        "--pages", nargs="*", default=[], help="some of: inbox ticket search api (default all)"
    )
    args = parser.parse_args(argv)
    if not database.exists(args.database_url):
        sys.exit(f"Load {args.database_url} first (make bench-load-sqlite / bench-load-postgres).")
    if not free(args.port):
        sys.exit(f"Port {args.port} is taken.")
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    desk = prepare(args.users)
    connections.close_all()
    label = database.label(args.database_url)
    log = database.RESULTS / f"http-serve-{label}.log"
    server = start_server(args.database_url, args.port, args.processes, log)
    renicer = Renicer(args.database_url) if Renicer.wanted(args.database_url) else None
    if renicer is not None:
        renicer.start()
    try:
        results = asyncio.run(
            drive(
                f"http://127.0.0.1:{args.port}",
                desk,
                server=server.pid,
                users=args.users,
                seconds=args.seconds,
                warmup=args.warmup,
                only=args.pages,
            )
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    report = {
        "engine": database.engine_name(args.database_url),
        "processes": args.processes,
        "users": args.users,
        "pages": results,
    }
    out = database.RESULTS / f"http-{label}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {out}")
    failures = [
        f"{page}: {result['errors']} errors" for page, result in results.items() if result["errors"]
    ]
    for page, (rate, p99) in TARGETS.items():
        if page not in results:
            continue
        if results[page]["per_second"] < rate:
            failures.append(f"{page}: {results[page]['per_second']} requests/s is under {rate}")
        if p99 is not None and results[page]["p99_ms"] > p99:
            failures.append(f"{page}: p99 {results[page]['p99_ms']} ms is over {p99}")
    if failures:
        sys.exit("Missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
