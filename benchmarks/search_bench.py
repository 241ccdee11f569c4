"""How long the agent's search box takes on a large Attenda, on SQLite (FTS5) and on PostgreSQL (GIN
on tsvector). Builds a database of its own with tickets written in five languages, indexed through
tickets/search.py as the services index them, then times find() for rare, common and several-word
searches, for an agent of the largest team and for an admin, and shows the database's plan.

    python -m benchmarks.search_bench --engine sqlite --tickets 200000
    python -m benchmarks.search_bench --engine postgresql --tickets 1000000
"""

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
URLS = {
    "sqlite": f"sqlite:///{RESULTS / 'search.db'}",
    "postgresql": "postgres://postgres@127.0.0.1:5432/attenda_search_bench",
}
BLOCK = 5_000
RARE_WORD = "zanzibar"
RARE_COUNT = 25

# A few sentences per language, as customers and agents write them; each ticket takes some, plus a
# product reference that makes the vocabulary as large as a real one.
TEXT = {
    "pt": [
        "A fatura deste mês está errada",
        "Não consigo pagar a fatura pelo multibanco",
        "A internet está muito lenta desde ontem",
        "O técnico não apareceu na hora marcada",
        "Quero mudar de tarifário",
        "Recebi uma cobrança em duplicado",
        "O router reinicia sozinho várias vezes por dia",
        "Enviámos a segunda via da fatura por correio",
    ],
    "es": [
        "La factura de este mes es incorrecta",
        "No he recibido la factura de octubre",
        "El teléfono no tiene cobertura en casa",
        "Quiero darme de baja del servicio",
        "Me han cobrado dos veces la misma factura",
        "La instalación se retrasó una semana",
        "Hemos enviado un técnico a su domicilio",
    ],
    "ro": [
        "Factura din această lună este greșită",
        "Nu am primit factura pentru luna trecută",
        "Internetul nu funcționează de ieri",
        "Am fost taxat de două ori",
        "Doresc să schimb abonamentul",
        "Tehnicianul va veni mâine dimineață",
    ],
    "pl": [
        "Faktura za ten miesiąc jest błędna",
        "Nie dotarła do mnie faktura",
        "Internet nie działa od wczoraj",
        "Płatność została pobrana dwa razy",
        "Chcę zmienić taryfę",
        "Technik przyjdzie jutro rano",
    ],
    "en": [
        "My invoice for this month is wrong",
        "I was charged twice for the same invoice",
        "The broadband has been down since yesterday",
        "I would like to change my plan",
        "The engineer did not turn up",
        "We have sent a replacement router",
    ],
}
QUERIES = [
    ("rare word", RARE_WORD),
    ("common word", "fatura"),
    ("two words", "fatura errada"),
    ("three words", "factura no recibido"),
    ("no match", "xylofone"),
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search_bench", description=__doc__)
    parser.add_argument("--engine", choices=sorted(URLS), default="sqlite")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument(
        "--reuse", action="store_true", help="time the database of an earlier run as it is"
    )
    args = parser.parse_args()
    url = URLS[args.engine]
    if not args.reuse:
        recreate(args.engine, url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "attenda.settings"
    os.environ.setdefault("ATTENDA_DATA_DIR", str(RESULTS / "search-data"))
    os.environ.setdefault("ATTENDA_SECRET_KEY", "benchmark-only-not-a-secret")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not args.reuse:
        populate(args.tickets, random.Random(args.seed))
    loaded = time.perf_counter() - started
    report = {
        "engine": args.engine,
        "tickets": args.tickets,
        "load_seconds": round(loaded, 1),
        "load_average": os.getloadavg(),
        "searches": measure(args.repeat),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"search-{args.engine}.json").write_text(json.dumps(report, indent=2) + "\n")


def recreate(engine: str, url: str) -> None:
    if engine == "sqlite":
        RESULTS.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{RESULTS / 'search.db'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def populate(count: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from attenda.agents.models import Agent, Team
    from attenda.customers.models import Customer
    from attenda.tickets import search
    from attenda.tickets.models import Channel, EntryKind, Ticket, TimelineEntry

    teams = [Team.objects.create(name=f"Team {number}") for number in range(10)]
    for number, team in enumerate(teams):
        Agent.objects.create(username=f"agent{number}").teams.add(team)
    Agent.objects.create(username="admin", role="admin")
    languages = list(TEXT)
    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {number}", language=languages[number % len(languages)])
        for number in range(max(1, count // 4))
    )
    rare = set(rng.sample(range(count), min(RARE_COUNT, count)))
    # The first team takes a third of the tickets, as a front line does.
    weights = [30] + [70 / 9] * 9
    done = 0
    while done < count:
        size = min(BLOCK, count - done)
        with transaction.atomic():
            tickets = []
            for number in range(done, done + size):
                customer = customers[number % len(customers)]
                sentences = TEXT[customer.language]
                tickets.append(
                    Ticket(
                        customer=customer,
                        customer_name=customer.name,
                        subject=rng.choice(sentences),
                        channel=Channel.EMAIL,
                        language=customer.language,
                        team=rng.choices(teams, weights)[0],
                    )
                )
            Ticket.objects.bulk_create(tickets)
            entries = []
            for offset, ticket in enumerate(tickets):
                sentences = TEXT[ticket.language]
                body = ". ".join(rng.sample(sentences, 3)) + f". Ref P{rng.randrange(10**6)}."
                if done + offset in rare:
                    body += f" {RARE_WORD.capitalize()}."
                entries.append(
                    TimelineEntry(
                        ticket=ticket, kind=EntryKind.MESSAGE, body=body, language=ticket.language
                    )
                )
                entries.append(
                    TimelineEntry(ticket=ticket, kind=EntryKind.REPLY, body=rng.choice(sentences))
                )
            TimelineEntry.objects.bulk_create(entries)
            for ticket in tickets:
                search.index_ticket(ticket)
            for entry in entries:
                search.index_entry(entry)
        done += size
        print(f"{done:,} of {count:,} tickets written and indexed", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(repeat: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attenda.agents.models import Agent
    from attenda.tickets.search import find

    searchers = {"agent of the largest team": Agent.objects.get(username="agent0")}
    searchers["admin"] = Agent.objects.get(username="admin")
    rows = []
    for who, agent in searchers.items():
        for label, query in QUERIES:
            found = find(agent, query)
            timings, cpu = [], []
            for _ in range(repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                found = find(agent, query)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            # The next page of matches, where there is one: a keyset cursor, no offset.
            next_page = []
            for _ in range(repeat if found.next_cursor else 0):
                started = time.perf_counter()
                find(agent, query, cursor=found.next_cursor)
                next_page.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                find(agent, query)
            text_search = next(
                captured["sql"]
                for captured in queries.captured_queries
                if "tickets_search_document" in captured["sql"]
            )
            row = {
                "who": who,
                "search": label,
                "query": query,
                "found": len(found.tickets),
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                # This process's CPU time (SQLite works inside it; PostgreSQL's server does not):
                # on a machine shared with other work, the part of the time that is the search's.
                "cpu_p50_ms": round(statistics.median(cpu), 1),
                "cpu_p95_ms": round(percentile(cpu, 95), 1),
                "next_page_p95_ms": round(percentile(next_page, 95), 1) if next_page else None,
                "statements_ms": [
                    round(float(captured["time"]) * 1000, 1)
                    for captured in queries.captured_queries
                ],
                "plan": explain(connection, text_search),
            }
            rows.append(row)
            statements = " + ".join(str(ms) for ms in row["statements_ms"])
            print(
                f"{who:26} {label:12} {query!r:22} {row['found']:3} found"
                f" p50 {row['median_ms']:6.1f} ms p95 {row['p95_ms']:6.1f} ms"
                f" (CPU p50 {row['cpu_p50_ms']:5.1f} p95 {row['cpu_p95_ms']:5.1f})"
                f" next page p95 {row['next_page_p95_ms'] or '–'} ms  (statements: {statements})",
                flush=True,
            )
    for row in rows:
        if row["search"] == "common word":
            print(f"\nPlan of {row['query']!r} for the {row['who']}:")
            print("  " + "\n  ".join(row["plan"]))
    return rows


def percentile(timings: list[float], percent: int) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[percent - 1]


def explain(connection, sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return [row[3] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN {sql}")
        return [row[0] for row in cursor.fetchall()]


if __name__ == "__main__":
    main()
