"""Rates per key (``PIDSVC_API_RATES``): 429 with Retry-After beyond them, one key never
spending another's allowance, reads and writes counted apart."""

from __future__ import annotations

import pytest

from arks.api.throttling import parse_rate
from arks.models import Ark
from pidsvc.clients import client_address


@pytest.fixture
def low_rates(settings):
    settings.PIDSVC_API_RATES = {"read": "5/min", "write": "3/min", "anonymous": "4/min"}


def test_writes_beyond_the_rate_are_refused_with_retry_after(world, low_rates):
    assert [world.a.api.mint().status for _ in range(3)] == [201] * 3
    answer = world.a.api.mint()
    assert answer.status == 429
    assert answer.error["code"] == "throttled"
    assert answer.error["field"] == "Authorization"
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert Ark.objects.count() == 3


def test_one_keys_rate_does_not_limit_another(world, low_rates):
    for _ in range(4):
        world.a.api.mint()
    assert world.a.api.mint().status == 429
    assert world.b.api.mint("ark:99999/fk5").status == 201


def test_reads_and_writes_are_counted_apart(world, low_rates):
    for _ in range(3):
        world.a.api.mint()
    assert world.a.api.mint().status == 429
    assert [world.a.api.get("shoulders").status for _ in range(5)] == [200] * 5
    assert world.a.api.get("shoulders").status == 429


def test_requests_without_a_key_are_counted_per_address(world, low_rates):
    assert [world.anonymous.get("naans").status for _ in range(4)] == [200] * 4
    assert world.anonymous.get("naans").status == 429
    other = world.anonymous.get("naans", headers={}, key=None)
    assert other.status == 429
    from_elsewhere = world.anonymous.client.get("/api/v1/naans", REMOTE_ADDR="192.0.2.7")
    assert from_elsewhere.status_code == 200


def test_a_forwarded_for_header_does_not_escape_the_anonymous_limit(world, low_rates):
    """By default (no proxy in front) X-Forwarded-For is the client's own text: ignored."""
    naans = "/api/v1/naans"
    statuses = [
        world.anonymous.client.get(naans, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(8)
    ]
    assert statuses == [200] * 4 + [429] * 4


def test_behind_one_proxy_the_address_it_appended_is_counted(world, low_rates, settings):
    settings.PIDSVC_NUM_PROXIES = 1
    client = world.anonymous.client

    def status(forwarded: str) -> int:
        return client.get("/api/v1/naans", HTTP_X_FORWARDED_FOR=forwarded).status_code

    # The client's own entries vary; the proxy's (the last) stays: one counter.
    assert [status(f"10.0.0.{n}, 203.0.113.9") for n in range(5)] == [200] * 4 + [429]
    assert status("203.0.113.10") == 200  # another client behind the same proxy
    assert status("203.0.113.9") == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, None, "192.0.2.1"),
        (0, "203.0.113.9", "192.0.2.1"),
        (1, None, "192.0.2.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1, 203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1,203.0.113.9 ", "203.0.113.9"),
        (2, "10.0.0.1, 203.0.113.9, 198.51.100.2", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1, ", "192.0.2.1"),
    ],
)
def test_the_client_address_is_read_by_the_number_of_proxies(settings, proxies, forwarded, address):
    settings.PIDSVC_NUM_PROXIES = proxies
    meta = {"REMOTE_ADDR": "192.0.2.1"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(meta) == address


def test_the_window_reopens(world, low_rates, monkeypatch):
    import time

    now = [1_000_020.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    for _ in range(3):
        world.a.api.mint()
    assert world.a.api.mint().status == 429
    now[0] += 60
    assert world.a.api.mint().status == 201


def test_counters_of_past_windows_are_purged(world, low_rates, monkeypatch):
    import time

    from arks.api import rate_counters
    from arks.models import RateCounter

    world.a.api.mint()
    world.a.api.get("shoulders")
    assert RateCounter.objects.count() == 2
    assert rate_counters.purge_expired() == 0  # their windows are still open
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert rate_counters.purge_expired() == 2
    assert not RateCounter.objects.exists()


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("600/min", (600, 60)), ("10/s", (10, 1)), ("5/hour", (5, 3600)), ("1/day", (1, 86400))],
)
def test_rates_are_read_as_count_per_period(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "task", ["arks.tasks.purge_rate_counters", "arks.tasks.purge_idempotency_records"]
)
def test_the_purges_are_scheduled_hourly(task):
    from django_celery_beat.models import PeriodicTask

    scheduled = PeriodicTask.objects.get(task=task)
    assert scheduled.enabled
    assert (scheduled.interval.every, scheduled.interval.period) == (1, "hours")


@pytest.mark.django_db
def test_the_counters_skip_the_write_ahead_log_on_postgresql(postgresql_only):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'arks_ratecounter'")
        assert cursor.fetchone() == ("u",)
