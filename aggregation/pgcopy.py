"""Bulk upserts on PostgreSQL through COPY: the harvest's hot path.

``bulk_create(update_conflicts=True)`` renders every value of a page into the SQL text (psycopg's
client-side binding quotes each one in Python): for a page of 100 harvested records, a few hundred
kilobytes of XML, that is most of the time a harvest spends in the database. Here the rows are
streamed with COPY into a temporary table (one per connection and model) and moved with
one ``INSERT … SELECT … ON CONFLICT DO UPDATE … RETURNING`` — the same statement semantics as
``bulk_create``'s upsert, at the speed of COPY (as ``arks.bulk`` does for minting).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def upsert(
    model: type[models.Model], rows: Sequence[Any], *, unique: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``rows`` into ``model``'s table or update the rows they collide with on ``unique``
    (field names), and set their ``pk``. A row is any object with the model's field ``attname``s
    as attributes (a model instance, or a lighter object: building thousands of model instances
    costs more than the COPY)."""
    if not rows:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, staging = quote(meta.db_table), quote(f"upsert_{meta.db_table}")
    columns = ", ".join(quote(f.column) for f in fields)
    keys = [meta.get_field(name).column for name in unique]
    changes = ", ".join(
        f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
        for n in update
    )
    preps = [(f.attname, _preparer(f)) for f in fields]
    with connection.cursor() as cursor:
        _ensure_staging(cursor, staging, table, columns)
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([prep(getattr(row, attname)) for attname, prep in preps])
        # Moving the rows out of the staging table empties it in the same statement.
        cursor.execute(
            f"WITH staged AS (DELETE FROM {staging} RETURNING {columns}) "  # noqa: S608
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM staged "
            f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {changes} "
            f"RETURNING {quote(meta.pk.column)}, {', '.join(quote(k) for k in keys)}"
        )
        ids = {tuple(row[1:]): row[0] for row in cursor.fetchall()}
    attnames = [meta.get_field(name).attname for name in unique]
    for row in rows:
        row.pk = ids[tuple(getattr(row, a) for a in attnames)]


def _ensure_staging(cursor: Any, staging: str, table: str, columns: str) -> None:
    """The session's staging table (created by the first upsert of a connection; a rollback of
    that transaction drops it again, so existence is checked by the database every time)."""
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )


def _preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False)
    return _identity  # text, numbers, booleans, aware datetimes, foreign keys: as they are


def _identity(value: Any) -> Any:
    return value
