"""POST /api/v1/arks: one ARK, everything stored in the answer, and every refusal named."""

from __future__ import annotations

import pytest

from arks import services
from arks.models import Ark, ArkEvent, Shoulder


def test_minting_answers_201_with_everything_stored(world):
    metadata = {
        "who": "Doe, Jane",
        "what": "A study of things",
        "when": "2024",
        "where": "https://repo.example.org/item/7",
        "type": "dataset",
        "funders": [{"name": "ANR", "grant": "ANR-22-X"}],
    }
    answer = world.a.api.mint(target="https://repo.example.org/item/7", state="public",
                              metadata=metadata)  # fmt: skip
    assert answer.status == 201, answer.body
    body = answer.body
    stored = Ark.objects.get(key=body["ark"])
    assert body["ark"].startswith("ark:99999/fk4")
    assert body["url"] == f"http://127.0.0.1:8000/{body['ark']}"
    assert answer.headers["Location"] == f"/api/v1/arks/{body['ark']}"
    assert body == {
        "ark": stored.ark,
        "url": body["url"],
        "shoulder": "ark:99999/fk4",
        "naan": "99999",
        "owner": "Institution A",
        "state": "public",
        "target": "https://repo.example.org/item/7",
        "reason": "",
        "metadata": metadata,
        "merged_into": None,
        "created": stored.created_at.isoformat(),
        "updated": stored.updated_at.isoformat(),
    }
    assert (stored.who, stored.what, stored.when) == ("Doe, Jane", "A study of things", "2024")
    assert stored.metadata == {"type": "dataset", "funders": [{"name": "ANR", "grant": "ANR-22-X"}]}
    assert ArkEvent.objects.get(ark=stored).action == "mint"


def test_a_minted_public_ark_resolves(world, client):
    ark = world.a.api.mint(target="https://example.org/paper", state="public").body["ark"]
    response = client.get(f"/{ark}")
    assert response.status_code == 302
    assert response["Location"] == "https://example.org/paper"


def test_a_target_without_a_state_makes_a_public_ark_as_ezid_does(world, client):
    answer = world.a.api.mint(target="https://example.org/paper")
    assert answer.status == 201, answer.body
    assert answer.body["state"] == "public"
    assert client.get(f"/{answer.body['ark']}")["Location"] == "https://example.org/paper"
    kept = world.a.api.mint(target="https://example.org/draft", state="reserved").body
    assert (kept["state"], kept["target"]) == ("reserved", "https://example.org/draft")


def test_defaults_are_a_reserved_ark_without_target_or_metadata(world, client):
    answer = world.a.api.mint()
    assert answer.status == 201
    assert answer.body["state"] == "reserved"
    assert answer.body["target"] == ""
    assert answer.body["metadata"] == {"who": "", "what": "", "when": "", "where": ""}
    assert client.get(f"/{answer.body['ark']}").status_code == 404  # reserved: not public


def test_every_mint_gets_a_new_name(world):
    names = {world.a.api.mint().body["ark"] for _ in range(20)}
    assert len(names) == 20


@pytest.mark.parametrize(
    "shoulder", ["ark:99999/fk4", "ark:/99999/fk4", "99999/fk4", "ARK:99999/fk4"]
)
def test_the_shoulder_may_be_written_in_any_equivalent_form(world, shoulder):
    assert world.a.api.mint(shoulder).status == 201


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("javascript:alert(1)", "absolute http or https"),
        ("data:text/html,<script>alert(1)</script>", "absolute http or https"),
        ("ftp://example.org/file", "absolute http or https"),
        ("/relative/path", "absolute http or https"),
        ("example.org/no-scheme", "absolute http or https"),
        ("https://user:secret@example.org/", "credentials"),
        ("https://user@example.org/", "credentials"),
        ("https:///no-host", "no host"),
        ("http://[oops/", "host"),
        ("https://example.org/a b", "whitespace"),
        ("https://example.org/\x07", "control"),
        ("https://example.org/" + "x" * 2000, "2000"),
    ],
)
def test_targets_must_be_absolute_http_urls_without_credentials(world, target, problem):
    answer = world.a.api.mint(target=target, state="public")
    assert answer.status == 400, answer.body
    assert answer.error["field"] == "target"
    assert problem in answer.error["message"]
    assert Ark.objects.count() == 0


def test_a_public_ark_needs_a_target(world):
    for target in ({}, {"target": ""}, {"target": "   "}):
        answer = world.a.api.mint(state="public", **target)
        assert answer.status == 400
        assert answer.error == {
            "code": "invalid",
            "field": "target",
            "message": "a public ARK needs a target",
        }
    bulk = {"shoulder": "ark:99999/fk4", "count": 2, "state": "public"}
    assert world.a.api.post("arks/bulk", bulk).error["field"] == "target"


@pytest.mark.parametrize("state", ["unavailable", "deleted", 1, None, ["public"]])
def test_a_new_ark_is_reserved_or_public(world, state):
    answer = world.a.api.mint(state=state)
    assert answer.status == 400
    assert answer.error["field"] == "state"


@pytest.mark.parametrize(
    ("metadata", "field", "problem"),
    [
        ([], "metadata", "JSON object"),
        ("who: me", "metadata", "JSON object"),
        ({"who": 7}, "metadata.who", "text"),
        ({"when": ["2024"]}, "metadata.when", "text"),
        ({"what": "x" * 10_001}, "metadata.what", "10000"),
        ({"notes": "x" * 70_000}, "metadata", "65536"),
        ({"who": "a\x00b"}, "metadata.who", "NUL"),
        ({"deep": {"er": ["a\x00"]}}, "metadata.deep.er[0]", "NUL"),
        ({"bad\x00key": 1}, "metadata", "key"),
        ({"who": "\ud800"}, "metadata.who", "surrogate"),
        (
            {"d": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]},
            "metadata.d[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
            "16",
        ),
    ],
)
def test_metadata_is_checked_and_the_field_named(world, metadata, field, problem):
    answer = world.a.api.mint(metadata=metadata)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field
    assert problem in answer.error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shoulder": "ark:99999/fk4", "tagret": "https://example.org/"}, "tagret"),
        ({"shoulder": 99999}, "shoulder"),
        ({"target": "https://example.org/"}, "shoulder"),
        ({"shoulder": "ark:99999/fk4", "target": 12}, "target"),
        ({"shoulder": "ark:99999/fk4", "target": None}, "target"),
        ({"shoulder": "x" * 301}, "shoulder"),
        ([{"shoulder": "ark:99999/fk4"}], "body"),
        ("ark:99999/fk4", "body"),
    ],
)
def test_bodies_are_strict_and_errors_name_the_field(world, body, field):
    answer = world.a.api.post("arks", body)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


@pytest.mark.parametrize(
    ("shoulder", "status", "code"),
    [
        ("ark:99999/zz9", 404, "not_found"),
        ("ark:88888/fk4", 404, "not_found"),
        ("not a shoulder!", 400, "invalid"),
        ("ark:99999/fk4\x00", 400, "null_characters_not_allowed"),
    ],
)
def test_unknown_or_malformed_shoulders(world, shoulder, status, code):
    answer = world.a.api.mint(shoulder)
    assert answer.status == status, answer.body
    assert answer.error["field"] == "shoulder"
    assert answer.error["code"] == code


def test_an_inactive_shoulder_mints_nothing(world):
    Shoulder.objects.filter(prefix="fk4").update(is_active=False)
    answer = world.a.api.mint()
    assert answer.status == 409
    assert answer.error["code"] == "shoulder_unavailable"
    assert answer.error["field"] == "shoulder"


def test_a_full_shoulder_says_so(world):
    org = world.a.org
    naan = world.shoulders["fk4"].naan
    services.delegate_shoulder(naan=naan, prefix="t9", organization=org, template="sd")
    for _ in range(10):
        assert world.a.api.mint("ark:99999/t9").status == 201
    answer = world.a.api.mint("ark:99999/t9")
    assert answer.status == 409
    assert "0 names left" in answer.error["message"]
    assert Shoulder.objects.get(prefix="t9").counter == 10
