"""Messaging webhooks over HTTP: `attenda serve` (web processes, worker and scheduler, as in
production) takes signed webhooks of the four providers (WhatsApp, Telegram, Messenger, X); each
answer is timed at the client, from sending the request to the last byte of the 200. The target is
p95 ≤ 50 ms for each provider at a provider's pace: webhooks arriving at --rate a second (50), each
sent when it comes. Before them the same number is posted by --concurrency clients back to back (a
closed loop, whose time is concurrency ÷ throughput), reported beside it but not judged. The
webhook only checks the signature and stores the event with its task, and the worker turns it into
a ticket after the answer. Then every event must have become a message, and repeated events none.

    python -m benchmarks.social_webhook --database-url sqlite:///$PWD/benchmarks/results/social.db
    python -m benchmarks.social_webhook --database-url postgres://postgres@127.0.0.1:5432/attenda_bench_social
    python -m benchmarks.social_webhook --in-process ...   the view alone: CPU, queries, wall

The database is made anew each run. The client runs on the same cores as the server; its CPU, the
web processes' CPU a request and the load average are reported beside the wall times.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

from benchmarks import database
from benchmarks.http_bench import free, server_cpu_seconds, start_server

SECRET = "benchmark-app-secret"  # noqa: S105 - the benchmark's own accounts.
TARGET_P95_MS = 50
# The judged pace: 50 webhooks a second, 180,000 an hour over the four apps, is a large company's busy
# hour (a telecom's outage evening), several times an ordinary one; providers send each event as it
# happens, whether or not earlier ones were answered.
DEFAULT_RATE = 50.0
PROVIDERS = ("whatsapp", "telegram", "messenger", "x")
EXTERNAL_IDS = {
    "whatsapp": "1122334455667",
    "telegram": "777000",
    "messenger": "234554838031189",
    "x": "2975699229",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare() -> dict[str, str]:
    """One account of each provider; their webhook keys by provider."""
    from attenda.channels.social.models import SocialAccount

    return {
        provider: SocialAccount.objects.create(
            provider=provider,
            name=f"Benchmark {provider}",
            external_id=EXTERNAL_IDS[provider],
            access_token="unused",
            app_secret=SECRET,
        ).webhook_key
        for provider in PROVIDERS
    }


def provider_of(number: int) -> str:
    return PROVIDERS[number % len(PROVIDERS)]


def body(number: int) -> bytes:
    """A customer's text message, in the provider's documented shape, with an id of its own."""
    provider = provider_of(number)
    sender = f"3519{number % 5000:08d}"
    now = int(time.time())
    text = f"Mensagem número {number}"
    if provider == "telegram":
        person = {"id": int(sender), "first_name": "Cliente", "username": f"c{sender}"}
        payload: dict = {
            "update_id": number,
            "message": {
                "message_id": number,
                "from": person,
                "chat": {**person, "type": "private"},
                "date": now,
                "text": text,
            },
        }
    elif provider == "messenger":
        payload = {
            "object": "page",
            "entry": [
                {
                    "id": EXTERNAL_IDS["messenger"],
                    "time": now * 1000,
                    "messaging": [
                        {
                            "sender": {"id": sender},
                            "recipient": {"id": EXTERNAL_IDS["messenger"]},
                            "timestamp": now * 1000,
                            "message": {"mid": f"m_bench{number}", "text": text},
                        }
                    ],
                }
            ],
        }
    elif provider == "x":
        payload = {
            "for_user_id": EXTERNAL_IDS["x"],
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": f"{1500000 + number}",
                    "created_timestamp": str(now * 1000),
                    "message_create": {
                        "target": {"recipient_id": EXTERNAL_IDS["x"]},
                        "sender_id": sender,
                        "message_data": {"text": text, "entities": {}},
                    },
                }
            ],
            "users": {sender: {"id": sender, "name": "Cliente", "screen_name": f"c{sender}"}},
        }
    else:
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": EXTERNAL_IDS["whatsapp"]},
                                "contacts": [{"profile": {"name": "Cliente"}, "wa_id": sender}],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": f"wamid.bench{number}",
                                        "timestamp": str(now),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    return json.dumps(payload).encode()


def signed(provider: str, content: bytes) -> dict:
    """The headers the provider signs its webhooks with."""
    digest = hmac.new(SECRET.encode(), content, hashlib.sha256).digest()
    headers = {"Content-Type": "application/json"}
    if provider in ("whatsapp", "messenger"):
        headers["X-Hub-Signature-256"] = f"sha256={digest.hex()}"
    elif provider == "x":
        headers["x-twitter-webhooks-signature"] = f"sha256={base64.b64encode(digest).decode()}"
    else:
        headers["X-Telegram-Bot-Api-Secret-Token"] = SECRET
    return headers


async def post_all(
    base: str, keys: dict[str, str], numbers: list[int], concurrency: int
) -> dict[str, list[float]]:
    """Each number's webhook, posted by ``concurrency`` clients at once; the times by provider."""
    import httpx

    queue = list(numbers)
    timings: dict[str, list[float]] = {provider: [] for provider in PROVIDERS}

    async def client_loop(client) -> None:
        while queue:
            number = queue.pop()
            provider, content = provider_of(number), body(number)
            url = f"{base}/social/webhooks/{keys[provider]}/"
            started = time.perf_counter()
            response = await client.post(url, content=content, headers=signed(provider, content))
            timings[provider].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"The {provider} webhook answered {response.status_code}")

    clients = [httpx.AsyncClient(timeout=30) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(client_loop(client) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
    return timings


async def post_at_rate(
    base: str, keys: dict[str, str], numbers: list[int], rate: float
) -> dict[str, list[float]]:
    """Open loop: webhooks arrive at ``rate`` a second on average (Poisson, as independent
    customers write), each sent when it arrives whatever the ones before it are doing, so a slow
    answer delays nobody else's start and the times are the answers' own."""
    import random

    import httpx

    timings: dict[str, list[float]] = {provider: [] for provider in PROVIDERS}
    failures: list[str] = []
    arrivals = random.Random(7)  # noqa: S311 - a benchmark's arrival times.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)

    async def one(client, number: int) -> None:
        provider, content = provider_of(number), body(number)
        url = f"{base}/social/webhooks/{keys[provider]}/"
        started = time.perf_counter()
        response = await client.post(url, content=content, headers=signed(provider, content))
        timings[provider].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            failures.append(f"The {provider} webhook answered {response.status_code}")

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        pending = []
        due = time.perf_counter()
        for number in numbers:
            due += arrivals.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            pending.append(asyncio.create_task(one(client, number)))
        await asyncio.gather(*pending)
    if failures:
        raise SystemExit(failures[0])
    return timings


def serve(args: argparse.Namespace, log) -> subprocess.Popen:
    """`attenda serve` as http_bench starts it; with --no-worker, the web processes only."""
    if not args.no_worker:
        return start_server(args.database_url, args.port, args.processes, log)
    environment = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "attenda.settings",
        "ATTENDA_TASK_BACKEND": "database",
        "ATTENDA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(database.RESULTS.parents[1] / "src")]),
    }
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
        [sys.executable, "-m", "attenda.cli", "serve", "--port", str(args.port)]
        + ["--processes", str(args.processes), "--no-worker"],
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


def drain(args: argparse.Namespace) -> None:
    """The queue the web processes filled, run by a worker of its own until it is empty."""
    from django_tasks_db.models import DBTaskResult

    worker = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments.
        [sys.executable, "-m", "attenda.cli", "worker"],
        env={
            **os.environ,
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "attenda.settings",
            "ATTENDA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(database.RESULTS.parents[1] / "src"),
        },
        stdout=(database.RESULTS / "social-drain.log").open("w"),
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    try:
        while DBTaskResult.objects.ready().exists():
            time.sleep(1)
        time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def taken_counts() -> tuple[int, int, int]:
    from attenda.channels.social.models import EventState, SocialEvent
    from attenda.tickets.models import Channel, TimelineEntry

    return (
        SocialEvent.objects.count(),
        SocialEvent.objects.filter(state=EventState.TAKEN).count(),
        TimelineEntry.objects.filter(channel=Channel.SOCIAL, kind="message").count(),
    )


def wait_taken(expected: int) -> tuple[int, int, int]:
    """taken_counts() once ``expected`` events are taken, or after 10 minutes."""
    from django.db import connections

    deadline = time.monotonic() + 600
    while (counts := taken_counts())[1] < expected and time.monotonic() < deadline:
        connections.close_all()
        time.sleep(1)
    return counts


def summary(values: list[float]) -> dict:
    return {
        "requests": len(values),
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
    }


def in_process(args: argparse.Namespace, keys: dict[str, str]) -> dict:
    """The webhook view through Django's whole middleware stack, in this process, one at a time:
    its queries and CPU a request by provider (no HTTP, no worker beside)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    report = {}
    for provider in PROVIDERS:
        numbers = [n for n in range(args.warmup + args.requests * 4) if provider_of(n) == provider]
        cpu, wall, queries = [], [], set()
        for position, number in enumerate(numbers):
            content = body(number)
            headers = {
                key: value for key, value in signed(provider, content).items() if key[0] != "C"
            }
            started, cpu_started = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    f"/social/webhooks/{keys[provider]}/",
                    content,
                    content_type="application/json",
                    headers=headers,
                )
            if response.status_code != 200:
                raise SystemExit(f"The {provider} webhook answered {response.status_code}")
            if position >= args.warmup // 4:
                wall.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                queries.add(len(captured.captured_queries))
        report[provider] = {
            **summary(wall),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
            "queries": sorted(queries),
            "sql": [query["sql"][:60] for query in captured.captured_queries],
        }
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.social_webhook",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", default=f"sqlite:///{database.RESULTS / 'social.db'}")
    parser.add_argument(
        "--port", type=int, default=8107, help="0, or one already taken: a free one"
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="clients posting back to back (closed loop: the time is concurrency ÷ throughput); "
        "reported, not judged; 0: none",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help="webhooks arriving at this many a second (open loop, Poisson): the judged p95",
    )
    parser.add_argument("--duplicates", type=int, default=100)
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="measure the web server alone (its answers only); a worker started afterwards "
        "drains the queue",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="the view alone in this process, without HTTP: queries and CPU a request",
    )
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be above 0")
    if not args.in_process and args.port == 0:
        args.port = free_port()
    elif not args.in_process and not free(args.port):
        taken, args.port = args.port, free_port()
        print(f"Port {taken} is taken; using {args.port}.", file=sys.stderr)  # noqa: T201
    database.recreate(args.database_url)
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    keys = prepare()
    label = database.label(args.database_url)
    engine = database.engine_name(args.database_url)
    database.RESULTS.mkdir(parents=True, exist_ok=True)
    if args.in_process:
        load = os.getloadavg()
        report = {"engine": engine, "in_process": in_process(args, keys)}
        report["load_average"] = [round(value, 2) for value in (*load, *os.getloadavg())]
        (database.RESULTS / f"social-webhook-{label}-in-process.json").write_text(
            json.dumps(report, indent=2)
        )
        print(json.dumps(report, indent=2))  # noqa: T201 - the benchmark's report.
        return
    connections.close_all()
    log = database.RESULTS / f"social-serve-{label}.log"
    server = serve(args, log)
    base = f"http://127.0.0.1:{args.port}"
    phases = {}
    try:
        asyncio.run(post_all(base, keys, list(range(args.warmup)), max(args.concurrency, 1)))
        first = args.warmup
        # Each phase starts with the worker idle, so the one before leaves it no backlog to write.
        wait_taken(0 if args.no_worker else first)
        numbers = list(range(first, first + args.requests))
        phases["at_rate"] = measure(server, post_at_rate(base, keys, numbers, args.rate))
        first += args.requests
        if args.concurrency:
            wait_taken(0 if args.no_worker else first)
            numbers = list(range(first, first + args.requests))
            phases["closed_loop"] = measure(server, post_all(base, keys, numbers, args.concurrency))
            first += args.requests
        # The same events again, as a provider's retries: answered, and no new message.
        repeated = list(range(args.warmup, args.warmup + args.duplicates))
        repeat_timings = asyncio.run(post_all(base, keys, repeated, max(args.concurrency, 1)))
        expected = first
        if args.no_worker:
            drain(args)
        counts = wait_taken(expected)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    report = {
        "engine": engine,
        "processes": args.processes,
        "worker_beside": not args.no_worker,
        "concurrency": args.concurrency or None,
        "arrival_rate": args.rate,
        **phases,
        "repeated_p95_ms": round(
            percentile([value for values in repeat_timings.values() for value in values], 0.95),
            2,
        ),
        "events_stored": counts[0],
        "events_taken": counts[1],
        "messages": counts[2],
        "expected_messages": expected,
        "target_p95_ms": TARGET_P95_MS,
    }
    name = f"social-webhook-{label}{'-alone' if args.no_worker else ''}.json"
    (database.RESULTS / name).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))  # noqa: T201 - the benchmark's report.
    for phase, what in (
        ("at_rate", f"at {args.rate:g} a second (judged)"),
        ("closed_loop", f"{args.concurrency} clients back to back (not judged)"),
    ):
        if phase in phases:
            measured = phases[phase]
            print(  # noqa: T201 - the benchmark's report, one line a phase.
                f"{engine}, {what}: p95 "
                + ", ".join(
                    f"{provider} {values['p95_ms']} ms"
                    for provider, values in measured["providers"].items()
                )
                + f" (target {TARGET_P95_MS} ms); {measured['requests_per_second']} answered a second;"
                f" web CPU {measured['web_cpu_ms']} ms a request; load average"
                f" {measured['load_average_before'][0]}–{measured['load_average_after'][0]}",
                file=sys.stderr,
            )
    print(f"{counts[2]} messages of {expected} events", file=sys.stderr)  # noqa: T201
    missed = any(
        values["p95_ms"] > TARGET_P95_MS for values in phases["at_rate"]["providers"].values()
    ) or not (counts[0] == counts[2] == expected)
    sys.exit(1 if missed else 0)


def measure(server: subprocess.Popen, posting) -> dict:
    """Runs one phase of posting: its answer times, pace, and the CPU the server spent a request
    (the web processes alone, and everything `attenda serve` started, with the worker's receive()
    of each event when it runs beside)."""
    load_before = os.getloadavg()
    web_before = server_cpu_seconds(server.pid, only="uvicorn")
    all_before = server_cpu_seconds(server.pid)
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    timings = asyncio.run(posting)
    elapsed = time.perf_counter() - started
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    web_cpu = server_cpu_seconds(server.pid, only="uvicorn") - web_before
    all_cpu = server_cpu_seconds(server.pid) - all_before
    load_after = os.getloadavg()
    everything = [value for values in timings.values() for value in values]
    client_cpu = own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime
    return {
        **summary(everything),
        "providers": {provider: summary(values) for provider, values in timings.items()},
        "requests_per_second": round(len(everything) / elapsed, 1),
        "web_cpu_ms": round(web_cpu * 1000 / len(everything), 2),
        "server_cpu_ms": round(all_cpu * 1000 / len(everything), 2),
        "client_cpu_share": round(client_cpu / elapsed, 2),
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
    }


if __name__ == "__main__":
    main()
