"""Resolution throughput of the service under gunicorn on PostgreSQL, beside a ceiling app.

    python -m bench.resolve [--smoke] [--duration S] [--connections N] [--rounds N]
                            [--reseed] [--sweep] [--profile]

Seeds a dedicated PostgreSQL database (``pidsvc_bench_resolve`` on 127.0.0.1:5432, 1,000,000
public ARKs under ``ark:99999/b3``, written by COPY exactly as ``services.mint`` shapes them; kept
between runs, ``--reseed`` rebuilds it, ``--seed-with-mint`` goes through ``services.mint``),
migrates it, and serves in the same run, with the same gunicorn and worker settings:

* ``ceiling``: ``bench/ceiling.py``, a bare WSGI app answering every ARK with its redirect from an
  in-memory dict: what Python serving costs on this machine, with no Django and no database;
* ``service``: ``pidsvc.wsgi``, the real resolver (``GET /ark:99999/<name>`` -> 302).

Before measuring, the table the resolution counts go to is vacuumed (``vacuum_counts``), and
twenty ARKs are resolved on each app and their status and ``Location`` checked. wrk (Debian's
package, installed with apt-get when missing and root) then drives ``--connections`` clients
over loopback (127.0.0.1 only) for ``--duration`` seconds after a
``--warmup``, each request naming a random ARK out of ``--sample`` names drawn from the whole
database; every answer that is not a 302 is counted as an error, and the run exits 1 if any.
The apps are measured in turn ``--rounds`` times (both servers stay up; an idle one costs
nothing), so a burst of noise from other processes does not land on one app only; the table
shows medians. Besides req/s and latency it shows the CPU time per request of the gunicorn
workers and of the app's PostgreSQL sessions (from /proc), and the database transactions per
request (pg_stat_database; in autocommit, one per statement). Machines are noisy: read the
ratios, not the absolute figures; nothing here asserts a timing.

Worker settings: both apps run with the repository's ``gunicorn.conf.py``, the settings the
README recommends for production (sync workers, one per CPU plus one; see that file for why),
plus what only a benchmark wants: a loopback port, warnings-only logging, no access log, a short
graceful timeout. ``--worker-class``, ``--workers`` and ``--threads`` override the file, for both
apps alike, to try other settings; ``--sweep`` tries a list of them first and keeps the one that
serves the service fastest.

``--smoke`` is a quick check of the whole path: 10,000 ARKs in their own database
(``pidsvc_bench_resolve_smoke``, so the million stays seeded), one round of 3 seconds.
``--profile`` samples the service's workers with py-spy (``pip install py-spy``) during an extra
run after the measured ones, and prints where their CPU goes. ``--service-app MODULE`` measures
another WSGI entry point in the service's place (a candidate fast path, say).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
PG = "postgres://postgres@127.0.0.1:5432"
NAAN, PREFIX, TEMPLATE = "99999", "b3", "zeedk"
ORG_NAME = "Resolve benchmark"
SECRET_KEY = "benchmark-only"  # noqa: S105 - a throw-away bench server
HOST = "127.0.0.1"
SOCKET_ERRORS = ("connect", "read", "write", "timeout")
# Worker settings tried by --sweep: (worker class, workers, threads).
SWEEP = [
    ("sync", 2, 1),
    ("sync", 3, 1),
    ("sync", 4, 1),
    ("sync", 6, 1),
    ("gthread", 2, 4),
    ("gthread", 3, 2),
    ("gthread", 4, 1),
]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


def target_for(i: int) -> str:
    return f"https://example.org/item/{i}"


def say(*parts: object) -> None:
    print(*parts, flush=True)


# --- the database -----------------------------------------------------------------------------


def admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def db_transactions(name: str) -> int:
    """Committed transactions of the database so far: with autocommit, one per statement."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return int(row[0]) if row else 0


def service_env(db_url: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="pidsvc.settings",
        DATABASE_URL=db_url,
        SECRET_KEY=SECRET_KEY,
        DEBUG="false",
        ALLOWED_HOSTS=HOST,
        DATABASE_CONN_MAX_AGE="600",
        PIDSVC_VAR_DIR=str(var_dir),
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def setup_django(env: dict[str, str]) -> None:
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "DEBUG", "PIDSVC_VAR_DIR"):
        os.environ[key] = env[key]
    import django

    django.setup()


def seeded_count() -> int:
    """How many ARKs the bench shoulder holds, or -1 when its data is not consistent."""
    from arks.models import Ark, Shoulder

    shoulder = Shoulder.objects.filter(naan__naan=NAAN, prefix=PREFIX).first()
    if shoulder is None:
        return 0
    public = Ark.objects.filter(shoulder=shoulder, state=Ark.State.PUBLIC).count()
    return public if public == shoulder.counter == Ark.objects.count() else -1


def make_shoulder():  # type: ignore[no-untyped-def]
    from arks import services
    from arks.models import Naan

    org = services.ensure_organization(name=ORG_NAME)
    naan = Naan.objects.filter(naan=NAAN).first() or services.register_naan(naan=NAAN, holder=org)
    return services.delegate_shoulder(naan=naan, prefix=PREFIX, organization=org, template=TEMPLATE)


def seed_with_mint(n: int) -> None:
    """The slow, obviously faithful way: ``services.mint`` in batches of 10,000."""
    from arks import services

    shoulder = make_shoulder()
    done = 0
    while done < n:
        batch = min(services.MAX_BATCH, n - done)
        # One batch binds all its ARKs to one target; give each batch its own (the item's index
        # is then the batch's first index, which --verify uses through the exported targets).
        data = services.ArkData(target=target_for(done), state="public")
        services.mint(shoulder=shoulder, actor="bench", data=data, count=batch)
        done += batch


def seed_with_copy(n: int, chunk: int = 100_000) -> None:
    """COPY ``n`` ARK rows and their mint events, shaped exactly as ``services.mint`` writes them
    (same helpers build the prototype rows; names from the shoulder's template, the counter taken
    through the same UPDATE), with one target per ARK: ``https://example.org/item/<i>``."""
    from django.db import connection, transaction
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from arks import services
    from arks.domain import noid
    from arks.models import Ark, ArkEvent

    with transaction.atomic():
        shoulder = make_shoulder()
        template = noid.Template.parse(shoulder.template, prefix=shoulder.prefix)
        start = services._take_counter(shoulder, n, capacity=template.capacity)
        now = timezone.now()
        data = services.ArkData(target=target_for(start), state="public").validated()
        proto = services._new_ark(
            f"ark:{NAAN}/{template.name(start, naan=NAAN)}",
            naan=NAAN,
            shoulder=shoulder,
            item=data,
            now=now,
        )
        snapshot = services._snapshot(proto)
        event_proto = ArkEvent(
            ark_id=0, at=now, actor="bench", action=ArkEvent.Action.MINT, changes=snapshot
        )
        ark_first = _reserve_ids(connection, Ark, n)
        event_first = _reserve_ids(connection, ArkEvent, n)
        ark_cols, ark_row = _prototype(connection, proto)
        event_cols, event_row = _prototype(connection, event_proto)
        a_id, a_ark, a_key, a_target = (ark_cols.index(c) for c in ("id", "ark", "key", "target"))
        e_id, e_ark, e_changes = (event_cols.index(c) for c in ("id", "ark_id", "changes"))
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for lo in range(0, n, chunk):
                hi = min(lo + chunk, n)
                with raw.copy(_copy_sql(connection, Ark, ark_cols)) as copy:
                    for i in range(lo, hi):
                        text = f"ark:{NAAN}/{template.name(start + i, naan=NAAN)}"
                        ark_row[a_id] = ark_first + i
                        ark_row[a_ark] = ark_row[a_key] = text
                        ark_row[a_target] = target_for(start + i)
                        copy.write_row(ark_row)
                with raw.copy(_copy_sql(connection, ArkEvent, event_cols)) as copy:
                    for i in range(lo, hi):
                        event_row[e_id] = event_first + i
                        event_row[e_ark] = ark_first + i
                        snapshot["target"] = [None, target_for(start + i)]
                        event_row[e_changes] = Jsonb(snapshot)
                        copy.write_row(event_row)
                say(f"  seeded {hi:,} / {n:,}")


def _reserve_ids(connection, model, n: int) -> int:  # type: ignore[no-untyped-def]
    """Take ``n`` consecutive ids from the model's sequence (nobody else writes this database)."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, column])
        (first,) = cursor.fetchone()
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, first + n - 1]
        )
    return first


def _prototype(connection, obj) -> tuple[list[str], list[object]]:  # type: ignore[no-untyped-def]
    fields = obj._meta.concrete_fields
    columns = [f.column for f in fields]
    row = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    return columns, row


def _copy_sql(connection, model, columns: list[str]) -> str:  # type: ignore[no-untyped-def]
    quote = connection.ops.quote_name
    return f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"


def prepare_database(name: str, n: int, *, reseed: bool, use_mint: bool, var_dir: Path) -> str:
    """Create, migrate and seed the bench database unless it already holds ``n`` ARKs."""
    db_url = f"{PG}/{name}"
    if reseed or not database_exists(name):
        say(f"creating database {name}")
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{name}"')
    env = service_env(db_url, var_dir)
    migrate(env)  # always: cheap when up to date, and it applies migrations added since
    setup_django(env)
    from django.db import connection

    have = seeded_count()
    if have == n:
        say(f"database {name}: {n:,} ARKs already seeded (--reseed rebuilds it)")
        return db_url
    if have != 0:
        say(f"database {name} holds {have:,} ARKs, not {n:,}: rebuilding it")
        connection.close()
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{name}"')
        migrate(env)
    say(f"seeding {n:,} public ARKs under ark:{NAAN}/{PREFIX} ({'mint' if use_mint else 'COPY'})")
    started = time.perf_counter()
    (seed_with_mint if use_mint else seed_with_copy)(n)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) arks_ark")
        cursor.execute("VACUUM (ANALYZE) arks_arkevent")
    say(f"seeded in {seeded:.0f} s ({n / seeded:,.0f} ARKs/s), then VACUUM ANALYZE")
    if seeded_count() != n:
        raise SystemExit(f"seeding left {seeded_count():,} consistent ARKs, not {n:,}")
    return db_url


def vacuum_counts(name: str) -> None:
    """Every run upserts its resolution counts into one table: vacuum it first, as autovacuum
    would on a production server (a development server may run with it off), so that the dead
    rows of earlier runs do not slow this run's writes."""
    import psycopg

    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) arks_dailyresolutions")


def export_names(path: Path) -> list[tuple[str, str]]:
    """Write ``<name>\\t<target>`` for every bench ARK (the ceiling's dict); return them."""
    from django.db import connection

    from arks.models import Shoulder

    shoulder = Shoulder.objects.get(naan__naan=NAAN, prefix=PREFIX)
    skip = len(f"ark:{NAAN}/") + 1
    with connection.cursor() as cursor, path.open("wb") as out:
        sql = (
            f"COPY (SELECT substr(key, {skip}), target FROM arks_ark"  # noqa: S608
            f" WHERE shoulder_id = {int(shoulder.pk)} AND state = 'public' ORDER BY id) TO STDOUT"
        )
        with cursor.cursor.copy(sql) as copy:
            for data in copy:
                out.write(data)
    connection.close()
    with path.open(encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in f]  # type: ignore[misc]


# --- servers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workers:
    worker_class: str
    workers: int
    threads: int
    from_config: bool = False  # the settings of gunicorn.conf.py, not given on the command line

    def __str__(self) -> str:
        threads = f" --threads {self.threads}" if self.worker_class == "gthread" else ""
        where = " (gunicorn.conf.py)" if self.from_config else ""
        return f"--worker-class {self.worker_class} --workers {self.workers}{threads}{where}"

    def args(self) -> list[str]:
        if self.from_config:
            return []
        return [
            "--worker-class",
            self.worker_class,
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads if self.worker_class == "gthread" else 1),
        ]

    @property
    def connections(self) -> str:
        if self.worker_class == "sync":
            return "sync workers close every connection after its response"
        return f"keep-alive {keep_alive()} s"


def configured_workers() -> Workers:
    """What gunicorn.conf.py sets (in this environment: WEB_CONCURRENCY counts)."""
    conf = runpy.run_path(str(GUNICORN_CONF))
    cls = conf.get("worker_class", "sync")
    return Workers(cls, int(conf.get("workers", 1)), int(conf.get("threads", 1)), True)


def keep_alive() -> float:
    return float(runpy.run_path(str(GUNICORN_CONF)).get("keepalive", 2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master on a free loopback port, in its own process group, always stopped."""

    def __init__(self, name: str, module: str, env: dict[str, str], workers: Workers, log: Path):
        self.name, self.port, self.log = name, free_port(), log
        cmd = [
            GUNICORN,
            module,
            "--config",
            str(GUNICORN_CONF),
            *workers.args(),
            # What only a benchmark wants; everything else comes from gunicorn.conf.py.
            "--bind",
            f"{HOST}:{self.port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "--no-control-socket",
        ]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def worker_pids(self) -> list[int]:
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in kids.read_text().split()]
        return []

    def wait_ready(self, path: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name}: gunicorn exited ({self.proc.returncode})\n" + self.log_tail()
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                get(self.port, path, timeout=2)
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not answering after {timeout:.0f} s\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: the gunicorn group
                self.proc.wait(timeout=10)


@contextlib.contextmanager
def serving(
    name: str, module: str, env: dict[str, str], workers: Workers, log: Path, ready_path: str
) -> Iterator[Server]:
    server = Server(name, module, env, workers, log)
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()


def get(port: int, path: str, timeout: float = 5) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Location")
    finally:
        conn.close()


def verify(port: int, checks: list[tuple[str, str]]) -> list[str]:
    """Resolve each (name, target) once; return what went wrong (empty when all redirect right)."""
    problems = []
    for name, target in checks:
        status, location = get(port, f"/ark:{NAAN}/{name}")
        if status != 302 or location != target:
            problems.append(
                f"/ark:{NAAN}/{name}: {status} Location={location!r}, "
                f"expected 302 Location={target!r}"
            )
    return problems


# --- CPU time: the figure that other processes' noise does not move much -------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (those that still exist)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return out


def db_session_pids(database: str) -> list[int]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = %s AND backend_type = 'client backend'",
            [database],
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


# --- load: wrk --------------------------------------------------------------------------------

WRK_LUA = r"""
-- Random ARKs from a file of paths; counts every status; prints one parseable line.
local paths, threads, counter = {}, {}, 0
status = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(tonumber(args[2]) + id * 7919)
  for _ = 1, 10 do math.random() end
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end

function response(code, headers, body)
  status[code] = (status[code] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("status")) do codes[code] = (codes[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(codes) do parts[#parts + 1] = code .. "=" .. n end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f"
    .. " connect=%d read=%d write=%d timeout=%d status=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ",")))
end
"""


@dataclass
class Result:
    app: str
    connections: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: dict[str, int] = field(default_factory=dict)
    db_xacts: float = 0.0  # database transactions (statements, in autocommit) per request
    note: str = ""
    median_rate: float = 0.0  # set on the summary of several rounds
    app_cpu_ms: float = 0.0  # CPU time of the gunicorn workers per request
    db_cpu_ms: float = 0.0  # CPU time of the app's PostgreSQL sessions per request

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __post_init__(self) -> None:
        self.median_rate = self.median_rate or self.rate

    @property
    def bad(self) -> int:
        """Answers that were not 302: for a known ARK, each one is an error."""
        return sum(n for code, n in self.statuses.items() if code != 302)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: installing Debian's package (apt-get install -y wrk)")
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            subprocess.run(install, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    return found


def run_wrk(
    wrk: str,
    lua: Path,
    paths: Path,
    port: int,
    *,
    connections: int,
    threads: int,
    seconds: float,
    app: str,
    seed: int,
) -> Result:
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(lua),
        f"http://{HOST}:{port}/",
        "--",
        str(paths),
        str(seed),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    values = dict(kv.split("=", 1) for kv in line.split()[1:])
    statuses = Counter(
        {int(c): int(n) for c, n in (kv.split("=") for kv in values["status"].split(",") if kv)}
    )
    return Result(
        app=app,
        connections=connections,
        requests=int(values["requests"]),
        seconds=int(values["duration_us"]) / 1e6,
        p50_ms=int(values["p50_us"]) / 1e3,
        p90_ms=int(values["p90_us"]) / 1e3,
        p99_ms=int(values["p99_us"]) / 1e3,
        max_ms=int(values["max_us"]) / 1e3,
        statuses=statuses,
        socket_errors={k: int(values[k]) for k in SOCKET_ERRORS},
    )


# --- profiling (optional) ---------------------------------------------------------------------


def py_spy() -> str | None:
    return shutil.which("py-spy") or next(
        (
            str(p)
            for p in (Path(PYTHON).with_name("py-spy"), Path.home() / ".local/bin/py-spy")
            if p.exists()
        ),
        None,
    )


def profile_service(
    server: Server, load: Callable[[], Result], out_dir: Path, top: int = 30
) -> int:
    """Sample the workers with py-spy (GIL holders only: where Python spends CPU) while ``load``
    runs; print the hottest functions; return how many requests the load sent."""
    spy = py_spy()
    if spy is None:
        say("profile: py-spy not found (pip install py-spy); skipped")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in server.worker_pids():
        raw = out_dir / f"py-spy-{pid}.txt"
        cmd = [
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "250",
            "--gil",
            "--nonblocking",
            "--output",
            str(raw),
            "--duration",
            "600",
        ]
        procs.append(
            (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), raw)
        )
    time.sleep(1)
    try:
        sent = load().requests
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGINT)
        for proc, _ in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for _, raw in procs:
        if not raw.exists():
            continue
        for line in raw.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = [_short(f) for f in stack.split(";")]
            total += n
            for f in set(frames):
                inclusive[f] += n
            own[frames[-1]] += n
    if not total:
        say("profile: no samples")
        return sent
    say(f"\nprofile of the service workers: py-spy --gil, {total} samples; raw stacks in {out_dir}")
    say(f"{'incl %':>7} {'self %':>7}  function")
    for f, n in inclusive.most_common(top):
        say(f"{100 * n / total:7.1f} {100 * own[f] / total:7.1f}  {f}")
    say("most self time:")
    for f, n in own.most_common(15):
        say(f"{100 * n / total:7.1f}  {f}")
    return sent


def _short(frame: str) -> str:
    frame = re.sub(r"/work/main/\.venv/lib/python3\.\d+/site-packages/", "", frame)
    frame = re.sub(r"/root/\.pyenv/versions/[^/]+/lib/python3\.\d+/", "", frame)
    return re.sub(r":\d+\)$", ")", frame.replace("/work/main/", ""))


# --- the run ----------------------------------------------------------------------------------


@dataclass
class App:
    name: str
    module: str
    env: dict[str, str]
    uses_db: bool


def measure(
    apps: list[App],
    workers: Workers,
    args: argparse.Namespace,
    files: dict[str, Path],
    checks: list[tuple[str, str]],
    *,
    duration: float,
    rounds: int,
    profile: bool = False,
) -> dict[str, list[Result]]:
    """Serve every app at once (idle servers cost nothing), check their answers, warm each up,
    then measure them in turn, ``rounds`` times over: alternating spreads the machine's noise
    over all apps instead of letting it land on one."""
    results: dict[str, list[Result]] = {app.name: [] for app in apps}
    xacts_before = db_transactions(args.database)
    db_requests = 0  # requests sent to apps that use the database
    with contextlib.ExitStack() as stack:
        servers = {}
        for app in apps:
            log = files["dir"] / f"{app.name}-gunicorn.log"
            ready = f"/ark:{NAAN}/{checks[0][0]}"
            servers[app.name] = stack.enter_context(
                serving(app.name, app.module, app.env, workers, log, ready)
            )
        live = []
        for app in apps:
            problems = verify(servers[app.name].port, checks)
            db_requests += (1 + len(checks)) * app.uses_db
            if problems:
                say(f"{app.name}: {len(problems)} of {len(checks)} checked ARKs did not redirect:")
                for p in problems[:5]:
                    say("  " + p)
                results[app.name].append(Result(app.name, args.connections, note="wrong answers"))
            else:
                live.append(app)

        def load(app: App, seconds: float, seed: int) -> Result:
            nonlocal db_requests
            workers_pids = servers[app.name].worker_pids()
            app_before = cpu_seconds(workers_pids)
            db_before = cpu_seconds(db_session_pids(args.database)) if app.uses_db else {}
            r = run_wrk(
                args.wrk, files["lua"], files["paths"], servers[app.name].port,
                connections=args.connections, threads=args.wrk_threads, seconds=seconds,
                app=app.name, seed=seed,
            )  # fmt: skip
            db_requests += r.requests * app.uses_db
            per_request = 1000 / max(r.requests, 1)
            r.app_cpu_ms = cpu_used(app_before, cpu_seconds(workers_pids)) * per_request
            if app.uses_db:
                db_after = cpu_seconds(db_session_pids(args.database))
                r.db_cpu_ms = cpu_used(db_before, db_after) * per_request
            return r

        for app in live:
            if args.warmup > 0:
                load(app, args.warmup, seed=1)
        for round_number in range(rounds):
            for app in live:
                results[app.name].append(load(app, duration, seed=args.seed + round_number))
        if profile:
            for app in live:
                if app.name == "service":
                    profile_service(
                        servers[app.name],
                        lambda app=app: load(app, duration, seed=args.seed - 1),
                        Path(args.profile_dir),
                    )
    for app in apps:  # what the servers logged (warning and above): errors would show here
        lines = (files["dir"] / f"{app.name}-gunicorn.log").read_text(errors="replace").splitlines()
        if lines:
            say(f"  {app.name}: gunicorn logged {len(lines)} line(s); the last ones:")
            for line in lines[-4:]:
                say(f"    {line[:160]}")
        (files["dir"] / f"{app.name}-gunicorn.log").unlink()
    # Stopped: the servers' database sessions have exited and flushed their statistics.
    per_request = (db_transactions(args.database) - xacts_before) / max(db_requests, 1)
    for app in apps:
        for r in results[app.name]:
            r.db_xacts = per_request if app.uses_db else 0.0
    return results


def median_result(runs: list[Result]) -> Result:
    """The median of each figure over the rounds (errors are summed, not medianed)."""
    good = [r for r in runs if not r.note]
    if not good:
        return runs[0]
    mid = statistics.median
    out = Result(
        app=good[0].app,
        connections=good[0].connections,
        requests=sum(r.requests for r in good),
        seconds=sum(r.seconds for r in good),
        p50_ms=mid(r.p50_ms for r in good),
        p90_ms=mid(r.p90_ms for r in good),
        p99_ms=mid(r.p99_ms for r in good),
        max_ms=max(r.max_ms for r in good),
        statuses=sum((r.statuses for r in good), Counter()),
        socket_errors={k: sum(r.socket_errors.get(k, 0) for r in good) for k in SOCKET_ERRORS},
        db_xacts=good[0].db_xacts,
        app_cpu_ms=mid(r.app_cpu_ms for r in good),
        db_cpu_ms=mid(r.db_cpu_ms for r in good),
    )
    out.median_rate = mid(r.rate for r in good)
    return out


def report(
    results: dict[str, list[Result]], workers: Workers, args: argparse.Namespace
) -> dict[str, Result]:
    rounds = max(len(v) for v in results.values())
    say(
        f"\ngunicorn {workers} ({workers.connections}; no access log); wrk -t{args.wrk_threads} "
        f"-c{args.connections}, {args.duration:g} s per run after {args.warmup:g} s warm-up, "
        f"{rounds} round(s) alternating the apps; random ARKs out of {args.sample_used:,} "
        f"sampled from {args.count:,}; load average now {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if rounds > 1:
        say("per round, req/s: " + "; ".join(
            f"{name} " + " ".join(f"{r.rate:,.0f}" for r in runs if not r.note)
            for name, runs in results.items()
        ))  # fmt: skip
    head = "median " if rounds > 1 else ""
    say(
        f"{'app':<10}{'conns':>6}{head + 'req/s':>14}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'requests':>10}{'non-302':>9}{'sock err':>9}{'db xact/req':>12}"
        f"{'CPU ms/req: app':>17}{'db':>6}"
    )
    summary = {name: median_result(runs) for name, runs in results.items()}
    for r in summary.values():
        if r.note:
            say(f"{r.app:<10}{r.connections:>6}  not measured: {r.note}")
            continue
        say(
            f"{r.app:<10}{r.connections:>6}{r.median_rate:>14,.0f}{r.p50_ms:>8.2f}{r.p90_ms:>8.2f}"
            f"{r.p99_ms:>8.2f}{r.max_ms:>8.1f}{r.requests:>10,}{r.bad:>9,}"
            f"{sum(r.socket_errors.values()):>9,}"
            + (f"{r.db_xacts:>12.2f}" if r.db_xacts else f"{'-':>12}")
            + f"{r.app_cpu_ms:>17.3f}"
            + (f"{r.db_cpu_ms:>6.3f}" if r.db_cpu_ms else f"{'-':>6}")
        )
    for r in summary.values():
        others = {c: n for c, n in r.statuses.items() if c != 302}
        if others:
            say(f"  {r.app}: answers other than 302 (errors): {dict(sorted(others.items()))}")
        if any(r.socket_errors.values()):
            say(f"  {r.app}: socket errors: {r.socket_errors}")
    c, s = summary.get("ceiling"), summary.get("service")
    if c and s and not c.note and not s.note and c.median_rate:
        pairs = [
            f"{sr.rate / cr.rate:.2f}"
            for cr, sr in zip(results["ceiling"], results["service"], strict=False)
            if cr.rate and not sr.note
        ]
        say(
            f"ratio service/ceiling: {s.median_rate / c.median_rate:.2f} req/s"
            + (f" (per round: {' '.join(pairs)})" if rounds > 1 else "")
            + f"; goal >= 0.50. p99: service {s.p99_ms:.1f} ms, ceiling {c.p99_ms:.1f} ms; "
            f"goal < 20 ms at 32 connections"
        )
        if c.app_cpu_ms:
            total = s.app_cpu_ms + s.db_cpu_ms
            say(
                f"CPU per request (steadier than req/s on a busy machine): service "
                f"{total:.3f} ms ({s.app_cpu_ms:.3f} gunicorn + {s.db_cpu_ms:.3f} PostgreSQL), "
                f"ceiling {c.app_cpu_ms:.3f} ms: ceiling/service {c.app_cpu_ms / total:.2f}"
            )
    return summary


def sweep(
    apps: list[App], args: argparse.Namespace, files: dict[str, Path], checks: list[tuple[str, str]]
) -> Workers:
    say(f"\nsweep of worker settings ({args.sweep_rounds} x {args.sweep_duration:g} s per app):")
    say(f"{'setting':<48}{'ceiling req/s':>14}{'p99':>7}{'service req/s':>14}{'p99':>7}")
    best, best_rate = None, -1.0
    for cls, w, t in SWEEP:
        workers = Workers(cls, w, t)
        runs = measure(
            apps, workers, args, files, checks,
            duration=args.sweep_duration, rounds=args.sweep_rounds,
        )  # fmt: skip
        row = {name: median_result(r) for name, r in runs.items()}
        cells = ""
        for name in ("ceiling", "service"):
            r = row.get(name)
            ok = r is not None and not r.note
            cells += f"{r.median_rate:>14,.0f}{r.p99_ms:>7.1f}" if ok else f"{'-':>21}"
        say(f"{workers!s:<48}{cells}")
        pick = row.get("service") or row.get("ceiling")
        rate = pick.median_rate if pick and not pick.note and not pick.bad else 0.0
        if rate > best_rate:
            best, best_rate = workers, rate
    assert best is not None
    say(f"best (fastest service; the ceiling when no service): {best}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="ARKs in the database")
    parser.add_argument("--sample", type=int, default=100_000, help="distinct ARKs requested")
    parser.add_argument("--duration", type=float, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before")
    parser.add_argument("--rounds", type=int, default=3, help="runs per app, alternating apps")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"],
                        help="instead of gunicorn.conf.py's, for both apps")  # fmt: skip
    parser.add_argument("--workers", type=int, help="instead of gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="per worker, gthread only")
    parser.add_argument("--sweep", action="store_true", help="pick the worker setting first")
    parser.add_argument("--sweep-duration", type=float, default=5)
    parser.add_argument("--sweep-rounds", type=int, default=2)
    parser.add_argument("--apps", default="ceiling,service", help="which apps, in order")
    parser.add_argument(
        "--service-app", default="pidsvc.wsgi", help="the service's WSGI module (to try a variant)"
    )
    parser.add_argument("--reseed", action="store_true", help="drop and reseed the database")
    parser.add_argument("--seed-with-mint", action="store_true",
                        help="seed through services.mint (slow) instead of COPY")  # fmt: skip
    parser.add_argument("--database", default=None, help="default pidsvc_bench_resolve[_smoke]")
    parser.add_argument("--profile", action="store_true", help="py-spy the service afterwards")
    parser.add_argument("--profile-dir", default=None, help="where py-spy's stacks go (kept)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the requests")
    parser.add_argument("--smoke", action="store_true", help="10,000 ARKs, 3 s runs, 1 round")
    args = parser.parse_args()
    if args.smoke:
        args.count, args.sample = min(args.count, 10_000), min(args.sample, 10_000)
        args.duration, args.warmup, args.rounds = 3, 1, 1
        args.sweep_duration, args.sweep_rounds = 2, 1
    database = args.database or (
        "pidsvc_bench_resolve_smoke" if args.smoke else "pidsvc_bench_resolve"
    )
    args.database = database
    if args.profile and not args.profile_dir:
        args.profile_dir = tempfile.mkdtemp(prefix="bench-resolve-profile-")
    args.wrk = ensure_wrk()
    # Ctrl-C and SIGTERM unwind through the finally blocks that stop the servers (SIGINT even
    # when a non-interactive shell started us with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as tmp:
        work = Path(tmp)
        db_url = prepare_database(
            database, args.count, reseed=args.reseed, use_mint=args.seed_with_mint,
            var_dir=work / "var",
        )  # fmt: skip
        vacuum_counts(database)
        names = export_names(work / "names.tsv")
        rng = random.Random(args.seed)
        sample = rng.sample(names, min(args.sample, len(names)))
        args.sample_used = len(sample)
        paths = work / "paths.txt"
        paths.write_text("".join(f"/ark:{NAAN}/{name}\n" for name, _ in sample))
        lua = work / "resolve.lua"
        lua.write_text(WRK_LUA)
        files = {"dir": work, "paths": paths, "lua": lua}
        checks = [names[0], names[-1], *rng.sample(sample, min(18, len(sample)))]
        base = service_env(db_url, work / "var")
        (work / "var" / "static").mkdir(parents=True, exist_ok=True)  # WhiteNoise's STATIC_ROOT
        known = {
            "ceiling": App(
                "ceiling", "bench.ceiling:app",
                {**base, "BENCH_CEILING_NAMES": str(work / "names.tsv")}, uses_db=False,
            ),
            "service": App("service", args.service_app, base, uses_db=True),
        }  # fmt: skip
        apps = [known[a.strip()] for a in args.apps.split(",") if a.strip()]
        say(
            f"database {database}: {len(names):,} ARKs; requests: {len(sample):,} of them at "
            f"random; wrk {args.wrk}"
        )
        workers = configured_workers()
        if args.worker_class or args.workers or args.threads:
            workers = Workers(
                args.worker_class or workers.worker_class,
                args.workers or workers.workers,
                args.threads or workers.threads,
            )
        if args.sweep:
            workers = sweep(apps, args, files, checks)
        say(f"measuring {', '.join(a.name for a in apps)} with gunicorn {workers} ...")
        results = measure(
            apps, workers, args, files, checks,
            duration=args.duration, rounds=args.rounds, profile=args.profile,
        )  # fmt: skip
        summary = report(results, workers, args)
        if any(r.note or r.bad or any(r.socket_errors.values()) for r in summary.values()):
            sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped")
