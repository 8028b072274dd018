"""GET /api/v1/arks: filters and cursor pagination; GET /api/v1/shoulders and /api/v1/naans."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.pagination import Cursor

from arks import services
from arks.api import pagination
from arks.errors import InvalidCursor
from arks.models import Ark


def minted(world, n: int, **fields) -> list[str]:
    body = {"shoulder": "ark:99999/fk4", "count": n, **fields}
    return [a["ark"] for a in world.a.api.post("arks/bulk", body).body["arks"]]


def follow(api, path: str) -> list[str]:
    seen = []
    while path:
        answer = api.get(path)
        assert answer.status == 200, answer.body
        seen += [a["ark"] for a in answer.body["results"]]
        path = answer.body["next"]
    return seen


def test_pages_walk_every_ark_once_newest_first(world):
    names = minted(world, 250)
    seen = follow(world.a.api, "arks?page_size=100")
    assert seen == list(reversed(names))


def test_pages_are_stable_while_arks_are_minted(world):
    names = minted(world, 30)
    first = world.a.api.get("arks?page_size=10")
    minted(world, 5)  # newer ARKs come before the cursor, not into the pages still to read
    rest = follow(world.a.api, first.body["next"])
    assert [a["ark"] for a in first.body["results"]] + rest == list(reversed(names))


def test_previous_goes_back(world):
    minted(world, 25)
    first = world.a.api.get("arks?page_size=10")
    second = world.a.api.get(first.body["next"])
    back = world.a.api.get(second.body["previous"])
    assert back.body["results"] == first.body["results"]
    assert first.body["previous"] is None


def test_filters_by_shoulder_state_and_update_time(world):
    reserved = minted(world, 3)
    public = minted(world, 2, target="https://example.org/", state="public")
    world.aggregator.api.post("arks/bulk", {"shoulder": "ark:99999/x7", "count": 4})

    def listed(api, query):
        return set(follow(api, f"arks?{query}"))

    assert listed(world.a.api, "state=reserved") == set(reserved)
    assert listed(world.a.api, "state=public") == set(public)
    assert listed(world.a.api, "shoulder=ark:99999/fk4") == set(reserved + public)
    assert len(listed(world.aggregator.api, "shoulder=ark:/99999/x7")) == 4
    assert len(listed(world.aggregator.api, "")) == 9

    later = timezone.now()
    Ark.objects.filter(key__in=reserved).update(updated_at=later - timedelta(days=2))
    Ark.objects.filter(key__in=public).update(updated_at=later + timedelta(seconds=1))
    since = quote((later - timedelta(days=1)).isoformat())
    assert listed(world.a.api, f"updated_since={since}") == set(public)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=deleted", "state"),
        ("updated_since=yesterday", "updated_since"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=ten", "page_size"),
        ("shoulder=not a shoulder!", "shoulder"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_list_parameters_are_checked(world, query, field):
    answer = world.a.api.get(f"arks?{query}")
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


def b64(text: str) -> str:
    return quote(base64.b64encode(text.encode()).decode(), safe="")


# Cursors no page ever gave out. DRF's own decoding served the first page for most of them: it
# drops characters outside the base64 alphabet and ignores tokens it does not know.
NOT_CURSORS = [
    "",
    "garbage",
    "!!!!",
    "%20",
    quote("cD0x\n"),
    b64("foo"),
    b64("x=1"),
    b64("p=1&x=2"),
    b64("p=1&p=2"),
    b64("r=2&p=1"),
    b64("r=0&p=1"),
    b64("o=0&p=1"),
    b64("o=-1&p=1"),
    b64("o=01&p=1"),
    b64("o=5000&p=1"),
    b64("p=1&r=1"),  # a known cursor's tokens in another order
    b64("p=abc"),
    b64("p=99999999999999999999999"),
    b64("o=x"),
    b64("p=1") + "%3D%3D",
    "A" * 2000,
]


@pytest.mark.parametrize("cursor", NOT_CURSORS)
@pytest.mark.parametrize("endpoint", ["arks", "works"])
def test_a_cursor_that_cannot_be_decoded_is_refused(world, endpoint, cursor):
    minted(world, 3)
    answer = world.a.api.get(f"{endpoint}?cursor={cursor}")
    assert answer.status == 400, answer.body
    assert answer.error["code"] == "invalid_cursor"
    assert answer.error["field"] == "cursor"
    assert "cursor" in answer.error["message"]


@given(st.text(max_size=40))
def test_only_cursors_the_api_writes_are_read(text):
    """Whatever decodes is written back identically: nothing but a given-out cursor passes."""
    try:
        cursor = pagination.decode(text)
    except InvalidCursor:
        return
    assert pagination.encode(cursor) == text


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(offset=0, reverse=False, position="123"),
        Cursor(offset=0, reverse=True, position="9"),
        Cursor(offset=100, reverse=False, position=None),
        Cursor(offset=7, reverse=True, position="5"),
    ],
)
def test_cursors_the_api_gives_out_are_read_back(cursor):
    assert pagination.decode(pagination.encode(cursor)) == cursor


def test_an_unknown_shoulder_filter_is_not_found(world):
    answer = world.a.api.get("arks?shoulder=ark:99999/zz9")
    assert answer.status == 404
    assert answer.error["field"] == "shoulder"


def test_cursor_links_carry_the_filters(world):
    minted(world, 15, target="https://example.org/", state="public")
    answer = world.a.api.get("arks?state=public&page_size=5")
    query = parse_qs(urlsplit(answer.body["next"]).query)
    assert query["state"] == ["public"]
    assert query["page_size"] == ["5"]


def test_shoulders_show_counts_and_capacity(world):
    naan = world.shoulders["fk4"].naan
    services.delegate_shoulder(naan=naan, prefix="t9", organization=world.a.org, template="sdd")
    minted(world, 3)
    minted(world, 2, target="https://example.org/", state="public")
    world.a.api.post("arks/bulk", {"shoulder": "ark:99999/t9", "count": 7})
    ark = minted(world, 1)[0]
    world.a.api.delete(f"arks/{ark}?reason=test")
    answer = world.a.api.get("shoulders")
    assert answer.status == 200
    fk4, t9 = answer.body["results"]
    assert fk4 == {
        "shoulder": "ark:99999/fk4",
        "naan": "99999",
        "organization": "Institution A",
        "naan_holder": "Aggregator",
        "template": "zeedk",
        "test": True,
        "active": True,
        "minted": 6,
        "capacity": None,
        "remaining": None,
        "counts": {"reserved": 3, "public": 2, "unavailable": 1},
    }
    assert (t9["minted"], t9["capacity"], t9["remaining"]) == (7, 100, 93)
    assert t9["counts"] == {"reserved": 7, "public": 0, "unavailable": 0}


def test_naans_list_where_each_is_served(world):
    services.register_naan(naan="b5060", holder=world.c.org, forward_to="https://other.example/")
    answer = world.anonymous.get("naans")
    forwarded = next(n for n in answer.body["results"] if n["naan"] == "b5060")
    assert forwarded == {
        "naan": "b5060",
        "holder": "Institution C",
        "served": False,
        "forward_to": "https://other.example/",
        "policy": "",
        "url": "http://127.0.0.1:8000/ark:b5060",
    }
