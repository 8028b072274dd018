"""POST /api/v1/arks/bulk: up to 10,000 ARKs in one request, all or nothing."""

from __future__ import annotations

import pytest

from arks import services
from arks.models import Ark, ArkEvent, Shoulder


def bulk(party, **body):
    return party.api.post("arks/bulk", {"shoulder": "ark:99999/fk4", **body})


def test_count_mints_that_many_sharing_target_and_metadata(world):
    answer = bulk(world.a, count=250, target="https://example.org/batch", state="public",
                  metadata={"who": "Lab", "series": "S1"})  # fmt: skip
    assert answer.status == 201, answer.body
    assert answer.body["shoulder"] == "ark:99999/fk4"
    assert answer.body["count"] == 250
    names = [a["ark"] for a in answer.body["arks"]]
    assert len(set(names)) == 250
    assert all(a["url"] == f"http://127.0.0.1:8000/{a['ark']}" for a in answer.body["arks"])
    stored = Ark.objects.filter(key__in=names)
    assert stored.count() == 250
    assert set(stored.values_list("target", "state", "who")) == {
        ("https://example.org/batch", "public", "Lab")
    }
    assert all(a.metadata == {"series": "S1"} for a in stored)
    assert ArkEvent.objects.filter(ark__in=stored, action="mint").count() == 250


def test_items_mint_one_ark_each_in_order(world):
    items = [
        {"target": f"https://example.org/{i}", "state": "public", "metadata": {"what": f"Item {i}"}}
        for i in range(120)
    ]
    items.append({})  # a reserved ARK without anything yet
    answer = bulk(world.a, items=items)
    assert answer.status == 201, answer.body
    arks = [Ark.objects.get(key=a["ark"]) for a in answer.body["arks"]]
    assert [a.target for a in arks[:120]] == [f"https://example.org/{i}" for i in range(120)]
    assert [a.what for a in arks[:120]] == [f"Item {i}" for i in range(120)]
    assert (arks[-1].state, arks[-1].target) == ("reserved", "")


def test_without_a_state_bulk_arks_with_a_target_are_public_and_others_reserved(world):
    shared = bulk(world.a, count=3, target="https://example.org/batch")
    assert shared.status == 201, shared.body
    names = [a["ark"] for a in shared.body["arks"]]
    assert set(Ark.objects.filter(key__in=names).values_list("state", flat=True)) == {"public"}
    items = [
        {"target": "https://example.org/1"},
        {},
        {"target": "https://e.org/2", "state": "reserved"},
    ]
    answer = bulk(world.a, items=items)
    assert answer.status == 201, answer.body
    states = [Ark.objects.get(key=a["ark"]).state for a in answer.body["arks"]]
    assert states == ["public", "reserved", "reserved"]
    assert bulk(world.a, count=2).status == 201  # no target: reserved, as before


def test_ten_thousand_at_once(world):
    answer = bulk(world.a, count=10_000)
    assert answer.status == 201
    assert len({a["ark"] for a in answer.body["arks"]}) == 10_000
    assert Ark.objects.filter(shoulder__prefix="fk4").count() == 10_000


def test_all_or_nothing_when_an_item_is_wrong(world):
    items = [{"target": f"https://example.org/{i}"} for i in range(50)]
    items[17] = {"target": "javascript:alert(1)"}
    items[33] = {"target": "https://example.org/x", "state": "gone"}
    items[40] = "not an object"
    items[41] = {"target": "https://example.org/", "metadata": {"who": 1}}
    items[42] = {"targte": "https://example.org/"}
    items[43] = {"state": "public"}
    answer = bulk(world.a, items=items)
    assert answer.status == 400
    assert [(e["field"], e["code"]) for e in answer.errors] == [
        ("items[17].target", "invalid_target"),
        ("items[33].state", "invalid"),
        ("items[40]", "invalid"),
        ("items[41].metadata.who", "invalid"),
        ("items[42].targte", "invalid"),
        ("items[43].target", "invalid"),
    ]
    assert Ark.objects.count() == 0
    assert Shoulder.objects.get(prefix="fk4").counter == 0


def test_all_or_nothing_when_the_shoulder_runs_out(world):
    naan = world.shoulders["fk4"].naan
    services.delegate_shoulder(naan=naan, prefix="t9", organization=world.a.org, template="sdd")
    bulk(world.a, shoulder="ark:99999/t9", count=60)
    answer = bulk(world.a, shoulder="ark:99999/t9", count=41)
    assert answer.status == 409
    assert "40 names left; 41 were asked for" in answer.error["message"]
    assert Ark.objects.filter(shoulder__prefix="t9").count() == 60
    assert bulk(world.a, shoulder="ark:99999/t9", count=40).status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "count"),
        ({"count": 2, "items": [{}]}, "count"),
        ({"count": 0}, "count"),
        ({"count": 10_001}, "count"),
        ({"count": "5"}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": True}, "count"),
        ({"items": []}, "items"),
        ({"items": [{}] * 10_001}, "items"),
        ({"items": {"target": "https://example.org/"}}, "items"),
        ({"items": [{}], "target": "https://example.org/"}, "target"),
        ({"items": [{}], "metadata": {}}, "metadata"),
        ({"count": 3, "stat": "public"}, "stat"),
    ],
)
def test_bulk_requests_are_checked(world, body, field):
    answer = bulk(world.a, **body)
    assert answer.status == 400, answer.body
    assert answer.errors[0]["field"] == field
    assert Ark.objects.count() == 0


def test_at_most_a_hundred_item_errors_are_listed(world):
    answer = bulk(world.a, items=[{"state": "nope"}] * 500)
    assert answer.status == 400
    assert len(answer.errors) == 100
