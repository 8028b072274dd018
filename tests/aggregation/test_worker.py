"""A harvest through a real Celery worker over the configured broker (the file broker locally,
Redis in CI), against the loopback OAI-PMH server."""

from __future__ import annotations

import os
import socket
import time

import pytest

from aggregation import services
from aggregation.models import HarvestRun, Membership, Record
from aggregation.tasks import harvest_run
from tests import support
from tests.aggregation import factories, identity_support
from tests.oaipmh_server import Reply


@pytest.fixture
def worker_queue():
    with support.celery_worker(
        PIDSVC_HARVEST_BACKOFF_SECONDS="0", PIDSVC_HARVEST_ATTEMPTS="3"
    ) as queue:
        yield queue


@pytest.fixture
def works_shoulder():
    return identity_support.works_shoulder()


def wait_for(run: HarvestRun, statuses: set[str], seconds: float = 90) -> HarvestRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run.pk} is still {run.status} after {seconds} s: {run.errors}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_harvests_through_the_broker(worker_queue, oai_server, works_shoulder):
    pages = factories.dspace_server(oai_server, per_page=20)
    # the first answer to page 2 is a 503: the worker retries it after Retry-After
    busy = Reply(b"", status=503, headers={"Retry-After": "1"})
    oai_server.route([busy, Reply(pages[1])], verb="ListRecords", resumptionToken="page2")
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=True, actor="test:worker")
    harvest_run.apply_async(args=[run.pk], queue=worker_queue)
    run = wait_for(run, {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.FAILED})
    assert run.status == HarvestRun.Status.SUCCEEDED, run.errors
    assert (run.records_new, run.pages) == (58, 3)
    assert [e["code"] for e in run.errors] == ["retry"]
    assert Record.objects.filter(source=source).count() == 58
    # The next stage (dedup and identity) runs on the worker after the harvest: every record
    # gets a Work, and every Work a public ARK.
    deadline = time.monotonic() + 60
    members = Membership.objects.filter(raw__source=source, pending=False, work__isnull=False)
    while members.count() < 58 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert members.count() == 58
    arks = {m.work.ark for m in members.select_related("work__ark")}
    assert arks and all(a.state == "public" and a.target.startswith("http") for a in arks)
    # The run names the worker process that ran it, and what the next stage did.
    run.refresh_from_db()
    assert run.owner_host == socket.gethostname()
    assert run.owner_pid not in (None, os.getpid())
    while run.next_stage.get("state") != "done" and time.monotonic() < deadline:
        time.sleep(0.3)
        run.refresh_from_db()
    assert run.next_stage["report"]["new_works"] > 0, run.next_stage


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_harvests_once(worker_queue, oai_server):
    factories.dspace_server(oai_server, per_page=58)
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="t")
    harvest_run.apply_async(args=[run.pk], queue=worker_queue)
    harvest_run.apply_async(args=[run.pk], queue=worker_queue)  # redelivered (acks_late)
    run = wait_for(run, {HarvestRun.Status.SUCCEEDED, HarvestRun.Status.FAILED})
    time.sleep(2)  # let the second delivery run too
    assert len(oai_server.asked(verb="ListRecords")) == 1
    run.refresh_from_db()
    assert (run.status, run.records_new) == (HarvestRun.Status.SUCCEEDED, 58)
