"""Test set-up shared by the whole suite.

``PIDSVC_REQUIRE_SERVICES`` (set by .ci/run) names the real services this run must use; when one
is missing the session stops at once with a message, rather than testing something else.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import support

# The live service (gunicorn on the test database) for every test directory that talks HTTP.
pytest_plugins = ("tests.live",)

hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("default")


def required_services() -> set[str]:
    return {s.strip() for s in os.environ.get("PIDSVC_REQUIRE_SERVICES", "").split(",") if s}


def _check_database() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"PostgreSQL is required but DATABASE_URL selects {engine}", returncode=3)


def _check_broker(url: str, variable: str) -> None:
    from kombu import Connection

    if not url or url.startswith(("filesystem://", "memory://")):
        pytest.exit(f"a broker server is required but {variable} is {url!r}", returncode=3)
    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.exit(f"the broker at {url} ({variable}) is unreachable: {exc}", returncode=3)


def pytest_sessionstart(session: pytest.Session) -> None:
    needed = required_services()
    if "postgresql" in needed:
        _check_database()
    if "broker" in needed:
        _check_broker(settings.CELERY_BROKER_URL, "CELERY_BROKER_URL")
    if "rabbitmq" in needed:
        _check_broker(support.rabbitmq_url(), "PIDSVC_RABBITMQ_URL")


@pytest.fixture
def postgresql_only() -> None:
    """For behaviour that only PostgreSQL has (triggers). CI requires PostgreSQL, so there this
    never skips; on the embedded SQLite default it does, saying why."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if "postgresql" in required_services():
            pytest.fail("this test needs PostgreSQL")
        pytest.skip("PostgreSQL-only behaviour; CI runs it on PostgreSQL")


@pytest.fixture(autouse=True)
def _no_resolution_counts_left_behind(settings):
    """Resolutions counted by one test are never written into another's data: the background
    flusher waits an hour, and whatever a test buffered is dropped when it ends."""
    from arks import stats

    settings.PIDSVC_STATS_FLUSH_SECONDS = 3600
    yield
    stats.reset()
