"""The database-backed dedup and identity stages against the in-memory engine, on one data set.

    DATABASE_URL=postgres://… python -m bench.identity [--records 20000] [--changed 0.01] [--smoke]

It generates synthetic records with known duplicates (``bench.dedup_scale``'s generator), stores
them as harvested records with their products in a throw-away test database, then measures in
one run:

* the baseline: the pure engine (``aggregation.dedup.deduplicate``) over the same records in
  memory: keys, comparisons, clusters, nothing stored;
* the first run of ``aggregation.identity.run_dedup``: keys and matches stored, works created and
  one ARK minted per work (through the identifier layer, with its history);
* an incremental run after a share of the records changed (``--changed``);
* a run with nothing changed.

It prints records per second of each, the ratio of the first run to the baseline, and the
precision, recall and F1 of the pairs that ended in one work against the generator's truth (and
of the in-memory clusters, which must agree).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from aggregation import identity  # noqa: E402
from aggregation.dedup import DedupRecord, deduplicate  # noqa: E402
from aggregation.models import Membership, RawRecord, Record, Source  # noqa: E402
from arks import services as ark_services  # noqa: E402
from bench.dedup_scale import Generator, Synthetic  # noqa: E402


def product(record: DedupRecord, url: str) -> dict[str, object]:
    """The stored form of a product (``Product.to_dict``) carrying what the record carries."""
    data: dict[str, object] = {
        "format": "oai_dc",
        "titles": [
            {"text": t, "lang": lang, "type": kind} if lang else {"text": t, "type": kind}
            for t, lang, kind in record.titles
        ],
        "creators": [{"name": name} for name in record.authors],
        "pids": [{"kind": k, "value": v} for k, v in record.pids],
        "landing_url": url,
        "schema": 1,
    }
    if record.year is not None:
        data["publication_year"] = record.year
    if record.kind:
        data["resource_type"] = {"kind": record.kind}
    if record.venue:
        data["container_title"] = record.venue
    return data


def store(data: Synthetic) -> dict[str, int]:
    """The records as one source's harvest; returns the raw record id of each record id."""
    source = Source.objects.create(name="Synthetic", url="https://synthetic.example/oai")
    raws, products = [], []
    for record in data.records:
        body = product(record, f"https://synthetic.example/{record.id}")
        text = json.dumps(body, sort_keys=True)
        raws.append(RawRecord(source=source, oai_identifier=f"oai:synthetic:{record.id}",
                              datestamp="2026-01-01", xml=text,
                              content_hash=hashlib.sha256(text.encode()).hexdigest()))  # fmt: skip
        products.append(body)
    RawRecord.objects.bulk_create(raws, batch_size=5000)
    Record.objects.bulk_create(
        [Record(raw=raw, source=source, format="oai_dc", product=body,
                title=str(body["titles"][0]["text"]) if body["titles"] else "")  # type: ignore[index]
         for raw, body in zip(raws, products, strict=True)],
        batch_size=5000,
    )  # fmt: skip
    return {r.id: raw.pk for r, raw in zip(data.records, raws, strict=True)}


def change(data: Synthetic, raw_of: dict[str, int], share: float) -> int:
    """Change every n-th record as a repository would: a corrected title (a typo fixed)."""
    step = max(int(1 / share), 1) if share > 0 else 0
    changed = 0
    for index in range(0, len(data.records), step) if step else ():
        pk = raw_of[data.records[index].id]
        rec = Record.objects.get(raw_id=pk)
        body = dict(rec.product)
        titles = list(body.get("titles") or [])
        if titles:
            titles[0] = {**titles[0], "text": titles[0]["text"] + " (revised)"}
        body["titles"] = titles
        Record.objects.filter(pk=rec.pk).update(product=body)
        RawRecord.objects.filter(pk=pk).update(content_hash=hashlib.sha256(
            json.dumps(body, sort_keys=True).encode()).hexdigest())  # fmt: skip
        changed += 1
    return changed


def scores(found: set[tuple[str, str]], gold: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(found & gold)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def work_pairs(raw_of: dict[str, int]) -> set[tuple[str, str]]:
    record_of = {pk: rid for rid, pk in raw_of.items()}
    by_work: dict[int, list[str]] = {}
    for raw, work in Membership.objects.values_list("raw_id", "work_id"):
        by_work.setdefault(work, []).append(record_of[raw])
    return {
        (min(a, b), max(a, b))
        for members in by_work.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share changed between runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.records = 300
    data = Generator(args.seed).generate(args.records)
    gold = data.gold_pairs()
    started = time.perf_counter()
    memory = deduplicate(data.records)
    baseline = time.perf_counter() - started
    in_memory = {(min(a, b), max(a, b)) for c in memory.clustering.clusters
                 for i, a in enumerate(c) for b in c[i + 1:]}  # fmt: skip
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        org = ark_services.ensure_organization(name="Aggregator")
        naan = ark_services.register_naan(naan="99999", holder=org)
        ark_services.delegate_shoulder(naan=naan, prefix="w3", organization=org)
        settings.PIDSVC_WORKS_SHOULDER = "ark:99999/w3"
        raw_of = store(data)
        started = time.perf_counter()
        first = identity.run_dedup()
        first_s = time.perf_counter() - started
        db_pairs = work_pairs(raw_of)
        changed = change(data, raw_of, args.changed)
        started = time.perf_counter()
        identity.run_dedup()
        incremental_s = time.perf_counter() - started
        started = time.perf_counter()
        idle = identity.run_dedup()
        idle_s = time.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    n = len(data.records)
    print(f"database: {connection.vendor}; {n:,} records, {len(gold):,} duplicate pairs; "
          f"batch {settings.PIDSVC_DEDUP_BATCH}")  # fmt: skip
    print(f"{'':<52}{'seconds':>10}{'records/s':>12}")
    for label, seconds in (
        ("in-memory engine (baseline: nothing stored)", baseline),
        ("first run (keys, matches, works, ARKs stored)", first_s),
    ):
        print(f"{label:<52}{seconds:>10.1f}{n / seconds:>12,.0f}")
    print(f"{f'incremental run ({changed:,} records changed)':<52}{incremental_s:>10.2f}"
          f"{changed / incremental_s:>12,.0f}")  # fmt: skip
    print(f"{'run with nothing changed':<52}{idle_s:>10.2f}")
    print(f"works: {first.new_works:,} new ARKs; held groups {first.held}; "
          f"nothing-changed run grouped {idle.grouped_records} records")  # fmt: skip
    p, r, f = scores(in_memory, gold)
    print(f"in-memory clusters: precision={p:.3f} recall={r:.3f} f1={f:.3f}")
    p, r, f = scores(db_pairs, gold)
    print(f"works (first run):  precision={p:.3f} recall={r:.3f} f1={f:.3f}")
    print(f"ratio first run / baseline (records/s): {baseline / first_s:.2f}")


if __name__ == "__main__":
    main()
