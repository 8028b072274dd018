"""``add_source`` and ``harvest``: the scripting surface, run as real processes where it matters
(a progress bar, exit statuses, a harvest killed with SIGKILL and resumed)."""

from __future__ import annotations

import gzip
import json
import signal
import socket
import subprocess
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from aggregation.models import HarvestRun, RawRecord, Source, Work
from tests import support
from tests.aggregation import factories, identity_support
from tests.oaipmh_server import DSPACE_58, Reply, fixture, page_with, paginate, records_of

Status = HarvestRun.Status


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def harvest_process(
    name: str, *args: str, timeout: int = 120, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        support.manage("harvest", name, *args),
        env=support.child_env(**env),
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.django_db
def test_add_source_registers_a_source_and_its_schedule(tmp_path):
    out = run("add_source", "DSpace@MIT", "--url", "https://dspace.mit.edu/oai/request",
              "--set", "com_1721.1_140587", "--country", "us", "--type", "literature",
              "--schedule", "30 2 * * *")  # fmt: skip
    source = Source.objects.get(name="DSpace@MIT")
    assert (source.metadata_prefix, source.set_spec, source.country) == (
        "oai_dc", "com_1721.1_140587", "US",
    )  # fmt: skip
    assert "harvested at '30 2 * * *'" in out
    task = PeriodicTask.objects.get(pk=source.schedule_id)
    assert (task.task, json.loads(task.args), task.enabled) == (
        "aggregation.tasks.harvest_source", [source.pk], True,
    )  # fmt: skip
    assert (task.crontab.minute, task.crontab.hour) == ("30", "2")
    run("add_source", "Offline dump", "--url", str(tmp_path), "--prefix", "oai_openaire")
    assert Source.objects.get(name="Offline dump").is_folder


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://example.org/oai"], "neither an http"),
        (["--url", "relative/folder"], "neither an http"),
        (["--url", "https://example.org/oai", "--schedule", "every day"], "minute hour"),
        (["--url", "https://example.org/oai", "--schedule", "99 * * * *"], "not a valid"),
        (["--url", "https://example.org/oai", "--country", "ARG"], "country: .*ISO 3166"),
        (["--url", "https://example.org/oai", "--country", "12"], "country: .*ISO 3166"),
        (["--url", "https://example.org/oai", "--set", "s" * 301], "set_spec: "),
    ],
)
def test_add_source_refuses_what_cannot_work(args, message):
    with pytest.raises(CommandError, match=message):
        run("add_source", "Broken", *args)
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_add_source_refuses_a_second_source_of_the_same_name():
    run("add_source", "Twice", "--url", "https://example.org/oai")
    with pytest.raises(CommandError, match="exists already"):
        run("add_source", "Twice", "--url", "https://example.org/other")


@pytest.mark.django_db
def test_harvest_of_an_unknown_source_is_a_one_line_error():
    with pytest.raises(CommandError, match="no source of that name"):
        run("harvest", "Nowhere")


@pytest.mark.django_db(transaction=True)
def test_harvest_runs_in_the_foreground_with_a_progress_bar(oai_server):
    factories.dspace_server(oai_server, per_page=20)
    source = factories.source(oai_server.url)
    done = harvest_process(source.name, "--full")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[##########--------------------]  34% page 1 · 20 records")
    assert " of 58" in lines[0] and "ETA" in lines[0]
    assert lines[2].startswith("[##############################] 100% page 3 · 58 records")
    assert "succeeded — 58 new, 0 updated, 0 deleted, 0 unchanged, 0 failed in 3 pages" in lines[3]
    run_ = HarvestRun.objects.get(source=source)
    assert lines[4].startswith("next stage (dedup and identity): queued at ")
    assert lines[4].endswith(f"for a Celery worker; its outcome will show on run #{run_.pk}'s "
                             "admin page")  # fmt: skip
    assert run_.next_stage["state"] == "queued"
    assert RawRecord.objects.filter(source=source).count() == 58


@pytest.mark.django_db(transaction=True)
def test_harvest_says_what_the_next_stage_did_when_it_runs_at_once(oai_server):
    identity_support.works_shoulder()
    factories.dspace_server(oai_server, per_page=20)
    source = factories.source(oai_server.url)
    done = harvest_process(source.name, "--full", CELERY_TASK_ALWAYS_EAGER="true")
    assert done.returncode == 0, done.stderr
    run_ = HarvestRun.objects.get(source=source)
    report = run_.next_stage["report"]
    assert run_.next_stage["state"] == "done" and report["matched_records"] == 58
    assert report["new_works"] == Work.objects.count() > 0
    last = done.stdout.splitlines()[-1]
    assert last.startswith("next stage (dedup and identity): done at "), done.stdout
    assert (f"58 records matched; {report['new_works']} works created, 0 adopted ARKs, "
            f"{report['merged']} merged, 0 split apart again, 0 tombstoned") in last  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_failed_harvest_exits_non_zero_with_the_reason(oai_server):
    factories.dspace_server(oai_server)
    failing = fixture("sickle-synthetic/cannotDisseminateFormat.xml")
    oai_server.route(Reply(failing, status=422), verb="ListRecords", metadataPrefix="oai_dc")
    done = harvest_process(factories.source(oai_server.url).name)
    assert done.returncode == 1
    assert "cannotDisseminateFormat" in done.stderr and "HTTP 422" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_a_failed_folder_harvest_names_the_file_and_what_is_wrong(tmp_path):
    pages = paginate(fixture(DSPACE_58), 20)
    (tmp_path / "page1.xml").write_bytes(pages[0])
    (tmp_path / "page2.xml").write_bytes(pages[1].replace(b"</ListRecords>", b""))
    (tmp_path / "page3.xml.gz").write_bytes(gzip.compress(pages[2]))
    source = factories.source(str(tmp_path))
    done = harvest_process(source.name, "--full")
    assert done.returncode == 1
    assert "page file page2.xml: not well-formed XML" in done.stderr, done.stderr
    (tmp_path / "page2.xml").write_bytes(pages[1])
    done = harvest_process(source.name, "--full")  # resumes at page2.xml
    assert done.returncode == 0, done.stderr
    assert RawRecord.objects.filter(source=source).count() == 58


@pytest.mark.django_db(transaction=True)
def test_a_held_harvest_exits_2_and_says_what_to_do(oai_server):
    records = records_of(fixture(DSPACE_58))
    factories.dspace_server(oai_server)
    source = factories.source(oai_server.url)
    assert harvest_process(source.name, "--full").returncode == 0
    oai_server.route(Reply(page_with(fixture(DSPACE_58), records[:10])), verb="ListRecords",
                     metadataPrefix="oai_dc")  # fmt: skip
    done = harvest_process(source.name, "--full")
    assert done.returncode == 2
    assert "would withdraw 48 of 58" in done.stderr and "release or discard" in done.stderr
    held = HarvestRun.objects.get(source=source, status=Status.HELD)
    again = harvest_process(source.name, "--full")  # refused, not a second held run
    assert again.returncode == 1
    assert f"run #{held.pk} of {source} is held by the quality gate" in again.stderr
    assert "released (its withdrawals are applied) or discarded" in again.stderr
    assert HarvestRun.objects.filter(source=source).count() == 2


def harvest_stuck_on_page_2(oai_server) -> tuple[Source, subprocess.Popen]:
    """A ``harvest --full`` process that has stored page 1 and waits for a slow page 2."""
    pages = factories.dspace_server(oai_server, per_page=20)
    oai_server.route([Reply(pages[1], delay=60), Reply(pages[1])], verb="ListRecords",
                     resumptionToken="page2")  # fmt: skip
    source = factories.source(oai_server.url)
    child = subprocess.Popen(
        support.manage("harvest", source.name, "--full"),
        env=support.child_env(),
        cwd=support.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not HarvestRun.objects.filter(source=source, pages=1).exists():
            assert time.monotonic() < deadline, "the first page was never stored"
            time.sleep(0.2)
        while not oai_server.asked(resumptionToken="page2"):  # waiting on page 2 now
            assert time.monotonic() < deadline, "page 2 was never asked for"
            time.sleep(0.05)
    except BaseException:
        child.kill()
        raise
    return source, child


@pytest.mark.django_db(transaction=True)
def test_a_killed_harvest_is_taken_over_at_once_and_resumes_from_its_last_token(oai_server):
    source, child = harvest_stuck_on_page_2(oai_server)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    run_ = HarvestRun.objects.get(source=source)
    assert (run_.status, run_.pages, run_.resumption_token) == (Status.RUNNING, 1, "page2")
    assert (run_.owner_host, run_.owner_pid) == (socket.gethostname(), child.pid)
    # at once: the heartbeat is fresh, but the process that owned the run is gone
    oai_server.requests.clear()
    done = harvest_process(source.name, "--full")
    assert done.returncode == 0, done.stderr
    run_.refresh_from_db()
    assert (run_.status, run_.pages) == (Status.SUCCEEDED, 3)
    counts = (run_.records_new, run_.records_updated, run_.records_unchanged)
    assert counts == (58, 0, 0)  # every record, none twice
    assert RawRecord.objects.filter(source=source).count() == 58
    assert oai_server.asked(verb="ListRecords")[0] == {
        "verb": "ListRecords", "resumptionToken": "page2",
    }  # fmt: skip
    assert not oai_server.asked(verb="ListRecords", metadataPrefix="oai_dc")  # page 1 not again
    assert [e["code"] for e in run_.errors] == ["owner_gone", "resumed"]
    assert (
        f"process {child.pid} on {socket.gethostname()} no longer exists"
        in (run_.errors[0]["message"])
    )


@pytest.mark.django_db(transaction=True)
def test_a_harvest_whose_process_is_alive_is_still_refused(oai_server):
    source, child = harvest_stuck_on_page_2(oai_server)
    try:
        done = harvest_process(source.name, "--full")
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert done.returncode == 1
    run_ = HarvestRun.objects.get(source=source)
    assert f"run #{run_.pk} of {source} is already running" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_a_harvest_cleanly_and_the_next_one_resumes_it(oai_server):
    source, child = harvest_stuck_on_page_2(oai_server)
    child.send_signal(signal.SIGINT)
    try:
        _, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    run_ = HarvestRun.objects.get(source=source)
    assert (run_.status, run_.pages, run_.resumption_token) == (Status.FAILED, 1, "page2")
    assert run_.errors[-1]["message"] == "interrupted by the user"
    done = harvest_process(source.name, "--full")  # no waiting for a stale heartbeat
    assert done.returncode == 0, done.stderr
    run_.refresh_from_db()
    assert (run_.status, run_.records_new, run_.pages) == (Status.SUCCEEDED, 58, 3)
