"""Reads of one row by a unique key, for the paths that run once per incoming message."""

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_or_none(rows: QuerySet[M]) -> M | None:
    """The row a lookup by a unique key (or the primary key) finds, or None.

    ``first()`` orders by the primary key to choose among several rows; with a unique key there is
    at most one, and compiling that ORDER BY costs more than running the lookup (measured 390 against
    270 µs for the duplicate check of incoming mail)."""
    return next(iter(rows[:1]), None)
