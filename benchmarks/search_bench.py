"""How long the agent's search box takes on a large Attenda, on SQLite (FTS5) and on PostgreSQL (GIN
on tsvector). Builds a database of its own with tickets written in five languages, indexed through
tickets/search.py as the services index them, then times find() for rare, common and several-word
searches, for an agent of the largest team and for an admin, and shows the database's plan.

    python -m benchmarks.search_bench --engine sqlite --tickets 200000
    python -m benchmarks.search_bench --engine postgresql --tickets 1000000

With --database-url it loads nothing and times a desk loaded by benchmarks/load.py as it is, with
its search index filled: the words are chosen from that desk's own text (a word on about a fifth of
its tickets, a rare one, two and three words that meet, one that matches nothing), and beside find()
it times the search page through Django's test client for a signed-in agent. It only reads: its
connections refuse writes, and the page's session is kept in a signed cookie.

    python -m benchmarks.search_bench --database-url sqlite:///benchmarks/results/bench.db
"""

import argparse
import itertools
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
    parser.add_argument(
        "--database-url",
        help="time this loaded desk (benchmarks/load.py's) as it is, with words from its own text",
    )
    parser.add_argument(
        "--sample", type=int, default=2_000, help="tickets read to choose the desk's words"
    )
    parser.add_argument(
        "--out", type=Path, help="with --database-url; default: results/search-desk-LABEL.json"
    )
    args = parser.parse_args()
    if args.database_url:
        measure_desk(args)
        return
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
        "searches": measure(args.repeat, built_searchers(), QUERIES),
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


def built_searchers() -> dict:
    from attenda.agents.models import Agent

    return {
        "agent of the largest team": Agent.objects.get(username="agent0"),
        "admin": Agent.objects.get(username="admin"),
    }


def measure(repeat: int, searchers: dict, searches: list[tuple[str, str]]) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attenda.tickets.search import find
    from benchmarks.inbox import backend_cpu_seconds

    rows = []
    for who, agent in searchers.items():
        for label, query in searches:
            found = find(agent, query)
            timings, cpu = [], []
            server_before = backend_cpu_seconds(connection)
            for _ in range(repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                found = find(agent, query)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            server_after = backend_cpu_seconds(connection)
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
                # PostgreSQL's server process, per search (None on SQLite).
                "server_cpu_mean_ms": (
                    round((server_after - server_before) * 1000 / repeat, 1)
                    if server_before is not None and server_after is not None
                    else None
                ),
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
                f" (CPU p50 {row['cpu_p50_ms']:5.1f} p95 {row['cpu_p95_ms']:5.1f}"
                f"{server_cpu(row)})"
                f" next page p95 {row['next_page_p95_ms'] or '–'} ms  (statements: {statements})",
                flush=True,
            )
    for row in rows:
        if row["search"] == "common word":
            print(f"\nPlan of {row['query']!r} for the {row['who']}:")
            print("  " + "\n  ".join(row["plan"]))
    return rows


def server_cpu(row: dict) -> str:
    server = row.get("server_cpu_mean_ms")
    return f"; server mean {server:5.1f}" if server is not None else ""


# A word typed for the "no match" search, checked to match nothing on the desk.
NO_MATCH_WORD = "xylofone"
COMMON_SHARE = 0.20


def measure_desk(args) -> None:
    """Times find() and the search page on a loaded desk, with words from its own text."""
    from benchmarks import database

    database.configure(args.database_url)
    refuse_writes()
    from django.db import connection

    from attenda.tickets.models import Ticket
    from benchmarks.inbox import database_version

    engine = database.engine_name(args.database_url)
    load_before = os.getloadavg()
    tickets = Ticket.objects.count()
    searchers = desk_searchers()
    print(
        f"{engine}: {tickets:,} tickets; {', '.join(f'{who} {agent.username}' for who, agent in searchers.items())};"
        f" load average {load_before[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    started = time.perf_counter()
    words = desk_words(random.Random(args.seed), tickets, args.sample)
    print(f"words chosen in {time.perf_counter() - started:.1f} s:", flush=True)
    for word in words:
        print(
            f"  {word['search']:12} {word['query']!r:32} on {word['tickets']:,} tickets"
            f" ({word['share'] * 100:.2f}%)",
            flush=True,
        )
    queries = [(word["search"], word["query"]) for word in words]
    searches = measure(args.repeat, searchers, queries)
    pages = measure_pages(args.repeat, searchers["agent of the largest team"], queries)
    label = database.label(args.database_url)
    report = {
        "engine": engine,
        "database_version": database_version(connection),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tickets": tickets,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "cores": os.cpu_count(),
        "searchers": {who: agent.username for who, agent in searchers.items()},
        "words": words,
        "searches": searches,
        "pages": pages,
    }
    out = args.out or database.RESULTS / f"search-desk-{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWritten to {out}")


def refuse_writes() -> None:
    """Makes every connection of this process read-only: the loaded desk is shared, and a write
    would change what the other benchmarks measure."""
    from django.db.backends.signals import connection_created

    def read_only(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
            else:
                cursor.execute("SET default_transaction_read_only = on")

    connection_created.connect(read_only, weak=False)


def desk_searchers() -> dict:
    """A plain agent of the team with the most tickets, who sees only that team, and an admin."""
    from django.db.models import Count

    from attenda.agents.models import Agent, Role
    from attenda.tickets.models import Ticket

    team = (
        Ticket.objects.exclude(team=None)
        .values("team")
        .annotate(tickets=Count("id"))
        .order_by("-tickets")
        .values_list("team", flat=True)
        .first()
    )
    agent = (
        Agent.objects.annotate(team_count=Count("teams"))
        .filter(team_count=1, teams=team, role=Role.AGENT, is_active=True)
        .order_by("pk")
        .first()
    )
    admin = Agent.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    return {"agent of the largest team": agent, "admin": admin}


def desk_words(rng: random.Random, tickets: int, sample: int) -> list[dict]:
    """The searches, from the words of a random sample of the desk's tickets (subject and indexed
    entries): the word whose share of all tickets is nearest COMMON_SHARE, the rarest, the common
    word with the one and the two words most often beside it, and NO_MATCH_WORD. Each share is
    counted on the whole index, as find() matches it (every word stemmed in every language)."""
    from collections import Counter

    from attenda.customers.queries import find_customers
    from attenda.tickets import search
    from attenda.tickets.models import SearchDocument, Ticket, TimelineEntry

    highest = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = rng.sample(range(1, highest + 1), min(sample, highest))
    texts: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for pk, subject in Ticket.objects.filter(pk__in=chunk).values_list("pk", "subject"):
            texts.setdefault(pk, []).append(subject)
        for ticket_id, body in TimelineEntry.objects.filter(
            ticket_id__in=chunk, kind__in=search.INDEXED_ENTRY_KINDS
        ).values_list("ticket_id", "body"):
            texts.setdefault(ticket_id, []).append(body)
    words_of = [
        {word for text in parts for word in search._words(text) if word.isalpha() and len(word) > 3}
        for parts in texts.values()
    ]
    counts = Counter(word for words in words_of for word in words)

    def matched(query: str) -> int:
        return SearchDocument.objects.filter(document__matches=search._Query.parse(query)).count()

    def word(kind: str, query: str, found: int | None = None) -> dict:
        found = matched(query) if found is None else found
        return {
            "search": kind,
            "query": query,
            "tickets": found,
            "share": round(found / tickets, 4),
        }

    # Near a fifth in the sample; then the nearest of a few by their count on the whole index, which
    # also finds other words of the same stem and the same word in other languages.
    candidates = sorted(counts, key=lambda w: (abs(counts[w] / len(words_of) - COMMON_SHARE), w))
    common = min(
        (word("common word", w) for w in candidates[:4]),
        key=lambda row: (abs(row["share"] - COMMON_SHARE), row["query"]),
    )
    # A word that also begins a customer's name is looked up as one: its page fills with that
    # customer's tickets and no words are matched (the mail benchmarks' senders are customers).
    admin = desk_searchers()["admin"]
    rarest = list(
        itertools.islice(
            (
                w
                for w in sorted(counts, key=lambda w: (counts[w], w))
                if not find_customers(admin, w, limit=1)
            ),
            4,
        )
    )
    rare = min(
        (word("rare word", w) for w in rarest), key=lambda row: (row["tickets"], row["query"])
    )
    # Each next word the one most often on the tickets that have the words taken so far, of another
    # sentence than theirs (a word that always comes with another narrows nothing).
    taken = [common["query"]]
    while len(taken) < 3:
        beside = Counter(
            other
            for words in words_of
            if all(chosen in words for chosen in taken)
            for other in words
        )
        taken.append(
            next(
                other
                # Most common first, ties in alphabetical order: the same words on every run.
                for other, _count in sorted(beside.items(), key=lambda item: (-item[1], item[0]))
                if all(counts[other] != counts[chosen] for chosen in taken)
            )
        )
    _common, second, third = taken
    return [
        rare,
        common,
        word("two words", f"{common['query']} {second}"),
        word("three words", f"{common['query']} {second} {third}"),
        word("no match", NO_MATCH_WORD),
    ]


def measure_pages(repeat: int, agent, queries: list[tuple[str, str]]) -> list[dict]:
    """The search page as the server answers it, through Django's test client, for a signed-in
    agent: wall-clock and this process's CPU per request."""
    from importlib import import_module
    from urllib.parse import urlencode

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.test import Client, override_settings
    from django.urls import reverse

    from benchmarks.inbox import BACKEND

    rows = []
    # Signed in as login() signs in, without its writes (a session row, the last login, the
    # failed attempts' clean-up): the session is kept in a signed cookie.
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = agent._meta.pk.value_to_string(agent)
        session[BACKEND_SESSION_KEY] = BACKEND
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.save()
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        for label, query in queries:
            url = f"{reverse('search')}?{urlencode({'q': query})}"

            def get(url=url):
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                return response

            for _ in range(5):
                get()
            timings, cpu = [], []
            for _ in range(repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                get()
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            row = {
                "who": "agent of the largest team",
                "search": label,
                "query": query,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "cpu_p50_ms": round(statistics.median(cpu), 1),
                "cpu_p95_ms": round(percentile(cpu, 95), 1),
            }
            rows.append(row)
            print(
                f"search page  {label:12} {query!r:32} p50 {row['median_ms']:6.1f} ms"
                f" p95 {row['p95_ms']:6.1f} ms (CPU p50 {row['cpu_p50_ms']:5.1f}"
                f" p95 {row['cpu_p95_ms']:5.1f})",
                flush=True,
            )
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
