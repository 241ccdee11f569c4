"""Keyset pagination: a page is "the next N rows after this one" in index order, so page 500 costs
what page 1 costs. The cursor carries the sort values of the last row shown."""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _field_name(order: str) -> tuple[str, bool]:
    return order.lstrip("-"), order.startswith("-")


def encode_cursor(row: Model | tuple, order: Sequence[str]) -> str:
    values = []
    for item in order:
        name, _descending = _field_name(item)
        # "id" is a model's primary key, whatever its name; a row read as a tuple has only its id.
        value = getattr(row, "pk" if name == "id" and isinstance(row, Model) else name)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, model: type[Model], order: Sequence[str]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(order):
            raise InvalidCursor(cursor)
        return [
            model._meta.get_field(_field_name(item)[0]).to_python(value)
            for item, value in zip(order, values, strict=True)
        ]
    except (ValueError, TypeError, ValidationError) as error:
        raise InvalidCursor(cursor) from error


def after(order: Sequence[str], values: Sequence[Any], *, row_comparison: bool = False) -> Q:
    """Rows strictly after ``values`` in ``order``.

    Where the database compares rows and every column sorts the same way, this is
    ``(a, b) > (x, y)``: one index range that PostgreSQL estimates by its leading column. Otherwise
    ``a >= x AND (a > x OR (a = x AND …))``, whose leading range SQLite uses; PostgreSQL would
    misjudge that form's size and read every later row before sorting them."""
    directions = {_field_name(item)[1] for item in order}
    if row_comparison and len(order) > 1 and len(directions) == 1:
        lookup = TupleLessThan if directions.pop() else TupleGreaterThan
        return Q(lookup(Tuple(*(F(_field_name(item)[0]) for item in order)), tuple(values)))
    name, descending = _field_name(order[0])
    beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[0]})
    if len(order) == 1:
        return beyond
    reach = Q(**{f"{name}__{'lte' if descending else 'gte'}": values[0]})
    return reach & (beyond | (Q(**{name: values[0]}) & after(order[1:], values[1:])))


def keyset_page(queryset: QuerySet, *, order: Sequence[str], cursor: str | None, size: int) -> Page:
    if cursor:
        values = decode_cursor(cursor, queryset.model, order)
        row_comparison = connections[queryset.db].features.supports_tuple_lookups
        queryset = queryset.filter(after(order, values, row_comparison=row_comparison))
    rows = list(queryset.order_by(*order)[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(
        items=rows, next_cursor=encode_cursor(rows[-1], order) if has_more and rows else None
    )
