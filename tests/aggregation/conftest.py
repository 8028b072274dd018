"""Fixtures of the harvesting tests: a loopback OAI-PMH server, a sleep that does not sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oaipmh_server import OaiServer


class Sleeps:
    """Stands in for ``time.sleep``: records what the harvester would have waited."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def oai_server() -> Iterator[OaiServer]:
    with OaiServer() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def quick_http(settings):
    """Short timeouts and few attempts, so failing requests fail within a second or two."""
    settings.PIDSVC_HARVEST_CONNECT_TIMEOUT = 2
    settings.PIDSVC_HARVEST_READ_TIMEOUT = 1
    settings.PIDSVC_HARVEST_ATTEMPTS = 3
    settings.PIDSVC_HARVEST_BACKOFF_SECONDS = 2
    settings.PIDSVC_HARVEST_MAX_WAIT_SECONDS = 120
    return settings
