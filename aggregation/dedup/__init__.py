"""Deduplication of research products: which harvested records describe one work. Pure Python.

The engine works on ``DedupRecord`` (built with ``from_product`` or ``DedupRecord.create``) and
has four steps, each usable alone so that a database-backed caller can run them incrementally:

    keys = block_keys(record)                 # set[str]: store with sort_key(record)
    ids = index.candidates(record)            # records sharing a block (capped)
    decision = compare(record, other)         # Decision(verdict, rule, scores)
    clustering = cluster(records_by_id, matched_pairs)   # clusters + held components

``deduplicate(records)`` runs all four in memory; ``match_new(index, records)`` is the
incremental step. Settings and their reasons are in ``settings.py``.
"""

from aggregation.dedup.blocking import Index, block_keys, sort_key
from aggregation.dedup.cluster import (
    Clustering,
    HeldCluster,
    check_cohesion,
    cluster,
    connected_components,
)
from aggregation.dedup.compare import CONFLICT_RULES, Decision, compare
from aggregation.dedup.pipeline import DedupRun, deduplicate, match_new
from aggregation.dedup.record import DedupRecord, Features, TitleForm, from_product, split_authors
from aggregation.dedup.settings import DEFAULT_SETTINGS, DedupSettings

__all__ = [
    "CONFLICT_RULES",
    "DEFAULT_SETTINGS",
    "Clustering",
    "Decision",
    "DedupRecord",
    "DedupRun",
    "DedupSettings",
    "Features",
    "HeldCluster",
    "Index",
    "TitleForm",
    "block_keys",
    "check_cohesion",
    "cluster",
    "compare",
    "connected_components",
    "deduplicate",
    "from_product",
    "match_new",
    "sort_key",
    "split_authors",
]
