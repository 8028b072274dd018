"""Mapping throughput of aggregation.formats, beside bare lxml parsing of the same bytes.

    python -m bench.formats [--repeat N] [--rounds N] [--page PATH] [--smoke]

Input: the 58-record DSpace@MIT ``oai_dc`` ListRecords page (tests/fixtures/oai, see SOURCES.md),
cut into its records as a harvester stores them (each ``<record>`` serialised on its own) and
repeated ``--repeat`` times. Every figure is the best of ``--rounds`` runs, in the same process:

* ``lxml.etree.fromstring``: bare lxml, default parser: the baseline;
* ``xmlsafe.parse``: the safe parser with its DTD and depth checks;
* ``map_record(bytes)``: safe parse + format detection + mapping to a Product, end to end;
* ``map_record(element)``: mapping alone, from records already parsed (the harvester parses a
  page once and maps each record element);
* ``map_record(element).to_json()``: the same and the product's JSON, what the harvester
  stores for each record;
* ``page: xmlsafe + map``: the whole page parsed once, then each record mapped, beside
  ``page: lxml only``.

Times are CPU time of this process (``time.process_time``), so other work on a busy machine
inflates them less than wall time would; still, read the ratio to the baseline rather than the
absolute figures. Nothing here asserts a timing. ``--smoke`` runs a few repetitions to check
the path works.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from aggregation import xmlsafe
from aggregation.formats import Product, map_record

PAGE = (
    Path(__file__).resolve().parents[1]
    / "tests/fixtures/oai/dspace-mit/ListRecords_oai_dc_set-com_1721.1_140587_58records.xml"
)
RECORD = "{http://www.openarchives.org/OAI/2.0/}record"


def best_of(rounds: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=200, help="times the page is mapped")
    parser.add_argument("--rounds", type=int, default=5, help="runs per figure; best is kept")
    parser.add_argument("--page", type=Path, default=PAGE, help="an OAI-PMH ListRecords page")
    parser.add_argument("--smoke", action="store_true", help="a quick run: --repeat 3 --rounds 1")
    args = parser.parse_args()
    if args.smoke:
        args.repeat, args.rounds = 3, 1

    page = args.page.read_bytes()
    elements = list(etree.fromstring(page).iter(RECORD))
    records = [etree.tostring(r) for r in elements]
    products = [map_record(r) for r in records]  # fails loudly before any timing
    assert all(isinstance(p, Product) for p in products)
    n = len(records) * args.repeat
    print(
        f"{len(records)} records from {args.page.name}, {sum(map(len, records)) // len(records)} "
        f"bytes each on average; {args.repeat} repetitions = {n:,} records; best of {args.rounds}"
    )

    def each(fn: Callable[[bytes], object], items: list) -> Callable[[], None]:
        def run() -> None:
            for _ in range(args.repeat):
                for item in items:
                    fn(item)

        return run

    def to_json(element: etree._Element) -> str:
        return map_record(element).to_json()

    def page_mapped() -> None:
        for _ in range(args.repeat):
            for record in xmlsafe.parse(page).iter(RECORD):
                map_record(record)

    def page_parsed() -> None:
        for _ in range(args.repeat):
            etree.fromstring(page)

    baseline = best_of(args.rounds, each(etree.fromstring, records))
    rows = [
        ("lxml.etree.fromstring (baseline)", baseline),
        ("xmlsafe.parse", best_of(args.rounds, each(xmlsafe.parse, records))),
        ("map_record(bytes)", best_of(args.rounds, each(map_record, records))),
        ("map_record(element)", best_of(args.rounds, each(map_record, elements))),
        ("map_record(element).to_json()", best_of(args.rounds, each(to_json, elements))),
        ("page: lxml only", best_of(args.rounds, page_parsed)),
        ("page: xmlsafe + map", best_of(args.rounds, page_mapped)),
    ]
    print(f"{'':34} {'records/s':>12} {'µs/record':>10} {'x baseline':>11}")
    for label, seconds in rows:
        print(
            f"{label:34} {n / seconds:12,.0f} {seconds / n * 1e6:10.1f} {seconds / baseline:11.2f}"
        )


if __name__ == "__main__":
    main()
