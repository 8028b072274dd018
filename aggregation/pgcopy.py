"""Bulk writes on PostgreSQL through COPY: the harvest's hot path.

``bulk_create(update_conflicts=True)`` renders every value of a page into the SQL text (psycopg's
client-side binding quotes each one in Python): for a page of 100 harvested records, a few hundred
kilobytes of XML, that is most of the time a harvest spends in the database. Here rows go through
COPY in its binary format (no quoting or escaping of the XML at either end):

* ``upsert``: into a temporary table (one per connection and model), moved with one ``INSERT …
  SELECT … ON CONFLICT DO UPDATE … RETURNING`` — the same statement semantics as
  ``bulk_create``'s upsert, at the speed of COPY (as ``arks.bulk`` does for minting);
* ``insert``: rows the caller knows to be new (a record no SELECT found, in a source only one
  run writes at a time) go straight into the table, their primary keys drawn from its sequence
  first when the caller needs them (else the column's default draws them): no staging copy and
  no conflict handling, less work for the database.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection, models, transaction
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format


class Json(str):
    """JSON text already encoded by the caller (for a ``JSONField``): written as it is."""

    __slots__ = ()


class _JsonbText(Dumper):
    """JSON text as binary COPY writes a ``jsonb`` column: a version byte, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


@dataclass
class _Statements:
    """What an upsert of one model on one key sends, built once per model and key."""

    staging: str
    create: str
    copy: str
    move: str
    values: Callable[[Any], tuple[Any, ...]]  # a row's values in column order
    json_columns: tuple[int, ...]  # positions of JSON values, serialised before COPY
    key: Callable[[Any], Any]  # a row's conflict key, as RETURNING gives it back
    key_width: int
    columns: tuple[str, ...]  # the staging table's column names, in COPY's order
    types: list[int] | None = None  # their type OIDs, read once from the database


def upsert(
    model: type[models.Model], rows: Sequence[Any], *, unique: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``rows`` into ``model``'s table or update the rows they collide with on ``unique``
    (field names), and set their ``pk``. A row is any object with the model's field ``attname``s
    as attributes (a model instance, or a lighter object: building thousands of model instances
    costs more than the COPY)."""
    if not rows:
        return
    sql = _statements(model, tuple(unique), tuple(update))
    values, json_columns = sql.values, sql.json_columns
    # In a transaction (the caller's, or one of its own): the staging table is emptied when it
    # commits, so the COPY and the statement that reads it must share one.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql.create)
        if sql.types is None:
            sql.types = _column_types(cursor, sql.staging, sql.columns)
        _copy(cursor, sql.copy, sql.types, rows, values, json_columns)
        # Moving the rows out of the staging table empties it in the same statement.
        cursor.execute(sql.move)
        returned = cursor.fetchall()
    if sql.key_width == 1:
        ids = {row[1]: row[0] for row in returned}
    else:
        ids = {tuple(row[1:]): row[0] for row in returned}
    key = sql.key
    for row in rows:
        row.pk = ids[key(row)]


@functools.cache
def _statements(
    model: type[models.Model], unique: tuple[str, ...], update: tuple[str, ...]
) -> _Statements:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, staging = quote(meta.db_table), quote(f"staging_{meta.db_table}")
    columns = ", ".join(quote(f.column) for f in fields)
    keys = [meta.get_field(name).column for name in unique]
    changes = ", ".join(
        f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
        for n in update
    )
    key_attnames = [meta.get_field(name).attname for name in unique]
    return _Statements(
        staging=staging,
        # The session's staging table (created by the first upsert of a connection; a rollback
        # of that transaction drops it again, and a pooler may hand out another session, so
        # existence is checked by the database every time). Its rows are deleted as they are
        # moved, and its storage is truncated at each commit: deleted rows would otherwise stay
        # in it for the life of the session (temporary tables are never vacuumed), and every
        # page would scan what all the pages before it left.
        create=f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {columns} FROM {table} WITH NO DATA",
        # Binary: no escaping of the XML's newlines and tabs on the way in, nor parsing of
        # them on the way out.
        copy=f"COPY {staging} ({columns}) FROM STDIN (FORMAT BINARY)",
        move=f"WITH staged AS (DELETE FROM {staging} RETURNING {columns}) "  # noqa: S608
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM staged "
        f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {changes} "
        f"RETURNING {quote(meta.pk.column)}, {', '.join(quote(k) for k in keys)}",
        values=_getter([f.attname for f in fields]),
        json_columns=tuple(i for i, f in enumerate(fields) if isinstance(f, models.JSONField)),
        key=operator.attrgetter(*key_attnames),
        key_width=len(key_attnames),
        columns=tuple(f.column for f in fields),
    )


def _column_types(cursor: Any, table: str, columns: Sequence[str]) -> list[int]:
    """A table's column types, which binary COPY must be told (built-in types: their OIDs are
    the same in every database)."""
    cursor.execute(
        "SELECT attname, atttypid::int FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    types = dict(cursor.fetchall())
    return [types[column] for column in columns]


@dataclass
class _Inserts:
    """What an insert of one model sends, built once per model."""

    table: str
    pk_column: str
    copy: str
    values: Callable[[Any], tuple[Any, ...]]  # a row's pk, then its values in column order
    json_columns: tuple[int, ...]
    columns: tuple[str, ...]
    types: list[int] | None = None


def insert(model: type[models.Model], rows: Sequence[Any], *, set_pk: bool = True) -> None:
    """Insert ``rows``, which must all be new (a row that exists makes the statement fail, and
    with it the caller's transaction), into ``model``'s table, and set their ``pk`` (from the
    sequence or identity behind it) unless ``set_pk`` is false; rows as for ``upsert``. A
    primary key the database does not draw (a one-to-one link that is the primary key) is the
    row's own, and is written as it is whatever ``set_pk`` says."""
    if not rows:
        return
    drawn = isinstance(model._meta.pk, models.AutoField)
    sql = _inserts(model, set_pk or not drawn)
    values, json_columns = sql.values, sql.json_columns
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if set_pk and drawn:  # one round trip more, for ids the caller writes elsewhere
            cursor.execute(_IDS, [sql.table, sql.pk_column, len(rows)])
            for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = pk
        if sql.types is None:
            sql.types = _column_types(cursor, sql.table, sql.columns)
        _copy(cursor, sql.copy, sql.types, rows, values, json_columns)


_IDS: Final = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"


@functools.cache
def _inserts(model: type[models.Model], with_pk: bool) -> _Inserts:
    meta = model._meta
    fields = [
        *([meta.pk] if with_pk else []),
        *(f for f in meta.concrete_fields if not f.primary_key),
    ]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    return _Inserts(
        table=table,
        pk_column=meta.pk.column,
        copy=f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)",
        values=_getter(["pk" if f.primary_key else f.attname for f in fields]),
        json_columns=tuple(i for i, f in enumerate(fields) if isinstance(f, models.JSONField)),
        columns=tuple(f.column for f in fields),
    )


def _copy(
    cursor: Any,
    statement: str,
    types: list[int],
    rows: Sequence[Any],
    values: Callable[[Any], tuple[Any, ...]],
    json_columns: tuple[int, ...],
) -> None:
    """Stream ``rows`` through ``statement`` (a binary COPY FROM STDIN) on psycopg's cursor
    under Django's (whose errors it raises, as Django's cursor would)."""
    raw = cursor.cursor
    raw.adapters.register_dumper(None, _JsonbText)  # this cursor's COPY only
    with connection.wrap_database_errors, raw.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            out = values(row)
            if json_columns:
                out = list(out)
                for i in json_columns:
                    out[i] = _json(out[i])
            copy.write_row(out)


def _getter(attnames: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """All of a row's values at once, as a tuple (one attribute lookup per value, in C)."""
    get = operator.attrgetter(*attnames)
    if len(attnames) == 1:
        return lambda row: (get(row),)
    return get


def _json(value: Any) -> str:
    """A ``JSONField``'s value as JSON text (``JSONField``'s own encoding); every other value
    goes through COPY as it is (text, numbers, booleans, aware datetimes, foreign keys)."""
    return value if isinstance(value, Json) else json.dumps(value, ensure_ascii=False)
