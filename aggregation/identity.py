"""Dedup and identity over the database: which harvested records are one Work, and its ARK.

Two stages, each in batches of ``PIDSVC_DEDUP_BATCH`` records per transaction, both resumable:

1. **Matching** (``match_changed``): every raw record whose content or deleted flag differs from
   what dedup last saw (its ``Membership``), or that dedup never saw, is keyed
   (``aggregation.dedup.block_keys``, stored as ``BlockKey`` rows), compared with the records
   that share its blocks (the stored blocks: the rest of the world is not re-keyed), and its
   automatic ``Match`` rows are replaced. Its membership becomes ``pending``.
2. **Identity** (``assign_works``): the pending records, with everything connected to them
   (their matches, the other members of their Works, the records that carry the same
   institution ARK), are grouped (``aggregation.workplan.partition``, with the engine's cohesion
   check) and the groups get their Works by the rules of ``aggregation.workplan.plan_identity``.
   ARKs are minted, merged, unmerged and withdrawn through ``arks.services`` only, so every
   change has its ``ArkEvent``.

A crash between or inside the stages loses nothing: a batch commits whole, and the next run
finds the records that are still different or still pending. Running it again with nothing
changed changes nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Func, Q, TextField
from django.db.models.fields.json import KT
from django.utils import timezone

from aggregation import pgcopy, workplan
from aggregation.dedup import DedupRecord, block_keys, check_cohesion, compare, from_product
from aggregation.dedup import sort_key as dedup_sort_key
from aggregation.dedup.cluster import connected_components
from aggregation.dedup.settings import DEFAULT_SETTINGS
from aggregation.errors import IdentityNotConfigured
from aggregation.formats import FormatError
from aggregation.formats.model import Product
from aggregation.models import (
    BlockKey,
    HeldGroup,
    Match,
    Membership,
    RawRecord,
    Record,
    Source,
    Work,
)
from arks import access as ark_access
from arks import services as ark_services
from arks.access import Actor
from arks.domain import ark as arkdomain
from arks.errors import IdentifierError
from arks.models import Ark, Shoulder

log = logging.getLogger(__name__)

ACTOR: Final = "dedup"
CHUNK: Final = 5000  # ids per IN (...) list
MAX_INSTANCES: Final = 100  # instances copied into an ARK's metadata (all stay on the Work)
MAX_ERC_CHARS: Final = 2000
LOCK_KEY: Final = 0x70696473766364  # any constant: names the dedup lock among advisory locks
WITHDRAWN_REASON: Final = "Every harvested record of this work has been withdrawn by its source."
RESTORED_NOTE: Final = "put back: changed outside the aggregation pipeline"
State = Ark.State
T = TypeVar("T")

Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass
class DedupReport:
    """What one run did (the command prints it; tasks log it)."""

    matched_records: int = 0
    compared: int = 0
    matches: int = 0
    grouped_records: int = 0
    new_works: int = 0
    adopted: int = 0
    merged: int = 0
    revived: int = 0
    withdrawn: int = 0
    updated: int = 0
    restored: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- entry points --------------------------------------------------------------------------------


def works_shoulder() -> Shoulder:
    """The shoulder of aggregated works' ARKs (``PIDSVC_WORKS_SHOULDER``), held by this node's
    organisation (given to it here when it is not: see ``hold_works_shoulder``)."""
    text = settings.PIDSVC_WORKS_SHOULDER.strip()
    try:
        naan, prefix = ark_access.works_shoulder_name()
    except arkdomain.InvalidArk as exc:
        raise IdentityNotConfigured(f"PIDSVC_WORKS_SHOULDER={text!r} is not an ARK: {exc}") from exc
    shoulder = (
        Shoulder.objects.select_related("naan", "organization")
        .filter(naan__naan=naan, prefix=prefix, naan__served=True)
        .first()
    )
    if shoulder is None:
        raise IdentityNotConfigured(
            f"the shoulder ark:{naan}/{prefix} (PIDSVC_WORKS_SHOULDER) is not "
            "delegated on this node: create it (manage.py delegate_shoulder) or set "
            "PIDSVC_WORKS_SHOULDER to the shoulder for aggregated works"
        )
    if not shoulder.is_active:
        raise IdentityNotConfigured(f"the works shoulder {shoulder} is not active")
    if not shoulder.organization.is_node:
        try:
            shoulder = ark_services.hold_works_shoulder(shoulder=shoulder, actor=ACTOR)
        except IdentifierError as exc:
            raise IdentityNotConfigured(exc.message) from exc
    return shoulder


def run_dedup(
    *,
    source: Source | None = None,
    full: bool = False,
    actor: str = ACTOR,
    progress: Progress | None = None,
) -> DedupReport:
    """Match what changed (every record of ``source``, or of all sources, with ``full``), then
    give the pending records their Works."""
    shoulder = works_shoulder()
    report = DedupReport()
    match_changed(source=source, full=full, report=report, progress=progress)
    assign_works(shoulder=shoulder, actor=actor, report=report, progress=progress)
    restore_arks(actor=actor, report=report)
    return report


# --- stage 1: matching ---------------------------------------------------------------------------


def changed_records(*, source: Source | None = None, full: bool = False) -> list[int]:
    """Raw record ids that dedup has not seen as they are now (all of them with ``full``)."""
    rows = RawRecord.objects.all()
    if source is not None:
        rows = rows.filter(source=source)
    if not full:
        rows = rows.annotate(
            seen_hash=F("membership__content_hash"), seen_deleted=F("membership__deleted")
        ).filter(
            Q(seen_hash__isnull=True)
            | ~Q(seen_hash=F("content_hash"))
            | ~Q(seen_deleted=F("deleted"))
        )
    return list(rows.order_by("pk").values_list("pk", flat=True))


def match_changed(
    *,
    source: Source | None = None,
    full: bool = False,
    report: DedupReport | None = None,
    progress: Progress | None = None,
) -> DedupReport:
    report = report or DedupReport()
    ids = changed_records(source=source, full=full)
    batch = settings.PIDSVC_DEDUP_BATCH
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            lock()
            _match_batch(ids[start : start + batch], report)
        report.matched_records += len(ids[start : start + batch])
        if progress:
            progress("matching", min(start + batch, len(ids)), len(ids))
    return report


def key_hash(key: str) -> int:
    """A stable signed 64-bit hash of a block key (Python's ``hash`` changes per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _match_batch(ids: list[int], report: DedupReport) -> None:
    raws = {
        pk: (content_hash, deleted)
        for pk, content_hash, deleted in RawRecord.objects.filter(pk__in=ids).values_list(
            "pk", "content_hash", "deleted"
        )
    }
    live = {
        pk: record
        for pk, record in _dedup_records(pk for pk, (_, deleted) in raws.items() if not deleted)
    }
    carried = _carried_arks(live)
    BlockKey.objects.filter(raw_id__in=ids).delete()
    keys: dict[int, set[int]] = {}
    sorts: dict[int, str] = {}
    rows = []
    for pk, record in live.items():
        keys[pk] = {key_hash(k) for k in block_keys(record)}
        sorts[pk] = dedup_sort_key(record)
        rows.extend(BlockKey(raw_id=pk, key=k, sort_key=sorts[pk]) for k in keys[pk])
    _insert_new(BlockKey, rows)
    candidates = _candidates(keys, sorts)
    others = dict(_dedup_records({c for cs in candidates.values() for c in cs} - set(live)))
    matches: list[Match] = []
    seen: set[tuple[int, int]] = set()
    for pk, found in candidates.items():
        for other in found:
            pair = (min(pk, other), max(pk, other))
            if pair in seen:
                continue
            seen.add(pair)
            partner = live.get(other) or others.get(other)
            if partner is None:
                continue
            decision = compare(live[pk], partner)
            report.compared += 1
            if decision.is_match:
                matches.append(
                    Match(a_id=pair[0], b_id=pair[1], rule=decision.rule, scores=decision.scores)
                )
    Match.objects.filter(Q(a_id__in=ids) | Q(b_id__in=ids), curator=False).delete()
    if connection.vendor == "postgresql":
        # COPY cannot skip a pair that is already there, as ``ignore_conflicts`` does: the
        # pairs left after the delete (curators' decisions, which outlive runs) are skipped
        # here instead. ``matches`` holds each pair once (``seen``).
        if matches:
            kept = set(
                Match.objects.filter(Q(a_id__in=ids) | Q(b_id__in=ids)).values_list("a_id", "b_id")
            )
            pgcopy.insert(Match, [m for m in matches if (m.a_id, m.b_id) not in kept], set_pk=False)
    else:
        Match.objects.bulk_create(matches, batch_size=5000, ignore_conflicts=True)
    report.matches += len(matches)
    now = timezone.now()
    existing = set(Membership.objects.filter(raw_id__in=ids).values_list("raw_id", flat=True))
    memberships = [
        Membership(
            raw_id=pk,
            content_hash=content_hash,
            deleted=deleted,
            live=pk in live,
            pending=True,
            carried_ark_id=carried.get(pk),
            updated_at=now,
        )
        for pk, (content_hash, deleted) in raws.items()
    ]
    Membership.objects.bulk_update(
        [m for m in memberships if m.raw_id in existing],
        ["content_hash", "deleted", "live", "pending", "carried_ark_id", "updated_at"],
        batch_size=1000,
    )
    _insert_new(Membership, [m for m in memberships if m.raw_id not in existing])


def _insert_new(model: type[BlockKey | Membership], rows: list[Any]) -> None:
    """Rows that cannot exist yet (the batch's own, deleted or looked for just before, under the
    dedup lock). On PostgreSQL they go through binary COPY: ``bulk_create`` renders every value
    into the SQL text in Python, a noticeable share of a first run, where every record is new."""
    if connection.vendor == "postgresql":
        pgcopy.insert(model, rows, set_pk=False)
    else:
        model.objects.bulk_create(rows, batch_size=5000)


def _dedup_records(ids: Iterable[int]) -> Iterator[tuple[int, DedupRecord]]:
    for pk, data in _products(ids):
        yield pk, from_product(data, str(pk))


def _products(ids: Iterable[int]) -> Iterator[tuple[int, Product]]:
    for chunk in _chunks(ids):
        for pk, data in Record.objects.filter(raw_id__in=chunk).values_list("raw_id", "product"):
            try:
                yield pk, Product.from_dict(data)
            except FormatError:
                log.warning("record %s has an unreadable stored product; dedup skips it", pk)


def _candidates(keys: Mapping[int, set[int]], sorts: Mapping[int, str]) -> dict[int, set[int]]:
    """The stored records that share a block with each record (capped as ``Index`` does: a
    block over ``max_block_size`` gives only the ``block_window`` nearest in title order)."""
    settings_ = DEFAULT_SETTINGS
    wanted = set().union(*keys.values()) if keys else set()
    sizes: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for chunk in _chunks(wanted):
        sizes.update(
            BlockKey.objects.filter(key__in=chunk)
            .values("key")
            .annotate(n=Count("id"))
            .values_list("key", "n")
        )
    small = [k for k in wanted if sizes.get(k, 0) <= settings_.max_block_size]
    for chunk in _chunks(small):
        for key, pk in BlockKey.objects.filter(key__in=chunk).values_list("key", "raw_id"):
            members.setdefault(key, []).append(pk)
    half = settings_.block_window // 2
    found: dict[int, set[int]] = {}
    for pk, record_keys in keys.items():
        mine: set[int] = set()
        for key in record_keys:
            if key in members:
                mine.update(members[key])
                continue
            block = BlockKey.objects.filter(key=key)
            here = sorts[pk]
            before = block.filter(Q(sort_key__lt=here) | Q(sort_key=here, raw_id__lt=pk))
            after = block.filter(Q(sort_key__gt=here) | Q(sort_key=here, raw_id__gt=pk))
            mine.update(
                before.order_by("-sort_key", "-raw_id").values_list("raw_id", flat=True)[:half]
            )
            mine.update(
                after.order_by("sort_key", "raw_id").values_list("raw_id", flat=True)[:half]
            )
        mine.discard(pk)
        found[pk] = mine
    return found


def _carried_arks(records: Mapping[int, DedupRecord]) -> dict[int, int]:
    """Record -> an ARK registered here that the record names among its PIDs and that is not
    one of this aggregator's works' ARKs (an institution's own ARK for the product)."""
    keys: dict[int, str] = {}
    for pk, record in records.items():
        for kind, value in record.pids:
            if kind != "ark":
                continue
            try:
                keys[pk] = str(arkdomain.parse(value))
            except arkdomain.InvalidArk:
                continue
            break
    if not keys:
        return {}
    found = dict(
        Ark.objects.filter(key__in=set(keys.values()))
        .exclude(work__adopted=False)
        .values_list("key", "pk")
    )
    return {pk: found[key] for pk, key in keys.items() if key in found}


# --- stage 2: identity ---------------------------------------------------------------------------


def assign_works(
    *,
    shoulder: Shoulder,
    actor: str = ACTOR,
    note: str = "",
    report: DedupReport | None = None,
    progress: Progress | None = None,
) -> DedupReport:
    """Give every pending record its Work, a batch of pending records (and all connected to
    them) per transaction."""
    report = report or DedupReport()
    total = Membership.objects.filter(pending=True).count()
    done = 0
    batch = settings.PIDSVC_DEDUP_BATCH
    while True:
        seed = list(
            Membership.objects.filter(pending=True)
            .order_by("raw_id")
            .values_list("raw_id", flat=True)[:batch]
        )
        if not seed:
            break
        with transaction.atomic():
            lock()
            scope = closure(seed)
            _assign(scope, shoulder=shoulder, actor=actor, note=note, report=report)
            Membership.objects.filter(raw_id__in=scope, pending=True).update(pending=False)
        done += len(seed)
        report.grouped_records += len(scope)
        if progress:
            progress("identity", min(done, total), max(total, done))
    return report


def closure(seed: Iterable[int]) -> set[int]:
    """The seed records and everything whose Work can change with theirs: records matched to
    them, the other members of their Works, and records carrying the same institution ARK."""
    scope: set[int] = set()
    frontier = set(seed)
    while frontier:
        scope |= frontier
        found: set[int] = set()
        for chunk in _chunks(frontier):
            for a, b in Match.objects.filter(Q(a_id__in=chunk) | Q(b_id__in=chunk)).values_list(
                "a_id", "b_id"
            ):
                found.update((a, b))
            rows = Membership.objects.filter(raw_id__in=chunk).values_list(
                "work_id", "carried_ark_id"
            )
            works = {w for w, _ in rows if w is not None}
            arks = {a for _, a in rows if a is not None}
            works.update(Work.objects.filter(ark_id__in=arks).values_list("pk", flat=True))
            found.update(
                Membership.objects.filter(Q(work_id__in=works) | Q(carried_ark_id__in=arks))
                .values_list("raw_id", flat=True)
            )  # fmt: skip
        frontier = found - scope
    return scope


@dataclass
class _Scope:
    """The state of the records in scope, as the plan needs it."""

    work_of: dict[int, int | None]
    first_work_of: dict[int, int | None]
    live: set[int]
    isolated: set[int]
    carried: dict[int, int]


def _load_scope(scope: set[int]) -> _Scope:
    state = _Scope({}, {}, set(), set(), {})
    for chunk in _chunks(scope):
        for pk, work, first, live, isolated, ark in Membership.objects.filter(
            raw_id__in=chunk
        ).values_list("raw_id", "work_id", "first_work_id", "live", "isolated", "carried_ark_id"):
            state.work_of[pk] = work
            state.first_work_of[pk] = first
            if live:
                state.live.add(pk)
            if isolated:
                state.isolated.add(pk)
            if ark is not None and live:
                state.carried[pk] = ark
    # Only ARKs that can be adopted: public, not merged into another.
    adoptable = set(
        Ark.objects.filter(
            pk__in=set(state.carried.values()), state=State.PUBLIC, merged_into__isnull=True
        ).values_list("pk", flat=True)
    )
    state.carried = {r: a for r, a in state.carried.items() if a in adoptable}
    return state


@dataclass
class Planned:
    """What identity would do with a scope: its groups and the plan for them, not yet applied."""

    scope: set[int]
    state: _Scope
    works: dict[int, workplan.WorkState]
    held: dict[frozenset[int], str]
    groups: list[workplan.Group]
    plan: workplan.IdentityPlan


def plan_scope(scope: set[int], *, detached: Iterable[int] = ()) -> Planned:
    """Group the records of ``scope`` and plan their Works (reads only). ``detached``: records
    a curator takes out of their Works, planned as if they had none, so that each Work stays
    with the records that remain in it."""
    state = _load_scope(scope)
    state.work_of.update(dict.fromkeys(detached))
    matches = list(_pairs(scope, curator=False))
    curated = list(_pairs(scope, curator=True))
    works = _work_states({*state.work_of.values(), *state.first_work_of.values()})
    held = _held_components(matches, state, works)
    groups = workplan.partition(
        state.live, matches, curated=curated, isolated=state.isolated, held=held,
        work_of=state.work_of,
    )  # fmt: skip
    plan = workplan.plan_identity(
        groups, work_of=state.work_of, first_work_of=state.first_work_of, works=works,
        carried=state.carried,
    )  # fmt: skip
    return Planned(scope, state, works, held, groups, plan)


def apply_planned(
    planned: Planned, *, shoulder: Shoulder, actor: str, note: str, report: DedupReport
) -> dict[int, Work]:
    """Write ``planned``; returns each group's Work (by group index)."""
    _record_held(planned.scope, planned.held)
    report.held += len(planned.held)
    return _apply(
        planned.plan, planned.groups, planned.state, planned.works, shoulder=shoulder,
        actor=actor, note=note, report=report,
    )  # fmt: skip


def _assign(
    scope: set[int], *, shoulder: Shoulder, actor: str, note: str, report: DedupReport
) -> None:
    apply_planned(plan_scope(scope), shoulder=shoulder, actor=actor, note=note, report=report)


def _pairs(scope: set[int], *, curator: bool) -> Iterator[tuple[int, int]]:
    for chunk in _chunks(scope):
        yield from Match.objects.filter(a_id__in=chunk, curator=curator).values_list("a_id", "b_id")


def _work_states(ids: Iterable[int | None]) -> dict[int, workplan.WorkState]:
    wanted = {i for i in ids if i is not None}
    return {
        pk: workplan.WorkState(pk, status, ark if adopted else None)
        for pk, status, adopted, ark in Work.objects.filter(pk__in=wanted).values_list(
            "pk", "status", "adopted", "ark_id"
        )
    }


def _held_components(
    matches: list[tuple[int, int]], state: _Scope, works: Mapping[int, workplan.WorkState]
) -> dict[frozenset[int], str]:
    """Components that must not merge: they fail the engine's cohesion check, or they would
    join two different institutions' ARKs."""
    lonely = state.isolated
    edges = [
        (a, b) for a, b in matches if a in state.live and b in state.live and not {a, b} & lonely
    ]
    components = connected_components(edges)
    need = {r for c in components if len(c) > 2 for r in c}
    records = dict(_dedup_records(need))
    held: dict[frozenset[int], str] = {}
    for members in components:
        institution = {state.carried[r] for r in members if r in state.carried}
        for record in members:
            work = state.work_of.get(record)
            if work is not None and works[work].adopted_ark is not None:
                institution.add(works[work].adopted_ark)
        if len(institution) > 1:
            held[frozenset(members)] = "institution_arks"
            continue
        if len(members) > 2 and not all(r in records for r in members):
            continue  # pragma: no cover - live records have products
        verdict = check_cohesion(members, records)
        if verdict is not None:
            held[frozenset(members)] = verdict.reason
    return held


def _record_held(scope: set[int], held: Mapping[frozenset[int], str]) -> None:
    """Keep one open ``HeldGroup`` per held component; close those that no longer are."""
    current = dict(held)
    for group in HeldGroup.objects.filter(open=True):
        members = frozenset(group.members)
        if not members & scope:
            continue
        if current.get(members) == group.reason:
            current.pop(members)
        else:
            group.open = False
            group.save(update_fields=["open"])
    for members, reason in current.items():
        HeldGroup.objects.create(members=sorted(members), reason=reason)


def _apply(
    plan: workplan.IdentityPlan,
    groups: list[workplan.Group],
    state: _Scope,
    works: Mapping[int, workplan.WorkState],
    *,
    shoulder: Shoulder,
    actor: str,
    note: str,
    report: DedupReport,
) -> dict[int, Work]:
    views = _instances(state.live)
    group_work: dict[int, Work] = {}
    fresh: list[int] = []
    known = Work.objects.select_related("ark").in_bulk(
        [a.work for a in plan.assignments if a.work is not None] + list(plan.merges)
        + plan.withdrawn
    )  # fmt: skip
    for index, assignment in enumerate(plan.assignments):
        if assignment.how == "new":
            fresh.append(index)
        elif assignment.how == "adopt":
            assert assignment.ark is not None
            # A Work that adopted this ARK before and lost its records comes back.
            work = Work.objects.select_related("ark").filter(ark_id=assignment.ark).first()
            if work is None:
                work = Work.objects.create(ark_id=assignment.ark, adopted=True)
                work = Work.objects.select_related("ark").get(pk=work.pk)
            group_work[index] = work
            report.adopted += 1
        else:
            assert assignment.work is not None
            group_work[index] = known[assignment.work]
    if fresh:
        group_work.update(_mint_works(fresh, groups, views, shoulder=shoulder, actor=actor))
        report.new_works += len(fresh)
    # Memberships: live records go to their group's Work.
    moves = {
        record: group_work[index].pk
        for index, group in enumerate(groups)
        for record in group.records
        if state.work_of.get(record) != group_work[index].pk
    }
    for index, assignment in enumerate(plan.assignments):
        if assignment.how == "revive":
            _revive(group_work[index], actor=actor, note=note)
            report.revived += 1
    for loser_id, index in sorted(plan.merges.items()):
        survivor = group_work[index]
        _merge_work(known[loser_id], survivor, actor=actor, note=note)
        report.merged += 1
    _move(moves)
    for work_id in plan.withdrawn:
        _withdraw(known[work_id], actor=actor, note=note)
    fresh_set = set(fresh)
    for index, work in group_work.items():
        if index in fresh_set:  # minted from these very members
            continue
        if _refresh(
            work,
            [views[r] for r in sorted(groups[index].records) if r in views],
            actor=actor,
            note=note,
        ):
            report.updated += 1
    report.withdrawn += len([w for w in plan.withdrawn if works[w].status != Work.Status.WITHDRAWN])
    return group_work


# --- writing Works and their ARKs ---------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """A live member as a Work shows it: its instance and its product."""

    instance: dict[str, Any]
    product: dict[str, Any]


def _instances(records: Iterable[int]) -> dict[int, _View]:
    views: dict[int, _View] = {}
    for chunk in _chunks(records):
        rows = Record.objects.filter(raw_id__in=chunk).values_list(
            "raw_id", "product", "raw__oai_identifier", "raw__changed_at", "raw__datestamp",
            "source__name", "source__url", "source__metadata_prefix",
        )  # fmt: skip
        for pk, data, oai_id, changed, datestamp, source, base, prefix in rows:
            views[pk] = _View(
                _instance(pk, data, oai_id, changed, datestamp, source, base, prefix), data
            )
    return views


def _instance(
    pk: int, data: dict[str, Any], oai_id: str, changed: datetime, datestamp: str,
    source: str, base: str, prefix: str,
) -> dict[str, Any]:  # fmt: skip
    pids = {p.get("kind"): p.get("value") for p in reversed(data.get("pids") or [])}
    access = data.get("access_right") or {}
    kind = data.get("resource_type") or {}
    licences = data.get("licenses") or [{}]
    doi = pids.get("doi")
    doi_url = f"https://doi.org/{doi}" if doi else None
    landing = data.get("landing_url")
    # The page of this instance at its source: a DOI names the work, not where this copy is.
    url = _first_url(
        landing if landing and not landing.startswith("https://doi.org/") else None,
        pids.get("handle") and f"https://hdl.handle.net/{pids['handle']}",
        pids.get("url"),
        *(data.get("fulltext_urls") or ()),
        landing,
        _get_record_url(base, prefix, oai_id),
    )
    return {
        "record": pk,
        "source": source,
        "oai_identifier": oai_id,
        "url": url,
        "doi": doi,
        "doi_url": doi_url,
        "access_code": access.get("code"),
        "access_rights": access.get("label", ""),
        "license": licences[0].get("url") or licences[0].get("label") or "",
        "type": kind.get("label") or kind.get("kind") or "",
        "datestamp": datestamp,
        # Most recently seen as it is: when a harvest last found it new or changed (a harvest
        # that lists it unchanged moves nothing, so the choice is stable between runs).
        "seen": changed.isoformat(),
    }


def _get_record_url(base: str, prefix: str, oai_id: str) -> str | None:
    """The record at its source (OAI-PMH GetRecord), when nothing better names it."""
    if not base.lower().startswith(("http://", "https://")):
        return None  # a folder source
    query = urlencode({"verb": "GetRecord", "metadataPrefix": prefix, "identifier": oai_id})
    return f"{base}?{query}"


def _first_url(*candidates: Any) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            try:
                return ark_services.validate_target(candidate) or None
            except IdentifierError:
                continue
    return None


def _describe(views: list[_View], *, previous_target: str = "") -> dict[str, Any]:
    """The Work's fields and its ARK's data from its live members' views."""
    instances = [v.instance for v in views]
    summary = workplan.summarise([(v.instance, v.product) for v in views])
    best = workplan.best_instance(instances)
    target = (best.get("doi_url") or best.get("url")) if best else previous_target
    titles = summary.get("titles") or []
    main = next((t for t in titles if t.get("type", "main") == "main"), titles[0] if titles else {})
    title = str(main.get("text", ""))
    kind = (summary.get("resource_type") or {}).get("kind", "")
    year = summary.get("publication_year")
    who = "; ".join(str(p.get("name", "")) for p in summary.get("creators") or [])
    shown = [
        {k: i[k] for k in ("source", "url", "doi", "access_rights", "license", "type") if i.get(k)}
        for i in sorted(instances, key=workplan.instance_rank, reverse=True)[:MAX_INSTANCES]
    ]
    metadata = {
        "kind": kind,
        "type": (summary.get("resource_type") or {}).get("label", ""),
        "pids": sorted(
            f"{p['kind']}:{p['value']}" for p in summary.get("pids") or [] if p["kind"] != "url"
        )[:50],
        "members": len(views),
        "instances": shown,
    }
    return {
        "work": {
            "title": title,
            "kind": kind,
            "year": year,
            "summary": summary,
            "instances": instances,
        },
        "ark": {
            "target": target or "",
            "what": _cut(title),
            "who": _cut(who),
            "when": str(summary.get("publication_date") or year or ""),
            "metadata": {k: v for k, v in metadata.items() if v not in ("", [], None)},
        },
    }


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERC_CHARS else text[: MAX_ERC_CHARS - 1] + "…"


def _mint_works(
    indexes: list[int], groups: list[workplan.Group], views: Mapping[int, _View], *,
    shoulder: Shoulder, actor: str,
) -> dict[int, Work]:  # fmt: skip
    made: dict[int, Work] = {}
    for part in _chunks(indexes, ark_services.MAX_BATCH):
        described = [
            _describe([views[r] for r in sorted(groups[i].records) if r in views]) for i in part
        ]
        # No state given: public at the best instance's URL, reserved while there is none.
        items = [ark_services.ArkData(**d["ark"]) for d in described]
        arks = ark_services.mint_each(
            shoulder=shoulder, actor=Actor.aggregation(actor), items=items
        )
        now = timezone.now()
        new = [
            Work(
                ark_id=a.pk,
                title=d["work"]["title"],
                kind=d["work"]["kind"],
                year=d["work"]["year"],
                summary=d["work"]["summary"],
                instances=d["work"]["instances"],
                ark_fields=_wanted(d["ark"]),
                created_at=now,
                updated_at=now,
            )
            for a, d in zip(arks, described, strict=True)
        ]
        if connection.vendor == "postgresql":
            # Each ARK was minted just now, so no Work has it yet: the rows are new, and their
            # summaries and instances (a few kilobytes of JSON each) go through COPY.
            pgcopy.insert(Work, new)
            for work in new:  # saved, as bulk_create would leave them
                work._state.adding, work._state.db = False, connection.alias
        else:
            Work.objects.bulk_create(new)
        for index, work, ark in zip(part, new, arks, strict=True):
            work.ark = ark
            made[index] = work
    return made


def _refresh(work: Work, views: list[_View], *, actor: str, note: str) -> bool:
    """Bring a live Work and its ARK up to date with its members; ``True`` if anything changed."""
    described = _describe(views, previous_target=work.ark.target)
    changed = False
    fields = described["work"]
    if work.status != Work.Status.LIVE or work.merged_into_id is not None:
        work.status, work.merged_into_id = Work.Status.LIVE, None
        changed = True
    for name, value in fields.items():
        if getattr(work, name) != value:
            setattr(work, name, value)
            changed = True
    if changed:
        work.updated_at = timezone.now()
        work.save()
    data = described["ark"]
    ark = work.ark
    if work.adopted:
        # The institution's target and description stay theirs; only the instances are added.
        metadata = {**ark.metadata, "instances": data["metadata"].get("instances", [])}
        wanted: dict[str, Any] = {"metadata": metadata}
    else:
        wanted = _wanted(data)
        if work.ark_fields != wanted:
            work.ark_fields = wanted
            work.save(update_fields=["ark_fields"])
    diff = {k: v for k, v in wanted.items() if getattr(ark, k) != v}
    if diff:
        try:
            ark_services.update_ark(ark=ark, actor=Actor.aggregation(actor), note=note, **diff)
        except IdentifierError as exc:
            log.warning("work %s: ARK %s not updated: %s", work.pk, ark.ark, exc)
            return changed
        changed = True
    return changed


def _move(moves: Mapping[int, int]) -> None:
    """Records (raw id -> Work id) join their Works; the first Work a record joins stays its
    ``first_work``. One statement on PostgreSQL, one per Work elsewhere."""
    if not moves:
        return
    if connection.vendor == "postgresql":
        table = Membership._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} m SET work_id = v.work, "  # noqa: S608 - our own table name
                "first_work_id = COALESCE(m.first_work_id, v.work) "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(raw, work) WHERE m.raw_id = v.raw",
                [list(moves), list(moves.values())],
            )
        return
    by_work: dict[int, list[int]] = {}
    for record, work in moves.items():
        by_work.setdefault(work, []).append(record)
    for work, records in by_work.items():
        for chunk in _chunks(records):
            Membership.objects.filter(raw_id__in=chunk).update(work_id=work)
            Membership.objects.filter(raw_id__in=chunk, first_work__isnull=True).update(
                first_work_id=work
            )


def _merge_work(loser: Work, survivor: Work, *, actor: str, note: str) -> None:
    """``loser``'s records now belong to ``survivor``; its ARK resolves through the survivor's."""
    if loser.status == Work.Status.MERGED and loser.merged_into_id == survivor.pk:
        return
    Membership.objects.filter(work=loser).update(work=survivor)
    loser.status, loser.merged_into = Work.Status.MERGED, survivor
    loser.updated_at = timezone.now()
    loser.save(update_fields=["status", "merged_into", "updated_at"])
    if not loser.adopted:
        ark_services.merge(
            ark=loser.ark,
            into=survivor.ark,
            actor=Actor.aggregation(actor),
            note=note or "works merged by dedup",
        )


def _revive(work: Work, *, actor: str, note: str) -> None:
    """A merged Work whose records split away again: its ARK stands for them once more."""
    work.status, work.merged_into = Work.Status.LIVE, None
    work.updated_at = timezone.now()
    work.save(update_fields=["status", "merged_into", "updated_at"])
    if not work.adopted:
        ark_services.unmerge(
            ark=work.ark, actor=Actor.aggregation(actor), note=note or "work split apart by dedup"
        )
        work.ark.refresh_from_db()


def _withdraw(work: Work, *, actor: str, note: str) -> None:
    if work.status != Work.Status.WITHDRAWN:
        work.status = Work.Status.WITHDRAWN
        work.updated_at = timezone.now()
        work.save(update_fields=["status", "updated_at"])
    if work.adopted:
        return  # an institution's ARK is its owner's to withdraw
    tombstone = {"state": State.UNAVAILABLE, "reason": WITHDRAWN_REASON}
    if work.ark_fields and {**work.ark_fields, **tombstone} != work.ark_fields:
        work.ark_fields = {**work.ark_fields, **tombstone}
        work.save(update_fields=["ark_fields"])
    if work.ark.state == State.UNAVAILABLE:
        return
    ark_services.update_ark(ark=work.ark, actor=Actor.aggregation(actor), note=note, **tombstone)


def _wanted(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a live work's ARK must hold, from its described ``data``: without a target (no
    member gives a URL) the ARK keeps the one it has, and its state."""
    wanted = dict(data)
    if data["target"]:
        wanted["state"] = State.PUBLIC
    else:
        wanted.pop("target")
    return wanted


# --- putting back what others changed ----------------------------------------------------------


def restore_arks(*, actor: str = ACTOR, report: DedupReport | None = None) -> DedupReport:
    """Put back the target, state and metadata of every work's ARK that differs from what
    identity wrote (``Work.ark_fields``), whoever changed it: written through the identifier
    layer's services, so the ARK's history says it was put back, and by whom.

    The comparison runs in the database, over every live and withdrawn work, so a run costs one
    scan of the works and their ARKs, not a read of every work's metadata.
    """
    report = report or DedupReport()
    for chunk in _chunks(list(_drifted().order_by("pk").values_list("pk", flat=True))):
        with transaction.atomic():
            lock()
            for work in Work.objects.select_related("ark").filter(pk__in=chunk):
                diff = {k: v for k, v in work.ark_fields.items() if getattr(work.ark, k) != v}
                if not diff:
                    continue  # pragma: no cover - the database saw a difference Python does not
                try:
                    ark_services.update_ark(
                        ark=work.ark, actor=Actor.aggregation(actor), note=RESTORED_NOTE, **diff
                    )
                except IdentifierError as exc:
                    report.errors.append(f"{work.ark.ark} not put back: {exc}")
                    log.warning("work %s: ARK %s not put back: %s", work.pk, work.ark.ark, exc)
                    continue
                report.restored += 1
    return report


_TEXT_FIELDS: Final = ("target", "state", "reason", "who", "what", "when")


class _JsonText(Func):
    """A JSON value as canonical text, so that two equal values compare equal: jsonb's text on
    PostgreSQL; on SQLite, ``json()``, which minifies what Django stored with spaces."""

    template = "(%(expressions)s)::text"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="JSON(%(expressions)s)", **extra)


def _drifted() -> Any:
    """Works whose ARK holds something other than ``ark_fields`` says."""
    differs = Q(ark_fields__has_key="metadata") & ~Q(held_metadata=F("wanted_metadata"))
    for name in _TEXT_FIELDS:
        differs |= Q(ark_fields__has_key=name) & ~Q(**{f"ark__{name}": KT(f"ark_fields__{name}")})
    return Work.objects.annotate(
        held_metadata=_JsonText(F("ark__metadata")),
        wanted_metadata=_JsonText(F("ark_fields__metadata")),
    ).filter(differs, adopted=False, status__in=[Work.Status.LIVE, Work.Status.WITHDRAWN])


# --- helpers -------------------------------------------------------------------------------------


def lock() -> None:
    """Dedup batches run one at a time, whoever runs them (two harvests finishing together, a
    curator): taken inside each batch's transaction, released when it commits. SQLite runs one
    writing transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
