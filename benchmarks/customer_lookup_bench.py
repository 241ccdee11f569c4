"""How long finding a customer takes among a million, on SQLite and on PostgreSQL: the lookup behind
the search page, the caller lookup of "Log a contact" and the API (customers/queries.py,
find_customers). Builds a database of its own with customers named as people of the five countries
are, with an email address, a mobile number and sometimes an organisation each, and their search
terms as customers/services.py writes them; then times lookups by surname, full name, national
phone number, organisation and part of an email address, and fails when a plan scans a table.

    python -m benchmarks.customer_lookup_bench --engine sqlite --customers 1000000
    python -m benchmarks.customer_lookup_bench --engine postgresql --reuse
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.database import RESULTS, configure, recreate

URLS = {
    "sqlite": f"sqlite:///{RESULTS / 'customers.db'}",
    "postgresql": "postgres://postgres@127.0.0.1:5432/attenda_customer_bench",
}
BLOCK = 20_000
ORGANIZATION_SHARE = 0.15
TARGET_P95_MS = 10.0
# Organisations customers work for: trades of each country with its surnames, as a desk meets them.
TRADES = {
    "pt": ["Padaria {}, Lda.", "Clínica Dentária {}", "Oficina Auto {}", "Farmácia {}"],
    "es": ["Construcciones {} S.L.", "Farmacia {} Hermanos", "Gestoría {}", "Talleres {} S.A."],
    "ro": ["{} Agromec SRL", "Cabinet Avocatură {}", "Brutăria {}", "Farmacia {} SRL"],
    "pl": ["Piekarnia {} sp. z o.o.", "Biuro Rachunkowe {}", "Auto-Serwis {}", "Apteka {}"],
    "en": ["{} Lettings Ltd", "{} Dental Practice", "{} & Sons Plumbing", "{} Pharmacy"],
}
DIALLING_CODES = {"pt": "351", "es": "34", "ro": "40", "pl": "48", "en": "44"}


def national_mobile(language: str, number: int) -> str:
    """A distinct mobile number per customer, written as people of that country write it."""
    digits = f"{number:07d}"
    if language == "pt":
        return f"91{digits[0]} {digits[1:4]} {digits[4:7]}"
    if language == "es":
        return f"61{digits[0]} {digits[1:4]} {digits[4:7]}"
    if language == "ro":
        return f"072{digits[0]} {digits[1:4]} {digits[4:7]}"
    if language == "pl":
        return f"50{digits[0]} {digits[1:4]} {digits[4:7]}"
    return f"0770{digits[0]} {digits[1:7]}"


def e164(language: str, number: int) -> str:
    return (
        "+"
        + DIALLING_CODES[language]
        + national_mobile(language, number).replace(" ", "").lstrip("0")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.customer_lookup_bench", description=__doc__
    )
    parser.add_argument("--engine", choices=sorted(URLS), default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200, help="of each kind")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--reuse", action="store_true", help="time the database of an earlier run as it is"
    )
    parser.add_argument("--database-url", help="instead of the engine's benchmark database")
    parser.add_argument(
        "--rows",
        type=Path,
        default=RESULTS / "customer-rows",
        help="where the generated rows are kept, so the other engine loads the same ones",
    )
    args = parser.parse_args()
    url = args.database_url or URLS[args.engine]
    if not args.reuse:
        recreate(url)
    os.environ.setdefault("ATTENDA_DATA_DIR", str(RESULTS / "customers-data"))
    configure(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not args.reuse:
        if (args.rows / "done").exists():
            load_rows(args.rows)
        else:
            populate(args.customers, random.Random(args.seed), args.rows)
    loaded = time.perf_counter() - started
    rows, scans = measure(args.lookups, random.Random(args.seed + 1))
    report = {
        "engine": args.engine,
        "customers": count_customers(),
        "load_seconds": round(loaded, 1),
        "load_average": os.getloadavg(),
        "lookups": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"customer-lookup-{args.engine}.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    missed = [row for row in rows if row["p95_ms"] > TARGET_P95_MS]
    if scans or missed:
        for plan in scans:
            print("A lookup scans a table:\n  " + "\n  ".join(plan), file=sys.stderr)
        for row in missed:
            print(f"{row['lookup']}: p95 {row['p95_ms']} ms > {TARGET_P95_MS} ms", file=sys.stderr)
        sys.exit(1)


def people(count: int, rng: random.Random):
    """(number, language, first name, surnames) of each customer, in the five languages' shares."""
    from attenda.demo.people import FIRST_NAMES, LANGUAGE_WEIGHTS, LAST_NAMES

    languages = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    first_names = {language: names.split() for language, names in FIRST_NAMES.items()}
    last_names = {language: names.split() for language, names in LAST_NAMES.items()}
    for number in range(1, count + 1):
        language = rng.choices(languages, weights)[0]
        last = rng.choice(last_names[language])
        if language in ("es", "pt") and rng.random() < 0.5:
            last = f"{rng.choice(last_names[language])} {last}"
        yield number, language, rng.choice(first_names[language]), last


def organization_names() -> list[tuple[str, str]]:
    """(language, name) of every organisation, in the order both engines number them."""
    from attenda.demo.people import LAST_NAMES

    return [
        (language, trade.format(surname))
        for language, trades in TRADES.items()
        for trade in trades
        for surname in LAST_NAMES[language].split()
    ]


def populate(count: int, rng: random.Random, rows: Path) -> None:
    """Rows written as create_customer() leaves them, in bulk: the customer, an email address and a
    mobile number, and the terms customer_terms() makes of them (what write_search_terms() stores)."""
    from django.db import connection, transaction

    from attenda.customers.models import Organization
    from attenda.customers.search_terms import customer_terms
    from attenda.demo.people import COUNTRY, EMAIL_DOMAINS, ascii_name

    names = organization_names()
    made = Organization.objects.bulk_create(Organization(name=name) for _language, name in names)
    organizations = {language: [] for language in TRADES}
    for (language, name), organization in zip(names, made, strict=True):
        organizations[language].append((organization.pk, name))
    now = datetime.now(UTC)
    customers, identities, terms = [], [], []
    for number, language, first, last in people(count, rng):
        name = f"{first} {last}"
        organization = (
            rng.choice(organizations[language]) if rng.random() < ORGANIZATION_SHARE else None
        )
        email = (
            f"{ascii_name(first)}.{ascii_name(last.split()[-1])}{number}@"
            + (EMAIL_DOMAINS[language][number % len(EMAIL_DOMAINS[language])])
        )
        phone = e164(language, number)
        customers.append(
            (
                number,
                name,
                organization[0] if organization else None,
                language,
                COUNTRY[language],
                "",
                now,
                now,
            )
        )
        identities.append((2 * number, number, "email", email, now, ""))
        identities.append((2 * number + 1, number, "phone", phone, now, ""))
        terms.extend(
            (number, term, kind)
            for term, kind in customer_terms(
                name=name,
                organization=organization[1] if organization else "",
                identities=[("email", email), ("phone", phone)],
            )
        )
        if number % BLOCK == 0 or number == count:
            keep_rows(rows, customers, identities, terms)
            with transaction.atomic():
                for table, block in zip(COLUMNS, (customers, identities, terms), strict=True):
                    write_rows(table, COLUMNS[table], block)
            customers, identities, terms = [], [], []
            if number % 100_000 == 0 or number == count:
                print(f"{number:,} of {count:,} customers written", flush=True)
    (rows / "done").write_text(f"{count}\n")
    finish(connection)


COLUMNS = {
    "customers_customer": (
        "id",
        "name",
        "organization_id",
        "language",
        "country",
        "notes",
        "created_at",
        "updated_at",
    ),
    "customers_identity": (
        "id",
        "customer_id",
        "kind",
        "value",
        "created_at",
        "undeliverable_reason",
    ),
    "customers_search_term": ("customer_id", "term", "kind"),
}


def keep_rows(rows: Path, customers: list, identities: list, terms: list) -> None:
    """The rows as PostgreSQL's COPY text format, which no name or address here needs escaped in."""
    if not rows.exists():
        rows.mkdir(parents=True)
        for table in COLUMNS:
            (rows / f"{table}.tsv").write_text("")
    for table, block in zip(COLUMNS, (customers, identities, terms), strict=True):
        with (rows / f"{table}.tsv").open("a") as file:
            file.writelines(
                "\t".join(r"\N" if value is None else str(value) for value in row) + "\n"
                for row in block
            )


def load_rows(rows: Path) -> None:
    """The rows another engine's run generated, with its organisations, by COPY or executemany."""
    from django.db import connection, transaction

    from attenda.customers.models import Organization

    with transaction.atomic():
        Organization.objects.bulk_create(
            Organization(name=name) for _language, name in organization_names()
        )
        for table, columns in COLUMNS.items():
            with (rows / f"{table}.tsv").open() as file:
                if connection.vendor == "postgresql":
                    with (
                        connection.cursor() as cursor,
                        cursor.cursor.copy(
                            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                        ) as copy,
                    ):
                        while chunk := file.read(1 << 20):
                            copy.write(chunk)
                else:
                    block = []
                    for line in file:
                        block.append(
                            [
                                None if value == r"\N" else value
                                for value in line.rstrip("\n").split("\t")
                            ]
                        )
                        if len(block) == BLOCK * 10:
                            write_rows(table, columns, block)
                            block = []
                    write_rows(table, columns, block)
            print(f"{table} loaded", flush=True)
    finish(connection)


def finish(connection) -> None:
    """Statistics for the planner; on PostgreSQL also the visibility map that autovacuum keeps on a
    desk's tables, without which every row an index-only scan reads is looked up in the table too
    (2,000 of them to count a common word)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("customers_customer", "customers_identity"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
                )
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")


def write_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )


def count_customers() -> int:
    from attenda.customers.models import Customer

    return Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def typed(rng: random.Random, text: str) -> str:
    """As an agent types it: in lower case without accents, or as written, or in capitals."""
    from attenda.customers.search_terms import fold

    return rng.choice([fold(text), text, text.upper()])


def lookups(count: int, rng: random.Random) -> dict[str, list[str]]:
    """What agents type, by kind, for customers picked at random among those loaded."""
    from django.db.models import Exists, OuterRef

    from attenda.customers.models import Customer, Organization
    from attenda.customers.search_terms import fold

    last = count_customers()
    chosen = list(
        Customer.objects.filter(
            pk__in=[rng.randint(1, last) for _ in range(count)]
        ).prefetch_related("identities")
    )
    surnames = sorted(
        {
            name.split()[-1]
            for name in Customer.objects.filter(
                pk__in=[rng.randint(1, last) for _ in range(500)]
            ).values_list("name", flat=True)
        }
    )
    organizations = list(
        Organization.objects.filter(
            Exists(Customer.objects.filter(organization=OuterRef("pk")))
        ).values_list("name", flat=True)
    )

    def address(customer, kind):
        return next(
            identity.value for identity in customer.identities.all() if identity.kind == kind
        )

    def national(customer):
        number = address(customer, "phone")
        national = number[len("+" + DIALLING_CODES[customer.language]) :]
        grouped = f"{national[:-6]} {national[-6:-3]} {national[-3:]}"
        # Romanian and British numbers are dialled at home with a leading 0.
        if customer.language in ("ro", "en"):
            grouped = "0" + grouped
        return rng.choice([grouped, grouped.replace(" ", ""), grouped.replace(" ", "-")])

    return {
        "surname": [typed(rng, rng.choice(surnames)) for _ in range(count)],
        "full name": [
            typed(rng, f"{customer.name.split()[0]} {customer.name.split()[-1]}")
            for customer in chosen
        ],
        "national phone": [national(customer) for customer in chosen],
        "international phone": [
            rng.choice([number, "00" + number[1:]])
            for number in (address(customer, "phone") for customer in chosen)
        ],
        "organisation": [" ".join(rng.choice(organizations).split()[:2]) for _ in range(count)],
        "email part": [
            fold(address(customer, "email").split("@")[0][: rng.randint(8, 40)])
            for customer in chosen
        ],
    }


def measure(count: int, rng: random.Random) -> tuple[list[dict], list[list[str]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attenda.agents.models import Agent
    from attenda.customers.queries import find_customers

    agent = Agent.objects.filter(username="lookup-admin").first() or Agent.objects.create(
        username="lookup-admin", role="admin"
    )
    rows, scans, plans_seen = [], [], set()
    for label, texts in lookups(count, rng).items():
        for text in texts[:10]:
            find_customers(agent, text)
        timings, cpu, found = [], [], []
        server_started = server_cpu_seconds(connection)
        for text in texts:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = find_customers(agent, text)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            found.append(len(result))
        server_ended = server_cpu_seconds(connection)
        with CaptureQueriesContext(connection) as captured:
            find_customers(agent, texts[0])
        for query in captured.captured_queries:
            plan = explain(connection, query["sql"])
            if any(scans_a_table(line) for line in plan):
                scans.append([query["sql"], *plan])
            plans_seen.add("\n  ".join(plan))
        row = {
            "lookup": label,
            "example": texts[0],
            "lookups": len(timings),
            "found_median": statistics.median(found),
            "found_none": sum(1 for number in found if not number),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(statistics.quantiles(timings, n=20)[18], 2),
            # This process's CPU time (SQLite works inside it, PostgreSQL's server does not): on a
            # machine shared with other work, the part of the time that is the lookup's.
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(statistics.quantiles(cpu, n=20)[18], 2),
            "statements": len(captured.captured_queries),
            # PostgreSQL's own CPU time for the lookup (planning, reading, sending), on average:
            # its process's clock counts in hundredths of a second, too coarse for one lookup.
            "server_cpu_mean_ms": None
            if server_started is None
            else round((server_ended - server_started) * 1000 / len(texts), 2),
        }
        rows.append(row)
        print(
            f"{label:20} {texts[0]!r:32} p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms"
            f" (CPU p50 {row['cpu_p50_ms']:5.2f} p95 {row['cpu_p95_ms']:5.2f}"
            + (
                ""
                if row["server_cpu_mean_ms"] is None
                else f", server's mean {row['server_cpu_mean_ms']:5.2f}"
            )
            + ")"
            f"  ({row['statements']} statements, {row['found_median']:.0f} found,"
            f" {row['found_none']} of {row['lookups']} found none)",
            flush=True,
        )
    print("\nPlans:\n  " + "\n\n  ".join(sorted(plans_seen)))
    return rows, scans


def server_cpu_seconds(connection) -> float | None:
    """The CPU time so far of the PostgreSQL process serving this connection, when the server runs
    on this machine (Linux); None on SQLite, whose work is this process's own."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command's closing bracket: utime and stime are the 12th and 13th.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The tables that grow with the customers; a plan may read the few organisations whole.
LARGE_TABLES = ("customers_customer", "customers_identity", "customers_search_term")


def scans_a_table(line: str) -> bool:
    """A plan step that reads a whole large table (or index) instead of seeking in it."""
    line = line.strip()
    return any(
        line.startswith(f"SCAN {table}") or f"Seq Scan on {table}" in line for table in LARGE_TABLES
    )


def explain(connection, sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return [row[3] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN {sql}")
        return [row[0] for row in cursor.fetchall()]


if __name__ == "__main__":
    main()
