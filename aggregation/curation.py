"""Curators' decisions on Works: merge works, split records out of theirs.

A decision is stored (``Match`` rows with ``curator`` set join records; ``Membership.isolated``
keeps a record apart from every automatic match), then the records it touches go through the
same planning as dedup (``identity.plan_scope``) and the plan is applied
(``identity.apply_planned``). A preview (``dry_run``) stores the decision and plans it in a
transaction that is rolled back: it is the plan that applying would write, not a second
implementation of the rules. Which Work keeps its ARK is the identity policy's
(``aggregation.workplan``): the oldest, or an institution's adopted ARK.

A decision changes only what the curator chose: a merge joins the selected works and no other
(a record split out of a third work stays apart from it), a split moves only the selected
records; a plan that would change any other Work is refused, saying which.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.db.models import Q

from aggregation import identity
from aggregation.errors import CurationChanged, CurationRefused
from aggregation.models import Match, Membership, RawRecord, Work
from arks.models import Ark

__all__ = ["Curation", "Placement", "curator_merge", "curator_split"]


@dataclass(frozen=True)
class Placement:
    """Where a record ends: ``ark`` of its Work (empty for a Work not minted yet: ``new``)."""

    record: int
    source: str
    identifier: str
    before: str  # the ARK of its Work now ("" when it has none yet)
    ark: str
    new: bool  # a new Work (its ARK is minted when the decision is applied)
    group: int  # the records that end in one Work share it (the oldest of them)


@dataclass(frozen=True)
class Curation:
    """What a decision does (or, from a preview, would do)."""

    records: dict[int, Placement]  # the records whose Work changes, and the rest of their Works
    survivor: str = ""  # a merge: the ARK the selected works share from now on
    aliases: dict[str, str] = field(default_factory=dict)  # merged ARK -> the ARK it resolves to
    revived: list[str] = field(default_factory=list)  # merged ARKs that stand alone again
    withdrawn: list[str] = field(default_factory=list)
    digest: str = ""  # names the plan: a confirmation applies only the plan that was shown
    applied: bool = False

    def destinations(self) -> list[tuple[str, bool, list[Placement]]]:
        """``(ARK, new, records)`` per Work the records end in; a Work not minted yet is named
        ``new work 1``, ``new work 2``..."""
        ends: dict[int, list[Placement]] = {}
        for placement in sorted(self.records.values(), key=lambda p: p.record):
            ends.setdefault(placement.group, []).append(placement)
        found, fresh = [], 0
        for _, items in sorted(ends.items()):
            ark = items[0].ark
            if not ark:
                fresh += 1
                ark = f"new work {fresh}"
            found.append((ark, items[0].new, items))
        return found


# --- decisions -----------------------------------------------------------------------------------


@transaction.atomic
def curator_merge(
    *, works: Sequence[Work], actor: str, note: str, dry_run: bool = False,
    expect: str | None = None,
) -> Curation:  # fmt: skip
    """Make ``works`` one Work, and no other with them. ``expect``: the digest of the preview
    the curator confirmed; if the plan is another now, nothing is applied."""
    if len({w.pk for w in works}) < 2:
        raise CurationRefused("choose at least two works to merge", field="works")
    _need_note(note, dry_run, "say why the works are one (it goes into the ARKs' history)")
    live = list(Work.objects.filter(pk__in=[w.pk for w in works]).select_related("ark"))
    if any(w.status != Work.Status.LIVE for w in live):
        raise CurationRefused("only live works can be merged", field="works")
    if len({w.ark_id for w in live if w.adopted}) > 1:
        raise CurationRefused(
            "two institutions' ARKs are never merged into one another", field="works"
        )
    anchors = []
    for work in sorted(live, key=lambda w: w.pk):
        anchor = Membership.objects.filter(work=work, live=True).order_by("raw_id").first()
        if anchor is None:
            raise CurationRefused(f"work {work.ark.ark} has no live record", field="works")
        anchors.append(anchor.raw_id)
    # The join overrides what kept these records apart, between them only: a record that a
    # curator split out of some other work stays apart from that work (its ``isolated`` flag
    # stays), so its automatic matches do not pull that work back in.
    _join(anchors, actor=actor, note=note)
    outcome = _settle(anchors, allowed={w.pk for w in live}, actor=actor, note=note,
                      dry_run=dry_run, expect=expect)  # fmt: skip
    survivor = outcome.records[anchors[0]]
    if any(outcome.records[a].group != survivor.group for a in anchors):
        raise CurationRefused("the selected works would not become one", field="works")
    return replace(outcome, survivor=survivor.ark)


@transaction.atomic
def curator_split(
    *,
    records: Sequence[RawRecord],
    together: bool = False,
    actor: str,
    note: str,
    dry_run: bool = False,
    expect: str | None = None,
) -> Curation:
    """Take ``records`` out of their Works: each on its own, or ``together`` as one Work. They
    stay apart from every automatic match until a curator merges them somewhere. A Work keeps
    its ARK with the records that remain in it (each on its own out of every record of a Work:
    the oldest keeps it); the records that leave get a new ARK, or the one they had before a
    merge."""
    ids = sorted({r.pk for r in records})
    if not ids:
        raise CurationRefused("choose the records to split out", field="records")
    _need_note(note, dry_run, "say why the records are not part of the work")
    members = {m.raw_id: m for m in Membership.objects.filter(raw_id__in=ids)}
    for record in records:
        membership = members.get(record.pk)
        if membership is None or membership.work_id is None:
            raise CurationRefused(
                f"{record.oai_identifier} has not been through dedup yet", field="records"
            )
        if not membership.live:
            raise CurationRefused(
                f"{record.oai_identifier} is withdrawn or unreadable: it stays with its work",
                field="records",
            )
    works = {m.work_id for m in members.values()}
    if together and len(works) > 1:
        raise CurationRefused(
            "records of different works cannot be split out together: merge their works, or "
            "split each out of its own",
            field="records",
        )
    leaving = set(ids)
    for work in works:
        rest = Membership.objects.filter(work_id=work, live=True).exclude(raw_id__in=ids)
        if not rest.exists():
            leaving.discard(min(r for r, m in members.items() if m.work_id == work))
        if together and not rest.exists():
            raise CurationRefused(
                "these are all the live records of their work: nothing would be split out",
                field="records",
            )
        if not together and not rest.exists() and len(ids) == 1:
            raise CurationRefused("the record is its work's only record", field="records")
    joined = Match.objects.filter(Q(a_id__in=ids) | Q(b_id__in=ids), curator=True)
    if together:
        joined = joined.exclude(a_id__in=ids, b_id__in=ids)
    joined.delete()
    Membership.objects.filter(raw_id__in=ids).update(isolated=True)
    if together:
        _join(ids, actor=actor, note=note)
    firsts = {m.first_work_id for m in members.values() if m.first_work_id is not None}
    return _settle(ids, allowed=works | firsts, actor=actor, note=note, dry_run=dry_run,
                   detached=leaving, expect=expect)  # fmt: skip


def _need_note(note: str, dry_run: bool, message: str) -> None:
    if not dry_run and not note.strip():
        raise CurationRefused(message, field="note")


def _join(records: Sequence[int], *, actor: str, note: str) -> None:
    """Curators' pairs from the first record to each other one (pairs are stored ordered)."""
    decision = {"rule": "curator", "scores": {}, "curator": True, "actor": actor, "note": note}
    first = records[0]
    for other in records[1:]:
        Match.objects.update_or_create(
            a_id=min(first, other), b_id=max(first, other), defaults=decision
        )


# --- planning and applying -----------------------------------------------------------------------


def _settle(
    records: Sequence[int], *, allowed: set[int], actor: str, note: str, dry_run: bool,
    detached: Iterable[int] = (), expect: str | None = None,
) -> Curation:  # fmt: skip
    """Plan the records touched by the stored decision; apply the plan, or (``dry_run``) roll
    the decision back and only say what the plan is."""
    shoulder = identity.works_shoulder()
    identity.lock()
    Membership.objects.filter(raw_id__in=records).update(pending=True)
    planned = identity.plan_scope(identity.closure(records), detached=detached)
    outcome, group_of = _outcome(planned, named=records, allowed=allowed)
    if dry_run:
        transaction.set_rollback(True)
        return outcome
    if expect is not None and outcome.digest != expect:
        raise CurationChanged(
            "what this does changed since it was shown (a harvest or another curator moved "
            "these records): nothing was changed; look at it again",
            field="plan",
        )
    made = identity.apply_planned(
        planned, shoulder=shoulder, actor=actor, note=note, report=identity.DedupReport()
    )
    Membership.objects.filter(raw_id__in=planned.scope).update(pending=False)
    placed = {
        pk: replace(p, ark=made[group_of[pk]].ark.ark) if p.new else p
        for pk, p in outcome.records.items()
    }
    return replace(outcome, records=placed, applied=True)


def _outcome(
    planned: identity.Planned, *, named: Iterable[int], allowed: set[int]
) -> tuple[Curation, dict[int, int]]:
    """The plan as a curator reads it; refused if it changes a Work outside ``allowed``."""
    plan, state, groups = planned.plan, planned.state, planned.groups
    group_of = {r: i for i, g in enumerate(groups) for r in g.records}
    adopted = dict(
        Work.objects.filter(ark_id__in=[a.ark for a in plan.assignments if a.how == "adopt"])
        .values_list("ark_id", "pk")
    )  # fmt: skip
    ends: list[int | None] = [  # each group's Work, None: a new one (or a new adopting Work)
        a.work if a.how in ("keep", "revive") else adopted.get(a.ark) if a.how == "adopt" else None
        for a in plan.assignments
    ]
    _refuse_bystanders(planned, ends, group_of, allowed)
    named = set(named)
    shown_groups = {group_of[r] for r in named if r in group_of}
    shown = sorted(
        r
        for r in state.live
        if group_of[r] in shown_groups
        or ends[group_of[r]] is None
        or ends[group_of[r]] != state.work_of.get(r)
    )
    arks = _arks(
        {w for w in state.work_of.values() if w is not None}
        | {w for w in ends if w is not None}
        | set(plan.merges)
        | set(plan.withdrawn)
    )
    adopting = dict(
        Ark.objects.filter(pk__in=[a.ark for a in plan.assignments if a.ark]).values_list(
            "pk", "ark"
        )
    )
    labels = _labels(shown)
    current = dict(Membership.objects.filter(raw_id__in=shown).values_list("raw_id", "work_id"))
    arks.update(_arks(w for w in current.values() if w not in arks))
    records: dict[int, Placement] = {}
    for pk in shown:
        index = group_of[pk]
        assignment, end = plan.assignments[index], ends[index]
        if end is not None:
            ark, new = arks[end], False
        elif assignment.how == "adopt":
            ark, new = adopting[assignment.ark], False  # type: ignore[index]
        else:
            ark, new = "", True
        before = current.get(pk)
        records[pk] = Placement(
            pk, *labels[pk], arks[before] if before else "", ark, new, min(groups[index].records)
        )
    aliases = {
        arks[loser]: _alias_target(records, groups[index].records, arks, ends[index])
        for loser, index in sorted(plan.merges.items())
    }
    revived = [arks[a.work] for a in plan.assignments if a.how == "revive" and a.work]
    withdrawn = [
        arks[w] for w in plan.withdrawn if planned.works[w].status != Work.Status.WITHDRAWN
    ]
    digest = _digest(
        {
            "records": [
                (pk, current.get(pk), ends[group_of[pk]], records[pk].group) for pk in shown
            ],
            "merges": sorted(plan.merges.items()),
            "revived": revived,
            "withdrawn": withdrawn,
        }
    )
    outcome = Curation(
        records, aliases=aliases, revived=revived, withdrawn=withdrawn, digest=digest
    )
    return outcome, group_of


def _alias_target(
    records: Mapping[int, Placement], members: Iterable[int], arks: Mapping[int, str],
    end: int | None,
) -> str:  # fmt: skip
    """The ARK a merged Work resolves through: its group's Work (new: not minted yet)."""
    if end is not None:
        return arks[end]
    for pk in members:
        if pk in records:
            return records[pk].ark
    return ""


def _refuse_bystanders(
    planned: identity.Planned, ends: list[int | None], group_of: Mapping[int, int],
    allowed: set[int],
) -> None:  # fmt: skip
    """A Work the curator did not choose may not be merged, withdrawn, lose a record or take
    one from another Work."""
    plan, state = planned.plan, planned.state
    changed: set[int] = set(plan.merges) | {
        w for w in plan.withdrawn if planned.works[w].status != Work.Status.WITHDRAWN
    }
    for record in state.live:
        before, after = state.work_of.get(record), ends[group_of[record]]
        if before != after:
            if before is not None:
                changed.add(before)
            if after is not None and before is not None:
                changed.add(after)
    others = sorted(changed - allowed)
    if others:
        arks = _arks(others)
        raise CurationRefused(
            "this would also change "
            + ", ".join(arks[w] for w in others)
            + ", which you did not choose: look at the records' matches on those works first",
            field="works",
        )


def _arks(works: Iterable[int]) -> dict[int, str]:
    return dict(Work.objects.filter(pk__in=set(works)).values_list("pk", "ark__ark"))


def _labels(records: Iterable[int]) -> dict[int, tuple[str, str]]:
    return {
        pk: (source, identifier)
        for pk, source, identifier in RawRecord.objects.filter(pk__in=set(records)).values_list(
            "pk", "source__name", "oai_identifier"
        )
    }


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]
