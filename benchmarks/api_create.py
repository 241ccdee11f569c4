"""Tickets opened through the JSON API (POST /api/v1/tickets) on the loaded million-ticket desk, search
index filled, with `attenda worker` beside as in production. Each request goes through Django's
test client in this process (middleware, token, schema, receive(), JSON answer); half come from
customers already on the desk, half from new ones.

    python -m benchmarks.api_create --database-url sqlite:///$PWD/benchmarks/results/bench.db
    python -m benchmarks.api_create --database-url postgres://postgres@127.0.0.1:5432/attenda_bench
"""

import argparse
import gc
import json
import os
import random
import sys
import time

from benchmarks import database, desk_writes

TARGET_P95_MS = 30
BODIES = [
    "A fatura deste mês veio com um valor errado, podem verificar?",
    "La factura de octubre no ha llegado todavía.",
    "Internetul nu funcționează de ieri seara.",
    "Faktura za ten miesiąc jest błędna, proszę o korektę.",
    "My broadband has been down since yesterday evening.",
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_create", description=__doc__)
    parser.add_argument("--database-url", default=database.SQLITE_URL)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    if not database.exists(args.database_url):
        sys.exit(f"Load {args.database_url} first (make bench-load-sqlite / bench-load-postgres).")
    # The indexer and other work are queued for the worker, as in production.
    os.environ.setdefault("ATTENDA_TASK_BACKEND", "database")
    # What a create costs, not the API's rate limit: one token opens every ticket, faster than a
    # minute's allowance on an idle machine.
    os.environ["ATTENDA_API_RATE_PER_TOKEN"] = os.environ["ATTENDA_API_RATE_PER_ADDRESS"] = (
        "1000000"
    )
    database.configure(args.database_url)
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from attenda.agents.models import Agent, Role
    from attenda.agents.services import create_agent, issue_api_token
    from attenda.customers.models import Customer

    admin = Agent.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        admin = create_agent(username="benchmark-admin", password=None, role=Role.ADMIN, actor=None)
    _token, key = issue_api_token(agent=admin, name=f"benchmark {time.time_ns()}")
    customer_ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:1000])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    rng = random.Random(20261206)
    run = time.time_ns()

    def create(number: int) -> None:
        payload = {"subject": f"Pedido {number}", "body": rng.choice(BODIES)}
        if number % 2:
            payload["customer_id"] = rng.choice(customer_ids)
        else:
            payload["identities"] = [{"kind": "email", "value": f"api-{run}-{number}@example.com"}]
            payload["customer_name"] = "Cliente Novo"
        answer = client.post(
            "/api/v1/tickets", json.dumps(payload), content_type="application/json"
        )
        if answer.status_code != 201:
            sys.exit(f"POST /api/v1/tickets answered {answer.status_code}: {answer.content[:500]}")

    with desk_writes.worker_beside(args.database_url):
        for number in range(args.warmup):
            create(-1 - number)
        # As a web process once started (asgi.py): what is loaded (triage's models among it) is set
        # aside from the collector, whose full collection took a create 120 ms of CPU otherwise.
        gc.collect()
        gc.freeze()
        times, cpu_times = [], []
        cpu_started = time.process_time()
        started = time.perf_counter()
        for number in range(args.requests):
            began, cpu_began = time.perf_counter(), time.thread_time()
            create(number)
            times.append((time.perf_counter() - began) * 1000)
            cpu_times.append((time.thread_time() - cpu_began) * 1000)
        result = desk_writes.figures(
            times, time.perf_counter() - started, time.process_time() - cpu_started, cpu_times
        )
        result |= desk_writes.wait_for_worker()
    print(f"API create: {result}", flush=True)
    report = {"engine": database.engine_name(args.database_url), **result}
    out = database.RESULTS / f"api-create-{database.label(args.database_url)}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {out}")
    failures = desk_writes.missed(result, per_second=None, p95_ms=TARGET_P95_MS)
    if failures:
        sys.exit("Missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
