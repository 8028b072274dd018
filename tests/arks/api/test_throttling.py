"""Rates per key (``PIDSVC_API_RATES``): 429 with Retry-After beyond them, one key never
spending another's allowance, reads and writes counted apart."""

from __future__ import annotations

import pytest

from arks.api.throttling import parse_rate
from arks.models import Ark


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


def test_the_window_reopens(world, low_rates, monkeypatch):
    import time

    now = [1_000_020.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    for _ in range(3):
        world.a.api.mint()
    assert world.a.api.mint().status == 429
    now[0] += 60
    assert world.a.api.mint().status == 201


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("600/min", (600, 60)), ("10/s", (10, 1)), ("5/hour", (5, 3600)), ("1/day", (1, 86400))],
)
def test_rates_are_read_as_count_per_period(rate, parsed):
    assert parse_rate(rate) == parsed
