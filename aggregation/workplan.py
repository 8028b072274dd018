"""The stable-identifier policy as pure functions: which records form one Work, which Work
keeps which ARK, and what a Work shows. No database: ``aggregation.identity`` reads the state,
calls these, and writes their answer through the identifier layer's services.

Records are named by their raw record id (a smaller id was harvested earlier: "older"), Works by
their primary key (smaller: older). The rules (shared/DESIGN.md, "Identity"):

* a group of records that holds records of several Works keeps the oldest Work (an institution's
  adopted ARK before any Work of the aggregator's own); the others are merged into it;
* a Work split across groups keeps its ARK in the group that holds most of its live records
  (ties: the group that holds its oldest record); an adopted Work stays with the records that
  carry its ARK;
* a group that keeps no Work adopts the institution ARK that its records carry, or takes back
  the former Work of its records (a Work that was merged, then split away), or gets a new one;
* a Work with no live record left is withdrawn (its ARK becomes a tombstone).

Planning the same groups against the state it produced changes nothing (the second run is a
no-op), because every group then holds exactly its own Work's live records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aggregation.dedup.cluster import connected_components

__all__ = [
    "Assignment",
    "Group",
    "IdentityPlan",
    "WorkState",
    "best_instance",
    "instance_rank",
    "partition",
    "plan_identity",
    "summarise",
]


@dataclass(frozen=True, slots=True)
class WorkState:
    """What planning needs of a Work: ``status`` is ``live``, ``merged`` or ``withdrawn``;
    ``adopted_ark``: the institution ARK's id when the Work adopted one."""

    id: int
    status: str
    adopted_ark: int | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Records that are one Work from now on; ``held``: why dedup kept them apart, if it did."""

    records: frozenset[int]
    held: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """How a group gets its Work: ``keep`` (a Work that already holds it), ``revive`` (a merged
    Work of its records comes back), ``adopt`` (a new Work for the institution ARK ``ark``), or
    ``new`` (a new Work and a new ARK)."""

    how: Literal["keep", "revive", "adopt", "new"]
    work: int | None = None
    ark: int | None = None


@dataclass
class IdentityPlan:
    assignments: list[Assignment] = field(default_factory=list)  # one per group, in order
    merges: dict[int, int] = field(default_factory=dict)  # merged Work -> group index
    withdrawn: list[int] = field(default_factory=list)  # Works that lost every live record


def partition(
    live: Iterable[int],
    matches: Iterable[tuple[int, int]],
    *,
    curated: Iterable[tuple[int, int]] = (),
    isolated: Iterable[int] = (),
    held: Mapping[frozenset[int], str] | None = None,
    work_of: Mapping[int, int | None],
) -> list[Group]:
    """Group the live records: connected components of the automatic ``matches`` (pairs that
    touch an ``isolated`` record left out), then joined by the ``curated`` pairs. A component in
    ``held`` (component -> reason, decided by the caller's cohesion check) is not merged: its
    records stay with their current Works (those without one stand alone)."""
    live = set(live)
    lonely = set(isolated)
    held = held or {}
    edges = [(a, b) for a, b in matches if a in live and b in live and not {a, b} & lonely]
    groups: list[tuple[frozenset[int], str]] = []
    placed: set[int] = set()
    for component in connected_components(edges):
        members = frozenset(component)
        placed |= members
        reason = held.get(members, "")
        if not reason:
            groups.append((members, ""))
            continue
        by_work: dict[int | None, set[int]] = {}
        for record in members:
            by_work.setdefault(work_of.get(record), set()).add(record)
        for work, records in by_work.items():
            if work is None:
                groups.extend((frozenset({r}), reason) for r in records)
            else:
                groups.append((frozenset(records), reason))
    groups.extend((frozenset({r}), "") for r in live - placed)
    # Curators' pairs join whole groups, whatever the automatic checks said.
    group_of = {r: i for i, (members, _) in enumerate(groups) for r in members}
    joins = [
        (group_of[a], group_of[b])
        for a, b in curated
        if a in group_of and b in group_of and group_of[a] != group_of[b]
    ]
    joined: set[int] = set()
    result: list[Group] = []
    for component in connected_components(joins):
        joined.update(component)
        result.append(Group(frozenset().union(*(groups[i][0] for i in component))))
    result.extend(
        Group(members, reason) for i, (members, reason) in enumerate(groups) if i not in joined
    )
    return sorted(result, key=lambda g: min(g.records))


def plan_identity(
    groups: Sequence[Group],
    *,
    work_of: Mapping[int, int | None],
    first_work_of: Mapping[int, int | None],
    works: Mapping[int, WorkState],
    carried: Mapping[int, int] | None = None,
) -> IdentityPlan:
    """Decide each group's Work (see the module docstring).

    ``work_of``: the current Work of every record in scope, live or not (``None``: new);
    ``first_work_of``: the Work each record first belonged to; ``works``: every Work named in
    those two maps; ``carried``: record -> the id of an adoptable institution ARK it carries.
    Every live record of a Work in scope must be in exactly one of ``groups``.
    """
    carried = carried or {}
    group_of = {r: i for i, g in enumerate(groups) for r in g.records}
    members: dict[int, list[int]] = {}
    for record, work in work_of.items():
        if work is not None:
            members.setdefault(work, []).append(record)
    claimants: dict[int, list[int]] = {}
    plan = IdentityPlan()
    for work, records in sorted(members.items()):
        home = _home(works[work], records, group_of, carried)
        if home is None:
            if works[work].status != "merged":
                plan.withdrawn.append(work)
        else:
            claimants.setdefault(home, []).append(work)
    taken: set[int] = {w for ws in claimants.values() for w in ws}
    for index, group in enumerate(groups):
        mine = claimants.get(index, [])
        ark = _carried_ark(group, carried)
        if ark is not None and not any(works[w].adopted_ark == ark for w in mine):
            # A record names an institution's ARK for the product: the Work takes that ARK,
            # and the Works the aggregator made for the same records are merged into it.
            plan.assignments.append(Assignment("adopt", ark=ark))
            plan.merges.update((work, index) for work in mine)
            continue
        if mine:
            # Adopted ARKs first (an institution's ARK is never merged into ours), then oldest.
            survivor = min(mine, key=lambda w: (works[w].adopted_ark is None, w))
            plan.assignments.append(Assignment("keep", survivor))
            for work in mine:
                if work != survivor:
                    plan.merges[work] = index
            continue
        former = _former_work(group, first_work_of, works, taken)
        if former is not None:
            taken.add(former)
            plan.assignments.append(Assignment("revive", former))
        else:
            plan.assignments.append(Assignment("new"))
    return plan


def _home(
    work: WorkState, records: list[int], group_of: Mapping[int, int], carried: Mapping[int, int]
) -> int | None:
    """The group where ``work`` keeps its ARK, or ``None`` when it has no live record left."""
    if work.adopted_ark is not None:
        carriers = [
            group_of[r] for r, ark in carried.items() if ark == work.adopted_ark and r in group_of
        ]
        if carriers:
            return _most(carriers, {g: g for g in carriers})
    live = [r for r in records if r in group_of]
    if not live:
        return None
    oldest: dict[int, int] = {}
    for record in live:
        group = group_of[record]
        oldest[group] = min(record, oldest.get(group, record))
    return _most([group_of[r] for r in live], oldest)


def _most(groups: list[int], tie_break: Mapping[int, int]) -> int:
    """The group named most often; ties go to the smallest ``tie_break`` (the oldest record)."""
    counts = Counter(groups)
    return min(counts, key=lambda g: (-counts[g], tie_break[g]))


def _carried_ark(group: Group, carried: Mapping[int, int]) -> int | None:
    arks = sorted({carried[r] for r in group.records if r in carried})
    return arks[0] if arks else None


def _former_work(
    group: Group,
    first_work_of: Mapping[int, int | None],
    works: Mapping[int, WorkState],
    taken: set[int],
) -> int | None:
    """The merged Work most of the group's records first belonged to (ties: oldest record)."""
    formers = [
        (first_work_of.get(r), r)
        for r in group.records
        if first_work_of.get(r) is not None
        and works[first_work_of[r]].status == "merged"  # type: ignore[index]
        and first_work_of[r] not in taken
    ]
    if not formers:
        return None
    oldest: dict[int, int] = {}
    for work, record in formers:
        assert work is not None
        oldest[work] = min(record, oldest.get(work, record))
    return _most([w for w, _ in formers if w is not None], oldest)


# --- what a Work shows --------------------------------------------------------------------------

OPEN_ACCESS = "open"


def instance_rank(instance: Mapping[str, Any]) -> tuple[Any, ...]:
    """The best instance is the largest: open access first, then one with a DOI landing page,
    then the most recently seen (its last harvest), then the oldest record."""
    return (
        instance.get("access_code") == OPEN_ACCESS,
        bool(instance.get("doi")),
        instance.get("seen") or "",
        -int(instance.get("record") or 0),
    )


def best_instance(instances: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    with_url = [i for i in instances if i.get("url") or i.get("doi_url")]
    return max(with_url, key=instance_rank) if with_url else None


def summarise(products: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """The Work's merged record: the best value of each field among its members.

    ``products``: ``(instance, product dict)`` per live member. Members are ranked by their
    instance (as the target is chosen), then by how complete they are; each single-valued field
    comes from the best member that has it (``from`` says which record gave it), PIDs, subjects
    and funding are the union of all members', and creators come from the member that lists the
    most of them.
    """
    ranked = sorted(
        products, key=lambda pair: (instance_rank(pair[0]), _completeness(pair[1])), reverse=True
    )
    summary: dict[str, Any] = {"from": {}}
    for name in _SINGLE_FIELDS:
        for instance, product in ranked:
            value = product.get(name)
            if value not in (None, "", [], {}):
                summary[name] = value
                summary["from"][name] = instance.get("record")
                break
    best_people = max(
        ranked, key=lambda pair: (len(pair[1].get("creators") or ()), _has_orcids(pair[1])),
        default=None,
    )  # fmt: skip
    if best_people and best_people[1].get("creators"):
        summary["creators"] = best_people[1]["creators"]
        summary["from"]["creators"] = best_people[0].get("record")
    for name, key in _UNION_FIELDS.items():
        union: dict[str, Any] = {}
        for _, product in ranked:
            for item in product.get(name) or ():
                union.setdefault(key(item), item)
        if union:
            summary[name] = list(union.values())
    return summary


_SINGLE_FIELDS = (
    "titles", "publication_date", "publication_year", "resource_type", "access_right",
    "licenses", "publisher", "container_title", "languages", "descriptions", "version",
    "embargo_end",
)  # fmt: skip
_UNION_FIELDS = {
    "pids": lambda p: f"{p.get('kind')}:{p.get('value')}",
    "subjects": lambda s: f"{s.get('scheme')}:{str(s.get('value', '')).casefold()}",
    "funding": lambda f: f"{f.get('funder_name')}|{f.get('award_number')}",
}


def _completeness(product: Mapping[str, Any]) -> int:
    return sum(1 for value in product.values() if value not in (None, "", [], {}))


def _has_orcids(product: Mapping[str, Any]) -> int:
    return sum(
        1
        for person in product.get("creators") or ()
        if any(i.get("scheme") == "orcid" for i in person.get("identifiers") or ())
    )
