"""Clustering: connected components, the chaining guard, determinism."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from aggregation.dedup import (
    DedupRecord,
    DedupSettings,
    cluster,
    compare,
    connected_components,
)

AUTHORS = ["Silva, Ana", "Costa, Rui"]


def record(rid: str, title: str, **fields: object) -> DedupRecord:
    fields.setdefault("authors", AUTHORS)
    fields.setdefault("year", 2020)
    return DedupRecord.create(rid, titles=[title], **fields)  # type: ignore[arg-type]


def test_components_are_sorted_and_transitive() -> None:
    assert connected_components([("c", "d"), ("b", "a"), ("d", "e"), ("x", "x")]) == [
        ("a", "b"),
        ("c", "d", "e"),
    ]


def test_a_cohesive_group_is_merged() -> None:
    title = "Deep learning for the prediction of protein folding"
    records = {
        r.id: r for r in (record("a", title), record("b", title.upper()), record("c", title + "."))
    }
    result = cluster(records, [("a", "b"), ("b", "c")])
    assert result.clusters == (("a", "b", "c"),)
    assert result.held == ()


def test_a_record_with_a_translated_title_gathers_both_languages() -> None:
    english = "Social inequality in the urban schools of Brazil"
    portuguese = "Desigualdade social nas escolas urbanas do Brasil"
    records = {
        "both": DedupRecord.create(
            "both",
            titles=[(portuguese, "pt", "main"), (english, "en", "translated")],
            authors=AUTHORS,
            year=2020,
        ),
        "en": record("en", english),
        "pt": record("pt", portuguese),
    }
    matches = [
        (a, b)
        for a, b in itertools.combinations(sorted(records), 2)
        if compare(records[a], records[b]).is_match
    ]
    assert matches == [("both", "en"), ("both", "pt")]
    assert cluster(records, matches).clusters == (("both", "en", "pt"),)


def test_a_chain_of_weak_links_is_held_for_review() -> None:
    # Each record shares one of its two authors with the next: neighbours match, the rest do not.
    people = ["Silva, Ana", "Costa, Rui", "Wang, Li", "Kim, Min", "Roy, Paul", "Diaz, Eva"]
    title = "Deep learning for the prediction of protein folding"
    records = {f"r{i}": record(f"r{i}", title, authors=people[i : i + 2]) for i in range(5)}
    chain = [(f"r{i}", f"r{i + 1}") for i in range(4)]
    assert all(compare(records[a], records[b]).is_match for a, b in chain)
    result = cluster(records, chain)
    assert result.clusters == ()
    (held,) = result.held
    assert held.members == ("r0", "r1", "r2", "r3", "r4")
    assert held.reason == "not_cohesive"
    assert held.cohesion == 0.4  # 4 of the 10 pairs match
    assert ("r0", "r2", "authors_differ") in held.conflicts


def test_a_group_holding_a_conflicting_pair_is_held() -> None:
    # b shares a DOI with a and a title with c, but a and c are parts 1 and 2 of a series.
    a = record("a", "National soil survey results, part 1", pids=["10.1000/survey"])
    b = record("b", "National soil survey results", pids=["10.1000/survey"])
    c = record("c", "National soil survey results, part 2")
    result = cluster({r.id: r for r in (a, b, c)}, [("a", "b"), ("b", "c")])
    assert result.clusters == ()
    (held,) = result.held
    assert ("a", "c", "title_numbers") in held.conflicts


def test_a_group_larger_than_the_cap_is_held_unchecked() -> None:
    settings = DedupSettings(max_cluster_size=3)
    title = "Deep learning for the prediction of protein folding"
    records = {f"r{i}": record(f"r{i}", title) for i in range(4)}
    result = cluster(records, [("r0", "r1"), ("r1", "r2"), ("r2", "r3")], settings)
    assert result.clusters == ()
    assert result.held[0].reason == "too_large"
    assert result.held[0].cohesion is None


# --- determinism ----------------------------------------------------------------------------------

_POOL_TITLES = [
    "Deep learning for protein folding prediction",
    "Deep lerning for protein folding prediction",
    "Soil erosion in mountain watersheds, part 1",
    "Soil erosion in mountain watersheds, part 2",
    "Urban heat islands and public health",
    "Editorial",
]
_POOL = {
    f"r{i}": record(f"r{i}", title, authors=AUTHORS[: 1 + i % 2])
    for i, title in enumerate(_POOL_TITLES * 2)
}


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(_POOL)), st.sampled_from(sorted(_POOL))), max_size=20
    ),
    st.randoms(use_true_random=False),
)
def test_clustering_is_deterministic_and_independent_of_order(
    edges: list[tuple[str, str]], rng: random.Random
) -> None:
    first = cluster(_POOL, edges)
    shuffled = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
    rng.shuffle(shuffled)
    records = list(_POOL.items())
    rng.shuffle(records)
    again = cluster(dict(records), shuffled)
    assert first == again
    assert first == cluster(_POOL, edges)
    members = [m for group in first.clusters for m in group] + [
        m for held in first.held for m in held.members
    ]
    assert len(members) == len(set(members))  # every record in one group at most
