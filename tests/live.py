"""A live service for tests that talk HTTP to it: ``gunicorn pidsvc.wsgi`` in a child process on
the current test database, with DEBUG off and collected static files, as in production.

``live_service`` is its base URL (``http://127.0.0.1:PORT/``). It brings ``transactional_db``,
so what a test writes is committed and the service sees it; mark such tests
``@pytest.mark.django_db(transaction=True)`` to say so. One service runs per test session,
started when a test first asks for it (registered for the whole suite by ``tests/conftest.py``).

The API's rate limits are lifted in it: the clients are tests. ``gunicorn`` starts another
service with settings of its own (tests/arks/api/test_rate_limits_live.py: limits that hold
across workers).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import support


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def _answers(url: str) -> bool:
    """Whether a worker answers HTTP (any status): gunicorn's master listens before its workers
    have loaded Django, so an open port alone proves little."""
    try:
        with _NO_PROXY.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _log_tail(log: Path, limit: int = 6000) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text[-limit:] or "(nothing)"


class _Service:
    def __init__(self, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.proc, self.log = url, proc, log
        self.metrics_dir = log.parent / "metrics"
        self.test_started_at = 0  # offset in the log where the current test began

    def log_since_test_started(self, limit: int = 6000) -> str:
        with self.log.open("rb") as f:
            f.seek(self.test_started_at)
            text = f.read().decode(errors="replace")
        return text[-limit:] or "(nothing)"

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(
                f"the service at {self.url} died (exit {self.proc.returncode}); its output:\n"
                f"{_log_tail(self.log)}",
                pytrace=False,
            )


@contextmanager
def gunicorn(var_dir: Path, *, workers: int = 2, **env: str) -> Iterator[_Service]:
    """A gunicorn of pidsvc on the test database with ``workers`` workers and ``env`` over the
    defaults below, its files (static, cache, log) under ``var_dir``; stopped on leaving."""
    log = var_dir / "service.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = support.child_env(
        **{
            "DEBUG": "false",
            "SECRET_KEY": "live-tests-only-secret-key",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PIDSVC_PUBLIC_URL": url,
            # STATIC_ROOT is VAR_DIR/static; DATABASE_URL (from child_env) stays the test one.
            "PIDSVC_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING",
            # Where the workers keep their metrics (gunicorn.conf.py), for tests to look into.
            "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "metrics"),
            **env,
        }
    )
    collect = subprocess.run(
        support.manage("collectstatic", "--noinput", "-v", "0"),
        env=env,
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if collect.returncode != 0:
        pytest.fail(f"collectstatic failed:\n{collect.stdout}\n{collect.stderr}", pytrace=False)

    cmd = [sys.executable, "-m", "gunicorn", "pidsvc.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--access-logfile", "-", "--error-logfile", "-"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=support.ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    service = _Service(url, proc, log)
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}admin/login/"):
            service.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the service did not answer on {url} within 30 s; its output:\n"
                    f"{_log_tail(log)}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield service
    finally:
        support.stop(proc)


@pytest.fixture(scope="session")
def _service_process(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Service]:
    """One gunicorn for the session, started after the test database exists (so ``child_env``
    names it) and stopped before it is dropped."""
    var_dir = tmp_path_factory.mktemp("live-service-var")
    unlimited = "1000000/min"
    with gunicorn(
        var_dir, PIDSVC_API_RATE_READ=unlimited, PIDSVC_API_RATE_WRITE=unlimited
    ) as service:
        yield service


@pytest.fixture
def live_service(_service_process: _Service, transactional_db: None) -> Iterator[str]:
    """The base URL of the running service, ending in ``/``. Rows the test creates are committed
    (``transactional_db``), so the service sees them."""
    _service_process.check_alive()
    _service_process.test_started_at = _service_process.log.stat().st_size
    yield _service_process.url
    _service_process.check_alive()


@pytest.fixture
def live_metrics_dir(_service_process: _Service) -> Path:
    """The service's PROMETHEUS_MULTIPROC_DIR: one file per worker and kind of metric."""
    return _service_process.metrics_dir
