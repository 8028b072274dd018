"""Whole harvest runs over HTTP against the loopback OAI-PMH server, stored in the database."""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aggregation import harvest, ingest, oai, owner, services
from aggregation.errors import HarvestConflict, TransientHarvestError
from aggregation.formats import Product
from aggregation.models import HarvestRun, RawRecord, Record
from tests.aggregation import factories
from tests.oaipmh_server import (
    DSPACE_58,
    Q,
    Reply,
    fixture,
    identify,
    marked_deleted,
    page_with,
    paginate,
    records_of,
    without_metadata,
)

pytestmark = pytest.mark.django_db
Status = HarvestRun.Status
REAL = records_of(fixture(DSPACE_58))


def single_page(server, records, *, granularity="YYYY-MM-DD"):
    server.route(Reply(identify(granularity)), verb="Identify")
    server.route(Reply(page_with(fixture(DSPACE_58), records)), verb="ListRecords")


def table(model):
    return sorted(model.objects.values_list())


# --- a full harvest ---------------------------------------------------------------------------


def test_a_full_harvest_stores_every_record_and_its_product(oai_server, sleeps):
    factories.dspace_server(oai_server, per_page=20)
    source = factories.source(oai_server.url)
    run = factories.harvest(source, full=True, sleeps=sleeps)
    assert run.status == Status.SUCCEEDED, run.errors
    assert (run.records_new, run.records_updated, run.records_unchanged) == (58, 0, 0)
    assert (run.pages, run.complete_list_size, run.resumption_token) == (3, 58, "")
    assert run.response_date == datetime(2024, 6, 3, 19, 51, 7, tzinfo=UTC)
    assert RawRecord.objects.filter(source=source, deleted=False).count() == 58
    record = Record.objects.get(raw__oai_identifier="oai:dspace.mit.edu:1721.1/140717")
    assert record.title == "Doubles"
    assert "1721.1/140717" in record.pids
    assert Product.from_dict(record.product).title == "Doubles"
    assert "<dc:title>Doubles" in record.raw.xml
    source.refresh_from_db()
    assert (source.granularity, source.deleted_record) == ("YYYY-MM-DD", "persistent")


def test_harvesting_the_same_pages_again_changes_nothing(oai_server, sleeps):
    factories.dspace_server(oai_server)
    source = factories.source(oai_server.url)
    factories.harvest(source, full=True, sleeps=sleeps)
    before = (table(RawRecord), table(Record))
    again = factories.harvest(source, full=True, sleeps=sleeps)
    assert (again.records_new, again.records_updated, again.records_unchanged) == (0, 0, 58)
    raw_after = [row for row in table(RawRecord)]
    last_run = [f.name for f in RawRecord._meta.concrete_fields].index("last_run")
    strip = lambda rows: [row[:last_run] + row[last_run + 1 :] for row in rows]  # noqa: E731
    assert strip(raw_after) == strip(before[0])
    assert table(Record) == before[1]


def test_storing_a_page_twice_in_a_run_changes_nothing_not_even_counters(oai_server, sleeps):
    single_page(oai_server, REAL[:10])
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=True, actor="test")
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING)
    run.refresh_from_db()
    page = oai.HttpClient(oai_server.url, sleep=sleeps).list_records(prefix="oai_dc")
    harvest.store(run, page)
    snapshot = (table(RawRecord), table(Record), run.records_new, run.records_unchanged)
    harvest.store(run, page)
    assert (table(RawRecord), table(Record), run.records_new, run.records_unchanged) == snapshot
    assert run.pages == 2  # pages read, not records


def test_a_changed_record_is_updated_and_reparsed(oai_server, sleeps):
    single_page(oai_server, REAL[:3])
    source = factories.source(oai_server.url)
    factories.harvest(source, full=True, sleeps=sleeps)
    changed = page_with(fixture(DSPACE_58), REAL[:3]).replace(b"Doubles", b"Doubles, revised")
    oai_server.route(Reply(changed), verb="ListRecords")
    run = factories.harvest(source, sleeps=sleeps)
    assert (run.records_updated, run.records_unchanged) == (1, 2)
    assert Record.objects.get(raw__oai_identifier__endswith="/140717").title == "Doubles, revised"


# --- incremental windows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [("YYYY-MM-DD", "2024-06-03"), ("YYYY-MM-DDThh:mm:ssZ", "2024-06-03T19:51:07Z")],
)
def test_incremental_runs_ask_from_the_last_response_date(
    oai_server, sleeps, granularity, expected
):
    single_page(oai_server, REAL[:3], granularity=granularity)
    source = factories.source(oai_server.url, set_spec="com_1721.1_140587")
    factories.harvest(source, full=True, sleeps=sleeps)
    run = factories.harvest(source, sleeps=sleeps)
    assert run.status == Status.SUCCEEDED
    assert run.window_from == expected
    assert oai_server.asked(verb="ListRecords")[-1] == {
        "verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "com_1721.1_140587",
        "from": expected,
    }  # fmt: skip


def test_a_first_incremental_run_asks_for_everything(oai_server, sleeps):
    single_page(oai_server, REAL[:3])
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.window_from == "" and "from" not in oai_server.asked(verb="ListRecords")[0]


def test_no_records_match_is_an_empty_successful_harvest(oai_server, sleeps):
    oai_server.route(Reply(identify()), verb="Identify")
    body = fixture("dspace-mit/ListRecords_error_noRecordsMatch.xml")
    oai_server.route(Reply(body, status=422), verb="ListRecords")
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.status == Status.SUCCEEDED
    assert run.records_seen == 0 and run.pages == 1


# --- records that are not what they should be -------------------------------------------------


def test_a_record_without_metadata_is_counted_failed_and_the_run_goes_on(oai_server, sleeps):
    single_page(oai_server, [REAL[0], without_metadata(REAL[1]), REAL[2]])
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.status == Status.SUCCEEDED
    assert (run.records_new, run.records_failed) == (2, 1)
    broken = RawRecord.objects.get(oai_identifier__endswith="/140745")
    assert "no <metadata>" in broken.error and not broken.deleted
    assert not Record.objects.filter(raw=broken).exists()  # kept as harvested, not parsed
    assert any(e.get("identifier") == broken.oai_identifier for e in run.errors)


def test_a_record_listed_twice_on_a_page_is_stored_once_as_last_listed(oai_server, sleeps):
    changed = copy.deepcopy(REAL[0])
    changed.find(f"{Q}metadata").find(".//{http://purl.org/dc/elements/1.1/}title").text = "2nd"
    single_page(oai_server, [REAL[0], REAL[1], changed])
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.records_new == 2
    assert Record.objects.get(raw__oai_identifier__endswith="/140717").title == "2nd"


def test_a_record_without_header_or_identifier_is_counted_failed(oai_server, sleeps):
    headless = copy.deepcopy(REAL[1])
    headless.remove(headless.find(f"{Q}header"))
    single_page(oai_server, [REAL[0], headless])
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert (run.status, run.records_new, run.records_failed) == (Status.SUCCEEDED, 1, 1)
    assert run.errors[0]["code"] == "unreadable_record"


def test_a_run_keeps_its_first_errors_and_counts_the_rest(oai_server, sleeps):
    broken = []
    for n in range(harvest.MAX_ERRORS + 50):
        record = without_metadata(REAL[n % len(REAL)])
        record.find(f"{Q}header/{Q}identifier").text = f"oai:example.org:{n}"
        broken.append(record)
    single_page(oai_server, broken)
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.records_failed == harvest.MAX_ERRORS + 50
    assert len(run.errors) == harvest.MAX_ERRORS + 1
    assert run.errors[-1] == {"code": "more", "count": 50, "message": "50 more not kept"}


def test_deleted_headers_withdraw_records_with_or_without_metadata(oai_server, sleeps):
    single_page(oai_server, REAL[:3])
    source = factories.source(oai_server.url)
    factories.harvest(source, full=True, sleeps=sleeps)
    bare = marked_deleted(without_metadata(REAL[0]))
    with_metadata = marked_deleted(REAL[1])
    oai_server.route(
        Reply(page_with(fixture(DSPACE_58), [bare, with_metadata])), verb="ListRecords"
    )
    run = factories.harvest(source, sleeps=sleeps)
    assert run.records_deleted == 2
    gone = RawRecord.objects.filter(deleted=True).order_by("oai_identifier")
    assert [r.oai_identifier for r in gone] == [
        "oai:dspace.mit.edu:1721.1/140717",
        "oai:dspace.mit.edu:1721.1/140745",
    ]
    kept = gone[0]
    assert "<dc:title>Doubles" in kept.xml  # the last metadata stays for the tombstone
    assert kept.deleted_by_run is None  # the server said so; no inference


def test_a_new_record_that_arrives_deleted_is_stored_deleted(oai_server, sleeps):
    deleted = fixture("dspace-mit/ListRecords_oai_dc_one_deleted_record.xml")
    oai_server.route(Reply(identify()), verb="Identify")
    oai_server.route(Reply(deleted), verb="ListRecords")
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.records_deleted == 1
    assert RawRecord.objects.get().deleted


# --- failures, checkpoints and resuming -------------------------------------------------------


def test_a_crashed_run_resumes_from_its_last_token(oai_server, sleeps, quick_http):
    pages = factories.dspace_server(oai_server, per_page=20)
    oai_server.route(Reply(b"", status=500), verb="ListRecords", resumptionToken="page2")
    source = factories.source(oai_server.url)
    failed = factories.harvest(source, full=True, sleeps=sleeps)
    assert failed.status == Status.FAILED
    assert (failed.pages, failed.resumption_token, failed.records_new) == (1, "page2", 20)
    assert failed.errors[-1]["code"] == "transient"
    oai_server.route(Reply(pages[1]), verb="ListRecords", resumptionToken="page2")
    oai_server.requests.clear()
    resumed = factories.harvest(source, full=True, sleeps=sleeps)
    assert resumed.pk == failed.pk and resumed.status == Status.SUCCEEDED
    assert oai_server.asked(verb="ListRecords") == [
        {"verb": "ListRecords", "resumptionToken": "page2"},
        {"verb": "ListRecords", "resumptionToken": "page3"},
    ]
    assert (resumed.records_new, resumed.pages) == (58, 3)
    assert any(e["code"] == "resumed" for e in resumed.errors)


def test_an_expired_token_falls_back_to_the_from_window(oai_server, sleeps, quick_http):
    single_page(oai_server, REAL[:3])
    source = factories.source(oai_server.url)
    factories.harvest(source, full=True, sleeps=sleeps)  # sets the window of what follows
    pages = paginate(fixture(DSPACE_58), 20)
    oai_server.route(Reply(pages[0]), verb="ListRecords", metadataPrefix="oai_dc")
    oai_server.route(Reply(b"", status=503), verb="ListRecords", resumptionToken="page2")
    failed = factories.harvest(source, sleeps=sleeps)
    assert (failed.status, failed.resumption_token, failed.window_from) == (
        Status.FAILED, "page2", "2024-06-03",
    )  # fmt: skip
    expired = fixture("sickle-synthetic/badResumptionToken.xml")
    oai_server.route([Reply(expired), Reply(pages[1])], verb="ListRecords", resumptionToken="page2")
    oai_server.route(Reply(pages[2]), verb="ListRecords", resumptionToken="page3")
    oai_server.requests.clear()
    resumed = factories.harvest(source, sleeps=sleeps)
    assert resumed.status == Status.SUCCEEDED, resumed.errors
    assert oai_server.asked(verb="ListRecords") == [
        {"verb": "ListRecords", "resumptionToken": "page2"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-06-03"},
        {"verb": "ListRecords", "resumptionToken": "page2"},
        {"verb": "ListRecords", "resumptionToken": "page3"},
    ]
    # page 1 was read twice; its records count once
    assert resumed.records_new + resumed.records_unchanged == 58
    assert any(e["code"] == "bad_resumption_token" for e in resumed.errors)


def test_a_discarded_failed_run_is_not_resumed(oai_server, sleeps):
    factories.dspace_server(oai_server)
    broken = fixture("sickle-synthetic/ListRecordsBroken.xml")
    oai_server.route(Reply(broken), verb="ListRecords", resumptionToken="page2")
    source = factories.source(oai_server.url)
    failed = factories.harvest(source, full=True, sleeps=sleeps)
    services.discard_run(run=failed, actor="admin:carol", reason="server fixed its pages")
    fresh = services.start_run(source=source, full=True, actor="test")
    assert fresh.pk != failed.pk and fresh.pages == 0


def test_a_transient_failure_is_queued_again_for_the_task_to_retry(oai_server, sleeps, quick_http):
    factories.dspace_server(oai_server)
    oai_server.route(Reply(b"", status=503), verb="ListRecords", resumptionToken="page3")
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="test")
    with pytest.raises(TransientHarvestError):
        services.run_harvest(run_id=run.pk, sleep=sleeps, final_attempt=False)
    run.refresh_from_db()
    assert (run.status, run.resumption_token, run.pages) == (Status.QUEUED, "page3", 2)


def test_a_trickling_page_ends_each_attempt_at_its_deadline_and_is_retried_later(
    oai_server, sleeps, quick_http
):
    quick_http.PIDSVC_HARVEST_RESPONSE_DEADLINE = 1
    pages = factories.dspace_server(oai_server)
    oai_server.route([Reply(pages[1], trickle=0.05, trickle_bytes=100)] * 3 + [Reply(pages[1])],
                     verb="ListRecords", resumptionToken="page2")  # fmt: skip
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="test")
    with pytest.raises(TransientHarvestError, match="took longer than 1 s"):
        services.run_harvest(run_id=run.pk, sleep=sleeps, final_attempt=False)
    run.refresh_from_db()
    assert (run.status, run.pages, run.resumption_token) == (Status.QUEUED, 1, "page2")
    assert "PIDSVC_HARVEST_RESPONSE_DEADLINE" in run.errors[-1]["message"]
    assert all(sent < len(pages[1]) for sent in oai_server.trickles_ended(3))
    run = services.run_harvest(run_id=run.pk, sleep=sleeps)  # the task's retry
    assert (run.status, run.records_new, run.pages) == (Status.SUCCEEDED, 58, 3)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<html><head><title>Maintenance</title></head><body>back soon</body></html>", "not_oai"),
        (fixture("sickle-synthetic/ListRecordsBroken.xml"), "malformed_xml"),
        (fixture("sickle-synthetic/cannotDisseminateFormat.xml"), "oai_error"),
    ],
)
def test_a_bad_page_fails_the_run_keeping_what_came_before(oai_server, sleeps, body, code):
    factories.dspace_server(oai_server)
    oai_server.route(Reply(body), verb="ListRecords", resumptionToken="page2")
    run = factories.harvest(factories.source(oai_server.url), full=True, sleeps=sleeps)
    assert run.status == Status.FAILED
    assert run.errors[-1]["code"] == code
    assert (run.pages, run.resumption_token, RawRecord.objects.count()) == (1, "page2", 20)


def test_a_repeated_resumption_token_is_stopped_by_the_loop_guard(oai_server, sleeps):
    oai_server.route(Reply(identify()), verb="Identify")
    looping = page_with(fixture(DSPACE_58), REAL[:5], token="again")
    oai_server.route(Reply(looping), verb="ListRecords")
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.status == Status.FAILED
    assert run.errors[-1]["code"] == "resumption_loop"
    assert len(oai_server.asked(verb="ListRecords")) == 2  # not for ever
    assert RawRecord.objects.count() == 5


def test_one_run_per_source_at_a_time(oai_server):
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=False, actor="test")
    with pytest.raises(HarvestConflict, match=f"run #{run.pk}"):
        services.start_run(source=source, full=True, actor="test")
    with pytest.raises(IntegrityError), transaction.atomic():
        HarvestRun.objects.create(source=source, mode="full", status=Status.RUNNING)


def test_the_sweeper_fails_stale_runs_which_then_resume(oai_server, sleeps, settings):
    pages = factories.dspace_server(oai_server)
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=True, actor="test")
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, started_at=timezone.now())
    run.refresh_from_db()
    harvest.store(run, oai.parse_page(oai.parse_oai(pages[0])))  # then the worker was killed
    HarvestRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert services.fail_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.errors[-1]["code"] == "stale"
    assert services.fail_stale_runs() == 0
    resumed = factories.harvest(source, full=True, sleeps=sleeps)
    assert (resumed.pk, resumed.status, resumed.records_new) == (run.pk, Status.SUCCEEDED, 58)
    assert oai_server.asked(verb="ListRecords")[0] == {
        "verb": "ListRecords", "resumptionToken": "page2",
    }  # fmt: skip


def test_a_live_run_is_not_swept(oai_server):
    run = services.start_run(source=factories.source(oai_server.url), full=True, actor="t")
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, heartbeat_at=timezone.now())
    assert services.fail_stale_runs() == 0


def test_a_stale_running_run_is_failed_before_a_new_request(oai_server, sleeps):
    factories.dspace_server(oai_server)
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=True, actor="test")
    old = timezone.now() - timedelta(hours=2)
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, heartbeat_at=old)
    again = factories.harvest(source, full=True, sleeps=sleeps)
    run.refresh_from_db()
    assert again.status == Status.SUCCEEDED
    assert run.errors and run.errors[0]["code"] == "stale"


# --- the quality gate -------------------------------------------------------------------------


def running_run_owned_by(server, sleeps, **owner_fields):
    """A full run that stored page 1 of 3 and is running, owned as ``owner_fields`` say, its
    heartbeat fresh."""
    factories.dspace_server(server)
    source = factories.source(server.url)
    run = services.start_run(source=source, full=True, actor="test")
    run = services._claim(run.pk)
    harvest.store(run, oai.parse_page(oai.parse_oai(paginate(fixture(DSPACE_58), 20)[0])))
    HarvestRun.objects.filter(pk=run.pk).update(**owner_fields, heartbeat_at=timezone.now())
    return source, run


def test_a_run_whose_process_ended_on_this_host_is_taken_over_at_once(oai_server, sleeps):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    source, run = running_run_owned_by(oai_server, sleeps, owner_host=socket.gethostname(),
                                       owner_pid=child.pid, owner_started="")  # fmt: skip
    done = factories.harvest(source, full=True, sleeps=sleeps)
    assert done.pk == run.pk
    assert (done.status, done.records_new, done.pages) == (Status.SUCCEEDED, 58, 3)
    assert [e["code"] for e in done.errors] == ["owner_gone", "resumed"]
    assert done.owner_pid == os.getpid()


def test_a_task_delivered_again_takes_over_a_run_whose_process_is_gone(oai_server, sleeps):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _, run = running_run_owned_by(oai_server, sleeps, owner_host=socket.gethostname(),
                                  owner_pid=child.pid, owner_started="")  # fmt: skip
    done = services.run_harvest(run_id=run.pk, sleep=sleeps)  # what the task does
    assert (done.status, done.records_new, done.pages) == (Status.SUCCEEDED, 58, 3)
    assert [e["code"] for e in done.errors] == ["owner_gone"]
    assert services.run_harvest(run_id=run.pk, sleep=sleeps).pages == 3  # idempotent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_whose_process_id_was_reused_is_taken_over(oai_server, sleeps):
    me = owner.current()
    earlier = f"{me.started.rpartition(':')[0]}:{int(me.started.rpartition(':')[2]) - 1}"
    source, _ = running_run_owned_by(oai_server, sleeps, owner_host=me.host, owner_pid=me.pid,
                                       owner_started=earlier)  # fmt: skip
    assert factories.harvest(source, full=True, sleeps=sleeps).status == Status.SUCCEEDED


def test_a_run_owned_on_another_host_waits_for_its_lease(oai_server, sleeps):
    source, run = running_run_owned_by(oai_server, sleeps, owner_host="worker-7", owner_pid=1)
    with pytest.raises(HarvestConflict, match="already running"):
        services.start_run(source=source, full=True, actor="test")
    HarvestRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    done = factories.harvest(source, full=True, sleeps=sleeps)
    assert (done.pk, done.status, done.records_new) == (run.pk, Status.SUCCEEDED, 58)
    assert [e["code"] for e in done.errors] == ["stale", "resumed"]


def test_the_sweeper_fails_runs_whose_process_is_gone(oai_server, sleeps):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _, run = running_run_owned_by(oai_server, sleeps, owner_host=socket.gethostname(),
                                  owner_pid=child.pid, owner_started="")  # fmt: skip
    assert services.fail_stale_runs() == 1
    run.refresh_from_db()
    assert (run.status, run.resumption_token) == (Status.FAILED, "page2")


def two_full_runs(server, sleeps, second_records, **source_fields):
    single_page(server, REAL)
    source = factories.source(server.url, **source_fields)
    first = factories.harvest(source, full=True, sleeps=sleeps)
    assert first.status == Status.SUCCEEDED and first.gate["listed"] == 58
    server.route(Reply(page_with(fixture(DSPACE_58), second_records)), verb="ListRecords")
    return source, factories.harvest(source, full=True, sleeps=sleeps)


def test_a_full_run_withdraws_what_it_no_longer_sees(oai_server, sleeps):
    _, run = two_full_runs(oai_server, sleeps, REAL[:55])  # 3 of 58: 5.2%
    assert run.status == Status.SUCCEEDED
    assert run.records_deleted == 3
    gone = RawRecord.objects.filter(deleted=True)
    assert {r.oai_identifier for r in gone} == {r.identifier for r in _raw(REAL[55:])}
    assert all(r.deleted_by_run_id == run.pk for r in gone)


def test_a_run_that_would_withdraw_too_much_is_held(oai_server, sleeps):
    _, run = two_full_runs(oai_server, sleeps, REAL[:40])  # 18 of 58: 31%
    assert run.status == Status.HELD
    assert run.gate["withdrawals"] == 18 and run.gate["hold"]
    assert "would withdraw 18 of 58" in run.gate["reasons"][0]
    assert not RawRecord.objects.filter(deleted=True).exists()


def test_releasing_a_held_run_applies_its_withdrawals(
    oai_server, sleeps, django_capture_on_commit_callbacks
):
    _, run = two_full_runs(oai_server, sleeps, REAL[:40])
    with django_capture_on_commit_callbacks() as callbacks:
        released = services.release_run(run=run, actor="admin:alice")
    assert released.status == Status.SUCCEEDED and released.records_deleted == 18
    assert RawRecord.objects.filter(deleted=True, deleted_by_run=run).count() == 18
    assert released.gate["released_by"] == "admin:alice"
    assert len(callbacks) == 1  # the next stage, enqueued on commit
    with pytest.raises(HarvestConflict):
        services.release_run(run=run, actor="admin:alice")


def test_discarding_a_held_run_withdraws_nothing(oai_server, sleeps):
    _, run = two_full_runs(oai_server, sleeps, REAL[:40])
    discarded = services.discard_run(run=run, actor="admin:bob", reason="set renamed")
    assert discarded.status == Status.DISCARDED
    assert not RawRecord.objects.filter(deleted=True).exists()
    assert discarded.gate["reason"] == "set renamed"


@pytest.mark.parametrize("full", [True, False])
def test_a_held_run_blocks_every_further_run_of_its_source_until_released(oai_server, sleeps, full):
    source, held = two_full_runs(oai_server, sleeps, REAL[:40])
    assert held.status == Status.HELD
    with pytest.raises(HarvestConflict, match=f"run #{held.pk} of .* is held .*would withdraw "
                       "18 of 58.* released .* or discarded") as refused:  # fmt: skip
        services.start_run(source=source, full=full, actor="test")
    assert refused.value.run_id == held.pk
    assert list(HarvestRun.objects.values_list("status", flat=True)) == ["held", "succeeded"]
    services.release_run(run=held, actor="admin:alice")
    assert factories.harvest(source, full=full, sleeps=sleeps).status == Status.SUCCEEDED


def test_a_discarded_held_run_no_longer_blocks_its_source(oai_server, sleeps):
    source, held = two_full_runs(oai_server, sleeps, REAL[:40])
    services.discard_run(run=held, actor="admin:bob")
    again = factories.harvest(source, full=True, sleeps=sleeps)
    assert again.status == Status.HELD and again.pk != held.pk  # the same 40: held again


def test_a_source_can_allow_more_withdrawals(oai_server, sleeps):
    _, run = two_full_runs(oai_server, sleeps, REAL[:40], max_withdrawal_percent=40)
    assert run.status == Status.SUCCEEDED and run.records_deleted == 18


def test_a_run_listing_far_fewer_records_than_the_last_full_run_is_held(oai_server, sleeps):
    _, run = two_full_runs(oai_server, sleeps, REAL[:20], max_withdrawal_percent=100)
    assert run.status == Status.HELD
    assert run.gate["reasons"] == [
        "listed 20 records, fewer than 50% of the 58 the last full harvest listed"
    ]


def test_a_withdrawn_record_that_comes_back_is_live_again(oai_server, sleeps):
    source, _ = two_full_runs(oai_server, sleeps, REAL[:55])
    oai_server.route(Reply(page_with(fixture(DSPACE_58), REAL)), verb="ListRecords")
    back = factories.harvest(source, sleeps=sleeps)
    assert back.records_updated == 3
    assert not RawRecord.objects.filter(deleted=True).exists()
    assert RawRecord.objects.filter(deleted_by_run__isnull=False).count() == 0


def test_incremental_runs_never_withdraw_what_they_do_not_list(oai_server, sleeps):
    single_page(oai_server, REAL)
    source = factories.source(oai_server.url)
    factories.harvest(source, full=True, sleeps=sleeps)
    oai_server.route(Reply(page_with(fixture(DSPACE_58), REAL[:2])), verb="ListRecords")
    run = factories.harvest(source, sleeps=sleeps)
    assert run.status == Status.SUCCEEDED and run.gate == {}
    assert not RawRecord.objects.filter(deleted=True).exists()


def _raw(records):
    return [oai.read_record(r) for r in records]


# --- offline ingest, progress, the next stage -------------------------------------------------


def test_a_folder_of_pages_is_harvested_offline(tmp_path):
    for n, page in enumerate(paginate(fixture(DSPACE_58), 25)):
        (tmp_path / f"{n:02}.xml").write_bytes(page)
    run = factories.harvest(factories.source(str(tmp_path)), full=True)
    assert run.status == Status.SUCCEEDED and run.records_new == 58 and run.pages == 3


def test_progress_is_reported_after_every_page(oai_server, sleeps):
    factories.dspace_server(oai_server, per_page=20)
    seen = []
    factories.harvest(
        factories.source(oai_server.url),
        sleeps=sleeps,
        on_progress=lambda run: seen.append((run.pages, run.records_seen, run.complete_list_size)),
    )
    assert seen == [(1, 20, 58), (2, 40, 58), (3, 58, 58)]


def test_a_successful_run_enqueues_the_next_stage(
    oai_server, sleeps, django_capture_on_commit_callbacks, monkeypatch
):
    from aggregation import tasks

    sent = []
    monkeypatch.setattr(tasks.after_harvest, "delay", lambda run_id: sent.append(run_id))
    single_page(oai_server, REAL[:2])
    with django_capture_on_commit_callbacks(execute=True):
        run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert sent == [run.pk]


def test_an_inactive_source_is_not_harvested(oai_server):
    source = factories.source(oai_server.url, active=False)
    with pytest.raises(HarvestConflict, match="not active"):
        services.start_run(source=source, full=False, actor="test")
    assert services.scheduled_harvest(source_id=source.pk) is None


@pytest.mark.django_db
def test_a_worker_going_away_queues_the_run_again_where_it_stopped(oai_server, sleeps):
    factories.dspace_server(oai_server, per_page=20)
    source = factories.source(oai_server.url)

    def shutdown(run: HarvestRun) -> None:
        if run.pages == 2:
            raise SystemExit(0)

    with pytest.raises(SystemExit):
        factories.harvest(source, full=True, sleeps=sleeps, on_progress=shutdown)
    run = HarvestRun.objects.get(source=source)
    assert (run.status, run.pages, run.resumption_token) == (Status.QUEUED, 2, "page3")
    assert run.errors[-1]["message"] == "the worker stopped"
    run = services.run_harvest(run_id=run.pk, sleep=sleeps)  # the task, delivered again
    assert (run.status, run.records_new, run.pages) == (Status.SUCCEEDED, 58, 3)


@pytest.mark.django_db
def test_a_page_stuck_beyond_any_server_s_limits_stops_the_run(oai_server, sleeps, monkeypatch):
    factories.dspace_server(oai_server, per_page=20)
    source = factories.source(oai_server.url)
    monkeypatch.setattr(harvest, "BEAT_SECONDS", 0.05)
    monkeypatch.setattr(oai.HttpPolicy, "longest_request", lambda self: 0.2)
    monkeypatch.setattr(services, "PAGE_WORK_SECONDS", 0.2)
    release = threading.Event()
    real_map = ingest.map_page

    def stuck_on_page_2(page, *, prefix):
        if page.token == "page3":  # page 2 of 3
            release.wait(30)
        return real_map(page, prefix=prefix)

    monkeypatch.setattr(ingest, "map_page", stuck_on_page_2)
    started = time.monotonic()
    run = factories.harvest(source, full=True, sleeps=sleeps)
    release.set()
    assert time.monotonic() - started < 10
    assert (run.status, run.pages, run.resumption_token) == (Status.FAILED, 1, "page2")
    assert run.errors[-1]["code"] == "page_timeout"
    assert run.errors[-1]["message"].startswith("page 2 was not fetched, parsed and mapped")
    monkeypatch.setattr(ingest, "map_page", real_map)
    run = factories.harvest(source, full=True, sleeps=sleeps)  # resumes the failed run
    assert (run.status, run.records_new, run.pages) == (Status.SUCCEEDED, 58, 3)


def test_the_longest_request_counts_every_attempt_and_wait():
    policy = oai.HttpPolicy(connect_timeout=10, read_timeout=120, attempts=5, max_wait=600)
    # Five attempts of a connection and a response at its deadline (overrun by one read timeout
    # at most), four waits at their cap.
    assert policy.longest_request() == 5 * (10 + 600 + 120) + 4 * 600
