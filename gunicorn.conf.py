"""gunicorn's settings for pidsvc, read by ``gunicorn pidsvc.wsgi`` from the working directory
(the repository root; ``/app`` in the image). Options given on the command line win.

Sync workers, one per CPU plus one (``WEB_CONCURRENCY`` sets another count). A plain redirect
costs a fraction of a millisecond of CPU and one short round trip to PostgreSQL, so each worker
answers one request after another, and the spare worker keeps the CPUs busy while another waits
for the database. ``bench/resolve.py`` measures the service, and its ceiling, with exactly these
settings. On its 2-CPU machine, which also runs PostgreSQL and the load generator, more sync
workers were slower, and threaded workers with keep-alive answered more requests per second but
gave the service a p99 two to three times longer.

Sync workers close the connection after each response: put them behind a reverse proxy that
buffers requests and responses (nginx, a load balancer), as gunicorn recommends, so that slow
clients never hold a worker. With the database on another machine each request waits longer
for it; try ``WEB_CONCURRENCY`` at twice the CPUs plus one.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Before any worker starts, a missing or malformed variable stops gunicorn with one line naming it
# (a worker that cannot load the settings prints a traceback, and gunicorn exits "failed to
# boot"). The check runs in a fresh interpreter: the master imports nothing of the application,
# so that the workers `--reload` starts load all of it anew.
_check = subprocess.run(
    [sys.executable, "-c", "from pidsvc.startup import settings_or_exit; settings_or_exit()"],
    cwd=Path(__file__).resolve().parent,
    timeout=120,
    check=False,
)
if _check.returncode:
    sys.exit(_check.returncode)

# Where `make run` serves, and what PIDSVC_PUBLIC_URL defaults to; `--bind` on the command line
# wins (without either, gunicorn's own default, 127.0.0.1:8000).
if os.environ.get("PIDSVC_BIND"):
    bind = [os.environ["PIDSVC_BIND"]]
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)
timeout = 30
if os.environ.get("PIDSVC_LOG_FORMAT", "").strip().lower() == "json":
    logger_class = "ops.gunicorn_logs.JsonLogger"  # gunicorn's lines as JSON, like the app's

# Prometheus metrics (ops.metrics) from every worker: each writes its counters to files in
# PROMETHEUS_MULTIPROC_DIR, and a scrape, whichever worker answers it, sums them. The master
# sets the variable before it forks any worker; without one, it makes a directory of its own
# (removed at exit). Files an earlier server left would be summed in too, so they are removed
# at start; a dead worker's counters stay in the sums.
_made_metrics_dir: list[str] = []


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="pidsvc-metrics-")
        _made_metrics_dir.append(folder)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    for old in Path(folder).glob("*.db"):
        old.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # drops its live gauges, if any


def on_exit(server):
    for folder in _made_metrics_dir:
        shutil.rmtree(folder, ignore_errors=True)
