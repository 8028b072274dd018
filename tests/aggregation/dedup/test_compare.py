"""Comparison: every rule of the decision tree, with the explanation it gives."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from aggregation.dedup import DedupRecord, compare, deduplicate

TITLE = "Deep learning for the prediction of protein folding in bacteria"
AUTHORS = ["Silva, Ana", "Costa, Rui", "Müller, Hans"]


def record(rid: str, title: str | list = TITLE, **fields: object) -> DedupRecord:
    fields.setdefault("authors", AUTHORS)
    fields.setdefault("year", 2020)
    titles = [title] if isinstance(title, str | tuple) else title
    return DedupRecord.create(rid, titles=titles, **fields)  # type: ignore[arg-type]


def test_a_shared_pid_is_a_match_whatever_the_authors() -> None:
    a = record("a", pids=["10.1000/x"], authors=["Silva, A."])
    b = record("b", pids=["https://doi.org/10.1000/X"], authors=["Someone Else"], year=2022)
    decision = compare(a, b)
    assert (decision.verdict, decision.rule) == ("match", "shared_pid")
    assert decision.explain() == "match by shared_pid (title=1)"


def test_a_shared_pid_does_not_merge_records_whose_titles_disagree() -> None:
    # one DOI put on every article of an issue
    a = record("a", "Soil erosion in mountain watersheds", pids=["10.1000/issue"])
    b = record("b", "Urban heat islands", pids=["10.1000/issue"], authors=["Wang, Li"])
    decision = compare(a, b)
    assert (decision.verdict, decision.rule) == ("no_match", "pid_title_conflict")
    assert decision.scores["title"] < 0.5


def test_a_shared_pid_joins_a_record_to_its_translation() -> None:
    english = record("a", ("Soil erosion in mountain watersheds", "en", "main"), pids=["10.1000/x"])
    german = ("Bodenabtrag in Einzugsgebieten der Alpen", "de", "main")
    other_authors = record("b", german, pids=["10.1000/x"], authors=["Wang, Li"])
    assert compare(english, other_authors).rule == "shared_pid_translated_title"
    untagged = record("c", german[0], pids=["10.1000/x"])  # no language, same authors
    assert compare(english, untagged).rule == "shared_pid_same_authors"


def test_a_shared_pid_with_different_part_numbers_is_not_a_match() -> None:
    a = record("a", "Handbook of soil science, volume 1", pids=["ISBN 978-0-306-40615-7"])
    b = record("b", "Handbook of soil science, volume 2", pids=["ISBN 978-0-306-40615-7"])
    assert compare(a, b).rule == "pid_title_conflict"


def test_a_dataset_is_not_a_publication() -> None:
    decision = compare(record("a", kind="publication"), record("b", kind="dataset"))
    assert (decision.verdict, decision.rule) == ("no_match", "type_conflict")
    assert compare(record("a", kind="publication"), record("b", kind="other")).is_match
    assert compare(record("a", kind=None), record("b", kind="dataset")).is_match


def test_two_versions_of_a_dataset_with_their_own_dois_stay_apart() -> None:
    a = record("a", kind="dataset", pids=["10.5281/zenodo.1"])
    b = record("b", kind="dataset", pids=["10.5281/zenodo.2"])
    assert compare(a, b).rule == "distinct_dois"
    # a preprint and its published version carry different DOIs and still match
    c = record("c", kind="publication", pids=["10.48550/arxiv.1"])
    d = record("d", kind="publication", pids=["10.1000/journal.1"])
    assert compare(c, d).rule == "title_authors"


def test_a_record_without_a_title_matches_nothing_but_by_pid() -> None:
    assert compare(record("a", []), record("b")).rule == "no_title"


def test_an_erratum_is_not_the_article() -> None:
    decision = compare(record("a"), record("b", f"Correction: {TITLE}"))
    assert (decision.verdict, decision.rule) == ("no_match", "title_marker")
    assert compare(record("a", f"Book review: {TITLE}"), record("b")).rule == "title_marker"


def test_titles_with_different_numbers_are_different_works() -> None:
    a = record("a", "Results of the national soil survey, part I")
    b = record("b", "Results of the national soil survey, part II")
    decision = compare(a, b)
    assert (decision.verdict, decision.rule) == ("no_match", "title_numbers")
    assert decision.scores["title"] > 0.9
    c = record("c", "Results of the national soil survey, part 2")
    assert compare(b, c).is_match  # roman and arabic numerals agree


def test_generic_titles_need_the_same_authors_and_year() -> None:
    a = record("a", "Editorial", authors=["Silva, Ana"], year=2020)
    assert (
        compare(a, record("b", "Editorial", authors=["Costa, Rui"], year=2020)).rule
        == "generic_title"
    )
    assert not compare(a, record("b", "Editorial", authors=["Costa, Rui"], year=2020)).is_match
    assert not compare(a, record("c", "Editorial", authors=["Silva, Ana"], year=2021)).is_match
    assert not compare(
        record("d", "Editorial", authors=[]), record("e", "Editorial", authors=[])
    ).is_match
    same = compare(a, record("f", "EDITORIAL", authors=["A. Silva"], year=2020))
    assert (same.verdict, same.rule) == ("match", "generic_title")


def test_short_titles_are_treated_like_generic_ones() -> None:
    a = record("a", "Tuberculosis", authors=["Silva, Ana"])
    assert not compare(a, record("b", "Tuberculosis", authors=["Costa, Rui"])).is_match
    assert compare(a, record("c", "Tuberculosis", authors=["Silva, A."])).is_match


def test_different_authors_make_different_works() -> None:
    decision = compare(record("a"), record("b", authors=["Wang, Li", "Kim, Min-jun"]))
    assert (decision.verdict, decision.rule) == ("no_match", "authors_differ")
    assert decision.scores["authors"] == 0


def test_one_author_is_not_enough_to_be_a_four_author_paper() -> None:
    a = record("a", authors=["Silva, Ana"])
    b = record("b", authors=["Silva, Ana", "Wang, Li", "Kim, Min", "Roy, P."])
    assert compare(a, b).rule == "authors_differ"


def test_a_truncated_author_list_is_compatible() -> None:
    a = record("a", authors=["Silva, Ana", "Costa, Rui"])
    b = record("b", authors=["Silva, Ana", "Costa, Rui", "Wang, Li", "Kim, Min", "Roy, P."])
    assert compare(a, b).rule == "title_authors"


def test_authors_match_with_initials_reordered_and_inverted() -> None:
    a = record("a", authors=["Ana Silva", "Rui Costa", "Hans Müller"])
    b = record("b", authors=["Mueller, H.", "Costa, R.", "Silva, A."])
    c = record("c", authors=["A. Silva", "R. Costa", "H. Muller"])
    for other in (b, c):
        decision = compare(a, other)
        assert decision.rule == "title_authors", decision.explain()
    assert compare(a, c).scores["authors"] == 1


def test_same_surname_with_a_different_initial_is_another_person() -> None:
    a = record("a", authors=["Silva, Ana"])
    b = record("b", authors=["Silva, Pedro"])
    assert compare(a, b).rule == "authors_differ"


def test_years_far_apart_are_different_works() -> None:
    decision = compare(record("a", year=2010), record("b", year=2015))
    assert (decision.verdict, decision.rule) == ("no_match", "years_differ")
    assert decision.scores["year_gap"] == 5
    assert compare(record("a", year=2019), record("b", year=2020)).is_match
    assert compare(record("a", year=None), record("b", year=2020)).is_match


def test_a_conference_paper_and_its_later_journal_version_are_two_publications() -> None:
    a = record("a", year=2001, venue="Proceedings of the VLDB Conference")
    b = record("b", year=2002, venue="The VLDB Journal")
    assert compare(a, b).rule == "venues_differ"
    same_year = record("c", year=2001, venue="VLDB J.")
    assert compare(a, same_year).is_match  # venue names differ across sources


def test_similar_titles_with_compatible_authors_match() -> None:
    a = record("a", "Deep learning for the prediction of protein folding in bacteria.")
    b = record(
        "b",
        "Deep lerning for prediction of protein-folding in bacteria",
        authors=["Silva, A.", "R Costa"],
    )
    decision = compare(a, b)
    assert (decision.verdict, decision.rule) == ("match", "title_authors")
    assert decision.scores["title"] >= 0.9


def test_without_authors_the_title_must_be_nearly_identical_and_the_year_close() -> None:
    a = record("a", authors=[])
    assert compare(a, record("b", authors=[])).rule == "title_year"
    assert not compare(a, record("c", f"{TITLE} cultures", authors=[])).is_match
    assert not compare(a, record("d", authors=[], year=2022)).is_match


def test_a_reworded_title_by_the_same_authors_in_the_same_year_matches() -> None:
    a = record("a", "Integrating mining with relational database systems: alternatives")
    b = record(
        "b", "Integrating association rule mining with relational database systems: alternatives"
    )
    decision = compare(a, b)
    assert (decision.verdict, decision.rule) == ("match", "similar_title_same_authors")
    assert not compare(a, record("c", b.titles[0][0], year=2021)).is_match


def test_a_title_without_its_subtitle_matches_with_the_same_authors() -> None:
    a = record("a", "Stream: the Stanford stream data manager")
    b = record("b", "Stream: the Stanford stream data manager (demonstration description)")
    c = record("c", "Observations on the ODMG-93 proposal for an object-oriented database language")
    d = record("d", "Observations on the ODMG-93 proposal")
    for x, y in ((a, b), (c, d)):
        decision = compare(x, y)
        assert (decision.verdict, decision.rule) == ("match", "title_head_same_authors"), decision
        assert decision.scores["title_head"] == 1
    other_authors = record("e", b.titles[0][0], authors=["Wang, Li"])
    assert not compare(a, other_authors).is_match


def test_parts_of_a_series_do_not_meet_through_their_common_head() -> None:
    a = record("a", "Advances in soil science mapping (part 1)")
    b = record("b", "Advances in soil science mapping (part 2)")
    assert not compare(a, b).is_match


def test_a_record_and_its_translation_meet_through_a_record_that_lists_both() -> None:
    bilingual = record(
        "a",
        [
            ("Aprendizagem profunda para a predição do enovelamento de proteínas", "pt", "main"),
            (TITLE, "en", "translated"),
        ],
    )
    english = record("b", TITLE)
    portuguese = record(
        "c", ("Aprendizagem profunda para predição do enovelamento de proteínas", "pt", "main")
    )
    assert compare(bilingual, english).rule == "title_authors"
    assert compare(bilingual, portuguese).rule == "title_authors"
    assert compare(english, portuguese).rule == "title_differs"


def test_explanations_name_the_rule_and_the_scores() -> None:
    decision = compare(record("a"), record("b", authors=["Silva, A.", "Costa, R."], year=2021))
    assert decision.explain().startswith("match by title_authors (title=1, authors=1")
    assert "year_gap=1" in decision.explain()


# --- symmetry -------------------------------------------------------------------------------------

_words = st.sampled_from(
    [
        "deep",
        "learning",
        "protein",
        "folding",
        "soil",
        "erosion",
        "part",
        "II",
        "2",
        "the",
        "of",
        "Editorial",
        "análise",
        "Correction:",
        "(abstract)",
        "networks",
    ]
)
_titles = st.lists(_words, min_size=0, max_size=7).map(" ".join)
_names = st.sampled_from(
    [
        "Silva, Ana",
        "A. Silva",
        "Ana Silva",
        "Costa, R.",
        "Rui Costa",
        "Silva, Pedro",
        "Wang Li",
        "Li Wang",
        "Müller, H.",
        "Mueller, Hans",
        "Team, The Paradise",
        "?",
    ]
)
_records = st.builds(
    lambda rid, titles, authors, year, kind, pids, venue: DedupRecord.create(
        rid, titles=titles, authors=authors, year=year, kind=kind, pids=pids, venue=venue
    ),
    st.sampled_from(["a", "b"]),
    st.lists(_titles, max_size=3),
    st.lists(_names, max_size=4),
    st.one_of(st.none(), st.integers(2015, 2020)),
    st.sampled_from([None, "publication", "dataset", "other"]),
    st.lists(st.sampled_from(["10.1000/a", "10.1000/b", "PMID:123"]), max_size=2),
    st.sampled_from([None, "Journal of Soils", "Soil Conference"]),
)


@given(_records, _records)
def test_compare_is_symmetric(a: DedupRecord, b: DedupRecord) -> None:
    assert compare(a, b) == compare(b, a)
    assert compare(a, b).scores == compare(b, a).scores


# Three items of one DSpace repository (one Handle prefix, each its own Handle and year): the
# recordings of one quartet share the head of their title and their performers.
QUARTET = "Cuarteto Latinoamericano: grabación del concierto en la Sala Nezahualcóyotl"
RECORDINGS = [
    ("1982", f"{QUARTET}, temporada de primavera", "10915/4411"),
    ("1983", f"{QUARTET} con obras de Revueltas", "10915/4502"),
    ("1984", f"{QUARTET}: integral de cuartetos", "10915/4620"),
]


def _recording(year: str, title: str, handle: str, **fields: object) -> DedupRecord:
    performers = ["Bitrán, Saúl", "Bitrán, Arón", "Bitrán, Álvaro", "Sánchez, Javier"]
    return record(year, title, authors=performers, year=int(year), pids=[("handle", handle)])


def test_items_of_one_source_with_their_own_pids_stay_apart() -> None:
    items = [_recording(*r) for r in RECORDINGS]
    for a, b in itertools.combinations(items, 2):
        decision = compare(a, b)
        assert (decision.verdict, decision.rule) == ("no_match", "distinct_source_items"), (
            decision.explain()
        )
        assert decision.is_conflict
    assert deduplicate(items).clustering.clusters == ()
    # The same titles under Handles of two repositories are the rules' usual business.
    elsewhere = _recording("1983", f"{QUARTET}: integral de cuartetos", "20.500.12345/7")
    assert compare(items[0], elsewhere).rule != "distinct_source_items"


def test_one_item_deposited_twice_in_one_source_is_one_work() -> None:
    first = _recording("1982", f"{QUARTET}, temporada de primavera", "10915/4411")
    again = _recording("1982", f"{QUARTET}, temporada de primavera.", "10915/9001")
    assert compare(first, again).is_match
    next_year = _recording("1983", f"{QUARTET}, temporada de primavera", "10915/9002")
    assert compare(first, next_year).rule == "distinct_source_items"
