"""Chat at scale: `attenda serve` with many chat visitors at once, each holding its server-sent
events connection open and writing, and agents answering, while signed-in agents load the inbox.
Measured: how long a message takes from the sender's POST to the other side's event stream
(agent → visitor and visitor → agent), and the inbox's response times meanwhile.

    python -m benchmarks.chat_bench --visitors 500
    python -m benchmarks.chat_bench --database-url postgres://postgres@127.0.0.1:5432/attenda_chat_bench

Each run starts from a fresh database of its own (a small desk, not the loaded million). With
ATTENDA_REDIS_URL set (default here: Redis db 2 on this machine, `--redis ""` for none) the web
processes wake their pages through Redis, otherwise through their look at the database every
core.live.POLL_SECONDS. The load generator (asyncio and httpx) runs on the same cores as the server.
"""

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import database

PASSWORD = "chat-benchmark-password-3"  # noqa: S105 - set on the benchmark's own agents.
ORIGIN = "http://shop.bench.example"
TARGET_P95_MS = 100
INBOX_TARGET_P95_MS = 20


def prepare(agents: int, visitors: int, tickets: int) -> dict:
    from django.contrib.auth.hashers import make_password

    from attenda.agents.models import Agent, Team
    from attenda.channels.chat.models import ChatLimit, ChatWidget
    from attenda.customers.services import IdentityClaim
    from attenda.tickets.messages import Inbound
    from attenda.tickets.models import Channel
    from attenda.tickets.services import receive

    team = Team.objects.create(name="Chat")
    password = make_password(PASSWORD)
    made = [
        Agent(username=f"chat{n}", first_name=f"Agent{n}", password=password) for n in range(agents)
    ]
    Agent.objects.bulk_create(made)
    made = list(Agent.objects.filter(username__startswith="chat").order_by("pk"))
    team.agents.set(made)
    ChatLimit.objects.create(team=team, limit=visitors // agents + 1)
    widget = ChatWidget.objects.create(name="Shop", team=team, allowed_origins=ORIGIN)
    for n in range(tickets):
        receive(
            Inbound(
                channel=Channel.EMAIL,
                claims=[IdentityClaim(kind="email", value=f"customer{n}@example.com")],
                sender_name=f"Customer {n}",
                subject=f"Invoice {n}",
                body="A minha fatura está errada.",
                team_id=team.pk,
            )
        )
    return {"widget": widget.key, "team": team.pk, "usernames": [a.username for a in made]}


def accept_all(usernames: list[str]) -> list[tuple[str, int]]:
    from django.db import connections

    from attenda.agents.models import Agent
    from attenda.channels.chat.models import ChatConversation, ChatState
    from attenda.channels.chat.services import accept_chat

    agents = list(Agent.objects.filter(username__in=usernames).order_by("pk"))
    taken = []
    waiting = ChatConversation.objects.filter(state=ChatState.WAITING).order_by("pk")
    for number, conversation in enumerate(waiting):
        agent = agents[number % len(agents)]
        accept_chat(conversation=conversation, agent=agent)
        taken.append((agent.username, conversation.pk))
    connections.close_all()
    return taken


def start_server(database_url: str, port: int, processes: int, log: Path, redis: str):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "ATTENDA_TASK_BACKEND": "database",
        "ATTENDA_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ATTENDA_LOG_LEVEL": "WARNING",
        "ATTENDA_REDIS_URL": redis,
        # One address (this machine) plays every visitor; the per-visitor limit stays as shipped.
        "ATTENDA_CHAT_RATE_PER_ADDRESS": "1000000",
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


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU of a process and its live descendants (the server, its web processes,
    worker, scheduler and mail fetcher, each in a process group of its own), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        # After the command: state, ppid, ... utime (14th field of the line), stime (15th).
        parents[pid] = int(fields[1])
        used[pid] = int(fields[11]) + int(fields[12])
    total = 0
    for pid, cpu in used.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root:
            total += cpu
    return total / ticks


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    count = len(times)
    if not count:
        return {"count": 0}
    return {
        "count": count,
        "p50_ms": round(times[count // 2], 1),
        "p95_ms": round(times[max(int(count * 0.95) - 1, 0)], 1),
        "p99_ms": round(times[max(int(count * 0.99) - 1, 0)], 1),
        "max_ms": round(times[-1], 1),
    }


class Run:
    """Sent messages by nonce, and the delays heard, per direction."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.delays = {"agent_to_visitor": [], "visitor_to_agent": []}
        self.errors: dict[str, int] = {}
        self.measuring = False
        self.stop = False

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def heard(self, direction: str, text: str) -> None:
        match = re.search(r"\[(\w+)\]", text)
        if match and match.group(1) in self.sent:
            began = self.sent.pop(match.group(1))
            if self.measuring:
                self.delays[direction].append((time.perf_counter() - began) * 1000)


async def follow(client, url: str, headers: dict, on_event, run: Run) -> None:
    """An EventSource as a browser keeps it: reconnect with Last-Event-ID when a response ends."""
    last = None
    while not run.stop:
        sent_headers = {**headers, **({"Last-Event-ID": last} if last else {})}
        try:
            async with client.stream("GET", url, headers=sent_headers, timeout=None) as response:
                if response.status_code != 200:
                    run.error(f"events {response.status_code}")
                    await asyncio.sleep(1)
                    continue
                kind, data = "", ""
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        last = line[4:]
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and data:
                        on_event(kind, json.loads(data))
                        kind, data = "", ""
                    if run.stop:
                        return
        except Exception:  # noqa: BLE001 - a dropped stream reconnects, as a browser's would
            run.error("events dropped")
            await asyncio.sleep(1)


async def sign_in(base: str, username: str):
    import httpx

    # An agent follows each of their chats on a connection of its own, as a browser tab would.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    client = httpx.AsyncClient(base_url=base, timeout=60, limits=limits)
    page = await client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = await client.post(
        "/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in: {answer.status_code}")
    client.headers["X-CSRFToken"] = client.cookies.get("attenda-csrf", "")
    return client


async def drive(base: str, desk: dict, args, server_group: int) -> dict:  # noqa: C901 - one scenario, read top down
    import httpx

    run = Run()
    rng = random.Random(20261206)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    visitors_client = httpx.AsyncClient(base_url=base, timeout=60, limits=limits)
    origin = {"Origin": ORIGIN, "Content-Type": "text/plain;charset=UTF-8"}
    widget = f"/chat/w/{desk['widget']}"
    agents = [await sign_in(base, name) for name in desk["usernames"]]

    async def post(client, path, body, **kwargs):
        try:
            answer = await client.post(path, **body, **kwargs)
        except httpx.HTTPError as error:
            run.error(f"POST {path.split('/')[-2]} failed: {type(error).__name__}")
            return None
        if answer.status_code >= 400:
            run.error(f"POST {path.split('/')[-2]} {answer.status_code}")
        return answer

    # A web process loads its language and triage models on its first message, and uvicorn's
    # supervisor restarts one that stays busy too long meanwhile: offline messages warm them first.
    for n in range(args.warm_messages):
        try:
            await visitors_client.post(
                f"{widget}/offline/",
                content=json.dumps({"name": "W", "email": f"w{n}@example.com", "text": "Olá"}),
                headers=origin,
            )
        except httpx.HTTPError:
            await asyncio.sleep(2)

    # Visitors start their chats, a few at a time, and hold their event streams open.
    tokens: list[str] = []
    started = asyncio.Semaphore(args.concurrency)

    async def start(n: int) -> None:
        async with started:
            answer = await post(
                visitors_client,
                f"{widget}/start/",
                {"content": json.dumps({"text": f"Hello, I am visitor {n}.", "name": f"V{n}"})},
                headers=origin,
            )
            if answer is not None and answer.status_code == 201:
                tokens.append(answer.json()["token"])

    await asyncio.gather(*(start(n) for n in range(args.visitors)))
    print(f"{len(tokens)} chats started", flush=True)
    tasks = []
    for token in tokens:

        def on_visitor_event(kind, data):
            if kind == "message" and data.get("from") == "agent":
                run.heard("agent_to_visitor", data["text"])

        tasks.append(
            asyncio.create_task(
                follow(
                    visitors_client,
                    f"{widget}/events/?token={token}",
                    {"Origin": ORIGIN},
                    on_visitor_event,
                    run,
                )
            )
        )

    # The agents take every chat (through the accept service, in this process: taking 500 chats one
    # page at a time is not what is measured), then each follows the chats they took over HTTP.
    taken = await asyncio.to_thread(accept_all, desk["usernames"])
    by_name = dict(zip(desk["usernames"], agents, strict=True))
    chats = [(by_name[username], chat_id) for username, chat_id in taken]
    print(f"{len(chats)} chats taken by {len(agents)} agents", flush=True)

    def on_agent_event(kind, data):
        if kind == "message" and data.get("from") == "visitor":
            run.heard("visitor_to_agent", data["text"])

    for agent, chat_id in chats[: args.agent_streams]:
        tasks.append(
            asyncio.create_task(follow(agent, f"/chats/{chat_id}/events/", {}, on_agent_event, run))
        )
    await asyncio.sleep(2)

    # Conversation: every visitor and every chat's agent write at their own pace.
    async def visitor_writes(token: str) -> None:
        await asyncio.sleep(rng.uniform(0, args.interval))
        while not run.stop:
            nonce = f"v{time.perf_counter_ns()}{rng.randrange(1000)}"
            run.sent[nonce] = time.perf_counter()
            await post(
                visitors_client,
                f"{widget}/messages/",
                {"content": json.dumps({"token": token, "text": f"Any news? [{nonce}]"})},
                headers=origin,
            )
            await asyncio.sleep(args.interval)

    async def agent_writes(agent, chat_id: int) -> None:
        await asyncio.sleep(rng.uniform(0, args.interval))
        while not run.stop:
            nonce = f"a{time.perf_counter_ns()}{rng.randrange(1000)}"
            run.sent[nonce] = time.perf_counter()
            await post(
                agent,
                f"/chats/{chat_id}/send/",
                {"data": {"body": f"Still looking [{nonce}]"}},
                headers={"Accept": "application/json"},
            )
            await asyncio.sleep(args.interval)

    inbox_times: list[float] = []
    inbox_errors: list[int] = []

    async def inbox_reader(agent) -> None:
        while not run.stop:
            began = time.perf_counter()
            answer = await agent.get(f"/?view=open&team={desk['team']}&sort=waiting")
            if run.measuring:
                inbox_times.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200:
                    inbox_errors.append(answer.status_code)
            await asyncio.sleep(0.2)

    writers = [asyncio.create_task(visitor_writes(token)) for token in tokens]
    writers += [asyncio.create_task(agent_writes(agent, chat_id)) for agent, chat_id in chats]
    readers = [asyncio.create_task(inbox_reader(agent)) for agent in agents[: args.inbox_readers]]
    await asyncio.sleep(args.warmup)
    run.measuring = True
    load_before = os.getloadavg()
    began = time.perf_counter()
    server_cpu_before = tree_cpu_seconds(server_group)
    own_cpu_before = time.process_time()
    await asyncio.sleep(args.seconds)
    elapsed = time.perf_counter() - began
    server_cpu = tree_cpu_seconds(server_group) - server_cpu_before
    own_cpu = time.process_time() - own_cpu_before
    run.measuring = False
    load_after = os.getloadavg()
    run.stop = True
    for task in writers + readers + tasks:
        task.cancel()
    await asyncio.gather(*writers, *readers, *tasks, return_exceptions=True)
    await visitors_client.aclose()
    for agent in agents:
        await agent.aclose()
    delivered = {direction: percentiles(times) for direction, times in run.delays.items()}
    messages = sum(item["count"] for item in delivered.values() if item)
    return {
        "visitors": len(tokens),
        "chats_taken": len(chats),
        "agent_streams": min(args.agent_streams, len(chats)),
        "open_event_streams": len(tokens) + min(args.agent_streams, len(chats)),
        "messages_per_second": round(messages / elapsed, 1),
        "measured_seconds": round(elapsed, 1),
        # CPU over the measured window: the server's processes, per message delivered, and the
        # load generator's own (it shares the cores).
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cpu_ms_per_message": round(server_cpu * 1000 / messages, 1) if messages else None,
        "load_generator_cpu_seconds": round(own_cpu, 1),
        "delivery": delivered,
        "inbox": {**percentiles(inbox_times), "errors": len(inbox_errors)},
        "errors": run.errors,
        "load_average": [list(load_before), list(load_after)],
    }


def free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat_bench", description=__doc__)
    parser.add_argument("--database-url", default=f"sqlite:///{database.RESULTS / 'chat.db'}")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--agent-streams", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=300, help="on the desk before the chats")
    parser.add_argument(
        "--interval", type=float, default=30, help="seconds between a side's messages"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="chats started at once")
    parser.add_argument("--warm-messages", type=int, default=10)
    parser.add_argument("--inbox-readers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60, help="measured")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured")
    args = parser.parse_args(argv)
    if not free(args.port):
        sys.exit(f"Port {args.port} is taken.")
    database.recreate(args.database_url)
    os.environ["ATTENDA_REDIS_URL"] = args.redis
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    desk = prepare(args.agents, args.visitors, args.tickets)
    connections.close_all()
    label = database.label(args.database_url)
    log = database.RESULTS / f"chat-serve-{label}.log"
    server = start_server(args.database_url, args.port, args.processes, log, args.redis)
    try:
        results = asyncio.run(drive(f"http://127.0.0.1:{args.port}", desk, args, server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    report = {
        "engine": database.engine_name(args.database_url),
        "processes": args.processes,
        "redis": bool(args.redis),
        "interval_seconds": args.interval,
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),  # noqa: S607
        **results,
    }
    out = database.RESULTS / f"chat-{label}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"Written to {out}")
    failures = []
    for direction, figures in results["delivery"].items():
        if figures.get("count", 0) == 0:
            failures.append(f"{direction}: nothing delivered")
        elif figures["p95_ms"] > TARGET_P95_MS:
            failures.append(f"{direction}: p95 {figures['p95_ms']} ms is over {TARGET_P95_MS}")
    if results["inbox"].get("count") and results["inbox"]["p95_ms"] > INBOX_TARGET_P95_MS:
        failures.append(f"inbox: p95 {results['inbox']['p95_ms']} ms is over {INBOX_TARGET_P95_MS}")
    if failures:
        sys.exit("Missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
