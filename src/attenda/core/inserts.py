"""A row written as ``Model.save()`` writes it, with the statement built once per model.

Every message that comes in writes its mail, ticket, entry and triage rows; Django built each of
those INSERTs again per row (the compiler, the quoting, the checks of every value) at several
times the cost of running it. ``insert()`` writes the same columns with the same values — each
field's ``pre_save()`` and ``get_db_prep_save()``, as the ORM calls them — and reads back what the
database makes (the id, generated columns) as the ORM does; ``update()`` writes every column of a
row that exists, as ``save()`` does. Signals are not sent: Attenda's services call what follows a
write explicitly, and no model written here has a receiver."""

import functools

from django.db import connection, models


def insert(instance: models.Model) -> models.Model:
    """Writes ``instance``, a new row of a model without parents, and gives it its id."""
    fields, returning, sql = _statement(type(instance), connection.vendor)
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    for field, value in zip(returning, row, strict=True):
        col = field.get_col(field.model._meta.db_table)
        for converter in (
            *connection.ops.get_db_converters(col),
            *col.get_db_converters(connection),
        ):
            value = converter(value, col, connection)
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


@functools.cache
def _statement(model: type[models.Model], vendor: str) -> tuple[list, list, str]:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label} has parents: insert() writes one table")
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and field is not meta.auto_field
    ]
    returning = [meta.pk, *(field for field in meta.db_returning_fields if field is not meta.pk)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    returned = ", ".join(quote(field.column) for field in returning)
    # The model's own names; the values go as parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {returned}"  # noqa: S608
    return fields, returning, sql


def update(instance: models.Model) -> None:
    """Writes every field of ``instance``, a row that exists, of a model without parents."""
    fields, sql = _update_statement(type(instance), connection.vendor)
    values = [
        field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, instance.pk])


@functools.cache
def _update_statement(model: type[models.Model], vendor: str) -> tuple[list, str]:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label} has parents: update() writes one table")
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and not field.primary_key
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # The model's own names; the values go as parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return fields, sql
