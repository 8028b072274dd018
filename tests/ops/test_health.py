"""/health (liveness) and /health/ready (database, broker, cache) against the real services."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections into its backlog and never says a word: a hung broker."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


def test_liveness_checks_nothing(client: Client, settings) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_against_the_real_database_broker_and_cache(client: Client) -> None:
    answer = client.get("/health/ready")
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "broker", "cache"}
    assert all(check["ok"] and check["detail"] == "ok" for check in body["checks"].values())


@pytest.mark.django_db
def test_a_refused_broker_is_503_naming_it_without_waiting_for_the_deadline(
    client: Client, settings, caplog
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.PIDSVC_HEALTH_TIMEOUT = 30
    with caplog.at_level(logging.INFO, logger="django"):
        answer = client.get("/health/ready")
    body = answer.json()
    assert answer.status_code == 503
    assert body["status"] == "fail" and body["failed"] == ["broker"]
    broker = body["checks"]["broker"]
    assert not broker["ok"]
    # The refusal itself is the answer, not the 30 s deadline running out.
    assert "refused" in broker["detail"].lower(), broker
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    # A failed readiness check is the load balancer's business, not a server error in the log.
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.django_db
def test_a_broker_that_never_answers_fails_at_the_deadline(
    client: Client, settings, silent_port: int
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    settings.PIDSVC_HEALTH_TIMEOUT = 1
    answer = client.get("/health/ready")
    body = answer.json()
    assert answer.status_code == 503
    assert body["failed"] == ["broker"]
    detail = body["checks"]["broker"]["detail"]
    # Whichever gives up first: the check's deadline, or the broker client's own socket timeout.
    assert "within 1 s" in detail or "time" in detail.lower(), detail


@pytest.mark.django_db
def test_a_cache_that_cannot_be_reached_is_named(client: Client, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["cache"]


@pytest.mark.django_db
def test_health_is_not_throttled(client: Client, settings) -> None:
    settings.PIDSVC_API_RATES = {"read": "1/min", "write": "1/min", "anonymous": "1/min"}
    cache.clear()
    for _ in range(3):
        assert client.get("/health/ready").status_code == 200
        assert client.get("/health").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_probes_by_address_and_over_plain_http_are_answered(
    client: Client, settings, path: str
) -> None:
    # A load balancer names the node by its address, and probes it over HTTP inside the network.
    settings.ALLOWED_HOSTS = ["ark.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path, HTTP_HOST="10.0.3.7:8000").status_code == 200
    # Everything else still goes through host validation and the HTTPS redirect.
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/", HTTP_HOST="ark.example.org").status_code == 301
