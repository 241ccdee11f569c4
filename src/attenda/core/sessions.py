"""Agents' sessions, kept in the database as Django's own engine keeps them, but read by a
written-out statement: every page an agent opens reads its session first, and Django composing that
one-row read cost ten times what the database took to answer it."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict:
        """The session's data, or nothing (and no key) when it is missing or has expired."""
        connection = connections[router.db_for_read(self.model)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Safe: the table and column names are the model's, the values are parameters.
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)}"  # noqa: S608
                f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [
                    self.session_key,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
