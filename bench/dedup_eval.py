"""Quality of aggregation.dedup on an entity-matching benchmark in the Magellan layout.

    python -m bench.dedup_eval DIR [--mode pairs|cluster] [--show-errors N]

DIR holds ``tableA.csv``, optionally ``tableB.csv`` (without it tableA is deduplicated against
itself), and ``train.csv``, ``valid.csv``, ``test.csv`` with ``ltable_id,rtable_id,label``
(the layout of the Magellan/DeepMatcher benchmarks, e.g. DBLP-ACM, DBLP-Scholar).

* ``pairs``: decides each pair of ``test.csv`` with ``compare`` and scores the decisions.
* ``cluster``: runs the whole engine (blocking, comparison, clustering) over every record of
  the tables and compares the pairs it puts in one cluster with the positive pairs of all
  splits (with tableB, only pairs across the two tables count). Also prints blocking's pair
  completeness (share of positive pairs that share a block) and its cost.

Both use the production code with its default settings: no training, no per-dataset option.
Columns are found by name, so tables with other column sets work: the title is ``title`` or
``name`` (or a ``*_name`` column, else the first text column), authors come from ``authors``,
``author``, ``creators`` or ``artist_name``, the year from ``year`` or a date column, PIDs from
``doi``, ``pid`` or ``identifier``; missing columns are simply absent. The last line printed
is ``precision=… recall=… f1=…``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aggregation.dedup import DedupRecord, compare, deduplicate

SPLITS = ("train", "valid", "test")
_TITLE_COLUMNS = ("title", "name", "product_name", "song_name", "beer_name")
_AUTHOR_COLUMNS = ("authors", "author", "creators", "creator", "artist_name", "artist")
_YEAR_COLUMNS = ("year", "publication_year", "date", "released", "published", "pub_date")
_VENUE_COLUMNS = ("venue", "journal", "booktitle", "container_title")
_PID_COLUMNS = ("doi", "pid", "pids", "identifier", "identifiers", "isbn", "arxiv")


@dataclass(frozen=True)
class Benchmark:
    left: dict[str, DedupRecord]
    right: dict[str, DedupRecord]  # the same dict as ``left`` when there is no tableB
    splits: dict[str, list[tuple[str, str, int]]]  # record ids, not table ids

    @property
    def self_join(self) -> bool:
        return self.left is self.right

    def positives(self) -> set[tuple[str, str]]:
        return {
            _pair(a, b)
            for rows in self.splits.values()
            for a, b, label in rows
            if label == 1 and a != b
        }


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def load(directory: Path) -> Benchmark:
    left = _table(directory / "tableA.csv", "a")
    right_path = directory / "tableB.csv"
    right = _table(right_path, "b") if right_path.exists() else left
    prefix = "b" if right is not left else "a"
    splits = {}
    for split in SPLITS:
        path = directory / f"{split}.csv"
        if path.exists():
            splits[split] = [
                (f"a:{row['ltable_id']}", f"{prefix}:{row['rtable_id']}", int(row["label"]))
                for row in _rows(path)
            ]
    return Benchmark(left, right, splits)


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            yield {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}


def _table(path: Path, prefix: str) -> dict[str, DedupRecord]:
    records = {}
    for row in _rows(path):
        record = _record(row, prefix)
        records[record.id] = record
    return records


def _first(row: dict[str, str], names: Iterable[str]) -> str:
    return next((row[n] for n in names if row.get(n)), "")


def _title_column(row: dict[str, str]) -> str:
    found = _first(row, _TITLE_COLUMNS)
    if found:
        return found
    named = next((v for k, v in row.items() if k.endswith("_name") and v), "")
    return named or next((v for k, v in row.items() if k != "id" and _is_text(v)), "")


def _is_text(value: str) -> bool:
    return any(c.isalpha() for c in value)


def _record(row: dict[str, str], prefix: str) -> DedupRecord:
    pids = [v for name in _PID_COLUMNS if (v := row.get(name))]
    return DedupRecord.create(
        f"{prefix}:{row.get('id', '')}",
        titles=[_title_column(row)],
        authors=_first(row, _AUTHOR_COLUMNS),
        year=_first(row, _YEAR_COLUMNS) or None,
        venue=_first(row, _VENUE_COLUMNS) or None,
        pids=pids,
    )


# --- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return f"precision={self.precision:.4f} recall={self.recall:.4f} f1={self.f1:.4f}"


def score(predicted: set[tuple[str, str]], gold: set[tuple[str, str]]) -> Score:
    tp = len(predicted & gold)
    return Score(tp, len(predicted) - tp, len(gold) - tp)


def run_pairs(bench: Benchmark, show_errors: int) -> Score:
    rows = bench.splits.get("test", [])
    predicted, gold = set(), set()
    rules: Counter[str] = Counter()
    errors = []
    for a, b, label in rows:
        decision = compare(bench.left[a], bench.right[b])
        rules[decision.rule] += 1
        if decision.is_match:
            predicted.add((a, b))
        if label == 1:
            gold.add((a, b))
        if decision.is_match != (label == 1):
            errors.append((a, b, label, decision))
    print(f"test pairs: {len(rows)}, positive: {len(gold)}")
    print("rules: " + ", ".join(f"{rule}={n}" for rule, n in rules.most_common()))
    _print_errors(bench, errors, show_errors)
    return score(predicted, gold)


def run_cluster(bench: Benchmark, show_errors: int) -> Score:
    records = list(bench.left.values())
    if not bench.self_join:
        records += list(bench.right.values())
    started = time.perf_counter()
    run = deduplicate(records)
    elapsed = time.perf_counter() - started
    gold = bench.positives()
    joined = {
        _pair(a, b)
        for members in run.clustering.clusters
        for a, b in itertools.combinations(members, 2)
        if bench.self_join or a[0] != b[0]
    }
    blocked = {p for p in gold if p[1] in run.index.candidates(run.index.get(p[0]))}
    n = len(records)
    print(
        f"records: {n}, compared pairs: {run.compared} "
        f"({run.compared / max(1, n * (n - 1) // 2):.5f} of all pairs), "
        f"matches: {len(run.matches)}, clusters: {len(run.clustering.clusters)}, "
        f"held: {len(run.clustering.held)}, {elapsed:.1f}s ({n / elapsed:.0f} records/s)"
    )
    print(f"blocking pair completeness: {len(blocked) / max(1, len(gold)):.4f}")
    errors = [(a, b, 1, None) for a, b in sorted(gold - joined)]
    errors += [(a, b, 0, None) for a, b in sorted(joined - gold)]
    _print_errors(bench, errors, show_errors)
    return score(joined, gold)


def _print_errors(bench: Benchmark, errors: list, limit: int) -> None:
    records = {**bench.left, **bench.right}
    for a, b, label, decision in errors[:limit]:
        decision = decision or compare(records[a], records[b])
        kind = "missed" if label == 1 else "wrong"
        print(f"{kind}: {decision.explain()}")
        for rid in (a, b):
            r = records[rid]
            print(
                f"    {rid}: {r.titles[0][0] if r.titles else ''!r} | {'; '.join(r.authors)}"
                f" | {r.year} | {r.venue}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--mode", choices=("pairs", "cluster"), default="pairs")
    parser.add_argument(
        "--show-errors",
        type=int,
        default=0,
        metavar="N",
        help="print the first N wrong decisions with their explanation",
    )
    args = parser.parse_args(argv)
    if not (args.directory / "tableA.csv").exists():
        parser.error(f"{args.directory} has no tableA.csv")
    bench = load(args.directory)
    runner = run_pairs if args.mode == "pairs" else run_cluster
    result = runner(bench, args.show_errors)
    print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
