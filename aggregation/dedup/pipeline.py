"""A whole dedup run in memory: block, compare candidate pairs, cluster.

This is what the benchmarks run and what a one-off job over a list of records uses. The
incremental run of the service does the same steps against stored block keys and stored
matches (see the package docstring); ``match_new`` shows that step on an ``Index``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aggregation.dedup.blocking import Index
from aggregation.dedup.cluster import Clustering, cluster
from aggregation.dedup.compare import Decision, compare
from aggregation.dedup.record import DedupRecord
from aggregation.dedup.settings import DEFAULT_SETTINGS, DedupSettings

__all__ = ["DedupRun", "deduplicate", "match_new"]


@dataclass(frozen=True)
class DedupRun:
    """``matches``: every matched pair with its decision; ``compared``: pairs compared."""

    clustering: Clustering
    matches: dict[tuple[str, str], Decision] = field(repr=False)
    compared: int
    index: Index = field(repr=False)


def deduplicate(
    records: Iterable[DedupRecord],
    settings: DedupSettings = DEFAULT_SETTINGS,
    *,
    stages: Callable[[str], object] | None = None,
) -> DedupRun:
    """Index every record, compare each candidate pair once, cluster the matches.

    ``stages`` is called with ``"indexed"`` and ``"compared"`` as each stage ends (for
    progress reports and timings)."""
    index = Index(settings)
    index.add_all(records)
    if stages:
        stages("indexed")
    matches: dict[tuple[str, str], Decision] = {}
    compared = 0
    get = index.get
    for a, b in index.pairs():
        decision = compare(get(a), get(b), settings)
        compared += 1
        if decision.is_match:
            matches[a, b] = decision
    if stages:
        stages("compared")
    return DedupRun(cluster(index.by_id(), matches, settings), matches, compared, index)


def match_new(
    index: Index, records: Iterable[DedupRecord], settings: DedupSettings = DEFAULT_SETTINGS
) -> dict[tuple[str, str], Decision]:
    """The incremental step: add new or changed records to ``index`` and compare each with its
    candidates only. Returns the matched pairs that involve them (keys sorted by id); the
    caller adds them to its stored matches, drops the stored matches of changed records that
    are no longer found, and re-clusters the components they touch."""
    fresh = list(records)
    for record in fresh:
        index.add(record)
    matches: dict[tuple[str, str], Decision] = {}
    seen: set[tuple[str, str]] = set()
    for record in fresh:
        for other_id in index.candidates(record):
            a, b = sorted((record.id, other_id))
            if (a, b) in seen:
                continue
            seen.add((a, b))
            decision = compare(index.get(a), index.get(b), settings)
            if decision.is_match:
                matches[a, b] = decision
    return matches
