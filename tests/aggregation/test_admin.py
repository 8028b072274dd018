"""The harvesting admin, walked as a logged-in superuser against real harvests on loopback."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aggregation import services, tasks
from aggregation.models import HarvestRun, RawRecord, Source
from tests.aggregation import factories, identity_support
from tests.oaipmh_server import (
    DSPACE_58,
    Reply,
    fixture,
    identify,
    page_with,
    records_of,
    wrap_metadata,
)

pytestmark = pytest.mark.django_db
Status = HarvestRun.Status
REAL = records_of(fixture(DSPACE_58))


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("curator", "c@example.org", "pw-Long-42!")
    client.force_login(user)
    return client


@pytest.fixture
def worker(monkeypatch, sleeps):
    """Tasks enqueued by the admin run at once, here, as a worker would run them (tests using
    it commit, so that tasks are sent on commit as in production)."""
    ran = []

    def run_now(run_id):
        ran.append(run_id)
        services.run_harvest(run_id=run_id, sleep=sleeps)

    monkeypatch.setattr(tasks.harvest_run, "delay", run_now)
    monkeypatch.setattr(tasks.after_harvest, "delay", lambda run_id: ran.append(("next", run_id)))
    return ran


def action(browser, model, name, pks):
    url = reverse(f"admin:aggregation_{model}_changelist")
    return browser.post(url, {"action": name, "_selected_action": [str(pk) for pk in pks]},
                        follow=True)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_harvest_now_and_full_reharvest_go_through_a_task(browser, oai_server, worker):
    factories.dspace_server(oai_server)
    source = factories.source(oai_server.url)
    page = action(browser, "source", "harvest_now", [source.pk])
    run = HarvestRun.objects.get(source=source)
    assert f"run #{run.pk} queued (incremental)" in page.content.decode()
    assert worker == [run.pk]
    assert run.status == Status.SUCCEEDED and run.records_new == 58
    action(browser, "source", "full_reharvest", [source.pk])
    full = HarvestRun.objects.filter(source=source, mode="full").get()
    assert full.status == Status.SUCCEEDED and full.records_unchanged == 58


def test_a_second_request_while_one_is_queued_is_refused_politely(browser, oai_server):
    source = factories.source(oai_server.url)
    run = services.start_run(source=source, full=False, actor="test")
    page = action(browser, "source", "harvest_now", [source.pk])
    assert f"run #{run.pk} of {source} is already queued" in page.content.decode()
    assert HarvestRun.objects.count() == 1


def test_harvest_now_says_a_held_run_is_in_the_way_and_links_to_it(browser, oai_server, sleeps):
    held = factories.held_full_run(oai_server, REAL[:30], sleeps=sleeps)
    source = held.source
    for name in ("harvest_now", "full_reharvest"):
        text = action(browser, "source", name, [source.pk]).content.decode()
        assert f"run #{held.pk} of {source} is held by the quality gate" in text
        assert "released (its withdrawals are applied) or discarded" in text
        link = reverse("admin:aggregation_harvestrun_change", args=[held.pk])
        assert f'<a href="{link}">Open run #{held.pk}</a>' in text
    assert HarvestRun.objects.filter(source=source).count() == 2


def test_sources_are_added_with_their_schedule(browser, tmp_path):
    url = reverse("admin:aggregation_source_add")
    response = browser.post(url, {
        "name": "La Referencia dump", "url": str(tmp_path), "metadata_prefix": "oai_openaire",
        "set_spec": "", "repository_type": "aggregator", "country": "AR", "active": "on",
        "max_withdrawal_percent": "", "schedule_cron": "15 4 * * 1",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    source = Source.objects.get(name="La Referencia dump")
    assert source.schedule.crontab.day_of_week == "1"
    change = reverse("admin:aggregation_source_change", args=[source.pk])
    page = browser.get(change).content.decode()
    assert "15 4 * * 1" in page and "OpenAIRE v4 compliance report" in page
    bad = browser.post(url, {"name": "x", "url": "gopher://x", "metadata_prefix": "oai_dc",
                             "schedule_cron": "daily"})  # fmt: skip
    assert bad.status_code == 200
    assert "neither an http" in bad.content.decode() and "minute hour" in bad.content.decode()


def test_editing_a_source_changes_its_schedule_and_pauses_it(browser, tmp_path):
    source = services.create_source(name="S", url=str(tmp_path), schedule="0 3 * * *")
    change = reverse("admin:aggregation_source_change", args=[source.pk])
    response = browser.post(change, {
        "url": str(tmp_path), "metadata_prefix": "oai_dc", "set_spec": "", "repository_type": "",
        "country": "", "max_withdrawal_percent": "20", "schedule_cron": "0 5 * * *",
    })  # fmt: skip
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.active, source.max_withdrawal_percent) == (False, 20)
    assert (source.schedule.crontab.hour, source.schedule.enabled) == ("5", False)


def test_run_history_shows_counters_errors_and_live_progress(browser, oai_server, sleeps):
    factories.dspace_server(oai_server)
    oai_server.route(Reply(b"<html><title>Down</title></html>", content_type="text/html"),
                     verb="ListRecords", resumptionToken="page3")  # fmt: skip
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    listing = browser.get(reverse("admin:aggregation_harvestrun_changelist")).content.decode()
    assert "40 records · 2 pages" in listing
    page = browser.get(reverse("admin:aggregation_harvestrun_change", args=[run.pk]))
    text = page.content.decode()
    assert "not_oai" in text and "HTML page titled &#x27;Down&#x27;" in text
    assert 'http-equiv="refresh"' not in text
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, heartbeat_at=timezone.now())
    live = browser.get(reverse("admin:aggregation_harvestrun_change", args=[run.pk]))
    text = live.content.decode()
    assert 'http-equiv="refresh"' in text
    assert "69% of 58" in text and "heartbeat 0 s ago" in text


def test_a_runs_page_shows_what_the_next_stage_did(browser, oai_server, sleeps):
    identity_support.works_shoulder()
    factories.dspace_server(oai_server)
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    url = reverse("admin:aggregation_harvestrun_change", args=[run.pk])
    assert "queued at " in browser.get(url).content.decode()
    report = services.run_next_stage(run_id=run.pk)
    text = browser.get(url).content.decode()
    assert f"58 records matched; {report['new_works']} works created" in text
    assert f'<a href="{reverse("admin:aggregation_work_changelist")}">works</a>' in text


@pytest.mark.django_db(transaction=True)
def test_held_runs_are_released_or_discarded_from_the_admin(browser, oai_server, sleeps, worker):
    held = factories.held_full_run(oai_server, REAL[:30], sleeps=sleeps)
    source = held.source
    assert held.status == Status.HELD
    text = browser.get(reverse("admin:aggregation_harvestrun_change", args=[held.pk]))
    assert "would withdraw 28 of 58" in text.content.decode()
    action(browser, "harvestrun", "release", [held.pk])
    held.refresh_from_db()
    assert held.status == Status.SUCCEEDED
    assert RawRecord.objects.filter(deleted=True).count() == 28
    assert ("next", held.pk) in worker
    second = factories.harvest(source, full=True, sleeps=sleeps)  # the same 30: passes now
    assert second.status == Status.SUCCEEDED
    oai_server.route(Reply(page_with(fixture(DSPACE_58), REAL[:3])), verb="ListRecords")
    third = factories.harvest(source, full=True, sleeps=sleeps)
    page = action(browser, "harvestrun", "discard", [third.pk, second.pk])
    assert f"run #{second.pk} is succeeded, neither held nor failed" in page.content.decode()
    third.refresh_from_db()
    assert third.status == Status.DISCARDED
    assert RawRecord.objects.filter(deleted=True).count() == 28


def held_run_withdrawing_55(oai_server, sleeps):
    held = factories.held_full_run(oai_server, REAL[:3], sleeps=sleeps)
    assert held.status == Status.HELD
    return held


def listed_identifiers(text):
    return re.findall(r'<tr class="withdrawal"><td[^>]*><a href="[^"]+">([^<]+)</a>', text)


def test_a_held_runs_page_lists_what_it_would_withdraw_page_by_page(browser, oai_server, sleeps):
    held = held_run_withdrawing_55(oai_server, sleeps)
    url = reverse("admin:aggregation_harvestrun_change", args=[held.pk])
    text = browser.get(url).content.decode()
    assert 'id="held-release"' in text and 'id="held-discard"' in text
    assert "Records releasing would withdraw (55)" in text and "page 1 of 2" in text
    first = listed_identifiers(text)
    second = listed_identifiers(browser.get(url, {"withdrawals": 2}).content.decode())
    expected = RawRecord.objects.exclude(last_run=held).values_list("oai_identifier", flat=True)
    assert (len(first), len(second)) == (50, 5)
    assert first + second == sorted(expected)
    done = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)  # not held
    text = browser.get(reverse("admin:aggregation_harvestrun_change", args=[done.pk]))
    assert 'id="held-release"' not in text.content.decode()


def test_releasing_from_the_held_runs_page_asks_first_then_applies(browser, oai_server, sleeps):
    held = held_run_withdrawing_55(oai_server, sleeps)
    release = reverse("admin:aggregation_run_release", args=[held.pk])
    assert browser.get(release).status_code == 405
    asked = browser.post(release)
    assert asked.status_code == 200
    assert "withdraws the 55 records" in asked.content.decode()
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', asked.content.decode(), re.S)
    assert " ".join(re.sub(r"<[^>]+>", "", crumbs.group(1)).split()).endswith(
        f"&rsaquo; Harvest runs &rsaquo; {held} &rsaquo; Release"
    )
    held.refresh_from_db()
    assert held.status == Status.HELD and not RawRecord.objects.filter(deleted=True).exists()
    done = browser.post(release, {"confirmed": "yes"}, follow=True)
    assert f"run #{held.pk} of {held.source}: succeeded (55 records withdrawn" in (
        done.content.decode()
    )
    held.refresh_from_db()
    assert held.status == Status.SUCCEEDED and held.gate["released_by"] == "admin:curator"
    assert RawRecord.objects.filter(deleted=True, deleted_by_run=held).count() == 55
    again = browser.post(release, {"confirmed": "yes"}, follow=True)
    assert "is succeeded, not held: nothing done" in again.content.decode()


def test_discarding_from_the_held_runs_page_keeps_every_record(browser, oai_server, sleeps):
    held = held_run_withdrawing_55(oai_server, sleeps)
    discard = reverse("admin:aggregation_run_discard", args=[held.pk])
    asked = browser.post(discard).content.decode()
    assert "withdraws nothing: the 55 records stay live" in asked and 'name="reason"' in asked
    browser.post(discard, {"confirmed": "yes", "reason": "the set was renamed"})
    held.refresh_from_db()
    assert (held.status, held.gate["reason"]) == (Status.DISCARDED, "the set was renamed")
    assert not RawRecord.objects.filter(deleted=True).exists()


def test_releasing_needs_the_csrf_token_and_the_change_permission(oai_server, sleeps):
    held = held_run_withdrawing_55(oai_server, sleeps)
    release = reverse("admin:aggregation_run_release", args=[held.pk])
    curator = get_user_model().objects.create_superuser("c2", "c2@example.org", "pw-Long-42!")
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(curator)
    assert forged.post(release, {"confirmed": "yes"}).status_code == 403
    viewer = get_user_model().objects.create_user("v", "v@example.org", "pw-Long-42!",
                                                  is_staff=True)  # fmt: skip
    viewer.user_permissions.add(Permission.objects.get(codename="view_harvestrun"))
    looking = Client()
    looking.force_login(viewer)
    page = looking.get(reverse("admin:aggregation_harvestrun_change", args=[held.pk]))
    assert page.status_code == 200 and 'id="held-release"' not in page.content.decode()
    assert looking.post(release, {"confirmed": "yes"}).status_code == 403
    held.refresh_from_db()
    assert held.status == Status.HELD


@pytest.mark.django_db(transaction=True)
def test_failed_runs_are_resumed_from_the_admin(browser, oai_server, sleeps, worker):
    pages = factories.dspace_server(oai_server)
    oai_server.route(Reply(fixture("sickle-synthetic/ListRecordsBroken.xml")),
                     verb="ListRecords", resumptionToken="page2")  # fmt: skip
    run = factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    assert run.status == Status.FAILED
    oai_server.route(Reply(pages[1]), verb="ListRecords", resumptionToken="page2")
    action(browser, "harvestrun", "resume", [run.pk])
    run.refresh_from_db()
    assert (run.status, run.records_new) == (Status.SUCCEEDED, 58)


def test_records_are_found_by_title_identifier_and_pid(browser, oai_server, sleeps):
    oai_server.route(Reply(identify()), verb="Identify")
    oai_server.route(Reply(page_with(fixture(DSPACE_58), REAL[:10])), verb="ListRecords")
    factories.harvest(factories.source(oai_server.url), sleeps=sleeps)
    url = reverse("admin:aggregation_record_changelist")

    def found(term):
        page = browser.get(url, {"q": term}).content.decode()
        return page.count('class="field-title_short"')

    assert found("doubles") == 1
    assert found("oai:dspace.mit.edu:1721.1/140717") == 1
    assert found("https://hdl.handle.net/1721.1/140717") == 1
    assert found("hdl:1721.1/140717") == 1
    assert found("hdl:1721.1/14071") == 0  # a PID is found whole, never as part of another
    assert found("no such thing anywhere") == 0
    raw = RawRecord.objects.get(oai_identifier__endswith="/140717")
    detail = browser.get(reverse("admin:aggregation_rawrecord_change", args=[raw.pk]))
    assert "&lt;dc:title&gt;Doubles" in detail.content.decode()


def test_a_sources_compliance_report(browser, oai_server, sleeps):
    samples = "openaire-literature-v4/"
    page = wrap_metadata(fixture(DSPACE_58), [
        ("oai:example.org:europepmc", fixture(samples + "sample_journalarticle1.xml")),
        ("oai:example.org:diva", fixture(samples + "sample_minimal.xml")),
        ("oai:example.org:mock", fixture(samples + "mocksample.xml")),
    ])  # fmt: skip
    oai_server.route(Reply(identify()), verb="Identify")
    oai_server.route(Reply(page), verb="ListRecords")
    source = factories.source(oai_server.url, metadata_prefix="oai_openaire")
    run = factories.harvest(source, sleeps=sleeps)
    assert run.records_new == 3, run.errors
    url = reverse("admin:aggregation_source_compliance", args=[source.pk])
    text = " ".join(browser.get(url).content.decode().split())
    assert "3 harvested records" in text
    assert "1 of 3 records (33%) have every mandatory field" in text
    assert "1 fail the XSD" in text  # the Guidelines' generated mock sample
    assert "publicationDate.missing" in text
