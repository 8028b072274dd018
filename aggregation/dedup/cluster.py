"""Clustering: matched pairs become groups, with a guard against chaining.

Groups are the connected components of the match graph (OpenAIRE: "duplicates grouping
(transitive closure)"). Transitivity is also how a few wrong matches glue unrelated works into
one giant group, so a component is merged only when it passes two checks:

* size: at most ``max_cluster_size`` records;
* cohesion: every pair of its members is compared directly; none may be a conflict (different
  numbers in the titles, different authors, incompatible types... see
  ``compare.CONFLICT_RULES``) and at least ``min_cohesion`` of the pairs must match. A record
  with an English and a Portuguese title joining one record of each language passes (two of
  three pairs match); a chain A-B-C-D-E where only neighbours match does not.

Components that fail are returned in ``held``, with the reason, for a curator to decide; their
records stay apart until then. The result depends only on the records and the set of matched
pairs, never on their order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregation.dedup.compare import Decision, compare
from aggregation.dedup.record import DedupRecord
from aggregation.dedup.settings import DEFAULT_SETTINGS, DedupSettings

__all__ = ["Clustering", "HeldCluster", "cluster", "connected_components"]


@dataclass(frozen=True, slots=True)
class HeldCluster:
    """A component that was not merged: ``reason`` is ``too_large`` or ``not_cohesive``.

    ``cohesion`` is the share of member pairs that match (``None`` when too large to check)
    and ``conflicts`` the member pairs whose comparison is a conflict, with the rule.
    """

    members: tuple[str, ...]
    reason: str
    cohesion: float | None = None
    conflicts: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Clustering:
    """``clusters``: the merged groups of two or more records, each sorted, in order of their
    first id; records in no cluster and not held are singletons. ``held``: see HeldCluster."""

    clusters: tuple[tuple[str, ...], ...]
    held: tuple[HeldCluster, ...]

    def cluster_of(self) -> dict[str, int]:
        """Record id -> index in ``clusters``, for the records that are in one."""
        return {rid: i for i, members in enumerate(self.clusters) for rid in members}


def connected_components(edges: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Components of two or more nodes, each sorted, sorted by first member (union-find)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    return sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)


def cluster(
    records: Mapping[str, DedupRecord],
    matches: Iterable[tuple[str, str]],
    settings: DedupSettings = DEFAULT_SETTINGS,
) -> Clustering:
    """Group records by their matched pairs (``matches``: ids of pairs judged ``match``).

    ``records`` must hold every record that appears in ``matches``; the cohesion check
    compares the members of each component of three or more with one another.
    """
    clusters: list[tuple[str, ...]] = []
    held: list[HeldCluster] = []
    for members in connected_components(matches):
        verdict = check_cohesion(members, records, settings)
        if verdict is None:
            clusters.append(members)
        else:
            held.append(verdict)
    return Clustering(tuple(clusters), tuple(held))


def check_cohesion(
    members: tuple[str, ...],
    records: Mapping[str, DedupRecord],
    settings: DedupSettings = DEFAULT_SETTINGS,
) -> HeldCluster | None:
    """``None`` when the component may merge, else why it is held."""
    if len(members) > settings.max_cluster_size:
        return HeldCluster(members, "too_large")
    if len(members) == 2:
        return None
    matched = 0
    conflicts: list[tuple[str, str, str]] = []
    pairs = list(itertools.combinations(members, 2))
    for a, b in pairs:
        decision: Decision = compare(records[a], records[b], settings)
        matched += decision.is_match
        if decision.is_conflict:
            conflicts.append((a, b, decision.rule))
    cohesion = matched / len(pairs)
    if conflicts or cohesion < settings.min_cohesion:
        return HeldCluster(members, "not_cohesive", cohesion, tuple(conflicts))
    return None
