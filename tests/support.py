"""Helpers for tests that start other processes (manage.py commands, Celery workers) against the
test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process that must see what this test wrote."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("SECRET_KEY", "test-suite-only-secret-key"),
        DJANGO_SETTINGS_MODULE="pidsvc.settings",
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update(extra)
    return env


def rabbitmq_url() -> str:
    """The RabbitMQ broker the worker tests also run over (``PIDSVC_RABBITMQ_URL``; CI sets it)."""
    return os.environ.get("PIDSVC_RABBITMQ_URL", "")


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def stop(proc: subprocess.Popen[Any]) -> None:
    """Ask a child process to stop, and kill it if it has not within 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def celery_worker(**env: str) -> Iterator[str]:
    """A real Celery worker on the configured broker and the test database, consuming a queue of
    its own (so that a developer's worker never takes the test's tasks); yields the queue name.
    Its output goes to the test's captured stderr."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, "-m", "celery", "-A", "pidsvc", "worker", "--pool=solo",
           "--loglevel=WARNING", "-Q", queue, "--without-gossip", "--without-mingle"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=child_env(**env), cwd=ROOT)
    try:
        yield queue
    finally:
        stop(proc)
