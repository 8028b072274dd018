"""A real Celery worker, over a real broker, runs the identifier layer's tasks.

With no CELERY_BROKER_URL the configured broker is the file-based one that `make run` uses; in CI
it is Redis. The same task also travels over RabbitMQ when ``PIDSVC_RABBITMQ_URL`` names one (CI
requires it, so there it never skips).
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from arks.models import Ark
from pidsvc.celery import app
from tests import factories, support
from tests.conftest import required_services


def _broker_url(which: str) -> str:
    if which == "configured":
        return settings.CELERY_BROKER_URL
    url = support.rabbitmq_url()
    if not url:
        if "rabbitmq" in required_services():
            pytest.fail("RabbitMQ is required but PIDSVC_RABBITMQ_URL is not set")
        pytest.skip("PIDSVC_RABBITMQ_URL is not set; CI runs this over RabbitMQ")
    return url


@pytest.mark.parametrize("which", ["configured", "rabbitmq"])
@pytest.mark.django_db(transaction=True)
def test_worker_mints_through_the_broker(which):
    url = _broker_url(which)
    shoulder = factories.shoulder("w4")
    with support.celery_worker(CELERY_BROKER_URL=url) as queue:
        with app.connection_for_write(url) as conn:
            app.send_task(
                "arks.tasks.mint_arks",
                args=[shoulder.pk, 5, "test:worker", "https://example.org/w"],
                queue=queue,
                connection=conn,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Ark.objects.filter(shoulder=shoulder).count() < 5:
            time.sleep(0.3)
    arks = list(Ark.objects.filter(shoulder=shoulder))
    assert len(arks) == 5, f"the worker on {url} did not run the task in time"
    assert {(a.state, a.target) for a in arks} == {("public", "https://example.org/w")}
    assert {e.actor for a in arks for e in a.events.all()} == {"test:worker"}
