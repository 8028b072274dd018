"""The API's settings from the environment: rates and the shared cache, parsed strictly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import ROOT


def api_settings(**variables: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    code = (
        "import json, pidsvc.settings as s; "
        "print(json.dumps([s.PIDSVC_API_RATES, s.CACHES['default'], s.PIDSVC_IDEMPOTENCY_HOURS]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DEBUG": "true", "PIDSVC_VAR_DIR": "/srv/pidsvc", **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_share_counters_between_workers_without_a_server():
    proc = api_settings()
    assert proc.returncode == 0, proc.stderr
    rates, cache, hours = json.loads(proc.stdout)
    assert rates == {"read": "3000/min", "write": "600/min", "anonymous": "300/min"}
    assert cache == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "/srv/pidsvc/cache",
    }
    assert hours == 24


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("redis://redis.example.org:6379/1", "redis.RedisCache"),
        ("rediss://:secret@redis.example.org:6380/2", "redis.RedisCache"),
        ("file:///var/cache/pidsvc", "filebased.FileBasedCache"),
        ("locmem://", "locmem.LocMemCache"),
    ],
)
def test_the_cache_comes_from_cache_url(url, backend):
    proc = api_settings(CACHE_URL=url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[1]["BACKEND"] == f"django.core.cache.backends.{backend}"


@pytest.mark.parametrize("url", ["memcached://x:11211", "file://relative/path", "redis"])
def test_an_unusable_cache_url_stops_the_service(url):
    proc = api_settings(CACHE_URL=url)
    assert proc.returncode != 0
    assert "CACHE_URL" in proc.stderr


@pytest.mark.parametrize("rate", ["600", "600/fortnight", "0/min", "-5/min", "ten/min"])
def test_rates_are_parsed_strictly(rate):
    proc = api_settings(PIDSVC_API_RATE_WRITE=rate)
    assert proc.returncode != 0
    assert "PIDSVC_API_RATE_WRITE" in proc.stderr


def test_rates_come_from_the_environment():
    proc = api_settings(PIDSVC_API_RATE_READ="10/s", PIDSVC_API_RATE_WRITE="5000/hour")
    rates = json.loads(proc.stdout)[0]
    assert (rates["read"], rates["write"]) == ("10/s", "5000/hour")
