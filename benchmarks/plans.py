"""The database's own account of how it runs a query (EXPLAIN), and what in it would make a page's cost
grow with the number of tickets: a full scan of a large table, or sorting rows an index should have
delivered in order."""

import re
from dataclasses import dataclass, field

LARGE_TABLES = (
    "tickets_ticket",
    "tickets_timelineentry",
    "tickets_ticket_tags",
    "customers_customer",
    "customers_identity",
)


@dataclass
class Plan:
    sql: str
    lines: list[str]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def uses(self, index: str) -> bool:
        return any(re.search(rf"\b{re.escape(index)}\b", line) for line in self.lines)


def explain(connection, sql: str) -> Plan:
    """EXPLAIN QUERY PLAN on SQLite; EXPLAIN ANALYZE on PostgreSQL, whose row counts show what a
    node really touched."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            rows = cursor.fetchall()
            depth = {0: -1}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
        else:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
    plan = Plan(sql=sql, lines=lines)
    plan.problems = problems(connection.vendor, lines, sql)
    return plan


# More rows than this read from one large table means the query is not one short index range.
ROWS_READ_LIMIT = 1000


def problems(vendor: str, lines: list[str], sql: str = "") -> list[str]:
    found = []
    limited = re.search(r"\bLIMIT \d+\s*$", sql) is not None
    large = "|".join(LARGE_TABLES)
    touches_large = any(re.search(rf"\b({large})\b", line) for line in lines)
    for line in lines:
        text = line.strip()
        if vendor == "sqlite":
            # "SCAN t" reads the whole table; "SCAN t USING [COVERING] INDEX i" the whole index.
            if match := re.search(rf"\bSCAN ({large})\b", text):
                found.append(f"full scan of {match.group(1)}: {text}")
            # A sort before a LIMIT sorts every matching row to keep a few; without a LIMIT it
            # orders what the page shows anyway.
            if "USE TEMP B-TREE" in text and touches_large and limited:
                found.append(f"sort outside an index: {text}")
            continue
        if match := re.search(rf"Seq Scan on ({large})\b", text):
            found.append(f"full scan of {match.group(1)}: {text}")
            continue
        scan = re.search(rf"Scan (?:Backward )?(?:using \S+ )?on ({large})\b", text)
        rows = re.search(r"actual rows=(\d+) loops=(\d+)", text)
        if scan and rows and int(rows.group(1)) * int(rows.group(2)) > ROWS_READ_LIMIT:
            found.append(f"reads {int(rows.group(1)) * int(rows.group(2)):,} rows: {text}")
        removed = re.search(r"Rows Removed by (?:Filter|Index Recheck): (\d+)", text)
        if removed and int(removed.group(1)) > ROWS_READ_LIMIT:
            found.append(f"reads and discards {int(removed.group(1)):,} rows: {text}")
    return found


def require_index(plan: Plan, vendor: str, index: str) -> None:
    """The list must be read from ``index``. PostgreSQL may choose another index that delivers the
    same order (its costs favour the all-teams index for the largest team's first page); that is
    accepted when EXPLAIN ANALYZE shows no sort and no more than ROWS_READ_LIMIT rows read, which
    SQLite's plans cannot show."""
    if plan.uses(index):
        return
    if vendor == "postgresql" and not plan.problems:
        chosen = re.search(
            r"Index (?:Only )?Scan (?:Backward )?using (\S+) on tickets_ticket",
            "\n".join(plan.lines),
        )
        plan.notes.append(
            f"PostgreSQL chose {chosen.group(1) if chosen else 'another index'} over {index}:"
            " rows come in index order, without a sort, and few are read."
        )
        return
    plan.problems.insert(0, f"does not use {index}")


def list_query(queries: list[dict], order_column: str = "waiting_since") -> str:
    """The inbox's ticket list among a request's queries: the one that pages tickets in order. A
    list read as tuples (the inbox's rows) is ordered by the column's place in them."""
    for query in queries:
        sql = query["sql"]
        if re.search(r'FROM "tickets_ticket"', sql) and re.search(
            rf'ORDER BY ("tickets_ticket"\."{order_column}"|\d+ (ASC|DESC))', sql
        ):
            return sql
    raise LookupError("No ticket list query was run.")
