"""Scale-out on one machine, as on several: PostgreSQL and Redis shared, `attenda serve --no-worker
--processes 4` (four web processes on one port), two `attenda worker` (RQ) and one `attenda
schedule`, on the loaded desk (`benchmarks/load.py`), with every agent of the desk (200 by default)
working at once, each signed in with a session of its own: list their team's inbox, open a ticket
from it, reply to the customer (by mail, through a local SMTP server that keeps what it is sent),
add a note; a pause between actions (--think, as people read and type).

While they work it samples `pg_stat_activity` every second (the bound is README's table: each web
process ATTENDA_DB_POOL_SIZE, each RQ worker 2, the scheduler 1) and, with --faults (default on),
  - a third of the way in, holds the next mail at the SMTP server and kills with SIGKILL the worker
    sending it (its work horse and all), then starts another worker, as a supervisor would: the mail
    must still leave, once (every reply's Message-ID exactly once at the SMTP server);
  - two thirds of the way in, kills one web process with SIGKILL: only the requests it was answering
    may fail (uvicorn starts another), every other request must be answered.

Each agent's client behaves as Chromium on a kept-alive connection (see ``send``): a request whose
reused connection breaks before any byte of the answer came is sent once more on a new connection,
the forms' once-token keeping a resent reply or note from being written twice. A request sent
before the kill whose connection broke is "dropped with the killed process"; any other failure,
a request sent after the kill included, is an error. The report lists resends, drops and errors with
when each was sent, in seconds from the kill (`since_kill_s`). The kill needs the README's
deployment, `net.ipv4.tcp_migrate_req=1`: otherwise Linux resets the connections it had queued for
the killed process instead of handing them to another (the run refuses to start).

    python -m benchmarks.scale_out --minutes 10             # the record
    python -m benchmarks.scale_out --minutes 1 --agents 50  # a try
    python -m benchmarks.scale_out --minutes 2 --agents 50 --redis-url redis://127.0.0.1:6379/10 \
        --port 8821 --smtp-port 8822  # beside other work: a Redis database and ports of its own

It exits non-zero on any error outside the killed web process's in-flight requests, a reply not sent
exactly once, p95 over 300 ms for an action, or more connections than the bound.
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
from collections import Counter, defaultdict
from contextvars import ContextVar
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit

from attenda.core.uvicorn_server import MIGRATE_SETTING
from benchmarks import database
from benchmarks.http_bench import server_cpu_seconds

PASSWORD = "scale-out-benchmark-password-3"  # noqa: S105 - set on the benchmark's own agents.
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/attenda_bench_scale"
P95_TARGET_MS = 300
TIMEOUT = 60  # seconds an agent's request may take before it counts as failed
ACTIONS = ("inbox", "ticket", "reply", "note")
SRC = Path(__file__).resolve().parents[1] / "src"


def prepare(agents: int, smtp_port: int) -> list[dict]:
    """Every active agent gets the benchmark's password; each team a mailbox that sends through the
    local SMTP server, and the desk's own mailboxes (a reply leaves by the one its ticket came in
    to) send through it too, so replies on its tickets leave by mail."""
    from django.contrib.auth.hashers import make_password

    from attenda.agents.models import Agent, Team
    from attenda.channels.email.models import Mailbox, Security

    for team in Team.objects.all():
        Mailbox.objects.update_or_create(
            address=f"team{team.pk}@scale.attenda.test",
            defaults={
                "name": team.name,
                "team": team,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "smtp_security": Security.NONE,
                "is_active": True,
            },
        )
    Mailbox.objects.update(
        smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security=Security.NONE, is_active=True
    )
    largest = Team.objects.order_by("-pk").first()
    chosen = list(Agent.objects.filter(is_active=True).order_by("pk")[:agents])
    Agent.objects.filter(pk__in=[agent.pk for agent in chosen]).update(
        password=make_password(PASSWORD)
    )
    people = []
    for agent in chosen:
        team = agent.teams.order_by("pk").first() or largest
        people.append({"username": agent.username, "team": team.pk})
    return people


class MailSink:
    """A local SMTP server that keeps every message; ``hold()`` stalls the next session at its first
    recipient until ``release()``, so a worker can be killed in the middle of sending."""

    def __init__(self, port: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.holding = threading.Event()
        self.held = threading.Event()
        self.released = threading.Event()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):
                if sink.holding.is_set() and not sink.held.is_set():
                    sink.held.set()
                    while not sink.released.is_set():
                        await asyncio.sleep(0.05)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope.content)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def message_ids(self) -> Counter:
        return Counter(
            str(message_from_bytes(raw).get("Message-ID", "")).strip("<> ") for raw in self.messages
        )


class Processes:
    """The installation's processes, each in a process group of its own."""

    def __init__(self, environment: dict, logs: Path) -> None:
        self.environment = environment
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
            [sys.executable, "-m", "attenda.cli", *arguments],
            env=self.environment,
            stdout=(self.logs / f"scale-{name}.log").open("a"),
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self.running[name] = process
        return process

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def talks_to(pid: int, port: int) -> bool:
    """Whether the process has a TCP connection to ``port`` on this machine (the SMTP server)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in table:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port and fields[9] in inodes:
            return True
    return False


def serves(pid: int) -> bool:
    """A web process that uvicorn started (not multiprocessing's resource tracker)."""
    try:
        return b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class ConnectionSampler(threading.Thread):
    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(database_url)
        self.name_of_database = parts.path.lstrip("/")
        self.server_url = (
            database_url.replace(parts.scheme + "://", "postgresql://", 1).rsplit("/", 1)[0]
            + "/postgres"
        )
        self.samples: list[tuple[float, int, dict]] = []
        self.stopping = threading.Event()
        self.nice: int | None = None
        self.reniced: set[int] = set()

    def renice(self, connection) -> None:
        """The installation's PostgreSQL backends get the priority the installation runs at: on a
        shared machine they would otherwise wait behind everyone else's work."""
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name_of_database]
        ).fetchall()
        for (pid,) in pids:
            if pid not in self.reniced:
                try:
                    os.setpriority(os.PRIO_PROCESS, pid, self.nice)
                except OSError:
                    continue
                self.reniced.add(pid)

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as connection:
            while not self.stopping.wait(1.0):
                rows = connection.execute(
                    "SELECT state, count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> pg_backend_pid() GROUP BY state",
                    [self.name_of_database],
                ).fetchall()
                states = {state or "none": count for state, count in rows}
                if self.nice is not None:
                    self.renice(connection)
                self.samples.append((time.time(), sum(states.values()), states))

    @property
    def most(self) -> int:
        return max((count for _at, count, _states in self.samples), default=0)


async def sign_in(base: str, username: str):
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=TIMEOUT)
    record = Record()
    page = await send(client, record, "GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = await send(
        client,
        record,
        "POST",
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in: {answer.status_code}")
    return client


class Record:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[dict] = []
        self.dropped: list[dict] = []
        self.resent: list[dict] = []
        self.killed_at: float | None = None
        self.requests = 0

    def failed(self, action: str, began: float, what: str, *, broken: bool) -> None:
        """A request the killed web process was answering (sent before the kill, within the
        client's timeout) and whose connection broke is dropped with it; anything else that
        fails, a request sent after the kill included, is an error."""
        entry = {"action": action, "at": round(began, 3), "error": what}
        killed = self.killed_at
        if broken and killed is not None and killed - TIMEOUT <= began <= killed:
            self.dropped.append(entry)
        else:
            self.errors.append(entry)

    def since_kill(self, entries: list[dict]) -> list[dict]:
        """``entries`` with their time as seconds after the web process was killed (negative:
        before)."""
        if self.killed_at is None:
            return entries
        return [
            entry | {"since_kill_s": round(entry["at"] - self.killed_at, 3)} for entry in entries
        ]


def broke(error: Exception) -> bool:
    """The connection broke: reset (ECONNRESET) or closed, while writing or reading."""
    import httpx

    return isinstance(error, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError))


# The sending of a request whose network reads are being counted, for the streams of its client.
SENDING: ContextVar["Sending | None"] = ContextVar("sending", default=None)


class Sending:
    """One sending of a request, as httpcore's trace extension reports it: whether it opened a new
    connection (``connection.connect_tcp``) or went on a kept-alive one, and how many bytes of the
    answer arrived. Every connection a client opens is seen here first, so its reads are counted
    for whichever sending uses it later."""

    def __init__(self) -> None:
        self.new_connection = False
        self.answer_bytes = 0

    async def trace(self, event: str, info: dict) -> None:
        if event == "connection.connect_tcp.complete":
            self.new_connection = True
            count_reads(info["return_value"])

    async def send(self, client, method: str, url: str, **options):
        sending = SENDING.set(self)
        try:
            return await client.request(method, url, extensions={"trace": self.trace}, **options)
        finally:
            SENDING.reset(sending)


def count_reads(stream) -> None:
    """The connection's reads add to the bytes of the answer of the sending now using it."""
    read = stream.read

    async def counted(max_bytes: int, timeout: float | None = None) -> bytes:
        data = await read(max_bytes, timeout)
        sending = SENDING.get()
        if sending is not None:
            sending.answer_bytes += len(data)
        return data

    stream.read = counted


async def send(client, record: Record, method: str, url: str, **options):
    """As Chromium does (net/http/http_network_transaction.cc: HandleIOError sends a request again
    after ERR_CONNECTION_RESET, _CLOSED, _ABORTED, ERR_SOCKET_NOT_CONNECTED or ERR_EMPTY_RESPONSE
    when ShouldResendRequest holds: the connection was a reused keep-alive one and no response
    headers came): a request whose kept-alive connection breaks, reset or closed, is sent once
    more, on a new connection, a POST too, which is why the ticket page's forms carry a once-token.
    Not when the request had opened its connection, not on a timeout, and (stricter than
    Chromium's "no headers") not once any byte of the answer arrived. Resends are listed apart,
    with when they were first sent and how long after that the connection broke."""
    import httpx

    first = Sending()
    began = time.time()
    try:
        return await first.send(client, method, url, **options)
    except httpx.HTTPError as error:
        if not broke(error) or first.new_connection or first.answer_bytes:
            raise
        again = Sending()
        resend = {
            "request": f"{method} {url}",
            "at": round(began, 3),
            "broke_after_ms": round((time.time() - began) * 1000, 1),
            "error": f"{type(error).__name__}: {error}",
        }
        record.resent.append(resend)
        try:
            return await again.send(client, method, url, **options)
        finally:
            resend["on_a_new_connection"] = again.new_connection


async def agent_works(client, person: dict, record: Record, stop_at: float, think: float, rng):
    import httpx

    inbox = f"/?view=open&team={person['team']}&sort=waiting"
    numbers: list[str] = []
    number = None
    token = ""
    once: dict[str, str] = {}
    step = 0
    await asyncio.sleep(rng.uniform(0, think))  # not all at once
    while time.monotonic() < stop_at:
        action = ACTIONS[step % 4]
        began = time.perf_counter()
        wall = time.time()
        try:
            if action == "inbox":
                answer = await send(client, record, "GET", inbox)
                numbers = re.findall(r'href="/tickets/(\d+)/"', answer.text) or numbers
                ok = answer.status_code == 200
            elif action == "ticket":
                if not numbers:
                    step += 3  # an empty inbox: list it again
                    continue
                number = rng.choice(numbers)
                answer = await send(client, record, "GET", f"/tickets/{number}/")
                found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
                token = found.group(1) if found else ""
                once = dict(re.findall(r'name="(reply|note)-once" value="([^"]+)"', answer.text))
                ok = answer.status_code == 200 and bool(token) and len(once) == 2
            elif action == "reply":
                answer = await send(
                    client,
                    record,
                    "POST",
                    f"/tickets/{number}/reply/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "reply-body": f"Bom dia, a fatura foi corrigida ({rng.random():.6f}).",
                        "reply-status": "waiting_on_customer",
                        "reply-channel": "",
                        "reply-cc": "",
                        "reply-once": once["reply"],
                    },
                )
                ok = answer.status_code == 302
            else:
                answer = await send(
                    client,
                    record,
                    "POST",
                    f"/tickets/{number}/notes/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "note-body": "Confirmado com a faturação.",
                        "note-once": once["note"],
                    },
                )
                ok = answer.status_code == 302
            took = (time.perf_counter() - began) * 1000
            record.requests += 1
            if ok:
                record.times[action].append(took)
            else:
                record.failed(action, wall, f"status {answer.status_code}", broken=False)
        except httpx.HTTPError as error:
            record.failed(action, wall, f"{type(error).__name__}: {error}", broken=broke(error))
            ok = False
        step += 1
        if not ok and action == "ticket":
            step = 0  # no ticket open to answer: back to the inbox
        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * share) - 1)], 1) if ordered else 0.0


async def faults(
    processes: Processes, sink: MailSink, record: Record, seconds: float, log: list
) -> None:
    """The two kills, a third and two thirds of the way in."""
    await asyncio.sleep(seconds / 3)
    sink.holding.set()
    for _wait in range(600):
        if sink.held.is_set():
            break
        await asyncio.sleep(0.1)
    victim = next(
        (
            name
            for name in ("worker-1", "worker-2")
            if any(talks_to(pid, sink.port) for pid in children(processes.running[name].pid))
        ),
        None,
    )
    if victim is None:
        log.append({"worker": "no worker was sending a mail; none killed"})
    else:
        process = processes.running[victim]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.append({"worker": f"{victim} (pid {process.pid}) killed with SIGKILL mid-send"})
        processes.start(f"{victim}-again", "worker")
    sink.released.set()

    await asyncio.sleep(seconds / 3)
    web = processes.running["web"]
    uvicorn = children(web.pid)
    workers = [pid for pid in (children(uvicorn[0]) if uvicorn else []) if serves(pid)]
    if workers:
        victim_pid = random.Random(7).choice(sorted(workers))
        started = time.time()
        os.kill(victim_pid, signal.SIGKILL)
        record.killed_at = started
        log.append({"web": f"web process {victim_pid} killed with SIGKILL", "at": started})
    else:
        log.append({"web": "no web process found; none killed"})


async def drive(base, people, *, seconds, think, record, processes, sink, with_faults, log):
    rng = random.Random(20261206)
    clients = []
    for start in range(0, len(people), 20):
        clients += await asyncio.gather(
            *(sign_in(base, person["username"]) for person in people[start : start + 20])
        )
    stop_at = time.monotonic() + seconds
    work = [
        agent_works(client, person, record, stop_at, think, random.Random(rng.random()))
        for client, person in zip(clients, people, strict=True)
    ]
    if with_faults:
        work.append(faults(processes, sink, record, seconds, log))
    await asyncio.gather(*work)
    for client in clients:
        await client.aclose()


def outbound_state() -> dict:
    from django.db import connections

    from attenda.channels.email.models import OutboundMail

    connections.close_all()
    mails = OutboundMail.objects.all()
    return {
        "queued": mails.count(),
        "sent": mails.filter(sent_at__isnull=False).count(),
        "message_ids": set(mails.values_list("message_id", flat=True)),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--smtp-port", type=int, default=0, help="the local SMTP server's; default: a free port"
    )
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--think", type=float, default=10, help="mean seconds between actions")
    parser.add_argument("--pool-size", type=int, default=8, help="ATTENDA_DB_POOL_SIZE")
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for mail")
    args = parser.parse_args(argv)
    if database.engine_name(args.database_url) != "postgresql":
        sys.exit("Scale-out runs on PostgreSQL.")
    if not database.exists(args.database_url):
        sys.exit(
            f"Load {args.database_url} first: python -m benchmarks.load --database-url"
            f" {args.database_url} --tickets 1000000"
        )
    if args.faults and MIGRATE_SETTING.exists() and MIGRATE_SETTING.read_text().strip() == "0":
        sys.exit(
            "The run kills a web process as the README's deployment has it: with"
            " net.ipv4.tcp_migrate_req=1 (sysctl -w net.ipv4.tcp_migrate_req=1), or Linux resets"
            " the connections it had queued for that process."
        )
    import redis

    redis.Redis.from_url(args.redis_url).ping()
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"Port {args.port} is taken.")
    os.environ["ATTENDA_TASK_BACKEND"] = "redis"
    os.environ["ATTENDA_REDIS_URL"] = args.redis_url
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    sink = MailSink(args.smtp_port)
    sink.controller.start()
    people = prepare(args.agents, sink.port)
    from attenda.agents.models import Team
    from attenda.tickets.models import Ticket

    size = {"tickets": Ticket.objects.count(), "teams": Team.objects.count()}
    before = outbound_state()
    connections.close_all()

    logs = database.RESULTS
    environment = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "ATTENDA_TASK_BACKEND": "redis",
        "ATTENDA_REDIS_URL": args.redis_url,
        "ATTENDA_DB_POOL_SIZE": str(args.pool_size),
        # INFO: uvicorn says when one of its processes died and was started again.
        "ATTENDA_LOG_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    processes = Processes(environment, logs)
    for name in list(logs.glob("scale-*.log")):
        name.unlink()
    processes.start(
        "web",
        "serve",
        "--no-worker",
        "--processes",
        str(args.processes),
        "--port",
        str(args.port),
    )
    for number in range(1, args.workers + 1):
        processes.start(f"worker-{number}", "worker")
    processes.start("schedule", "schedule")
    deadline = time.monotonic() + 600
    while "Attenda is running" not in (logs / "scale-web.log").read_text():
        if processes.running["web"].poll() is not None or time.monotonic() > deadline:
            processes.stop_all()
            raise SystemExit((logs / "scale-web.log").read_text())
        time.sleep(0.5)

    # README's table: a pool per web process, an RQ worker and the process it forks, the scheduler.
    bound = args.processes * args.pool_size + 2 * args.workers + 1
    sampler = ConnectionSampler(args.database_url)
    if os.geteuid() == 0 and os.nice(0) < 0:
        sampler.nice = os.nice(0)
    sampler.start()
    record = Record()
    fault_log: list = []
    seconds = args.minutes * 60
    load_before = os.getloadavg()
    cpu_before = server_cpu_seconds(os.getpid())
    generator_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    try:
        asyncio.run(
            drive(
                f"http://127.0.0.1:{args.port}",
                people,
                seconds=seconds,
                think=args.think,
                record=record,
                processes=processes,
                sink=sink,
                with_faults=args.faults,
                log=fault_log,
            )
        )
        elapsed = time.perf_counter() - started
        generator = resource.getrusage(resource.RUSAGE_SELF)
        generator_cpu = (
            generator.ru_utime
            + generator.ru_stime
            - generator_before.ru_utime
            - generator_before.ru_stime
        )
        all_cpu = server_cpu_seconds(os.getpid()) - cpu_before
        load_after = os.getloadavg()
        # Every reply must leave, once: wait for the workers (a killed worker's job comes back once
        # RQ sees its heartbeat has run out, about 90 s).
        drain_until = time.monotonic() + args.drain
        while time.monotonic() < drain_until:
            state = outbound_state()
            if state["sent"] - before["sent"] >= state["queued"] - before["queued"]:
                break
            time.sleep(2)
        time.sleep(3)
        state = outbound_state()
    finally:
        sampler.stopping.set()
        processes.stop_all()
        sink.controller.stop()

    new_ids = state["message_ids"] - before["message_ids"]
    delivered = sink.message_ids()
    mail = {
        "replies_queued": len(new_ids),
        "sent": state["sent"] - before["sent"],
        "delivered_once": sum(1 for mid in new_ids if delivered.get(mid) == 1),
        "delivered_twice_or_more": sorted(mid for mid in new_ids if delivered.get(mid, 0) > 1),
        "not_delivered": len([mid for mid in new_ids if mid not in delivered]),
    }
    actions = {
        action: {
            "count": len(record.times[action]),
            "p50_ms": percentile(record.times[action], 0.50),
            "p95_ms": percentile(record.times[action], 0.95),
            "p99_ms": percentile(record.times[action], 0.99),
            "max_ms": round(max(record.times[action], default=0), 1),
        }
        for action in ACTIONS
    }
    # The generator runs in this process: its CPU is taken out of the installation's.
    server_cpu = all_cpu - generator_cpu
    report = {
        "database": size,
        "tcp_migrate_req": MIGRATE_SETTING.read_text().strip()
        if MIGRATE_SETTING.exists()
        else None,
        "agents": len(people),
        "web_processes": args.processes,
        "workers": args.workers,
        "minutes": args.minutes,
        "think_seconds": args.think,
        "requests": record.requests,
        "requests_per_second": round(record.requests / elapsed, 1),
        "actions": actions,
        "errors": len(record.errors),
        "error_list": record.since_kill(record.errors),
        "resent": len(record.resent),
        "resent_list": record.since_kill(record.resent),
        "dropped_with_the_killed_web_process": len(record.dropped),
        "dropped_list": record.since_kill(record.dropped),
        "faults": fault_log,
        "mail": mail,
        "connections": {"bound": bound, "most": sampler.most, "samples": len(sampler.samples)},
        "database_backends_reniced_to": sampler.nice,
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(record.requests, 1), 1),
        "load_generator_cpu_share": round(generator_cpu / elapsed, 2),
        "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
    }
    out = database.RESULTS / "scale-out.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "error_list"}, indent=2))
    print(f"Written to {out}")
    failures = []
    if record.errors:
        failures.append(f"{len(record.errors)} errors, e.g. {record.errors[:3]}")
    for action, figures in actions.items():
        if figures["p95_ms"] > P95_TARGET_MS:
            failures.append(f"{action}: p95 {figures['p95_ms']} ms is over {P95_TARGET_MS}")
    if sampler.most > bound:
        failures.append(f"{sampler.most} database connections, over the bound of {bound}")
    if mail["delivered_twice_or_more"] or mail["not_delivered"]:
        failures.append(
            f"mail: {len(mail['delivered_twice_or_more'])} sent twice,"
            f" {mail['not_delivered']} never sent"
        )
    if failures:
        sys.exit("Missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
