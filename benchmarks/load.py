"""Builds a benchmark Attenda of a million tickets (or any size) from nothing, fast: migrations first,
then bulk rows with the big tables' secondary indexes and constraints set aside, then the indexes,
then the planner's statistics.

    python -m benchmarks.load --database-url sqlite:///benchmarks/results/bench.db --tickets 1000000
    python -m benchmarks.load --database-url postgres://postgres@127.0.0.1:5432/attenda_bench
"""

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from benchmarks import database

BLOCK = 50_000
# Pages FTS5 writes per merge statement at the end of a load, which holds the database alone.
MERGE_PAGES = 10_000


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--database-url", default=database.SQLITE_URL)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--entries-per-ticket", type=int, default=3)
    parser.add_argument("--customers", type=int, default=0, help="default: one per five tickets")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when this database already holds a completed load of this size",
    )
    parser.add_argument(
        "--drop", action="store_true", help="drop this database and its load report, load nothing"
    )
    parser.add_argument("--report", type=Path, help="default: benchmarks/results/load-ENGINE.json")
    args = parser.parse_args(argv)
    report_path = args.report or database.RESULTS / f"load-{database.label(args.database_url)}.json"
    if args.drop:
        database.drop(args.database_url)
        report_path.unlink(missing_ok=True)
        print(f"Dropped {args.database_url}.")
        return
    database.configure(args.database_url)

    from benchmarks.population import Size

    size = Size(
        tickets=args.tickets,
        entries_per_ticket=args.entries_per_ticket,
        customers=args.customers,
        agents=args.agents,
        teams=args.teams,
    )
    engine = database.engine_name(args.database_url)
    if args.if_missing and already_loaded(args.database_url, report_path, size):
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        # The pages measured are the code's of today: tables and indexes added since the load come
        # first, then fresh statistics, without which PostgreSQL plans new indexes badly.
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            # Loads made before the loader merged its index are merged now; a merged one is left.
            connection.ensure_connection()
            merge_search_segments(connection.connection)
        add_mailboxes()
        print(f"{engine}: {args.tickets:,} tickets already loaded ({report_path.name}).")
        return
    report = load(args.database_url, size, seed=args.seed)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{engine}: loaded {report['rows']['tickets']:,} tickets and "
        f"{report['rows']['timeline_entries']:,} timeline entries in {report['seconds']:.1f} s "
        f"({report_path})."
    )


def merge_search_segments(db) -> None:
    """Merges the SQLite search index's segments as the worker does while a desk writes
    (tickets/search.py, _merge_segments): until no level holds FTS5's ``usermerge`` segments. A
    load's blocks, one transaction each with the merges inside writes turned off (migration 0011),
    leave four segments of a quarter of the tickets each waiting to be merged, a state no desk with
    a worker is in: the first benchmark after a load made that merge (4 s of merging on 2 cores) in
    the worker's steps, some of which held SQLite's write lock 40-56 ms. ``db`` is the sqlite3
    connection."""
    merge = (
        "INSERT INTO tickets_search_document (tickets_search_document, rank) VALUES ('merge', ?)"
    )
    while True:
        before = db.total_changes
        db.execute(merge, [MERGE_PAGES])
        # FTS5's documented signal that there was nothing left to merge.
        if db.total_changes - before < 2:
            break


def add_mailboxes() -> None:
    """A mailbox for each team, as a desk that takes mail has: without one, every reply's route
    on the ticket page looks for a way that does not exist (and asks the other channels too).
    Loads made before mailboxes were part of the desk get theirs here."""
    from attenda.agents.models import Team
    from attenda.channels.email.models import Mailbox

    if Mailbox.objects.exists():
        return
    Mailbox.objects.bulk_create(
        Mailbox(address=f"team-{team_id}@desk.example", name=name, team_id=team_id)
        for team_id, name in Team.objects.values_list("id", "name")
    )


def already_loaded(database_url: str, report_path: Path, size) -> bool:
    if not report_path.exists() or not database.exists(database_url):
        return False
    report = json.loads(report_path.read_text())
    if (report["database_url"], report["size"]) != (database_url, size_dict(size)):
        return False
    from django.db import DatabaseError

    from attenda.tickets.models import Ticket

    try:
        # The desk's write benchmarks (mail, API) add their tickets to the loaded ones.
        return Ticket.objects.count() >= size.tickets
    except DatabaseError:
        return False


def size_dict(size) -> dict:
    return {
        "tickets": size.tickets,
        "entries_per_ticket": size.entries_per_ticket,
        "customers": size.customer_count,
        "agents": size.agents,
        "teams": size.teams,
        "organizations": size.organizations,
    }


def load(database_url: str, size, *, seed: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from attenda.agents.models import Agent, Team
    from attenda.core import clock
    from attenda.customers.models import Customer, Identity, Organization
    from attenda.tickets.models import SearchDocument, Tag, Ticket, TimelineEntry
    from benchmarks import population as shape

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 2)
        print(f"  {name}: {now - since:.1f} s (total {now - started:.1f} s)", file=sys.stderr)
        return now

    # The pool's connections (settings.py) would outlive the database dropped under them.
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    database.recreate(database_url)
    mark = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    mark = phase("migrate", mark)

    through = Ticket.tags.through
    big = [Customer, Identity, Ticket, TimelineEntry, through]
    index = SearchIndexRows()
    tables = (
        SqliteTables(connection) if connection.vendor == "sqlite" else PostgresTables(connection)
    )
    tables.set_aside_indexes([model._meta.db_table for model in [*big, SearchDocument]])
    mark = phase("set aside indexes", mark)

    people = shape.Population(size, now=clock.now(), seed=seed)
    teams = Team.objects.bulk_create(Team(name=name) for name in people.team_names())
    team_ids = [team.pk for team in teams]
    unusable = make_password(None)
    specs = list(people.agents(team_ids))
    agents = Agent.objects.bulk_create(
        Agent(**{key: value for key, value in spec.items() if key != "teams"}, password=unusable)
        for spec in specs
    )
    Agent.teams.through.objects.bulk_create(
        Agent.teams.through(agent_id=agent.pk, team_id=team_id)
        for agent, spec in zip(agents, specs, strict=True)
        for team_id in spec["teams"]
    )
    staff = shape.Staff(
        team_ids=team_ids,
        agents_by_team={
            team_id: [
                agent.pk
                for agent, spec in zip(agents, specs, strict=True)
                if team_id in spec["teams"]
            ]
            for team_id in team_ids
        },
        all_agents=[agent.pk for agent, spec in zip(agents, specs, strict=True) if spec["teams"]],
    )
    add_mailboxes()
    tag_ids = [tag.pk for tag in Tag.objects.bulk_create(Tag(name=name) for name in shape.TAGS)]
    Organization.objects.bulk_create(
        Organization(name=name) for name in people.organization_names()
    )
    mark = phase("teams, agents, tags, organizations", mark)

    tables.write(Customer, shape.CUSTOMER_FIELDS, people.customers())
    mark = phase("customers", mark)
    tables.write(Identity, shape.IDENTITY_FIELDS, people.identities())
    mark = phase("identities", mark)

    counts = {"tickets": 0, "timeline_entries": 0, "ticket_tags": 0}
    for tickets, entries, tags in people.ticket_blocks(staff, tag_ids, block=BLOCK):
        tables.write(Ticket, shape.TICKET_FIELDS, tickets)
        tables.write(TimelineEntry, shape.ENTRY_FIELDS, entries)
        tables.write(through, ("id", "ticket", "tag"), tags)
        tables.write_search(index.rows(tickets, entries, vendor=connection.vendor))
        counts["tickets"] += len(tickets)
        counts["timeline_entries"] += len(entries)
        counts["ticket_tags"] += len(tags)
        if counts["tickets"] % (BLOCK * 4) == 0:
            elapsed = time.perf_counter() - mark
            print(
                f"    {counts['tickets']:,} tickets, {counts['timeline_entries']:,} entries "
                f"({counts['tickets'] / elapsed:,.0f} tickets/s)",
                file=sys.stderr,
            )
    mark = phase("tickets, timeline entries, tags, search documents", mark)
    tables.finish_search()
    mark = phase("search documents (SQLite: segments merged; PostgreSQL: tsvectors)", mark)

    tables.restore_indexes()
    mark = phase("indexes and constraints", mark)
    tables.finish(big)
    mark = phase("statistics", mark)

    seconds = time.perf_counter() - started
    return {
        "engine": connection.vendor,
        "database_url": database_url,
        "size": size_dict(size),
        "rows": {
            "teams": len(team_ids),
            "agents": len(agents),
            "customers": size.customer_count,
            "identities": Identity.objects.count(),
            **counts,
            "search_documents": SearchDocument.objects.count(),
        },
        "seconds": round(seconds, 1),
        "phases": phases,
        "machine": machine(),
    }


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024),
        "python": platform.python_version(),
    }


class SearchIndexRows:
    """Each ticket's search document as the services write it (tickets/search.py: the subject, then
    every indexed entry in the ticket's language), so the benchmarks meet a full desk's index. Bodies
    are made of a few hundred sentences, so their stems are worked out once per distinct body."""

    def __init__(self) -> None:
        from attenda.tickets import search

        self.search = search
        self.kinds = {str(kind) for kind in search.INDEXED_ENTRY_KINDS}
        self.cache: dict[tuple, object] = {}

    def _cached(self, kind: str, text: str, language: str):
        key = (kind, text, language)
        found = self.cache.get(key)
        if found is None:
            if len(self.cache) > 500_000:
                self.cache.clear()
            found = (
                self.search._terms(text, language)
                if kind == "sqlite"
                else self.search._postgres_vector(text, language)
            )
            self.cache[key] = found
        return found

    def rows(self, tickets: list[tuple], entries: list[tuple], *, vendor: str) -> list[tuple]:
        bodies: dict[int, list[str]] = {}
        for entry in entries:
            # ENTRY_FIELDS: id, ticket, kind, ..., body (7), language (8).
            if entry[2] in self.kinds and entry[7].strip():
                bodies.setdefault(entry[1], []).append(entry[7])
        rows = []
        for ticket in tickets:
            # TICKET_FIELDS: id, customer, customer_name, subject (3), ..., language (8).
            ticket_id, subject = ticket[0], ticket[3]
            language = self.search._language(ticket[8])
            texts = bodies.get(ticket_id, [])
            if vendor == "sqlite":
                document = " ".join(self._cached("sqlite", text, language) for text in texts)
                rows.append((ticket_id, ticket_id, self.search._terms(subject, language), document))
            else:
                rows.append(
                    (
                        ticket_id,
                        *self.search._postgres_vector(subject, language),
                        *self._cached("postgresql", "\n".join(texts), language),
                    )
                )
        return rows


def columns(model, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


class SqliteTables:
    """Inserts with the journal and fsync off (a failed load is simply run again), then puts the
    database back in the WAL mode Attenda runs in."""

    def __init__(self, connection) -> None:
        connection.ensure_connection()
        self.db = connection.connection
        self.set_aside: list[tuple[str, str]] = []
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-1048576",
            "temp_store=MEMORY",
        ):
            self.db.execute(f"PRAGMA {pragma}")

    def set_aside_indexes(self, table_names: Iterable[str]) -> None:
        for table in table_names:
            rows = self.db.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                [table],
            ).fetchall()
            for name, sql in rows:
                self.db.execute(f'DROP INDEX "{name}"')
                self.set_aside.append((name, sql))

    def write(self, model, fields: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(f'"{column}"' for column in columns(model, fields))
        marks = ", ".join("?" * len(fields))
        self.db.execute("BEGIN")
        self.db.executemany(
            f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES ({marks})',  # noqa: S608
            rows,
        )
        self.db.execute("COMMIT")

    def write_search(self, rows: list[tuple]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO tickets_search_document (rowid, ticket_id, subject, document)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )
        self.db.execute("COMMIT")

    def finish_search(self) -> None:
        merge_search_segments(self.db)

    def restore_indexes(self) -> None:
        for _name, sql in self.set_aside:
            self.db.execute(sql)

    def finish(self, models) -> None:
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")


class PostgresTables:
    """COPY into tables without their secondary indexes and foreign keys; the indexes are then built
    in bulk (in parallel where PostgreSQL can) and the keys validated once, instead of row by row."""

    def __init__(self, connection) -> None:
        connection.ensure_connection()
        self.connection = connection
        self.db = connection.connection
        self.indexes: list[str] = []
        self.constraints: list[str] = []
        self.search_staged = False
        self.db.execute("SET synchronous_commit = off")
        self.db.execute("SET maintenance_work_mem = '1GB'")
        self.db.execute("SET TIME ZONE 'UTC'")

    def set_aside_indexes(self, table_names: Iterable[str]) -> None:
        table_names = list(table_names)
        constraints = self.db.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u')",
            [table_names],
        ).fetchall()
        for table, name, definition in constraints:
            self.db.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            self.constraints.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        indexes = self.db.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname::regclass NOT IN (SELECT conindid FROM pg_constraint)",
            [table_names],
        ).fetchall()
        for name, definition in indexes:
            self.db.execute(f'DROP INDEX "{name}"')
            self.indexes.append(definition)

    def write(self, model, fields: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(f'"{column}"' for column in columns(model, fields))
        with (
            self.db.cursor() as cursor,
            cursor.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def write_search(self, rows: list[tuple]) -> None:
        """The texts and their configurations, made into tsvectors by finish_search()."""
        if not self.search_staged:
            self.db.execute(
                "CREATE UNLOGGED TABLE bench_search_staging (ticket_id bigint,"
                " s1 regconfig, st1 text, s2 regconfig, st2 text,"
                " d1 regconfig, dt1 text, d2 regconfig, dt2 text)"
            )
            self.search_staged = True
        with (
            self.db.cursor() as cursor,
            cursor.copy("COPY bench_search_staging FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def finish_search(self) -> None:
        self.db.execute(
            "INSERT INTO tickets_search_document (ticket_id, document) SELECT ticket_id,"
            " setweight(to_tsvector(s1, st1) || to_tsvector(s2, st2), 'A')"
            " || to_tsvector(d1, dt1) || to_tsvector(d2, dt2) FROM bench_search_staging"
        )
        self.db.execute("DROP TABLE bench_search_staging")

    def restore_indexes(self) -> None:
        for statement in [*self.indexes, *self.constraints]:
            self.db.execute(statement)

    def finish(self, models) -> None:
        from django.core.management.color import no_style

        for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
            self.db.execute(statement)
        self.db.execute("VACUUM (ANALYZE)")


if __name__ == "__main__":
    main()
