"""Model instances read by written-out statements. Composing a statement that joins four tables
cost Django more than the database spent running it; written out once, its rows are turned into
the same instances Django builds (every concrete field, converted by the same database and field
converters), and the instances joined to one another as ``select_related`` would."""

from django.db import connection
from django.db.models import Model


class Columns:
    """Every concrete column of ``model`` under the table alias ``alias``, in the order ``read``
    takes them from a row."""

    def __init__(self, model: type[Model], alias: str, names: tuple[str, ...] = ()) -> None:
        """Every concrete field, or only those ``names`` (the others deferred, as ``only()``)."""
        self.model = model
        self.alias = alias
        self.fields = (
            [model._meta.get_field(name) for name in names]
            if names
            else model._meta.concrete_fields
        )
        self.names = [field.attname for field in self.fields]
        self.pk_position = self.fields.index(model._meta.pk)
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self._converters: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def converters(self) -> list:
        """(position, converters, column) of each field that has any, as Django's compiler finds
        them for this database (once per process)."""
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for position, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    found.append((position, functions, column))
            self._converters[connection.vendor] = found
        return found

    def read(self, row: tuple, start: int = 0) -> Model | None:
        """The instance in ``row`` from ``start``; None when its primary key is NULL (an outer join
        that found nothing)."""
        values = list(row[start : start + len(self.fields)])
        if values[self.pk_position] is None:
            return None
        for position, functions, column in self.converters():
            value = values[position]
            for convert in functions:
                value = convert(value, column, connection)
            values[position] = value
        return self.model.from_db(connection.alias, self.names, values)


def join(instance: Model, name: str, related: Model | None) -> None:
    """``instance.name`` is ``related`` without a query, as ``select_related`` leaves it."""
    instance._meta.get_field(name).set_cached_value(instance, related)


def keep_prefetched(instance: Model, name: str, objects: list[Model]) -> None:
    """``instance.name.all()`` gives ``objects`` without a query, as ``prefetch_related`` leaves
    it; each of them knows ``instance`` as its side of the relation."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    field = queryset.model._meta.get_field(instance._meta.get_field(name).field.name)
    for related in objects:
        field.set_cached_value(related, instance)
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset
