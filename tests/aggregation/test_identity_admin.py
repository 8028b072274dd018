"""Curators in the admin: merge two works, split a record out, read why records are one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aggregation import identity
from aggregation.models import Membership, RawRecord, Work
from arks.models import ArkEvent
from tests.aggregation.identity_support import PageSource, Rec, works_shoulder

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
    confirmed = {"confirmed": "yes", "note": "Same article in Spanish"}
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
    identity.curator_merge(works=two_works, actor="admin:eva", note="one article")
    raw = RawRecord.objects.get(oai_identifier__endswith=":x")
    url = reverse("admin:aggregation_rawrecord_changelist")
    done = admin_client.post(url, {"action": "split_out", "_selected_action": [raw.pk],
                                   "confirmed": "yes", "note": "Another edition"})  # fmt: skip
    assert done.status_code == 302
    assert Membership.objects.get(raw=raw).work == newer
    assert ArkEvent.objects.filter(ark=newer.ark, action="unmerge", actor="admin:admin",
                                   note="Another edition").exists()  # fmt: skip


def test_refused_curation_says_why(admin_client, two_works):
    url = reverse("admin:aggregation_work_changelist")
    response = admin_client.post(
        url, {"action": "merge_works", "_selected_action": [two_works[0].pk], "confirmed": "yes",
              "note": "alone"}, follow=True,
    )  # fmt: skip
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["choose at least two works to merge"]
