"""Reads of the identifier layer: finding ARKs, shoulders and NAANs from what people type."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Count, Q, QuerySet
from psycopg import pq

from arks import access
from arks.domain import ark as arkdomain
from arks.domain import noid
from arks.domain.naan_registry import NaanRecord, expand_target
from arks.errors import InvalidInput, NotFound
from arks.models import ApiKey, Ark, ArkEvent, Naan, Organization, RegistryNaan, Shoulder


def find_ark(text: str) -> Ark:
    """The stored ARK equivalent to ``text`` (any form: old label, resolver URL, hyphens)."""
    key = arkdomain.normalize(text)
    try:
        return Ark.objects.select_related("shoulder__naan", "owner").get(key=key)
    except Ark.DoesNotExist:
        raise NotFound(f"{key} is not known here", field="ark") from None


def public_ark(text: str) -> Ark:
    """``find_ark`` for what everyone may see: a reserved ARK is not public, so not found
    (the same answer as for an ARK that does not exist)."""
    ark = find_ark(text)
    if ark.state == Ark.State.RESERVED:
        raise NotFound(f"{ark.key} is not known here", field="ark")
    return ark


def find_shoulder(text: str) -> Shoulder:
    """The shoulder named by ``ark:NAAN/PREFIX`` (or ``NAAN/PREFIX``)."""
    if "ark:" not in text.lower() and "ark%3a" not in text.lower():
        text = "ark:" + text
    parsed = arkdomain.parse(text)
    try:
        return Shoulder.objects.select_related("naan", "organization").get(
            naan__naan=parsed.naan, prefix=parsed.name
        )
    except Shoulder.DoesNotExist:
        raise NotFound(
            f"no shoulder ark:{parsed.naan}/{parsed.name} here", field="shoulder"
        ) from None


def find_organization(name: str) -> Organization:
    try:
        return Organization.objects.get(name=name.strip())
    except Organization.DoesNotExist:
        raise NotFound(f"no organisation named {name!r}", field="org") from None


def find_naan(naan: str) -> Naan:
    try:
        return Naan.objects.select_related("holder").get(naan=naan.strip().lower())
    except Naan.DoesNotExist:
        raise NotFound(f"NAAN {naan!r} is not registered here", field="naan") from None


def shoulder_capacity(shoulder: Shoulder) -> int | None:
    """How many names the shoulder's template allows in all; None when unbounded."""
    return noid.Template.parse(shoulder.template, prefix=shoulder.prefix).capacity


def shoulder_remaining(shoulder: Shoulder) -> int | None:
    capacity = shoulder_capacity(shoulder)
    return None if capacity is None else max(capacity - shoulder.counter, 0)


def ark_history(ark: Ark, *also: Ark) -> QuerySet[ArkEvent]:
    """The events of ``ark`` (and of ``also``: a merged ARK's with its survivor's), oldest first."""
    if not also:
        return ark.events.order_by("at", "id")
    return ArkEvent.objects.filter(ark__in=[ark, *also]).select_related("ark").order_by("at", "id")


# --- resolution -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """What a resolver request names, found with as few queries as possible.

    ``kind`` is one of: ``ark`` (a stored ARK, exactly or through suffix passthrough),
    ``shoulder`` (the request names a shoulder of a NAAN served here), ``unknown`` (a NAAN served
    here, an ARK it does not know), ``forward`` (a NAAN served elsewhere: ``forward_url``).
    """

    kind: str
    requested: arkdomain.Ark | None
    ark: Hit | None = None
    survivor: Hit | None = None
    suffix: str = ""
    naan: Naan | None = None
    shoulder: Shoulder | None = None
    forward_url: str = ""
    forward_status: int = 302


@dataclass(frozen=True, slots=True)
class Hit:
    """The few columns a redirect needs, read without building model instances."""

    id: int
    key: str
    ark: str
    state: str
    target: str
    merged_into_id: int | None
    shoulder_id: int | None


_HIT_COLUMNS = ("id", "key", "ark", "state", "target", "merged_into_id", "shoulder_id")


def _hit_sql(keys_clause: str) -> str:
    # One round trip for the ARK, its ancestors and (the common merge) its survivor. Written in
    # SQL because building it through the ORM costs more than the query itself on a hot path.
    table = connection.ops.quote_name(Ark._meta.db_table)
    cols = ", ".join(f"{a}.{connection.ops.quote_name(c)}" for a in "am" for c in _HIT_COLUMNS)
    return (
        f"SELECT {cols} FROM {table} a LEFT JOIN {table} m ON m.id = a.merged_into_id "  # noqa: S608
        f"WHERE a.key {keys_clause}"
    )


# --- the lookup on PostgreSQL: two prepared statements, run through libpq ----------------------
#
# Planning the lookup costs PostgreSQL three times what running it does (arks_ark has a dozen
# indexes to weigh), and Django turns psycopg's automatic preparing off. So the lookup prepares
# its own two statements, once per database connection, under fixed names: one for a single key
# (a request without qualifiers, nearly all traffic; its generic plan is the index lookup) and
# one for a key and its ancestors (``= ANY``). They run through psycopg's libpq layer, which
# skips the cursor machinery; results come back as text and are converted here. Behind
# PgBouncer in transaction mode this needs PgBouncer 1.21+ with ``max_prepared_statements``.

_ONE_KEY, _MANY_KEYS = b"pidsvc_hit_one", b"pidsvc_hit_many"
_TEXT_OID, _TEXT_ARRAY_OID = 25, 1009
# Statements prepared on each open connection (the libpq connection object, held weakly: a
# closed and reopened Django connection has a new one, without the statements).
_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()


@functools.cache
def _postgresql_statements() -> dict[bytes, tuple[bytes, list[int]]]:
    return {
        _ONE_KEY: (_hit_sql("= $1").encode(), [_TEXT_OID]),
        _MANY_KEYS: (_hit_sql("= ANY($1)").encode(), [_TEXT_ARRAY_OID]),
    }


@functools.cache
def _postgresql_hit_sql() -> str:
    return _hit_sql("= ANY(%s)")


def _fetch_hit_rows(keys: list[str]) -> list[tuple[Any, ...]]:
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(_hit_sql(f"IN ({', '.join(['%s'] * len(keys))})"), keys)
            return cursor.fetchall()
    # What Django's cursor() does first: the health check (once per request, when enabled),
    # then connecting if need be.
    db.close_if_health_check_failed()
    if db.connection is None:
        db.ensure_connection()
    conn = db.connection
    status = conn.pgconn.transaction_status
    if status == pq.TransactionStatus.INTRANS or (
        status == pq.TransactionStatus.IDLE and conn.autocommit
    ):
        rows = _prepared_hit_rows(db, conn.pgconn, keys)
    else:
        # A transaction psycopg has still to open (BEGIN), or one that failed: its own cursor
        # does both right.
        with db.wrap_database_errors, psycopg.Cursor(conn) as cursor:
            cursor.execute(_postgresql_hit_sql(), [keys])
            rows = cursor.fetchall()
    if db.queries_logged:  # what Django's debug cursor would have recorded
        db.queries_log.append({"sql": _postgresql_hit_sql(), "time": "0.000"})
    return rows


def _prepared_hit_rows(db: Any, pgconn: Any, keys: list[str]) -> list[tuple[Any, ...]]:
    if len(keys) == 1:
        name, param = _ONE_KEY, keys[0].encode()
    else:
        name, param = _MANY_KEYS, _text_array(keys)
    with db.wrap_database_errors:
        prepared = _prepared.get(pgconn)
        if prepared is None:
            prepared = _prepared[pgconn] = set()
        for attempt in (1, 2):
            if name not in prepared:
                sql, types = _postgresql_statements()[name]
                _check(pgconn.prepare(name, sql, types), pq.ExecStatus.COMMAND_OK)
                prepared.add(name)
            result = pgconn.exec_prepared(name, [param])
            if result.status == pq.ExecStatus.TUPLES_OK:
                return [_hit_row(result, i) for i in range(result.ntuples)]
            if (
                attempt == 1
                and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
                and pgconn.transaction_status == pq.TransactionStatus.IDLE
            ):
                # The statement went away (DISCARD ALL, a pooler's new server connection):
                # outside a transaction nothing failed with it, so prepare it again.
                prepared.discard(name)
                continue
            _check(result, pq.ExecStatus.TUPLES_OK)
    raise AssertionError("unreachable")


def _check(result: Any, expected: pq.ExecStatus) -> None:
    if result.status != expected:
        raise psycopg.errors.error_from_result(result, encoding="utf-8")


def _text_array(items: list[str]) -> bytes:
    """A ``text[]`` literal: every element double-quoted, backslashes and quotes escaped."""
    quoted = (item.replace("\\", "\\\\").replace('"', '\\"') for item in items)
    return ("{" + ",".join(f'"{item}"' for item in quoted) + "}").encode()


def _hit_row(result: Any, i: int) -> tuple[Any, ...]:
    """One row of the lookup (``_HIT_COLUMNS`` twice), converted from text as psycopg's cursor
    would have: Django's connections use UTF-8 as their client encoding."""
    v = result.get_value
    merged_into, shoulder = v(i, 5), v(i, 6)
    hit = (
        int(v(i, 0)),
        v(i, 1).decode(),
        v(i, 2).decode(),
        v(i, 3).decode(),
        v(i, 4).decode(),
        None if merged_into is None else int(merged_into),
        None if shoulder is None else int(shoulder),
    )
    if v(i, 7) is None:  # not merged: the LEFT JOIN found nothing
        return (*hit, None, None, None, None, None, None, None)
    return hit + tuple(
        None if (raw := v(i, j)) is None else convert(raw)
        for j, convert in enumerate(_CONVERTERS, start=7)
    )


_CONVERTERS = (int, bytes.decode, bytes.decode, bytes.decode, bytes.decode, int, int)


def lookup(requested: arkdomain.Ark, text: str) -> tuple[Hit, Hit, str] | None:
    """The stored ARK a request names — exactly, else its longest stored ancestor — with the ARK
    it resolves through today and the inherited suffix; None when nothing matches.

    One query: the request's normal form and every ancestor go in one lookup on the unique key
    index (ARK spec, "ARKs that Reveal Object Hierarchy"). ``text`` is the request as received.
    """
    key = str(requested)
    rows = _fetch_hit_rows([key, *requested.ancestors()])
    if not rows:
        return None
    row = rows[0] if len(rows) == 1 else max(rows, key=lambda r: len(r[1]))
    ark = Hit(*row[:7])
    survivor = _survivor(ark, Hit(*row[7:]) if row[7] is not None else None)
    suffix = "" if ark.key == key else _suffix_after(_as_received(text), len(ark.key))
    return ark, survivor, suffix


def resolve(text: str) -> Resolution:
    """Resolve an ARK as requested: the stored ARK or ancestor (``lookup``), else what its NAAN
    says. Raises ``InvalidArk`` for anything that is not an ARK."""
    requested = arkdomain.parse(text)
    found = lookup(requested, text)
    if found:
        ark, survivor, suffix = found
        return Resolution("ark", requested, ark=ark, survivor=survivor, suffix=suffix)
    return _not_stored(requested, as_received=_as_received(text))


def resolve_naan(naan_text: str) -> Resolution:
    """A request for a NAAN alone (``ark:NAAN``): its page here, or where it is served."""
    naan_code = naan_text.replace("-", "").lower()
    if not arkdomain.is_betanumeric(naan_code):
        raise arkdomain.InvalidArk(f"{naan_text!r} is not a NAAN (betanumeric characters only)")
    naan = Naan.objects.select_related("holder").filter(naan=naan_code).first()
    if naan is not None and naan.served:
        return Resolution("naan", None, naan=naan)
    url, status = _forwarding(naan_code, "", naan, as_received=f"ark:{naan_code}")
    return Resolution("forward", None, naan=naan, forward_url=url, forward_status=status)


def _as_received(text: str) -> str:
    """The request in normal form but with its hyphens: what suffixes and forwarding pass on."""
    return arkdomain.normalize(text, keep_hyphens=True)


def _survivor(ark: Hit, merged_into: Hit | None) -> Hit:
    """Follow ``merged_into`` to the ARK that stands for this one today (the first step came
    with the lookup; longer chains, rare, cost a query per step)."""
    survivor, seen = merged_into or ark, {ark.id}
    while survivor.merged_into_id is not None and survivor.id not in seen:
        seen.add(survivor.id)
        row = Ark.objects.filter(pk=survivor.merged_into_id).values_list(*_HIT_COLUMNS).get()
        survivor = Hit(*row)
    return survivor


def ark_by_id(pk: int) -> Ark:
    """An ARK with what its description shows (shoulder, NAAN, holders)."""
    return Ark.objects.select_related(
        "shoulder__naan__holder", "shoulder__organization", "owner"
    ).get(pk=pk)


def shoulder_by_id(pk: int | None) -> Shoulder | None:
    if pk is None:
        return None
    return Shoulder.objects.select_related("naan__holder", "organization").get(pk=pk)


def _suffix_after(as_received: str, key_length: int) -> str:
    """The part of the request beyond a stored ancestor whose hyphen-free key has ``key_length``
    characters, taken from the request as received (hyphens and all: appended verbatim).

    Hyphens right after the ancestor still belong to it (``fk4003z-/c3`` names ``fk4003z``'s
    ``/c3``: hyphens are insignificant in an ARK), so the suffix starts at its boundary."""
    counted = 0
    for index, char in enumerate(as_received):
        if counted == key_length and char != "-":
            return as_received[index:]
        counted += char != "-"
    return ""


def _not_stored(requested: arkdomain.Ark, *, as_received: str) -> Resolution:
    naan = Naan.objects.select_related("holder").filter(naan=requested.naan).first()
    if naan is not None and naan.served:
        shoulders = list(naan.shoulders.select_related("organization"))
        shoulder = _longest_shoulder(shoulders, requested.name)
        exact = shoulder is not None and shoulder.prefix == requested.name
        kind = "shoulder" if exact and not requested.qualifier else "unknown"
        return Resolution(kind, requested, naan=naan, shoulder=shoulder)
    url, status = _forwarding(requested.naan, requested.name, naan, as_received=as_received)
    return Resolution("forward", requested, naan=naan, forward_url=url, forward_status=status)


def _longest_shoulder(shoulders: list[Shoulder], name: str) -> Shoulder | None:
    matching = [s for s in shoulders if name.startswith(s.prefix)]
    return max(matching, key=lambda s: len(s.prefix), default=None)


def _forwarding(
    naan_code: str, name: str, naan: Naan | None, *, as_received: str
) -> tuple[str, int]:
    """Where a NAAN this node does not serve is resolved: this node's NAAN table first, then the
    imported public registry (shoulder records before NAAN records), else the fallback resolver
    (ARK spec, "Resolver Chains and Roles": unknown NAANs go to N2T)."""
    if naan is not None and naan.forward_to:
        template = naan.forward_to
        where = "" if "$" in template else template
        return expand_target(template if "$" in template else "", ark=as_received, where=where), 302
    for record in RegistryNaan.objects.filter(naan=naan_code).order_by("-shoulder"):
        if record.shoulder and not name.startswith(record.shoulder):
            continue
        try:
            return expand_target(_as_record(record), ark=as_received), _code(record)
        except ValueError:
            continue  # an unusable registry entry: try the next, then the fallback
    return f"{settings.PIDSVC_FALLBACK_RESOLVER}{as_received}", 302


def _as_record(row: RegistryNaan) -> NaanRecord:
    return NaanRecord(
        naan=row.naan, shoulder=row.shoulder, name=row.name, acronym=row.acronym,
        where=row.where, target=row.target, http_code=row.http_code, registered=row.registered,
        org_type=row.org_type, policy=row.policy, tenure=row.tenure, policy_url=row.policy_url,
        test_identifier=row.test_identifier,
    )  # fmt: skip


def _code(record: RegistryNaan) -> int:
    return record.http_code if record.http_code in (301, 302, 303, 307, 308) else 302


def normalize_request(text: str) -> str:
    """What someone typed or pasted, as the compact ARK to look up (raises ``InvalidArk``)."""
    return arkdomain.normalize(text if "ark" in text.lower() else f"ark:{text}", keep_hyphens=True)


def served_naans() -> QuerySet[Naan]:
    return Naan.objects.filter(served=True).select_related("holder")


# --- the API: what an organisation may act on --------------------------------------------------
#
# The rules are in ``arks.access``; what a key may not read is answered as if it did not exist.


def shoulders_for(organization: Organization) -> QuerySet[Shoulder]:
    """The shoulders ``organization`` acts on: delegated to it, or of a NAAN it holds."""
    return Shoulder.objects.filter(
        Q(organization=organization) | Q(naan__holder=organization)
    ).select_related("naan__holder", "organization")


def mintable_shoulders_for(organization: Organization) -> list[Shoulder]:
    """The shoulders ``organization``'s keys may mint under: its own, less the works shoulder."""
    return [s for s in shoulders_for(organization) if not access.is_works_shoulder(s)]


def shoulder_for(*, organization: Organization, text: str, to_mint: bool = False) -> Shoulder:
    """The shoulder named by ``text`` if ``organization`` acts on it; ``to_mint``, any stored
    shoulder (the mint service decides, and says why it refuses).

    Raises ``InvalidInput`` (not a shoulder) or ``NotFound`` (unknown, or not the key's).
    """
    try:
        shoulder = find_shoulder(text)
    except arkdomain.InvalidArk as exc:
        raise InvalidInput(
            f"not a shoulder such as ark:99999/fk4: {exc}", field="shoulder"
        ) from None
    except NotFound:
        raise access.unknown_shoulder(_shoulder_text(text)) from None
    if access.may_use_shoulder(organization, shoulder):
        return shoulder
    if to_mint:
        # A shoulder is public (its page says who holds it): minting under another's is refused
        # with the reason, by the service.
        return shoulder
    raise access.unknown_shoulder(str(shoulder))


def _shoulder_text(text: str) -> str:
    parsed = arkdomain.parse(text if "ark:" in text.lower() else f"ark:{text}")
    return f"ark:{parsed.naan}/{parsed.name}"


def ark_for(*, organization: Organization, text: str) -> Ark:
    """The stored ARK equivalent to ``text`` if ``organization`` may read it.

    Raises ``InvalidArk`` or ``NotFound`` (unknown, or not readable: the same answer).
    """
    key = arkdomain.normalize(text)
    ark = (
        Ark.objects.select_related("shoulder__naan", "owner", "merged_into").filter(key=key).first()
    )
    if ark is None or not access.may_read(organization, ark):
        raise access.unknown_ark(key)
    return ark


def arks_for(
    *,
    organization: Organization,
    shoulder: Shoulder | None = None,
    state: str | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Ark]:
    """The ARKs ``organization`` may act on, optionally narrowed (newest first)."""
    if shoulder is not None:
        arks = Ark.objects.filter(shoulder=shoulder)
    else:
        held = Naan.objects.filter(holder=organization).values("naan")
        arks = Ark.objects.filter(
            Q(shoulder__in=shoulders_for(organization).values("pk"))
            | Q(shoulder__isnull=True, owner=organization)
            | Q(shoulder__isnull=True, naan__in=held)
        )
    if state:
        arks = arks.filter(state=state)
    if updated_since is not None:
        arks = arks.filter(updated_at__gte=updated_since)
    return arks.select_related("shoulder__naan", "owner", "merged_into").order_by("-id")


def listed_arks() -> QuerySet[Ark]:
    """The ARKs whose landing pages search engines are offered (the sitemap): public, not
    merged (a merged ARK's page is its survivor's), not under a test shoulder."""
    return (
        Ark.objects.filter(state=Ark.State.PUBLIC, merged_into__isnull=True)
        .exclude(shoulder__is_test=True)
        .order_by("pk")
    )


def page_starts(arks: QuerySet[Ark], size: int) -> Iterator[int]:
    """Keyset boundaries that cut ``arks`` (in id order) into pages of ``size``: each page is
    the ARKs with ids above its start. One indexed query per page, ids only."""
    ids = arks.order_by("pk").values_list("pk", flat=True)
    start = 0
    while True:
        yield start
        # The page's last id, and whether anything comes after it.
        ends = list(ids.filter(pk__gt=start)[size - 1 : size + 1])
        if len(ends) < 2:
            return
        start = ends[0]


EXPORT_PAGE = 2000


def each_ark(arks: QuerySet[Ark], *, page: int | None = None) -> Iterator[Ark]:
    """Every ARK of ``arks``, oldest first, read ``page`` at a time by keyset (``id > last``),
    with its owner, shoulder (and NAAN) and survivor.

    Each page is one indexed query, so memory stays at one page however many ARKs there are,
    and no cursor stays open on the server between pages while a slow client reads. Owners and
    shoulders are few and shared by thousands of ARKs: they are read once each and attached,
    rather than joined into every row and built again for each.
    """
    page = page or EXPORT_PAGE
    arks = arks.select_related(None).select_related("merged_into").order_by("pk")
    owners: dict[int, Organization] = {}
    shoulders: dict[int, Shoulder] = {}
    last = 0
    while True:
        batch = list(arks.filter(pk__gt=last)[:page])
        missing = {a.owner_id for a in batch} - owners.keys()
        if missing:
            owners.update(Organization.objects.in_bulk(missing))
        missing = {a.shoulder_id for a in batch if a.shoulder_id} - shoulders.keys()
        if missing:
            found = Shoulder.objects.select_related("naan").filter(pk__in=missing)
            shoulders.update((s.pk, s) for s in found)
        for ark in batch:
            ark.owner = owners[ark.owner_id]
            if ark.shoulder_id:
                ark.shoulder = shoulders[ark.shoulder_id]
            yield ark
        if len(batch) < page:
            return
        last = batch[-1].pk


def state_counts(shoulders: list[Shoulder]) -> dict[int, dict[str, int]]:
    """How many ARKs of each state every shoulder holds, in one grouped query."""
    counts: dict[int, dict[str, int]] = {
        s.pk: dict.fromkeys(Ark.State.values, 0) for s in shoulders
    }
    rows = (
        Ark.objects.filter(shoulder__in=shoulders)
        .values_list("shoulder_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for shoulder_id, state, n in rows:
        counts[shoulder_id][state] = n
    return counts


def api_key_from(key: str) -> ApiKey | None:
    """The usable (not revoked) key whose hash matches ``key``, with its organisation; None when
    there is none. Expiry is left to the caller, which says so in its answer."""
    prefix, _, _ = key.partition(".")
    api_key = (
        ApiKey.objects.get_usable_keys()
        .select_related("organization")
        .filter(prefix=prefix)
        .first()
    )
    if api_key is None or not api_key.is_valid(key):
        return None
    return api_key


def naans() -> QuerySet[Naan]:
    return Naan.objects.select_related("holder").order_by("naan")
