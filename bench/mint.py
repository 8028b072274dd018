"""Minting throughput through the service layer, beside a raw-insert baseline, and through the
HTTP API under gunicorn, in the same run.

    python -m bench.mint [--singles N] [--batches N] [--batch-size N]
                         [--http-singles N] [--http-clients N] [--bulks N] [--bulk-size N]
                         [--workers N] [--no-http] [--smoke]

Runs on the configured database (DATABASE_URL) inside a throw-away test database, so it never
touches real data. The baseline inserts the same rows with plain ``bulk_create``/``create`` and no
counter, validation or history: the ceiling the service is measured against. Machines are noisy,
so read the ratio, not the absolute figures.

The API part serves ``pidsvc.wsgi`` with gunicorn (``--workers`` sync workers) on that database,
with a real key and the rate limits lifted, and measures single mints (``POST /api/v1/arks``)
from ``--http-clients`` concurrent clients, then bulk mints (``POST /api/v1/arks/bulk``) of
``--bulk-size`` ARKs, both with ``count`` and with one item each. Every answer must be a 201
and every ARK distinct, or the run fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from arks import services  # noqa: E402
from arks.models import Ark, Naan, Shoulder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


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


# --- the HTTP API under gunicorn ----------------------------------------------------------------


def database_url() -> str:
    """The URL of the (throw-away) database this process uses, for the gunicorn child."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = f"{s.get('USER') or ''}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
    at = f"{auth}@" if auth else ""
    return f"postgres://{at}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port: int, path: str, body: Any, key: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@contextmanager
def gunicorn(workers: int, var_dir: str) -> Iterator[int]:
    """``gunicorn pidsvc.wsgi`` on the benchmark's database; yields its port, always stopped."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        PIDSVC_VAR_DIR=var_dir,
        PIDSVC_API_RATE_READ="100000000/min",
        PIDSVC_API_RATE_WRITE="100000000/min",
        LOG_LEVEL="WARNING",
    )
    cmd = [sys.executable, "-m", "gunicorn", "pidsvc.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    log = Path(var_dir) / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({proc.returncode}):\n{log.read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/naans")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not answer:\n{log.read_text()}") from None
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def minted_from(answers: list[tuple[int, Any]]) -> list[str]:
    bad = [(status, body) for status, body in answers if status != 201]
    if bad:
        raise SystemExit(f"{len(bad)} requests failed, e.g. {bad[0]}")
    arks = []
    for _, body in answers:
        arks += [a["ark"] for a in body["arks"]] if "arks" in body else [body["ark"]]
    if len(set(arks)) != len(arks):
        raise SystemExit("an ARK was handed out twice")
    return arks


def bench_http(args: argparse.Namespace) -> list[tuple[str, int, int, float]]:
    """(mode, ARKs, requests, seconds) for single and bulk mints over HTTP."""
    org = services.ensure_organization(name="HTTP benchmark")
    the_naan = Naan.objects.filter(naan="99999").first() or services.register_naan(
        naan="99999", holder=org
    )
    services.delegate_shoulder(naan=the_naan, prefix="h4", organization=org)
    _, key = services.issue_api_key(organization=org, name="benchmark")
    single = {"shoulder": "ark:99999/h4", "target": "https://example.org/", "state": "public"}
    per_client = max(args.http_singles // args.http_clients, 1)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="pidsvc-bench-") as var_dir,
        gunicorn(args.workers, var_dir) as port,
    ):
        minted_from([call(port, "/api/v1/arks", single, key) for _ in range(20)])  # warm up

        def client(_: int) -> list[tuple[int, Any]]:
            return [call(port, "/api/v1/arks", single, key) for _ in range(per_client)]

        start = time.perf_counter()
        with ThreadPoolExecutor(args.http_clients) as pool:
            answers = [a for batch in pool.map(client, range(args.http_clients)) for a in batch]
        elapsed = time.perf_counter() - start
        n = len(minted_from(answers))
        rows.append((f"single, {args.http_clients} clients", n, len(answers), elapsed))

        count = {"shoulder": "ark:99999/h4", "count": args.bulk_size,
                 "target": "https://example.org/", "state": "public"}  # fmt: skip
        items = {"shoulder": "ark:99999/h4", "items": [
            {"target": f"https://example.org/item/{i}", "state": "public",
             "metadata": {"what": f"Item {i}", "who": "Benchmark"}}
            for i in range(args.bulk_size)
        ]}  # fmt: skip
        for mode, body in ((f"bulk count={args.bulk_size}", count),
                           (f"bulk items={args.bulk_size}", items)):  # fmt: skip
            start = time.perf_counter()
            answers = [call(port, "/api/v1/arks/bulk", body, key) for _ in range(args.bulks)]
            elapsed = time.perf_counter() - start
            rows.append((mode, len(minted_from(answers)), len(answers), elapsed))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--http-singles", type=int, default=2000)
    parser.add_argument("--http-clients", type=int, default=8)
    parser.add_argument("--bulks", type=int, default=10, help="bulk requests per mode")
    parser.add_argument("--bulk-size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--no-http", action="store_true", help="the service layer only")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.singles, args.batches, args.batch_size = 20, 2, 50
        args.http_singles, args.bulks, args.bulk_size, args.workers = 40, 2, 200, 2
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rows = bench(args.singles, args.batches, args.batch_size)
        http_rows = [] if args.no_http else bench_http(args)
    finally:
        connection.close()  # the test database cannot be dropped while we hold a connection
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"database: {connection.vendor}")
    print(f"{'mode':<20}{'ARKs':>8}{'service ARKs/s':>16}{'raw insert/s':>14}{'ratio':>8}")
    for mode, n, service_s, raw_s in rows:
        service_rate, raw_rate = rate(n, service_s), rate(n, raw_s)
        print(f"{mode:<20}{n:>8}{service_rate:>16,.0f}{raw_rate:>14,.0f}"
              f"{service_rate / raw_rate:>8.2f}")  # fmt: skip
    if http_rows:
        print(f"\nHTTP API, gunicorn with {args.workers} sync workers")
        print(f"{'mode':<24}{'ARKs':>8}{'requests':>10}{'requests/s':>12}{'ARKs/s':>10}")
        for mode, n, requests, seconds in http_rows:
            print(f"{mode:<24}{n:>8}{requests:>10}{rate(requests, seconds):>12,.1f}"
                  f"{rate(n, seconds):>10,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
