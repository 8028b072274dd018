"""Inserting many rows fast: PostgreSQL's COPY where available, ``bulk_create`` elsewhere.

Minting a batch of 10,000 ARKs writes 20,000 rows (ARKs and their history). Django's
``bulk_create`` spends most of that time building and quoting one enormous INSERT in Python;
COPY streams the rows instead, several times faster. Primary keys are taken from the table's
sequence first, so that the history rows can point at the ARKs they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)
# Below this many rows one INSERT ... RETURNING costs fewer round trips than sequence + COPY.
COPY_THRESHOLD = 100


def insert(objs: Sequence[M]) -> Sequence[M]:
    """Insert new model instances and set their primary keys; returns them."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[DEFAULT_DB_ALIAS]  # the object itself: the proxy costs per access
    if connection.vendor != "postgresql" or len(objs) < COPY_THRESHOLD:
        return model._default_manager.bulk_create(objs)
    _take_ids(connection, model, objs)
    fields = list(model._meta.concrete_fields)
    preps = [_preparer(f, connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row(
                [prep(getattr(obj, f.attname)) for f, prep in zip(fields, preps, strict=True)]
            )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


# Fields whose Python value is already what psycopg sends: no per-value conversion needed.
# (Datetimes are aware here: USE_TZ is on and the services stamp rows with timezone.now().)
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
          models.DateTimeField, models.AutoField, models.BigAutoField)  # fmt: skip


def _preparer(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    if isinstance(field, (*_PLAIN, models.ForeignKey)):
        return _identity
    return lambda value: field.get_db_prep_save(value, connection)


def _identity(value: Any) -> Any:
    return value


def _take_ids(connection: Any, model: type[models.Model], objs: Sequence[models.Model]) -> None:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
