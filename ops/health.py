"""Readiness checks: can this process reach the database, the broker and the cache right now?

Each check runs in its own thread under one shared deadline, so a dependency that hangs (a
firewall dropping packets, a broker stuck in a handshake) makes the answer late by at most the
deadline, never longer, and the other checks still say what they found. A check's thread that
outlives the deadline is left to finish on its own: it holds nothing but its own connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from kombu import Connection


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    ok: bool
    detail: str  # "ok", or what went wrong
    seconds: float


def check_database() -> None:
    # Runs in its own thread, so on its own connection, which it closes again.
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_broker(timeout: float) -> None:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options={**options, "socket_timeout": timeout, "max_retries": 0},
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=timeout)


def check_cache() -> None:
    key = f"pidsvc:health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise RuntimeError("a value written to the cache could not be read back")


def readiness(timeout: float) -> list[Result]:
    """Every check's result, in a fixed order, within about ``timeout`` seconds."""
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "broker": lambda: check_broker(timeout),
        "cache": check_cache,
    }
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="pidsvc-health")
    try:
        futures = {name: pool.submit(_timed, check) for name, check in checks.items()}
        wait(futures.values(), timeout=timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for name, future in futures.items():
        if not future.done():
            elapsed = time.monotonic() - started
            results.append(Result(name, False, f"no answer within {timeout:g} s", elapsed))
            continue
        error, seconds = future.result()
        results.append(Result(name, error is None, error or "ok", seconds))
    return results


def _timed(check: Callable[[], None]) -> tuple[str | None, float]:
    started = time.monotonic()
    try:
        check()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:500], time.monotonic() - started
    return None, time.monotonic() - started
