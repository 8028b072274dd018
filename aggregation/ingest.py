"""Storing one harvested page: upsert its records, parse the new and changed ones into products.

One page is a handful of bulk statements, whatever its size: one SELECT of what is stored, one
insert of the new records and one upsert of the changed ones (``INSERT … ON CONFLICT DO UPDATE``
on the natural key source + OAI identifier; both through COPY on PostgreSQL,
``aggregation.pgcopy``), one UPDATE for the unchanged ones, the same two for the products. The
caller runs it in the transaction that also moves the run's checkpoint, so a page is stored with
its checkpoint or not at all. Records are new when the SELECT did not find them: only one run of
a source writes its records at a time.

Storing a page twice changes nothing: a record is compared with what is stored by the SHA-256 of
its XML, and one that this run already stored with the same XML is neither written nor counted
again (so a run that re-reads pages after an expired token counts each record once). Unchanged
records are not parsed again.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

from django.db import connection, models
from django.utils import timezone

from aggregation import pgcopy
from aggregation.formats import FormatError, map_record
from aggregation.models import HarvestRun, RawRecord, Record
from aggregation.oai import OaiRecord, Page

NO_METADATA: Final = "no <metadata> in a record whose header is not deleted"
# What an upsert of a changed record rewrites; first_run and harvested_at keep the first sight.
_RAW_UPDATE: Final = ["datestamp", "deleted", "xml", "content_hash", "error", "last_run",
                      "deleted_by_run", "changed_at"]  # fmt: skip
_HEADER_UPDATE: Final = ["datestamp", "deleted", "content_hash", "last_run", "deleted_by_run",
                         "changed_at"]  # fmt: skip
_RECORD_UPDATE: Final = ["format", "product", "title", "pids", "parsed_at"]


class _Stored(NamedTuple):
    pk: int
    content_hash: str
    deleted: bool
    last_run_id: int | None


@dataclass(slots=True)
class _RawRow:
    """A ``RawRecord`` row to write (attribute names are the model's ``attname``s)."""

    source_id: int
    oai_identifier: str
    datestamp: str
    deleted: bool
    content_hash: str
    last_run_id: int
    first_run_id: int
    harvested_at: datetime
    changed_at: datetime
    xml: str = ""
    error: str = ""
    deleted_by_run_id: int | None = None
    pk: int | None = None


@dataclass(slots=True)
class _RecordRow:
    raw_id: int
    source_id: int
    format: str
    product: pgcopy.Json  # Product.to_json(), encoded while the page is parsed
    title: str
    pids: str
    parsed_at: datetime
    pk: int | None = None


@dataclass
class PageCounts:
    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Plan:
    """What one page does to the database, decided before anything is written."""

    inserts: list[_RawRow] = field(default_factory=list)  # records not stored yet
    upserts: list[_RawRow] = field(default_factory=list)  # stored, and changed
    products: dict[str, _RecordRow] = field(default_factory=dict)  # by OAI identifier
    header_only: list[_RawRow] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    counts: PageCounts = field(default_factory=PageCounts)
    mapped: Mapped = field(default_factory=dict)


Mapped = dict[str, "_RecordRow | str"]  # OAI identifier -> the parsed product, or why not


def map_page(page: Page, *, prefix: str) -> Mapped:
    """Parse every record of ``page`` that carries metadata into a product (no database: the
    harvest loop runs it for the next page while it stores this one)."""
    mapped: Mapped = {}
    now = timezone.now()
    for record in page.records:
        if record.has_metadata:
            mapped[record.identifier] = _map(record, prefix, now)
    return mapped


def _map(record: OaiRecord, prefix: str, now: datetime) -> _RecordRow | str:
    try:
        product = map_record(record.element, claimed_prefix=prefix)
    except FormatError as exc:
        return str(exc)
    return _RecordRow(
        raw_id=0, source_id=0, format=product.format, product=pgcopy.Json(product.to_json()),
        title=product.title or "", pids=" ".join(str(pid) for pid in product.pids),
        parsed_at=now,
    )  # fmt: skip


def store_page(
    *, run: HarvestRun, page: Page, prefix: str, mapped: Mapped | None = None
) -> PageCounts:
    """Store ``page``'s records for ``run`` (with their products, from ``mapped`` or parsed
    here); returns what happened to them."""
    latest = {record.identifier: record for record in page.records}  # a repeat: the last wins
    stored = _stored(run.source_id, list(latest))
    plan = _Plan(mapped=mapped or {})
    now = timezone.now()
    for record in latest.values():
        _classify(record, stored.get(record.identifier), run=run, prefix=prefix, plan=plan, now=now)
    for problem in page.problems:
        plan.counts.failed += 1
        plan.counts.errors.append({"code": "unreadable_record", "message": problem})
    _write(plan, run=run)
    return plan.counts


def _stored(source_id: int, identifiers: list[str]) -> dict[str, _Stored]:
    """What is stored of these records of the source, by OAI identifier."""
    if not identifiers:
        return {}
    if connection.vendor == "postgresql":
        # One probe of the (source, OAI identifier) index per record of the page, whatever the
        # size of the source (an ``IN`` list may be planned as a scan of all its records).
        with connection.cursor() as cursor:
            # The identifiers go as one JSON array: encoded in C, where an array parameter is
            # quoted item by item in Python.
            cursor.execute(_stored_sql(), [json.dumps(identifiers), source_id])
            rows = cursor.fetchall()
    else:
        rows = RawRecord.objects.filter(
            source_id=source_id, oai_identifier__in=identifiers
        ).values_list("pk", "oai_identifier", "content_hash", "deleted", "last_run_id")
    return {row[1]: _Stored(row[0], row[2], row[3], row[4]) for row in rows}


@functools.cache
def _stored_sql() -> str:
    meta, quote = RawRecord._meta, connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in ("id", "oai_identifier", "content_hash", "deleted", "last_run")
    )
    source, identifier = (quote(meta.get_field(n).column) for n in ("source", "oai_identifier"))
    # A loop over the page's identifiers, each looked up in the unique index (``OFFSET 0`` keeps
    # the planner from turning it into a join over all of the source's records, which it does
    # while the table's statistics are young).
    return (
        f"SELECT r.* FROM json_array_elements_text(%s::json) AS page(identifier), LATERAL ("  # noqa: S608
        f"SELECT {columns} FROM {quote(meta.db_table)} "
        f"WHERE {source} = %s AND {identifier} = page.identifier OFFSET 0) AS r"
    )


def _classify(
    record: OaiRecord,
    old: _Stored | None,
    *,
    run: HarvestRun,
    prefix: str,
    plan: _Plan,
    now: datetime,
) -> None:
    digest = record.content_hash
    if old is not None and old.content_hash == digest and old.deleted == record.deleted:
        if old.last_run_id != run.pk:  # seen by this run already: counted then, not again
            plan.unchanged.append(old.pk)
            plan.counts.unchanged += 1
        return
    raw = _RawRow(
        source_id=run.source_id, oai_identifier=record.identifier, datestamp=record.datestamp,
        deleted=record.deleted, content_hash=digest, last_run_id=run.pk, first_run_id=run.pk,
        harvested_at=now, changed_at=now,
    )  # fmt: skip
    _count(record, old, plan.counts, error=_parse(record, raw, prefix, plan, now))
    if record.deleted and old is not None and not record.has_metadata:
        raw.pk = old.pk  # keep the metadata harvested before: the tombstone shows it
        plan.header_only.append(raw)
    else:
        raw.xml = record.xml.decode("utf-8")
        (plan.inserts if old is None else plan.upserts).append(raw)


def _parse(record: OaiRecord, raw: _RawRow, prefix: str, plan: _Plan, now: datetime) -> str:
    """The record's product (mapped ahead, or now); returns why there is none, or ""."""
    if not record.has_metadata:
        raw.error = "" if record.deleted else NO_METADATA
    else:
        result = plan.mapped.get(record.identifier) or _map(record, prefix, now)
        if isinstance(result, str):
            raw.error = result
        else:
            result.source_id, result.parsed_at = raw.source_id, now
            plan.products[record.identifier] = result
    if raw.error:
        code = "unparsable_record" if record.has_metadata else "no_metadata"
        plan.counts.errors.append(
            {"code": code, "identifier": record.identifier, "message": raw.error}
        )
    return raw.error


def _count(record: OaiRecord, old: _Stored | None, counts: PageCounts, *, error: str) -> None:
    if record.deleted:
        # Withdrawn by the server (OAI-PMH 2.0, section 2.5.1); a deleted header that still
        # carries metadata is deleted all the same.
        if old is not None and old.deleted:
            counts.unchanged += 1
        else:
            counts.deleted += 1
    elif error:
        counts.failed += 1
    elif old is None:
        counts.new += 1
    else:
        counts.updated += 1


def _write(plan: _Plan, *, run: HarvestRun) -> None:
    unique, update = ["source", "oai_identifier"], _RAW_UPDATE
    if plan.inserts:
        _insert(RawRecord, plan.inserts, unique=unique, update=update)
    if plan.upserts:
        _upsert(RawRecord, plan.upserts, unique=unique, update=update)
    if plan.header_only:
        RawRecord.objects.bulk_update(
            [_instance(RawRecord, row) for row in plan.header_only], _HEADER_UPDATE
        )
    if plan.unchanged:
        RawRecord.objects.filter(pk__in=plan.unchanged).update(last_run_id=run.pk)
    unparsed = [raw.pk for raw in plan.upserts if raw.oai_identifier not in plan.products]
    if unparsed:  # a stored product was parsed from XML that has now been replaced
        Record.objects.filter(raw_id__in=unparsed).delete()
    # A product's id is never read back: new ones go in without drawing ids first.
    for raws, write in (
        (plan.inserts, functools.partial(_insert, set_pk=False)),
        (plan.upserts, _upsert),
    ):
        products = []
        for raw in raws:
            product = plan.products.get(raw.oai_identifier)
            if product is not None:
                product.raw_id = raw.pk
                products.append(product)
        if products:  # a new record's product is new too
            write(Record, products, unique=["raw"], update=_RECORD_UPDATE)


def _insert(
    model: type[models.Model],
    rows: Sequence[Any],
    *,
    unique: list[str],
    update: list[str],
    set_pk: bool = True,
) -> None:
    """Rows that no SELECT found (one run per source at a time: nobody else writes them):
    COPY straight into the table on PostgreSQL (``set_pk``: as ``pgcopy.insert``), an upsert
    elsewhere."""
    if connection.vendor == "postgresql":
        pgcopy.insert(model, rows, set_pk=set_pk)
    else:
        _upsert(model, rows, unique=unique, update=update)


def _upsert(
    model: type[models.Model],
    rows: Sequence[Any],
    *,
    unique: list[str],
    update: list[str],
) -> None:
    """``INSERT … ON CONFLICT DO UPDATE`` of many rows (setting their pks): through COPY on
    PostgreSQL, ``bulk_create`` elsewhere."""
    if connection.vendor == "postgresql":
        pgcopy.upsert(model, rows, unique=unique, update=update)
        return
    objs = [_instance(model, row) for row in rows]
    model._default_manager.bulk_create(
        objs, update_conflicts=True, unique_fields=unique, update_fields=update
    )
    for row, obj in zip(rows, objs, strict=True):
        row.pk = obj.pk


def _instance(model: type[models.Model], row: Any) -> models.Model:
    values = {
        f.attname: getattr(row, "pk" if f.primary_key else f.attname)
        for f in model._meta.concrete_fields
    }
    for name, value in values.items():
        if isinstance(value, pgcopy.Json):  # a JSONField is given the value, not its text
            values[name] = json.loads(value)
    return model(**values)
