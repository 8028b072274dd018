"""The flusher thread's database connection: kept from one flush to the next, as a request's is,
and closed when the thread ends (``transaction=True``: the thread has its own connection)."""

from __future__ import annotations

import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from arks import services, stats
from tests import factories


@pytest.fixture(autouse=True)
def quiet_flusher(settings):
    settings.PIDSVC_STATS_FLUSH_SECONDS = 3600  # only wake() starts a flush
    stats.reset()
    yield
    stats.reset()


def flush_in_thread(ark_id: int) -> None:
    stats.record(ark_id)
    stats._state.wake.set()
    deadline = time.monotonic() + 5
    while stats.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stats.pending() == {}, "the flusher did not flush in 5 s"


@pytest.mark.django_db(transaction=True)
def test_the_flusher_keeps_its_connection_and_closes_it_when_it_stops(monkeypatch):
    shoulder = factories.shoulder("fk4")
    data = services.ArkData(target="https://example.org/", state="public")
    (ark,) = services.mint(shoulder=shoulder, actor="test", data=data)
    used = []
    flush = stats._flush

    def remember_the_connection(state):
        try:
            return flush(state)
        finally:
            wrapper = connections[DEFAULT_DB_ALIAS]  # the flusher thread's own
            used.append((wrapper, wrapper.connection))

    monkeypatch.setattr(stats, "_flush", remember_the_connection)
    flush_in_thread(ark.pk)
    flush_in_thread(ark.pk)
    (wrapper, first), (_, second) = used
    assert first is not None and first is second
    assert wrapper.connection is first
    stats.reset()  # stops the thread
    assert wrapper.connection is None
    assert stats.totals([ark.pk]) == {ark.pk: 2}
