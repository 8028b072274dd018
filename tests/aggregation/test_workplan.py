"""The identity policy as pure functions: grouping and which Work keeps which ARK."""

from __future__ import annotations

from aggregation.workplan import (
    Assignment,
    Group,
    WorkState,
    best_instance,
    partition,
    plan_identity,
    summarise,
)


def works(*states: WorkState) -> dict[int, WorkState]:
    return {w.id: w for w in states}


def groups(*members: set[int]) -> list[Group]:
    return [Group(frozenset(m)) for m in members]


def test_partition_joins_matches_and_leaves_the_rest_alone():
    found = partition([1, 2, 3, 4], [(1, 2), (2, 3)], work_of={})
    assert [g.records for g in found] == [frozenset({1, 2, 3}), frozenset({4})]


def test_partition_keeps_a_held_component_in_its_current_works():
    work_of = {1: 10, 2: 10, 3: 20, 4: None}
    found = partition(
        [1, 2, 3, 4], [(1, 2), (2, 3), (3, 4)],
        held={frozenset({1, 2, 3, 4}): "not_cohesive"}, work_of=work_of,
    )  # fmt: skip
    assert sorted(sorted(g.records) for g in found) == [[1, 2], [3], [4]]
    assert {g.held for g in found} == {"not_cohesive"}


def test_partition_isolated_records_join_only_by_curators():
    found = partition([1, 2, 3], [(1, 2), (2, 3)], isolated=[2], work_of={})
    assert sorted(sorted(g.records) for g in found) == [[1], [2], [3]]
    found = partition([1, 2, 3], [(1, 2)], curated=[(2, 3)], isolated=[2], work_of={})
    assert sorted(sorted(g.records) for g in found) == [[1], [2, 3]]


def test_new_records_get_a_new_work():
    plan = plan_identity(groups({1, 2}), work_of={1: None, 2: None}, first_work_of={}, works={})
    assert plan.assignments == [Assignment("new")]


def test_merge_keeps_the_oldest_work():
    plan = plan_identity(
        groups({1, 2, 3}),
        work_of={1: 20, 2: 10, 3: None},
        first_work_of={1: 20, 2: 10},
        works=works(WorkState(10, "live"), WorkState(20, "live")),
    )
    assert plan.assignments == [Assignment("keep", 10)]
    assert plan.merges == {20: 0}


def test_an_adopted_ark_survives_an_older_work_of_ours():
    plan = plan_identity(
        groups({1, 2}),
        work_of={1: 10, 2: 20},
        first_work_of={1: 10, 2: 20},
        works=works(WorkState(10, "live"), WorkState(20, "live", adopted_ark=99)),
        carried={2: 99},
    )
    assert plan.assignments == [Assignment("keep", 20)]
    assert plan.merges == {10: 0}


def test_a_carried_institution_ark_is_adopted_and_our_works_merge_into_it():
    plan = plan_identity(
        groups({1, 2}),
        work_of={1: 10, 2: None},
        first_work_of={1: 10},
        works=works(WorkState(10, "live")),
        carried={2: 99},
    )
    assert plan.assignments == [Assignment("adopt", ark=99)]
    assert plan.merges == {10: 0}


def test_split_keeps_the_ark_where_most_records_went():
    plan = plan_identity(
        groups({1}, {2, 3}),
        work_of={1: 10, 2: 10, 3: 10},
        first_work_of={1: 10, 2: 10, 3: 10},
        works=works(WorkState(10, "live")),
    )
    assert plan.assignments == [Assignment("new"), Assignment("keep", 10)]


def test_split_tie_goes_to_the_oldest_record():
    plan = plan_identity(
        groups({2}, {1}),
        work_of={1: 10, 2: 10},
        first_work_of={1: 10, 2: 10},
        works=works(WorkState(10, "live")),
    )
    assert plan.assignments == [Assignment("new"), Assignment("keep", 10)]


def test_a_split_part_gets_its_former_ark_back():
    plan = plan_identity(
        groups({1, 2}, {3}),
        work_of={1: 10, 2: 10, 3: 10},
        first_work_of={1: 10, 2: 10, 3: 20},
        works=works(WorkState(10, "live"), WorkState(20, "merged")),
    )
    assert plan.assignments == [Assignment("keep", 10), Assignment("revive", 20)]


def test_a_work_without_live_records_is_withdrawn():
    plan = plan_identity(
        groups({2}),
        work_of={1: 10, 2: 20},
        first_work_of={1: 10, 2: 20},
        works=works(WorkState(10, "live"), WorkState(20, "live")),
    )
    assert plan.withdrawn == [10]
    assert plan.assignments == [Assignment("keep", 20)]


def test_planning_the_state_it_produced_is_a_no_op():
    plan = plan_identity(
        groups({1, 2}, {3}),
        work_of={1: 10, 2: 10, 3: 30},
        first_work_of={1: 10, 2: 20, 3: 30},
        works=works(WorkState(10, "live"), WorkState(20, "merged"), WorkState(30, "live")),
    )
    assert plan.assignments == [Assignment("keep", 10), Assignment("keep", 30)]
    assert not plan.merges and not plan.withdrawn


def test_best_instance_prefers_open_access_then_a_doi_then_the_most_recent():
    closed_doi = {"record": 1, "url": "https://a/1", "doi": "10.1/x", "access_code": "restricted"}
    open_old = {"record": 2, "url": "https://b/2", "access_code": "open", "seen": "2024"}
    open_new = {"record": 3, "url": "https://c/3", "access_code": "open", "seen": "2025"}
    open_doi = {"record": 4, "url": "https://d/4", "doi": "10.1/x", "access_code": "open",
                "seen": "2020"}  # fmt: skip
    assert best_instance([closed_doi, open_old]) == open_old
    assert best_instance([closed_doi, open_old, open_new]) == open_new
    assert best_instance([closed_doi, open_old, open_new, open_doi]) == open_doi
    assert best_instance([{"record": 5}]) is None


def test_summary_takes_the_best_value_of_each_field_and_keeps_provenance():
    rich = (
        {"record": 1, "access_code": "open"},
        {"titles": [{"text": "Title A"}], "publisher": "Press",
         "pids": [{"kind": "doi", "value": "10.1/x"}],
         "creators": [{"name": "Pérez, Ana"}, {"name": "Silva, João"}]},
    )  # fmt: skip
    poor = (
        {"record": 2, "access_code": "restricted"},
        {"titles": [{"text": "TITLE A."}], "publication_year": 2020,
         "pids": [{"kind": "handle", "value": "1/2"}], "creators": [{"name": "Pérez, A."}]},
    )  # fmt: skip
    summary = summarise([poor, rich])
    assert summary["titles"] == [{"text": "Title A"}] and summary["from"]["titles"] == 1
    assert summary["publication_year"] == 2020 and summary["from"]["publication_year"] == 2
    assert [p["kind"] for p in summary["pids"]] == ["doi", "handle"]
    assert len(summary["creators"]) == 2
