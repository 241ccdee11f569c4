"""How fast the voice menu answers a call among a million customers, and how fast a caller is
recognised, on SQLite and on PostgreSQL. Builds (or reuses) a database of customers with the
customer-lookup benchmark's builder (benchmarks/customer_lookup_bench.py: each customer has an
E.164 mobile number), adds a phone line with its voice menus, then times:

* caller identification: the caller's number as the provider sends it → E.164 → the customer
  (attenda.channels.phone.numbers), target p95 ≤ 5 ms;
* the IVR webhook answer: a signed POST of a new call to /phone/twilio/voice/ through the whole
  Django stack (signature check, the call stored, the caller recognised, their open ticket looked
  up, the TwiML written), target p95 ≤ 30 ms.

    python -m benchmarks.phone_bench --engine sqlite --customers 1000000
    python -m benchmarks.phone_bench --engine postgresql --reuse
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.database import RESULTS, configure, recreate

# This repository's code, whichever checkout the interpreter was installed from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

URLS = {
    "sqlite": f"sqlite:///{RESULTS / 'phone.db'}",
    "postgresql": "postgres://postgres@127.0.0.1:5432/attenda_phone_bench",
}
TOKEN = "benchmark-twilio-token"
LINE = "+351210000000"
TARGETS_MS = {"caller identification": 5.0, "IVR webhook answer": 30.0}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(name: str, seconds: list[float], cpu: list[float], queries: list[int]) -> dict:
    """Wall-clock times, and the process's own CPU time: on a machine shared with others the wall
    clock also counts the waits for a core, which the CPU time leaves out."""
    milliseconds = [value * 1000 for value in seconds]
    cpu_ms = [value * 1000 for value in cpu]
    return {
        "measure": name,
        "n": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 3),
        "p95_ms": round(percentile(milliseconds, 0.95), 3),
        "max_ms": round(max(milliseconds), 3),
        "cpu_p50_ms": round(statistics.median(cpu_ms), 3),
        "cpu_p95_ms": round(percentile(cpu_ms, 0.95), 3),
        "queries": sorted(set(queries)),
        "target_p95_ms": TARGETS_MS[name],
    }


def set_up_line() -> None:
    from attenda.agents.models import Team
    from attenda.channels.phone.models import Action, MenuOption, PhoneLine, VoiceMenu

    team, _created = Team.objects.get_or_create(name="Phone benchmark")
    line, created = PhoneLine.objects.get_or_create(
        number=LINE, defaults={"name": "Customer line", "team": team}
    )
    if not created:
        return
    for language in ("en", "pt", "es", "ro", "pl"):
        menu = VoiceMenu.objects.create(
            line=line, language=language, title="Main", greeting="Welcome."
        )
        for digit in range(1, 5):
            MenuOption.objects.create(
                menu=menu, digit=digit, label=f"option {digit}", action=Action.TEAM, team=team
            )


def known_numbers(count: int, rng: random.Random, how_many: int) -> list[str]:
    """Mobile numbers of customers picked at random, as a PBX sends them (no plus)."""
    from attenda.customers.models import Identity

    picked = [rng.randint(1, count) for _ in range(how_many)]
    values = dict(
        Identity.objects.filter(pk__in=[2 * number + 1 for number in picked]).values_list(
            "pk", "value"
        )
    )
    return [
        values[2 * number + 1].removeprefix("+") for number in picked if 2 * number + 1 in values
    ]


def measure(count: int, rng: random.Random, requests: int) -> list[dict]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from attenda.channels.phone import numbers
    from attenda.channels.phone.signatures import signature

    settings.TWILIO_AUTH_TOKEN = TOKEN
    callers = known_numbers(count, rng, requests * 2)
    identification, identification_cpu, identification_queries = [], [], []
    for raw in callers[:requests]:
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            customer = numbers.caller(numbers.e164(raw))
            identification.append(time.perf_counter() - started)
            identification_cpu.append(time.process_time() - started_cpu)
        identification_queries.append(len(captured))
        assert customer is not None, raw
    client = Client()
    path = "/phone/twilio/voice/"
    answers, answers_cpu, answer_queries = [], [], []
    run = time.time_ns()
    for index, raw in enumerate(callers[requests:]):
        params = {"CallSid": f"CA{run}{index}", "From": "+" + raw, "To": LINE}
        headers = {
            "X-Twilio-Signature": signature(TOKEN, "http://testserver" + path, list(params.items()))
        }
        body = urlencode(params)
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.post(
                path, body, content_type="application/x-www-form-urlencoded", headers=headers
            )
            answers.append(time.perf_counter() - started)
            answers_cpu.append(time.process_time() - started_cpu)
        answer_queries.append(len(captured))
        assert response.status_code == 200 and b"<Gather" in response.content, response.content
    return [
        summary(
            "caller identification", identification, identification_cpu, identification_queries
        ),
        summary("IVR webhook answer", answers, answers_cpu, answer_queries),
    ]


def rows_for(customers: int) -> Path:
    """The shared rows (benchmarks/results/customer-rows) when they hold this many customers, or
    when there are none yet and this is the million; else rows of this size apart, so a smaller run
    neither loads the million's rows nor overwrites them."""
    shared = RESULTS / "customer-rows"
    done = shared / "done"
    same = done.read_text().strip() == str(customers) if done.exists() else customers == 1_000_000
    return shared if same else RESULTS / f"customer-rows-{customers}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.phone_bench", description=__doc__)
    parser.add_argument("--engine", choices=sorted(URLS), default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--reuse", action="store_true", help="time the database of an earlier run")
    parser.add_argument("--database-url", help="instead of the engine's benchmark database")
    parser.add_argument(
        "--rows",
        type=Path,
        help="the customer-lookup benchmark's generated rows, loaded when they are there and of "
        "this many customers (default: benchmarks/results/customer-rows, else customer-rows-N)",
    )
    args = parser.parse_args()
    url = args.database_url or URLS[args.engine]
    if not args.reuse:
        recreate(url)
    os.environ.setdefault("ATTENDA_DATA_DIR", str(RESULTS / "phone-data"))
    configure(url)
    from django.core.management import call_command

    from benchmarks.customer_lookup_bench import count_customers, load_rows, populate

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.rows is None:
        args.rows = rows_for(args.customers)
    if not args.reuse:
        if (args.rows / "done").exists():
            load_rows(args.rows)
        else:
            populate(args.customers, random.Random(args.seed), args.rows)
    loaded = time.perf_counter() - started
    set_up_line()
    customers = count_customers()
    rows = measure(customers, random.Random(args.seed + 2), args.requests)
    report = {
        "engine": args.engine,
        "customers": customers,
        "load_seconds": round(loaded, 1),
        "load_average": os.getloadavg(),
        "measures": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"phone-{args.engine}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))  # noqa: T201
    for row in rows:
        print(  # noqa: T201
            f"{args.engine}, {customers:,} customers, load {report['load_average'][0]:.1f}: "
            f"{row['measure']} p95 {row['p95_ms']} ms (CPU p95 {row['cpu_p95_ms']} ms, "
            f"{'/'.join(map(str, row['queries']))} queries), target {row['target_p95_ms']} ms"
        )
    missed = [row for row in rows if row["p95_ms"] > row["target_p95_ms"]]
    for row in missed:
        print(
            f"{row['measure']}: p95 {row['p95_ms']} ms > {row['target_p95_ms']} ms", file=sys.stderr
        )  # noqa: T201
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
