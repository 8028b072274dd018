"""A real Celery worker, over the configured broker, runs the identifier layer's tasks.

With no CELERY_BROKER_URL this is the file-based broker that `make run` uses; in CI it is Redis.
"""

from __future__ import annotations

import time

import pytest

from arks.models import Ark
from arks.tasks import mint_arks
from tests import factories, support


@pytest.fixture
def worker_queue():
    with support.celery_worker() as queue:
        yield queue


@pytest.mark.django_db(transaction=True)
def test_worker_mints_through_the_broker(worker_queue):
    shoulder = factories.shoulder("w4")
    mint_arks.apply_async(
        args=[shoulder.pk, 5, "test:worker", "https://example.org/w"], queue=worker_queue
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and Ark.objects.filter(shoulder=shoulder).count() < 5:
        time.sleep(0.3)
    arks = list(Ark.objects.filter(shoulder=shoulder))
    assert len(arks) == 5, "the worker did not run the task in time"
    assert {(a.state, a.target) for a in arks} == {("public", "https://example.org/w")}
    assert {e.actor for a in arks for e in a.events.all()} == {"test:worker"}
