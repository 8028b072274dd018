"""The cost of counting one resolution (``arks.stats.record``), beside a bare baseline.

    python -m bench.stats_record [--calls N] [--threads N] [--smoke]

The baseline is the least any thread-safe counter can do: one dict increment under a
``threading.Lock``. ``record`` adds the UTC day, a key tuple, and the checks that start the
flusher and wake it when the buffer is full. Nothing is written to a database: the flusher is
parked (a one-hour interval) and the buffer is dropped at the end. Machines are noisy, so read
the ratio, not the absolute figures; no assertions.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.conf import settings  # noqa: E402

from arks import stats  # noqa: E402

ARKS = 500  # distinct ARK ids: under MAX_PENDING_KEYS, so the flusher is never woken


def baseline_counter() -> Callable[[int], None]:
    lock = threading.Lock()
    counts: dict[int, int] = {}

    def increment(ark_id: int) -> None:
        with lock:
            counts[ark_id] = counts.get(ark_id, 0) + 1

    return increment


def ns_per_call(fn: Callable[[int], None], calls: int, threads: int) -> float:
    """Wall-clock nanoseconds per call with ``threads`` threads making ``calls`` calls in all."""
    per_thread = calls // threads
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for i in range(per_thread):
            fn(i % ARKS)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    barrier.wait()
    start = time.perf_counter_ns()
    for t in workers:
        t.join()
    return (time.perf_counter_ns() - start) / (per_thread * threads)


def best_of(repeats: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4, help="for the contended run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.calls, args.repeats = 20_000, 1
    settings.PIDSVC_STATS_FLUSH_SECONDS = 3600.0
    stats.reset()
    stats.record(0)  # start the (parked) flusher outside the timed runs
    try:
        print(f"{'threads':<10}{'dict+lock ns':>14}{'record() ns':>14}{'ratio':>8}")
        for threads in sorted({1, args.threads}):
            base = best_of(
                args.repeats, lambda t=threads: ns_per_call(baseline_counter(), args.calls, t)
            )
            rec = best_of(args.repeats, lambda t=threads: ns_per_call(stats.record, args.calls, t))
            print(f"{threads:<10}{base:>14.0f}{rec:>14.0f}{rec / base:>8.2f}")
    finally:
        stats.reset()  # nothing is left for the exit-time flush


if __name__ == "__main__":
    main()
