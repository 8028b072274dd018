"""The API's rate limit holds exactly under parallel clients, across the worker processes of a
real gunicorn: on the embedded default (counters in the database) and on Redis.

Django's cache ``incr`` (the file cache's read, then write) let parallel requests overwrite each
other's counts: with 900 parallel requests, 485 got past a limit of 300.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.live import gunicorn

LIMIT = 60
REQUESTS = 180
CLIENTS = 16
DAY = 86_400


def _redis_url() -> str | None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    return broker if broker.startswith("redis://") else None


def _get(url: str) -> tuple[int, dict[str, str], dict]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=60) as answer:
            return answer.status, dict(answer.headers), json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), json.load(refused)


def _burst(url: str) -> list[tuple[int, dict[str, str], dict]]:
    """REQUESTS anonymous requests from CLIENTS threads at once, all within one day's window
    (a burst that crossed midnight UTC, when a new window opens, is run again)."""
    while True:
        day = int(time.time() // DAY)
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(_get, [url] * REQUESTS))
        if int(time.time() // DAY) == day:
            return answers


def _forget_counters(url: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match="*pidsvc:throttle:*"):
        client.delete(key)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", ["embedded default", "redis"])
def test_exactly_the_limit_passes_under_parallel_clients(cache, tmp_path):
    env = {"PIDSVC_API_RATE_ANONYMOUS": f"{LIMIT}/day", "CACHE_URL": ""}
    if cache == "redis":
        url = _redis_url()
        if url is None:
            pytest.skip("needs CELERY_BROKER_URL=redis://… (CI sets it)")
        env["CACHE_URL"] = url
        _forget_counters(url)
    with gunicorn(tmp_path, workers=3, **env) as service:
        answers = _burst(f"{service.url}api/v1/naans")
    if cache == "redis":
        _forget_counters(env["CACHE_URL"])

    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == REQUESTS - LIMIT, statuses
    for status, headers, body in answers:
        if status == 429:
            assert 1 <= int(headers["Retry-After"]) <= DAY
            assert body["errors"][0]["code"] == "throttled"
