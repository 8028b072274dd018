"""Blocking: PID keys, typo-tolerant title keys, generic titles, block caps, the index."""

from __future__ import annotations

from aggregation.dedup import DedupRecord, DedupSettings, Index, block_keys


def record(rid: str, title: str = "", **fields: object) -> DedupRecord:
    return DedupRecord.create(rid, titles=[title] if title else [], **fields)  # type: ignore[arg-type]


def shared(a: DedupRecord, b: DedupRecord) -> set[str]:
    return block_keys(a) & block_keys(b)


def test_two_spellings_of_one_doi_share_a_pid_block() -> None:
    a = record("a", pids=["https://doi.org/10.1000/ABC"])
    b = record("b", pids=["doi:10.1000/abc"])
    assert shared(a, b) == {"pid:doi:10.1000/abc"}


def test_arxiv_with_and_without_version_share_a_block() -> None:
    assert shared(record("a", pids=["arXiv:2101.00001v3"]), record("b", pids=["arXiv:2101.00001"]))


def test_title_keys_survive_a_typo_a_missing_article_and_case() -> None:
    a = record("a", "The evaluation of deep learning models for protein folding")
    b = record("b", "Evaluation of deep lerning models for protein folding")
    c = record("c", "EVALUATION OF DEEP LEARNING MODELS FOR PROTEIN FOLDING!")
    assert shared(a, b)
    assert shared(a, c)


def test_title_keys_survive_reordered_words() -> None:
    a = record("a", "An open storage system for abstract objects")
    b = record("b", "An open abstract-object storage system")
    assert shared(a, b)


def test_a_translated_title_brings_its_record_into_both_languages_blocks() -> None:
    english = record("en", "Social inequality in urban schools")
    portuguese = record("pt", "Desigualdade social nas escolas urbanas")
    both = DedupRecord.create(
        "both",
        titles=[
            ("Desigualdade social nas escolas urbanas", "pt", "main"),
            ("Social inequality in urban schools", "en", "translated"),
        ],
    )
    assert shared(both, english)
    assert shared(both, portuguese)
    assert not shared(english, portuguese)


def test_different_titles_do_not_share_blocks() -> None:
    assert not shared(
        record("a", "Deep learning for protein folding"),
        record("b", "Soil erosion in mountain watersheds"),
    )


def test_generic_titles_never_block_together_on_title_alone() -> None:
    editorials = [
        record("a", "Editorial", authors="Smith, J.", year=2020),
        record("b", "Editorial", authors="Costa, R.", year=2020),
        record("c", "Editorial", authors="Smith, J.", year=2021),
        record("d", "Editorial"),
        record("e", "Apresentação", authors="Smith, J.", year=2020),
    ]
    for i, a in enumerate(editorials):
        for b in editorials[i + 1 :]:
            assert not shared(a, b), (a.id, b.id)
    assert not any(k.startswith("t:") for r in editorials for k in block_keys(r))
    # the same generic title, year and first author is not "on title alone"
    twin = record("f", "EDITORIAL.", authors="J. Smith", year=2020)
    assert shared(editorials[0], twin) == {"g:editorial|2020|smith"}


def test_generic_titles_still_block_by_pid() -> None:
    a = record("a", "Editorial", pids=["10.1000/ed1"])
    b = record("b", "Editorial", pids=["10.1000/ed1"])
    assert shared(a, b) == {"pid:doi:10.1000/ed1"}


def test_index_finds_candidates_and_walks_each_pair_once() -> None:
    index = Index()
    index.add_all(
        [
            record("a", "Deep learning for protein folding prediction"),
            record("b", "Deep lerning for protein folding prediction"),
            record("c", "Soil erosion in mountain watersheds"),
            record("d", "Soil erosion in mountain watersheds", pids=["10.1000/x"]),
            record("e", "Unrelated", pids=["10.1000/x"]),
        ]
    )
    assert index.candidates(index.get("a")) == {"b"}
    assert index.candidates(index.get("d")) == {"c", "e"}
    pairs = list(index.pairs())
    assert sorted(pairs) == [("a", "b"), ("c", "d"), ("d", "e")]


def test_index_replaces_a_changed_record_and_forgets_a_removed_one() -> None:
    index = Index()
    index.add(record("a", "Deep learning for protein folding prediction"))
    index.add(record("b", "Deep learning for protein folding prediction"))
    index.add(record("b", "Soil erosion in mountain watersheds"))  # changed
    assert index.candidates(index.get("a")) == set()
    index.add(record("c", "Soil erosion in mountain watersheds"))
    index.remove("b")
    assert "b" not in index
    assert index.candidates(index.get("c")) == set()
    assert len(index) == 2


def test_an_oversized_block_is_compared_within_a_window_only() -> None:
    settings = DedupSettings(max_block_size=5, block_window=2)
    index = Index(settings)
    # twelve records share one DOI (a repository that put its journal's DOI on everything)
    nato = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima"
    words = nato.split(" ")
    records = [record(f"r{i:02}", word, pids=["10.1000/j"]) for i, word in enumerate(words)]
    index.add_all(records)
    assert max(index.block_sizes()) == 12
    for r in records:
        assert len(index.candidates(r)) <= settings.block_window
    middle = index.candidates(index.get("r05"))
    assert middle == {"r04", "r06"}  # its neighbours in title order
    pairs = list(index.pairs())
    assert len(pairs) == len(set(pairs)) == 11  # neighbours only, each pair once


def test_a_record_not_in_the_index_can_ask_for_candidates() -> None:
    index = Index()
    index.add(record("a", "Deep learning for protein folding prediction"))
    probe = record("new", "Deep learning for protein folding prediction")
    assert index.candidates(probe) == {"a"}
