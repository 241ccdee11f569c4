"""The plans the database makes for statements a test captured."""

from django.db import connection


def plans(queries) -> list[str]:
    """The database's plan of each statement, with sequential scans off on PostgreSQL so that a scan
    shows only where no index can answer (as on a table with many rows)."""
    lines = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                lines += [row[3] for row in cursor.fetchall()]
            else:
                cursor.execute(f"EXPLAIN {query['sql']}")
                lines += [row[0] for row in cursor.fetchall()]
    return lines
