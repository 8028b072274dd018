"""Harvest throughput end to end (fetch, parse, map, store), beside bare sickle on the same pages.

    python -m bench.harvest [--pages N] [--per-page N] [--repeat N] [--smoke]

A loopback OAI-PMH server (a child process) serves N ListRecords pages built from the real
DSpace@MIT page in shared/data (58 ``oai_dc`` records, repeated with new OAI identifiers and
handles so that every record is new), chained by resumption tokens. The harvester runs a full
harvest of them into the configured database (DATABASE_URL; inside a throw-away test database);
bare sickle 0.7.0 iterates and parses the same pages (``Sickle.ListRecords`` with its defaults,
which builds a dict of each record's metadata) and stores nothing. Both must see every record,
or the run stops.

Sickle runs before every round of the harvester and once more after the last, so that each
harvest is compared with the sickle runs on either side of it (a busy machine changes speed
within seconds). Printed: each round, the best of each, and the median of the rounds' ratios;
also the CPU time of this process per record (the harvester's two threads; PostgreSQL's and the
server's own CPU not included), which a busy machine inflates less than wall time. Machines are
noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.db import connection  # noqa: E402
from sickle import Sickle  # noqa: E402

from aggregation import services  # noqa: E402
from aggregation.models import HarvestRun, Source  # noqa: E402
from tests.oaipmh_server import (  # noqa: E402
    DSPACE_58,
    OaiServer,
    Q,
    Reply,
    fixture,
    identify,
    page_with,
    records_of,
)

DC = "{http://purl.org/dc/elements/1.1/}"


def build_pages(pages: int, per_page: int) -> list[bytes]:
    """``pages`` pages of ``per_page`` records: the real ones, each with a new identity."""
    template = fixture(DSPACE_58)
    real = records_of(template)
    total = pages * per_page
    out = []
    for p in range(pages):
        chunk = []
        for i in range(per_page):
            n = p * per_page + i
            record = copy.deepcopy(real[n % len(real)])
            record.find(f"{Q}header/{Q}identifier").text = f"oai:bench.example.org:{n}"
            for element in record.iter(f"{DC}identifier"):
                if "hdl.handle.net" in (element.text or ""):
                    element.text = f"https://hdl.handle.net/1721.1/bench{n}"
            chunk.append(record)
        token = f"bench-{p + 1}" if p + 1 < pages else ""
        out.append(page_with(template, chunk, token=token, size=total, cursor=p * per_page))
    return out


def serve(pages: list[bytes], ready: multiprocessing.Queue) -> None:
    server = OaiServer()
    server.route(Reply(identify("YYYY-MM-DDThh:mm:ssZ")), verb="Identify")
    server.route(Reply(pages[0]), verb="ListRecords", metadataPrefix="oai_dc")
    for n, page in enumerate(pages[1:], start=1):
        server.route(Reply(page), verb="ListRecords", resumptionToken=f"bench-{n}")
    server.requests = _Forgetful()
    ready.put(server.url)
    server._httpd.serve_forever()


class _Forgetful(list):
    """The benchmark server keeps no log of requests."""

    def append(self, item: object) -> None:
        pass


@dataclass(frozen=True)
class Timed:
    records: int
    seconds: float  # wall time
    cpu: float  # this process's CPU time

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def timed(fn: Callable[[], int]) -> Timed:
    cpu, start = time.process_time(), time.perf_counter()
    records = fn()
    return Timed(records, time.perf_counter() - start, time.process_time() - cpu)


def bare_sickle(url: str) -> int:
    return sum(1 for _ in Sickle(url).ListRecords(metadataPrefix="oai_dc"))


def harvester(source: Source) -> int:
    run = services.start_run(source=source, full=True, actor="bench")
    run = services.run_harvest(run_id=run.pk)
    if run.status != HarvestRun.Status.SUCCEEDED:
        raise SystemExit(f"the harvest failed: {run.errors}")
    return run.records_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the harvester")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.pages, args.per_page, args.repeat = 3, 20, 1
    pages = build_pages(args.pages, args.per_page)
    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(pages, ready), daemon=True)
    server.start()
    url = ready.get(timeout=60)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        ours, theirs = [], [timed(lambda: bare_sickle(url))]
        for round_ in range(args.repeat):
            source = services.create_source(name=f"bench {round_}", url=url)
            ours.append(timed(lambda source=source: harvester(source)))
            theirs.append(timed(lambda: bare_sickle(url)))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        server.terminate()
    expected = args.pages * args.per_page
    for who, runs in (("the harvester", ours), ("sickle", theirs)):
        if any(run.records != expected for run in runs):
            got = ", ".join(str(run.records) for run in runs)
            raise SystemExit(f"{who} saw {got} records, not {expected}: not the same work")
    report(args, ours, theirs)


def report(args: argparse.Namespace, ours: list[Timed], theirs: list[Timed]) -> None:
    n = args.pages * args.per_page
    print(f"database: {connection.vendor}; {args.pages} pages of {args.per_page} records = {n:,}; "
          f"{args.repeat} rounds")  # fmt: skip
    print(f"{'':<10}{'records/s':^20}{'':>8}{'CPU µs/record':^20}")
    print(f"{'':<10}{'pidsvc':>10}{'sickle*':>10}{'ratio':>8}{'pidsvc':>10}{'sickle*':>10}")
    ratios = []
    for i, run in enumerate(ours):
        before, after = theirs[i], theirs[i + 1]
        rate = (before.rate + after.rate) / 2
        cpu = (before.cpu + after.cpu) / 2
        ratios.append(run.rate / rate)
        print(f"{f'round {i + 1}':<10}{run.rate:>10,.0f}{rate:>10,.0f}{ratios[-1]:>8.2f}"
              f"{run.cpu / n * 1e6:>10.0f}{cpu / n * 1e6:>10.0f}")  # fmt: skip
    ours_rate = max(run.rate for run in ours)
    sickle_rate = max(run.rate for run in theirs)
    print("* the mean of the sickle runs before and after the round (CPU: of this process only)")
    print()
    print(f"{'':<44}{'records/s':>12}")
    print(f"{'pidsvc harvest (fetch, parse, map, store)':<44}{ours_rate:>12,.0f}")
    print(f"{'bare sickle (fetch, parse)':<44}{sickle_rate:>12,.0f}")
    print(f"{'ratio (best of each)':<44}{ours_rate / sickle_rate:>12.2f}")
    print(f"{'ratio (median of the rounds)':<44}{statistics.median(ratios):>12.2f}")


if __name__ == "__main__":
    main()
