"""The Celery tasks, called in-process: thin, ids in, idempotent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from aggregation import services, tasks
from aggregation.models import HarvestRun
from tests.aggregation import factories
from tests.oaipmh_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)  # tasks are sent on commit


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.harvest_run, "delay", lambda run_id: calls.append(run_id))
    return calls


def test_a_sources_periodic_task_queues_a_harvest(sent, tmp_path):
    source = services.create_source(name="Nightly", url=str(tmp_path), schedule="0 2 * * *")
    task = PeriodicTask.objects.get(pk=source.schedule_id)
    run_id = tasks.harvest_source(*json.loads(task.args), **json.loads(task.kwargs))
    run = HarvestRun.objects.get(pk=run_id)
    assert (run.mode, run.status, run.actor) == ("incremental", "queued", "schedule")
    assert sent == [run.pk]
    assert tasks.harvest_source(source.pk) is None  # one in flight already: skipped


def test_a_paused_source_is_not_harvested_by_its_schedule(sent, tmp_path):
    source = services.create_source(name="Paused", url=str(tmp_path), schedule="0 2 * * *")
    services.update_source(source=source, active=False)
    assert not PeriodicTask.objects.get(pk=source.schedule_id).enabled
    assert tasks.harvest_source(source.pk) is None
    assert sent == []


def test_removing_a_schedule_removes_its_periodic_task(tmp_path):
    source = services.create_source(name="Once", url=str(tmp_path), schedule="0 2 * * *")
    services.update_source(source=source, schedule="")
    assert source.schedule is None
    assert not PeriodicTask.objects.filter(task="aggregation.tasks.harvest_source").exists()


def test_the_harvest_task_runs_a_run_and_is_idempotent(oai_server, monkeypatch):
    factories.dspace_server(oai_server)
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="t")
    chained = []
    monkeypatch.setattr(tasks.after_harvest, "apply_async", lambda **kw: chained.append(kw))
    assert tasks.harvest_run.apply(args=[run.pk]).get() == "succeeded"
    assert chained == [{"args": [run.pk], "queue": None}]
    assert tasks.harvest_run.apply(args=[run.pk]).get() == "succeeded"  # a redelivery
    assert len(oai_server.asked(verb="ListRecords")) == 3
    assert len(chained) == 2  # the next stage is idempotent too


def test_the_next_stage_hook_accepts_any_run_id():
    assert tasks.after_harvest(123456) is None


def test_the_sweeper_task_fails_stale_runs(tmp_path):
    source = services.create_source(name="Stale", url=str(tmp_path))
    run = services.start_run(source=source, full=False, actor="t")
    old = timezone.now() - timedelta(hours=3)
    HarvestRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=old)
    assert tasks.sweep_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == "failed"


def test_a_transient_failure_is_retried_by_celery_then_fails_the_run(oai_server, settings):
    settings.PIDSVC_HARVEST_ATTEMPTS = 1
    factories.dspace_server(oai_server)
    oai_server.route(Reply(b"", status=503), verb="ListRecords", resumptionToken="page2")
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="t")
    result = tasks.harvest_run.apply(args=[run.pk])  # eager: Celery's retries run inline
    assert result.get(propagate=False) == "failed"
    run.refresh_from_db()
    codes = [(e["code"], "note" in e) for e in run.errors]
    retries = tasks.harvest_run.max_retries
    assert codes == [("transient", True)] * retries + [("transient", False)]
    assert (run.status, run.pages, run.resumption_token) == ("failed", 1, "page2")
    assert len(oai_server.asked(resumptionToken="page2")) == retries + 1
    assert len(oai_server.asked(metadataPrefix="oai_dc")) == 1  # each retry resumed at page 2
