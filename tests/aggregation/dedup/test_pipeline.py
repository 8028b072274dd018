"""Whole runs: in memory, incremental, and on a slice of the DBLP-ACM benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregation.dedup import DedupRecord, Index, deduplicate, match_new
from bench import dedup_eval

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures/dedup/dblp-acm-sample"
TITLE = "Deep learning for the prediction of protein folding"


def records() -> list[DedupRecord]:
    return [
        DedupRecord.create("a", titles=[TITLE], authors="Silva, Ana; Costa, Rui", year=2020),
        DedupRecord.create("b", titles=[TITLE.lower()], authors="A. Silva, R. Costa", year=2020),
        DedupRecord.create("c", titles=["Other work"], pids=["10.1000/x"]),
        DedupRecord.create("d", titles=["Other work (preprint)"], pids=["doi:10.1000/X"]),
        DedupRecord.create("e", titles=["Editorial"], authors="Silva, Ana", year=2020),
        DedupRecord.create("f", titles=["Editorial"], authors="Wang, Li", year=2020),
    ]


def test_deduplicate_clusters_and_explains() -> None:
    run = deduplicate(records())
    assert run.clustering.clusters == (("a", "b"), ("c", "d"))
    assert run.matches["a", "b"].rule == "title_authors"
    assert run.matches["c", "d"].rule == "shared_pid"
    assert run.compared == 2  # the editorials never meet


def test_an_incremental_run_compares_new_records_with_their_blocks_only() -> None:
    index = Index()
    first = records()[:3]
    assert set(match_new(index, first)) == {("a", "b")}
    late = DedupRecord.create("z", titles=[TITLE + "."], authors="Costa, R.", year=2021)
    found = match_new(index, [late])
    assert set(found) == {("a", "z"), ("b", "z")}
    assert all(d.is_match for d in found.values())


def test_the_dblp_acm_slice_is_deduplicated_with_high_f1() -> None:
    bench = dedup_eval.load(SAMPLE)
    pairs = dedup_eval.run_pairs(bench, show_errors=0)
    clusters = dedup_eval.run_cluster(bench, show_errors=0)
    assert pairs.f1 >= 0.97, pairs.line()
    assert clusters.f1 >= 0.95, clusters.line()


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text.strip() + "\n", encoding="utf-8")


def test_the_eval_reads_other_column_sets_and_a_single_table(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "tableA.csv",
        """
id,name,manufacturer,price
0,Lud&#228;scher data tools for protein folding analysis,acme,10
1,Ludäscher data tools for protein folding analysis,acme,12
2,Soil erosion field kit,terra,30
""",
    )
    _write(tmp_path, "test.csv", "ltable_id,rtable_id,label\n0,1,1\n0,2,0\n")
    bench = dedup_eval.load(tmp_path)
    assert bench.self_join
    assert bench.left["a:0"].features.titles[0].keys[0] == "ludascher"
    assert bench.left["a:0"].authors == ()
    assert dedup_eval.run_pairs(bench, 0).f1 == 1.0
    assert dedup_eval.run_cluster(bench, 0).f1 == 1.0


def test_the_eval_prints_the_figures_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(
        tmp_path,
        "tableA.csv",
        "id,title,authors,venue,year\n0,Protein folding with deep nets,ana silva,,2020",
    )
    _write(
        tmp_path,
        "tableB.csv",
        "id,title,authors,venue,year\n0,Protein folding with deep nets,a. silva,,",
    )
    _write(tmp_path, "test.csv", "ltable_id,rtable_id,label\n0,0,1")
    assert dedup_eval.main([str(tmp_path), "--mode", "cluster"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "precision=1.0000 recall=1.0000 f1=1.0000"
