"""A messaging webhook over HTTP: `attenda serve` (web processes, worker and scheduler, as in
production) takes signed WhatsApp webhooks from clients posting at once; each answer is timed at
the client, from sending the request to the last byte of the 200. The target is p95 ≤ 50 ms: the
webhook only checks the signature and stores the event, and the worker turns it into a ticket
after the answer. Then every event must have become a message, and repeated events none.

    python -m benchmarks.social_webhook --database-url sqlite:///$PWD/benchmarks/results/social.db
    python -m benchmarks.social_webhook --database-url postgres://postgres@127.0.0.1:5432/attenda_bench_social

The database is made anew each run. The client runs on the same cores as the server.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from benchmarks import database
from benchmarks.http_bench import free, start_server

SECRET = "benchmark-app-secret"  # noqa: S105 - the benchmark's own account.
TARGET_P95_MS = 50


def prepare() -> str:
    from attenda.channels.social.models import SocialAccount

    account = SocialAccount.objects.create(
        provider="whatsapp",
        name="Benchmark WhatsApp",
        external_id="1122334455667",
        access_token="unused",
        app_secret=SECRET,
    )
    return account.webhook_key


def body(number: int) -> bytes:
    sender = f"3519{number % 5000:08d}"
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": "1122334455667"},
                                "contacts": [{"profile": {"name": "Cliente"}, "wa_id": sender}],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": f"wamid.bench{number}",
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": f"Mensagem número {number}"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def signed(content: bytes) -> dict:
    digest = hmac.new(SECRET.encode(), content, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def post_all(url: str, numbers: list[int], concurrency: int) -> list[float]:
    import httpx

    queue = list(numbers)
    timings: list[float] = []

    async def client_loop(client) -> None:
        while queue:
            number = queue.pop()
            content = body(number)
            started = time.perf_counter()
            response = await client.post(url, content=content, headers=signed(content))
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"The webhook answered {response.status_code}")

    clients = [httpx.AsyncClient(timeout=30) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(client_loop(client) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
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
        stdout=subprocess.DEVNULL,
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.social_webhook", description=__doc__
    )
    parser.add_argument("--database-url", default=f"sqlite:///{database.RESULTS / 'social.db'}")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duplicates", type=int, default=100)
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="measure the web server alone (its answers only); a worker started afterwards "
        "drains the queue",
    )
    args = parser.parse_args(argv)
    if not free(args.port):
        sys.exit(f"Port {args.port} is taken.")
    database.recreate(args.database_url)
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    key = prepare()
    connections.close_all()
    label = database.label(args.database_url)
    log = database.RESULTS / f"social-serve-{label}.log"
    server = serve(args, log)
    url = f"http://127.0.0.1:{args.port}/social/webhooks/{key}/"
    try:
        asyncio.run(post_all(url, list(range(args.warmup)), args.concurrency))
        first = args.warmup
        numbers = list(range(first, first + args.requests))
        timings = asyncio.run(post_all(url, numbers, args.concurrency))
        # The same events again, as a provider's retries: answered, and no new message.
        repeated = list(range(first, first + args.duplicates))
        repeat_timings = asyncio.run(post_all(url, repeated, args.concurrency))
        expected = args.warmup + args.requests
        if args.no_worker:
            drain(args)
        deadline = time.monotonic() + 600
        while (counts := taken_counts())[1] < expected and time.monotonic() < deadline:
            connections.close_all()
            time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    report = {
        "engine": database.engine_name(args.database_url),
        "processes": args.processes,
        "worker_beside": not args.no_worker,
        "concurrency": args.concurrency,
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "max_ms": round(max(timings), 2),
        "repeated_p95_ms": round(percentile(repeat_timings, 0.95), 2),
        "events_stored": counts[0],
        "events_taken": counts[1],
        "messages": counts[2],
        "expected_messages": expected,
        "uptime": uptime,
        "target_p95_ms": TARGET_P95_MS,
    }
    database.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"social-webhook-{label}{'-alone' if args.no_worker else ''}.json"
    (database.RESULTS / name).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))  # noqa: T201 - the benchmark's report.
    missed = report["p95_ms"] > TARGET_P95_MS or counts[2] != expected or counts[0] != expected
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
