"""What the service logs for a 4xx, in a child process configured as the service is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests import live, support

# One request answered 404 and one 400 by the real middleware and views, in a process whose
# logging is configured from the service's settings, as a gunicorn worker's is.
REQUESTS = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
assert client.get("/no-such-page").status_code == 404
assert client.get("/ark:99999/%zz").status_code == 400
"""


def run(**env: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", REQUESTS],
        env=support.child_env(LOG_LEVEL="INFO", **env),
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", ["true", "false"])
def test_each_4xx_is_logged_once(debug: str) -> None:
    lines = run(DEBUG=debug)
    assert len([line for line in lines if "Not Found: /no-such-page" in line]) == 1, lines
    assert len([line for line in lines if "Bad Request: /ark:99999/%zz" in line]) == 1, lines


@pytest.mark.django_db(transaction=True)
def test_json_logs_are_one_object_a_line_with_the_request() -> None:
    lines = run(DEBUG="true", PIDSVC_LOG_FORMAT="json")
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records), records
    not_found = [r for r in records if r["message"] == "Not Found: /no-such-page"]
    assert len(not_found) == 1, records
    (record,) = not_found
    assert (record["level"], record["logger"]) == ("WARNING", "django.request")
    assert (record["method"], record["path"], record["status"]) == ("GET", "/no-such-page", 404)
    assert record["time"].endswith("+00:00")


def test_an_unknown_log_format_stops_the_service_naming_the_variable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=support.child_env(PIDSVC_LOG_FORMAT="xml"),
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "PIDSVC_LOG_FORMAT='xml' is not plain or json" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_logs_json_too(tmp_path) -> None:
    """A worker keeps the configured handlers instead of putting its own format in their place."""
    err = tmp_path / "worker.err"
    cmd = [sys.executable, "-m", "celery", "-A", "pidsvc", "worker", "--pool=solo",
           "--loglevel=INFO", "-Q", f"test-json-{os.getpid()}", "--without-gossip",
           "--without-mingle"]  # fmt: skip
    env = support.child_env(PIDSVC_LOG_FORMAT="json", LOG_LEVEL="INFO")
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            cmd, env=env, cwd=support.ROOT, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        for _ in range(600):  # until it says it is ready, at most a minute
            if b" ready." in err.read_bytes() or proc.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        support.stop(proc)
    lines = err.read_text().splitlines()
    # Celery's own lines look like "[2026-12-04 21:24:12,076: INFO/MainProcess] …".
    assert not [line for line in lines if re.match(r"\[\d{4}-\d\d-\d\d [\d:,]+: [A-Z]+/", line)]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(r["message"].endswith(" ready.") and r["level"] == "INFO" for r in records), lines


@pytest.mark.django_db(transaction=True)
def test_gunicorn_lines_are_json_too_and_its_access_log_names_the_request(tmp_path) -> None:
    port = live._free_port()
    base = f"http://127.0.0.1:{port}/"
    out = tmp_path / "gunicorn.log"
    cmd = [sys.executable, "-m", "gunicorn", "pidsvc.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", "1", "--access-logfile", "-", "--error-logfile", "-"]  # fmt: skip
    env = support.child_env(DEBUG="true", PIDSVC_LOG_FORMAT="json", LOG_LEVEL="INFO")
    with out.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=support.ROOT, stdout=log, stderr=log)
    try:
        for _ in range(300):  # until a worker answers, at most a minute
            if live._answers(f"{base}health") or proc.poll() is not None:
                break
            time.sleep(0.2)
        assert live._answers(f"{base}no-such-page")
    finally:
        support.stop(proc)
    lines = [line for line in out.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, gunicorn's own included
    assert any(r["logger"] == "gunicorn.error" for r in records)
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert ("GET", "/no-such-page", 404) in [(r["method"], r["path"], r["status"]) for r in access]
    warned = [r for r in records if r["logger"] == "django.request"]
    assert [(r["path"], r["status"]) for r in warned] == [("/no-such-page", 404)]
