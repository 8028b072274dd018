"""Minting throughput through the service layer, beside a raw-insert baseline in the same run.

    python -m bench.mint [--singles N] [--batches N] [--batch-size N] [--smoke]

Runs on the configured database (DATABASE_URL) inside a throw-away test database, so it never
touches real data. The baseline inserts the same rows with plain ``bulk_create``/``create`` and no
counter, validation or history: the ceiling the service is measured against. Machines are noisy,
so read the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from arks import services  # noqa: E402
from arks.models import Ark, Naan, Shoulder  # noqa: E402


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_shoulder(prefix: str) -> Shoulder:
    org = services.ensure_organization(name="Benchmark")
    the_naan = Naan.objects.filter(naan="99999").first() or services.register_naan(
        naan="99999", holder=org
    )
    return services.delegate_shoulder(naan=the_naan, prefix=prefix, organization=org)


def raw_rows(shoulder: Shoulder, start: int, n: int) -> list[Ark]:
    return [
        Ark(
            ark=f"ark:99999/raw{start + i}",
            key=f"ark:99999/raw{start + i}",
            naan="99999",
            shoulder=shoulder,
            owner_id=shoulder.organization_id,
            target="https://example.org/",
        )
        for i in range(n)
    ]


def bench(singles: int, batches: int, batch_size: int) -> list[tuple[str, int, float, float]]:
    shoulder = make_shoulder("b4")
    base = make_shoulder("x4")
    data = services.ArkData(target="https://example.org/", state="public")
    rows = []

    def service_singles() -> None:
        for _ in range(singles):
            services.mint(shoulder=shoulder, actor="bench", data=data)

    def raw_singles() -> None:
        for row in raw_rows(base, 0, singles):
            with transaction.atomic():
                row.save(force_insert=True)

    rows.append(("one at a time", singles, timed(service_singles), timed(raw_singles)))

    def service_batches() -> None:
        for _ in range(batches):
            services.mint(shoulder=shoulder, actor="bench", data=data, count=batch_size)

    def raw_batches() -> None:
        for b in range(batches):
            with transaction.atomic():
                Ark.objects.bulk_create(raw_rows(base, singles + b * batch_size, batch_size))

    n = batches * batch_size
    rows.append((f"batches of {batch_size}", n, timed(service_batches), timed(raw_batches)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.singles, args.batches, args.batch_size = 20, 2, 50
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rows = bench(args.singles, args.batches, args.batch_size)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"database: {connection.vendor}")
    print(f"{'mode':<20}{'ARKs':>8}{'service ARKs/s':>16}{'raw insert/s':>14}{'ratio':>8}")
    for mode, n, service_s, raw_s in rows:
        service_rate, raw_rate = rate(n, service_s), rate(n, raw_s)
        print(f"{mode:<20}{n:>8}{service_rate:>16,.0f}{raw_rate:>14,.0f}"
              f"{service_rate / raw_rate:>8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
