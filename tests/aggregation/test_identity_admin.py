"""Curators in the admin: merge two works, split a record out, read why records are one."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from aggregation import curation, identity
from aggregation.models import Membership, RawRecord, Work
from arks.models import ArkEvent
from tests.aggregation.identity_support import (
    PageSource,
    Rec,
    one_item_from_three_sources,
    works_shoulder,
)

pytestmark = pytest.mark.django_db(transaction=True)

SOIL = Rec("Soil carbon dynamics in Andean grasslands", ("Pérez, Ana", "Silva, João"), 2019,
           url="https://repo-a.example/1")  # fmt: skip
SOIL_ES = SOIL.but(title="Dinámica del carbono del suelo en pastizales andinos",
                   url="https://repo-b.example/x")  # fmt: skip


@pytest.fixture
def two_works(tmp_path):
    works_shoulder()
    a, b = PageSource(tmp_path / "a", "Repo A"), PageSource(tmp_path / "b", "Repo B")
    a.publish({"1": SOIL})
    b.publish({"x": SOIL_ES})
    identity.run_dedup()
    return list(Work.objects.order_by("pk"))


def test_merge_asks_why_then_merges_and_records_who(admin_client, two_works):
    url = reverse("admin:aggregation_work_changelist")
    ids = [str(w.pk) for w in two_works]
    asked = admin_client.post(url, {"action": "merge_works", "_selected_action": ids})
    assert asked.status_code == 200 and b"Why (kept in the ARKs' history)" in asked.content
    assert Work.objects.filter(status="live").count() == 2
    confirmed = {"confirmed": "yes", "note": "Same article in Spanish",
                 "plan": asked.context["preview"].digest}  # fmt: skip
    done = admin_client.post(url, {"action": "merge_works", "_selected_action": ids, **confirmed})
    assert done.status_code == 302
    older, newer = two_works
    event = ArkEvent.objects.get(ark=newer.ark, action="merge")
    assert (event.actor, event.note) == ("admin:admin", "Same article in Spanish")
    assert set(Membership.objects.values_list("work_id", flat=True)) == {older.pk}
    page = admin_client.get(reverse("admin:aggregation_work_change", args=[older.pk]))
    assert b"joined by admin:admin: Same article in Spanish" in page.content
    assert b"Repo B" in page.content


def test_split_out_of_a_work(admin_client, two_works):
    newer = two_works[1]
    curation.curator_merge(works=two_works, actor="admin:eva", note="one article")
    raw = RawRecord.objects.get(oai_identifier__endswith=":x")
    url = reverse("admin:aggregation_rawrecord_changelist")
    chosen = {"action": "split_out", "_selected_action": [raw.pk]}
    plan = admin_client.post(url, chosen).context["preview"].digest
    done = admin_client.post(url, {**chosen, "confirmed": "yes", "note": "Another edition",
                                   "plan": plan})  # fmt: skip
    assert done.status_code == 302
    assert Membership.objects.get(raw=raw).work == newer
    assert ArkEvent.objects.filter(ark=newer.ark, action="unmerge", actor="admin:admin",
                                   note="Another edition").exists()  # fmt: skip


def test_refused_curation_says_why(admin_client, two_works):
    url = reverse("admin:aggregation_work_changelist")
    response = admin_client.post(
        url, {"action": "merge_works", "_selected_action": [two_works[0].pk], "confirmed": "yes",
              "note": "alone", "plan": "x"}, follow=True,
    )  # fmt: skip
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["choose at least two works to merge"]


@pytest.fixture
def split_twice(tmp_path):
    """One article from three repositories, two of its records then split out one by one."""
    sources = one_item_from_three_sources(tmp_path, SOIL.but(doi="10.1234/soil.1"))
    records = [RawRecord.objects.get(source=s.source) for s in sources]
    for record in records[1:]:
        curation.curator_split(records=[record], actor="admin:eva", note="another edition")
    return records


def work(record: RawRecord) -> Work:
    return Membership.objects.select_related("work__ark").get(raw=record).work


def test_the_merge_page_shows_where_each_record_ends_before_anything_changes(
    admin_client, split_twice
):
    a, b, c = split_twice
    third, second, last = work(a), work(b), work(c)
    url = reverse("admin:aggregation_work_changelist")
    chosen = {"action": "merge_works", "_selected_action": [second.pk, last.pk]}
    before = sorted(Membership.objects.values_list("raw_id", "work_id"))

    page = admin_client.post(url, chosen)

    assert sorted(Membership.objects.values_list("raw_id", "work_id")) == before
    html = page.content.decode()
    assert f"<strong>{second.ark.ark}</strong> survives" in html
    assert f"<li>{last.ark.ark} &rarr; {second.ark.ark}</li>" in html
    for record in (b, c):
        row = re.search(
            rf'<tr data-record="{re.escape(record.oai_identifier)}">(.*?)</tr>', html, re.S
        )
        assert row is not None, record.oai_identifier
        assert f'<td class="ends-in">{second.ark.ark}</td>' in row.group(1)
    assert a.oai_identifier not in html and third.ark.ark not in html  # a bystander
    done = admin_client.post(
        url, {**chosen, "confirmed": "yes", "note": "one edition",
              "plan": page.context["preview"].digest}, follow=True,
    )  # fmt: skip
    assert work(b) == work(c) == second and work(a) == third
    shown = [str(m) for m in done.context["messages"]]
    assert shown[0] == f"the works are now {second.ark.ark}"
    assert f"{last.ark.ark} now resolves through {second.ark.ark}" in shown


def test_a_confirmation_applies_only_the_plan_that_was_shown(admin_client, split_twice):
    a, b, c = split_twice
    url = reverse("admin:aggregation_work_changelist")
    chosen = {"action": "merge_works", "_selected_action": [work(a).pk, work(b).pk]}
    shown = admin_client.post(url, chosen).context["preview"].digest
    # Meanwhile another curator merges c's work in, so the merge would now do more.
    curation.curator_merge(works=[work(b), work(c)], actor="admin:ana", note="same")
    before = sorted(Membership.objects.values_list("raw_id", "work_id"))
    page = admin_client.post(url, {**chosen, "confirmed": "yes", "note": "x", "plan": shown})
    assert page.status_code == 200
    assert b"changed since it was shown" in page.content
    assert sorted(Membership.objects.values_list("raw_id", "work_id")) == before
    assert page.context["preview"].digest != shown


def test_split_out_together_from_the_admin_makes_one_new_work(admin_client, tmp_path):
    sources = one_item_from_three_sources(tmp_path, SOIL.but(doi="10.1234/soil.1"))
    a, b, c = (RawRecord.objects.get(source=s.source) for s in sources)
    kept = work(a)
    url = reverse("admin:aggregation_rawrecord_changelist")
    chosen = {"action": "split_out_together", "_selected_action": [b.pk, c.pk]}
    page = admin_client.post(url, chosen)
    assert page.content.decode().count("new work 1 (a new ARK)") == 2
    admin_client.post(url, {**chosen, "confirmed": "yes", "note": "the preprint",
                            "plan": page.context["preview"].digest})  # fmt: skip
    assert work(b) == work(c) != kept == work(a)


def test_messages_and_the_why_list_name_records_by_source_and_identifier(admin_client, two_works):
    url = reverse("admin:aggregation_rawrecord_changelist")
    raw = RawRecord.objects.get(oai_identifier__endswith=":x")
    curation.curator_merge(works=two_works, actor="admin:eva", note="one article")
    chosen = {"action": "split_out", "_selected_action": [raw.pk]}
    plan = admin_client.post(url, chosen).context["preview"].digest
    done = admin_client.post(
        url, {**chosen, "confirmed": "yes", "note": "no", "plan": plan}, follow=True
    )
    html = done.content.decode()
    assert f'<li class="info">{raw.oai_identifier}: in ' in html
    assert "Oai:" not in html

    curation.curator_merge(works=list(Work.objects.filter(status="live")), actor="admin:eva",
                           note="one article after all")  # fmt: skip
    survivor = work(raw)
    page = admin_client.get(reverse("admin:aggregation_work_change", args=[survivor.pk]))
    why = re.search(r"<ul><li>(.*?)</ul>", page.content.decode()).group(0)
    pair = "Repo A: oai:repo-a:1 = Repo B: oai:repo-b:x"
    assert why.count(pair) == 1, why
    assert why.count("<li>") == 1, why


def test_curating_needs_the_permission_to_change_works(client, two_works):
    viewer = get_user_model().objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_work", "view_rawrecord"])
    )
    client.force_login(viewer)
    ids = [w.pk for w in two_works]
    url = reverse("admin:aggregation_work_changelist")
    asked = client.post(url, {"action": "merge_works", "_selected_action": ids}, follow=True)
    assert "admin/aggregation/curate.html" not in [t.name for t in asked.templates]
    assert "merge_works" not in asked.content.decode()  # not offered
    raw = RawRecord.objects.get(oai_identifier__endswith=":x")
    records = reverse("admin:aggregation_rawrecord_changelist")
    client.post(records, {"action": "split_out", "_selected_action": [raw.pk]})
    assert Work.objects.filter(status="live").count() == 2
    viewer.user_permissions.add(Permission.objects.get(codename="change_work"))
    viewer = get_user_model().objects.get(pk=viewer.pk)  # permissions are cached per object
    client.force_login(viewer)
    asked = client.post(url, {"action": "merge_works", "_selected_action": ids})
    assert asked.status_code == 200 and asked.context["preview"].survivor


def test_a_confirmation_without_a_reason_changes_nothing_and_says_so(admin_client, two_works):
    url = reverse("admin:aggregation_work_changelist")
    chosen = {"action": "merge_works", "_selected_action": [w.pk for w in two_works]}
    plan = admin_client.post(url, chosen).context["preview"].digest
    page = admin_client.post(url, {**chosen, "confirmed": "yes", "note": " ", "plan": plan})
    assert page.status_code == 200 and b"Say why" in page.content
    assert Work.objects.filter(status="live").count() == 2
