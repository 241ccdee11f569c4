"""The office counter's live screens on one `attenda serve` (one web process, with its worker): how
soon the waiting-room displays and the counter pages hear a call, what 200 open live connections
cost the server, and whether they raise the inbox's p95 beyond its 20 ms target as
benchmarks/inbox.py measures it (the page through Django's test client, in a process of its own on
the same machine and database as the server).

    python -m benchmarks.counter_bench --database-url sqlite:///$PWD/benchmarks/results/counter.db

The database is a copy of the loaded million-ticket desk (the calls write visits and live events).
A load generator of its own (a second process) holds the live connections — 100 displays
(`/display/<token>/events`) and 100 counter pages (`/offices/<id>/events`) — reconnecting with
Last-Event-ID when the server ends a response, as browsers do, and makes the calls: a visitor takes
a number at the kiosk and an agent presses "Call next", then "No-show", once a second. A call counts
from the moment "Call next" leaves to the event's arrival on each connection.

The run goes through four phases, in this order: no connection; 200 connections, idle; 200
connections and a call a second; a call a second and no connection. In each it measures the
server's CPU (the web process's and, apart, with its worker) over a window that includes the inbox
measured in-process, then the inbox over HTTP (one signed-in agent, one request after another).
The exit status is 0 when every connection heard every call within 1 s and the in-process inbox's
p95 stayed within 20 ms while the connections were open.
"""

import argparse
import asyncio
import gc
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import database
from benchmarks.http_bench import PASSWORD, server_cpu_seconds, sign_in, start_server

# This repository's code, whichever checkout the interpreter was installed from (the server's too).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SEEN_WITHIN_SECONDS = 1.0
INBOX_P95_MS = 20.0
WARMUP = 20
PHASES = ("no connection", "connections idle", "connections and calls", "calls only")


def prepare() -> dict:
    """An office of the largest team with one counter and one service, its agent; and the inbox's
    team and agent as benchmarks/inbox.py chooses them (the longest open list, an agent of that
    team alone). Both agents are given the benchmark's password."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count, Q

    from attenda.agents.models import Agent, Role, Team
    from attenda.channels.counter.models import Counter, Office, Service, Visit

    team = Team.objects.annotate(size=Count("tickets")).order_by("-size").first()
    agent = Agent.objects.filter(teams=team, role=Role.AGENT, is_active=True).order_by("pk")[0]
    inbox_team = (
        Team.objects.annotate(open_tickets=Count("tickets", filter=Q(tickets__is_open=True)))
        .order_by("-open_tickets")
        .first()
    )
    inbox_agent = (
        Agent.objects.annotate(team_count=Count("teams"))
        .filter(team_count=1, teams=inbox_team, role=Role.AGENT, is_active=True)
        .order_by("pk")
        .first()
    )
    Agent.objects.filter(pk__in=[agent.pk, inbox_agent.pk]).update(password=make_password(PASSWORD))
    office, _created = Office.objects.get_or_create(
        name="Benchmark office", defaults={"team": team}
    )
    service, _created = Service.objects.get_or_create(
        office=office, letter="B", defaults={"name": "Billing"}
    )
    counter, _created = Counter.objects.get_or_create(office=office, name="Counter 1")
    Visit.objects.filter(office=office, status__in=["waiting", "called"]).update(status="no_show")
    return {
        "agent": agent.username,
        "office": office.pk,
        "service": service.pk,
        "counter": counter.pk,
        "kiosk": office.kiosk_token,
        "display": office.display_token,
        "inbox_agent": inbox_agent.username,
        "inbox": f"/?view=open&team={inbox_team.pk}&sort=waiting",
    }


# The load generator (a process of its own) -----------------------------------------------------


class Follower:
    """One open live connection; notes when each called number arrives on it."""

    def __init__(self, client, path: str, kind: str) -> None:
        self.client, self.path, self.kind = client, path, kind
        self.heard: dict[str, float] = {}
        self.last_id = ""
        self.open = asyncio.Event()
        self.connections = 0

    async def run(self) -> None:
        while True:
            headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
            try:
                async with self.client.stream("GET", self.path, headers=headers) as response:
                    self.connections += 1
                    self.open.set()
                    event = ""
                    async for line in response.aiter_lines():
                        if line.startswith("id: "):
                            self.last_id = line[4:]
                        elif line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "called":
                            self.heard[json.loads(line[6:])["number"]] = time.perf_counter()
            except Exception:  # noqa: BLE001 - a dropped connection reconnects, as a browser does
                await asyncio.sleep(1)


def percentiles(values: list[float], digits: int) -> dict:
    values = sorted(values)
    return {
        "n": len(values),
        "p50": round(statistics.median(values), digits),
        "p95": round(values[max(0, int(len(values) * 0.95) - 1)], digits),
        "max": round(values[-1], digits),
    }


class LoadGenerator:
    """Answers the benchmark's commands on stdin, one JSON line on stdout each."""

    def __init__(self, base: str, desk: dict) -> None:
        self.base, self.desk = base, desk
        self.followers: list[Follower] = []
        self.tasks: list[asyncio.Task] = []
        self.calls: list[tuple[str, float]] = []
        self.caller: asyncio.Task | None = None

    async def start(self) -> None:
        import httpx

        desk = self.desk
        self.agent = await sign_in(self.base, desk["agent"])
        self.reader = await sign_in(self.base, desk["inbox_agent"])
        self.kiosk = httpx.AsyncClient(base_url=self.base, timeout=60)
        self.kiosk_path = f"/kiosk/{desk['kiosk']}/"
        self.kiosk_token = self.csrf((await self.kiosk.get(self.kiosk_path)).text)
        self.counter_path = f"/offices/{desk['office']}/counters/{desk['counter']}/"
        self.agent_token = self.csrf((await self.agent.get(self.counter_path)).text)

    @staticmethod
    def csrf(page: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    async def open(self, count: int) -> dict:
        import httpx

        # Displays need no sign-in; the agents' pages share one signed-in session, as tabs do.
        limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)
        self.displays = httpx.AsyncClient(
            base_url=self.base, timeout=httpx.Timeout(60.0), limits=limits
        )
        self.counters = httpx.AsyncClient(
            base_url=self.base,
            timeout=httpx.Timeout(60.0),
            limits=limits,
            cookies=self.agent.cookies,
        )
        self.followers = [
            Follower(self.displays, f"/display/{self.desk['display']}/events", "display")
            for _ in range(count // 2)
        ] + [
            Follower(self.counters, f"/offices/{self.desk['office']}/events", "counter")
            for _ in range(count - count // 2)
        ]
        self.tasks = [asyncio.create_task(follower.run()) for follower in self.followers]
        await asyncio.wait_for(asyncio.gather(*(f.open.wait() for f in self.followers)), 120)
        return {"open": len(self.followers)}

    async def close(self) -> dict:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        connections = sum(follower.connections for follower in self.followers)
        await self.displays.aclose()
        await self.counters.aclose()
        self.followers, self.tasks = [], []
        return {"responses": connections}

    async def one_call(self) -> None:
        taken = await self.kiosk.post(
            self.kiosk_path,
            data={"service": self.desk["service"], "csrfmiddlewaretoken": self.kiosk_token},
        )
        page = (await self.kiosk.get(taken.headers["location"])).text
        number = re.search(r'id="number">([A-Z]-\d+)</p>', page).group(1)
        started = time.perf_counter()
        await self.agent.post(
            self.counter_path + "call-next/", data={"csrfmiddlewaretoken": self.agent_token}
        )
        self.calls.append((number, started))
        visit = re.search(r"/visits/(\d+)/no-show/", (await self.agent.get(self.counter_path)).text)
        await self.agent.post(
            f"{self.counter_path}visits/{visit.group(1)}/no-show/",
            data={"csrfmiddlewaretoken": self.agent_token},
        )

    async def keep_calling(self) -> None:
        """A call at the start of every second, whatever the last one took."""
        loop = asyncio.get_running_loop()
        next_call = loop.time()
        while True:
            await self.one_call()
            next_call += 1.0
            await asyncio.sleep(max(0.0, next_call - loop.time()))

    async def start_calls(self) -> dict:
        self.calls = []
        self.caller = asyncio.create_task(self.keep_calling())
        return {"calling": True}

    async def stop_calls(self) -> dict:
        """Stops calling; with connections open, what each heard of the calls made."""
        self.caller.cancel()
        await asyncio.gather(self.caller, return_exceptions=True)
        if not self.followers:
            return {"calls": len(self.calls)}
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and not all(
            number in f.heard for f in self.followers for number, _started in self.calls
        ):
            await asyncio.sleep(0.05)
        latencies: dict[str, list[float]] = {"display": [], "counter": []}
        slowest = []
        for number, started in self.calls:
            arrivals = [f.heard.get(number, float("inf")) - started for f in self.followers]
            for follower, seconds in zip(self.followers, arrivals, strict=True):
                latencies[follower.kind].append(seconds)
            slowest.append(max(arrivals))

        def heard(values: list[float]) -> dict:
            return {
                **percentiles(values, 3),
                "within_1s": sum(value <= SEEN_WITHIN_SECONDS for value in values),
            }

        return {
            "calls": len(self.calls),
            "display_heard": heard(latencies["display"]),
            "counter_heard": heard(latencies["counter"]),
            "last_connection_heard": heard(slowest),
        }

    async def inbox(self, count: int) -> dict:
        times = []
        for number in range(count + WARMUP):
            started = time.perf_counter()
            answer = await self.reader.get(self.desk["inbox"])
            if answer.status_code != 200:
                raise SystemExit(f"The inbox answered {answer.status_code}")
            if number >= WARMUP:
                times.append((time.perf_counter() - started) * 1000)
        return percentiles(times, 1)

    async def serve(self) -> None:
        await self.start()
        loop = asyncio.get_running_loop()
        commands = {
            "open": lambda argument: self.open(int(argument)),
            "close": lambda _argument: self.close(),
            "calls": lambda _argument: self.start_calls(),
            "stop": lambda _argument: self.stop_calls(),
            "inbox": lambda argument: self.inbox(int(argument)),
        }
        print(json.dumps({"ready": True}), flush=True)  # noqa: T201 - the benchmark reads it.
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _space, argument = line.strip().partition(" ")
            answer = await commands[command](argument)
            print(json.dumps(answer), flush=True)  # noqa: T201 - the benchmark reads it.


class Generator:
    """The benchmark's side of the load generator's pipe."""

    def __init__(self, base: str, desk: dict, log: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
            [sys.executable, "-m", "benchmarks.counter_bench", "--load-generator", base],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env={**os.environ, "COUNTER_BENCH_DESK": json.dumps(desk)},
        )
        self.answer()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("The load generator stopped; see benchmarks/results/counter-load.log")
        return json.loads(line)

    def __call__(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.answer()

    def cpu_seconds(self) -> float:
        return server_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


# The benchmark ---------------------------------------------------------------------------------


def inbox_in_process(desk: dict, count: int) -> dict:
    """The inbox's first page as benchmarks/inbox.py times it: Django's test client in this
    process, 20 unmeasured requests, then ``count`` timed at its 16 stack depths."""
    from django.db import connection
    from django.test import Client

    from attenda.agents.models import Agent
    from benchmarks.inbox import BACKEND, percentile, timed

    client = Client()
    client.force_login(Agent.objects.get(username=desk["inbox_agent"]), backend=BACKEND)

    def get() -> None:
        if client.get(desk["inbox"]).status_code != 200:
            raise SystemExit("The inbox did not answer 200 in process")

    for _ in range(WARMUP):
        get()
    gc.collect()
    samples = timed(connection, get, count)
    wall, cpu = sorted(samples.wall_ms), sorted(samples.cpu_ms)
    return {
        "n": len(wall),
        "p50": round(statistics.median(wall), 2),
        "p95": round(percentile(wall, 0.95), 2),
        "max": round(wall[-1], 2),
        "cpu_p50": round(statistics.median(cpu), 2),
        "cpu_p95": round(percentile(cpu, 0.95), 2),
    }


def phase(name: str, server: int, generator: Generator, arguments) -> dict:
    """The server's CPU a second over a window of ``--window`` seconds in which the inbox is
    measured in process (which asks nothing of the server), then the inbox over HTTP."""
    load = os.getloadavg()[0]
    began = time.monotonic()
    web, whole, generated = (
        server_cpu_seconds(server, only="uvicorn"),
        server_cpu_seconds(server),
        generator.cpu_seconds(),
    )
    in_process = inbox_in_process(arguments.desk, arguments.requests)
    time.sleep(max(0.0, began + arguments.window - time.monotonic()))
    seconds = time.monotonic() - began
    figures = {
        "window_s": round(seconds, 1),
        "web_cpu_per_s": round((server_cpu_seconds(server, only="uvicorn") - web) / seconds, 3),
        "server_cpu_per_s": round((server_cpu_seconds(server) - whole) / seconds, 3),
        "load_generator_cpu_per_s": round((generator.cpu_seconds() - generated) / seconds, 3),
        "inbox_in_process_ms": in_process,
        "inbox_over_http_ms": generator(f"inbox {arguments.http_requests}"),
        "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
    }
    print(f"{name}: {json.dumps(figures)}", flush=True)  # noqa: T201 - progress.
    return figures


def measure(server: int, generator: Generator, arguments) -> dict:
    figures: dict = {"phases": {}}
    phases = figures["phases"]
    phases["no connection"] = phase("no connection", server, generator, arguments)
    generator(f"open {arguments.connections}")
    phases["connections idle"] = phase("connections idle", server, generator, arguments)
    generator("calls")
    phases["connections and calls"] = phase("connections and calls", server, generator, arguments)
    figures["deliveries"] = generator("stop")
    figures["responses"] = generator("close")["responses"]
    generator("calls")
    phases["calls only"] = phase("calls only", server, generator, arguments)
    generator("stop")
    return figures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def report(figures: dict) -> bool:
    """Prints the table; True when the targets are met."""
    deliveries = figures["deliveries"]
    for name in ("display_heard", "counter_heard", "last_connection_heard"):
        row = deliveries[name]
        print(  # noqa: T201 - the benchmark's report.
            f"{name.replace('_', ' ')}: p50 {row['p50']} s, p95 {row['p95']} s, max {row['max']}"
            f" s, {row['within_1s']} of {row['n']} within 1 s"
        )
    print(  # noqa: T201 - the benchmark's report.
        f"\n{'':22} {'inbox in process p50/p95 (cpu p95)':>36} {'over HTTP p50/p95':>18}"
        f" {'web CPU/s':>9} {'+worker':>8} {'generator':>9} {'load':>10}"
    )
    for name in PHASES:
        row = figures["phases"][name]
        local, http = row["inbox_in_process_ms"], row["inbox_over_http_ms"]
        print(  # noqa: T201 - the benchmark's report.
            f"{name:22} {local['p50']:>14.1f} / {local['p95']:5.1f} ms ({local['cpu_p95']:5.1f})"
            f" {http['p50']:>8.1f} / {http['p95']:5.1f}"
            f" {row['web_cpu_per_s']:9.3f} {row['server_cpu_per_s']:8.3f}"
            f" {row['load_generator_cpu_per_s']:9.3f} {row['load_average'][0]:4.1f}→"
            f"{row['load_average'][1]:4.1f}"
        )
    print(figures["uptime"])  # noqa: T201 - the benchmark's report.
    heard = deliveries["last_connection_heard"]["within_1s"] == deliveries["calls"]
    inbox = all(
        figures["phases"][name]["inbox_in_process_ms"]["p95"] <= INBOX_P95_MS
        for name in ("connections idle", "connections and calls")
    )
    print(  # noqa: T201 - the benchmark's report.
        f"every call heard within 1 s: {'yes' if heard else 'no'}; in-process inbox p95 within"
        f" {INBOX_P95_MS:g} ms with the connections open: {'yes' if inbox else 'no'}"
    )
    return heard and inbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, help="default: a free one")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400, help="in-process inbox, per phase")
    parser.add_argument("--http-requests", type=int, default=200, help="HTTP inbox, per phase")
    parser.add_argument(
        "--window", type=float, default=40.0, help="seconds of CPU measured per phase"
    )
    parser.add_argument("--load-generator", metavar="BASE", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load_generator:
        desk = json.loads(os.environ["COUNTER_BENCH_DESK"])
        asyncio.run(LoadGenerator(arguments.load_generator, desk).serve())
        return 0
    if not arguments.database_url:
        parser.error("--database-url is required")
    database.configure(arguments.database_url)
    from django.core.management import call_command

    call_command("migrate", "counter", interactive=False, verbosity=0)
    arguments.desk = prepare()
    port = arguments.port or free_port()
    # One load generator plays every visitor of the office: the kiosk's limits are not measured here.
    os.environ.setdefault("ATTENDA_KIOSK_RATE_PER_ADDRESS", "1000000")
    os.environ.setdefault("ATTENDA_KIOSK_RATE_PER_KIOSK", "1000000")
    server = start_server(arguments.database_url, port, 1, database.RESULTS / "counter-serve.log")
    generator = None
    try:
        base = f"http://127.0.0.1:{port}"
        generator = Generator(base, arguments.desk, database.RESULTS / "counter-load.log")
        figures = measure(server.pid, generator, arguments)
    finally:
        if generator is not None:
            generator.stop()
        server.terminate()
        server.wait(timeout=60)
    figures.update(
        connections=arguments.connections,
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        database=database.label(arguments.database_url),
        redis=bool(os.environ.get("ATTENDA_REDIS_URL")),
        uptime=subprocess.run(
            ["/usr/bin/uptime"], capture_output=True, text=True, check=False
        ).stdout.strip(),
    )
    out = database.RESULTS / f"counter-{database.label(arguments.database_url)}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if report(figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
