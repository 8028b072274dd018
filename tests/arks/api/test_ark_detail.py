"""GET, PATCH and DELETE /api/v1/arks/{ark}, and its history: the ARK in any equivalent form,
changes recorded, withdrawal a tombstone that keeps resolving."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from arks import services
from arks.models import Ark, ArkEvent


@pytest.fixture
def ark(world) -> str:
    answer = world.a.api.mint(target="https://example.org/v1", state="public",
                              metadata={"who": "Doe", "what": "Paper", "lang": "fr"})  # fmt: skip
    return answer.body["ark"]


def test_an_ark_is_read_in_any_equivalent_form(world, ark):
    naan, name = ark.removeprefix("ark:").split("/")
    hyphenated = f"{name[:3]}-{name[3:]}"
    forms = [
        ark,
        f"ark:/{naan}/{name}",
        f"ARK:{naan}/{name}",
        f"ark:{naan}/{hyphenated}",
        quote(ark, safe=""),
        quote(f"ark:/{naan}/{name}", safe=""),
    ]
    for form in forms:
        answer = world.a.api.get(f"arks/{form}")
        assert answer.status == 200, (form, answer.body)
        assert answer.body["ark"] == ark


def test_unknown_and_malformed_arks(world):
    unknown = world.a.api.get("arks/ark:99999/fk4nothere")
    assert unknown.status == 404
    assert unknown.error == {
        "code": "not_found",
        "field": "ark",
        "message": "ark:99999/fk4nothere is not known here",
    }
    for text in ("not-an-ark", "ark:99999/a..b", "ark:99999/%zz", "ark:99999/x" + "y" * 3000):
        answer = world.a.api.get(f"arks/{quote(text)}")
        assert answer.status == 400, text
        assert answer.error["code"] == "invalid_ark"
        assert answer.error["field"] == "ark"


def test_patch_changes_what_is_given_and_records_it(world, ark):
    answer = world.a.api.patch(f"arks/{ark}", {"target": "https://example.org/v2"})
    assert answer.status == 200
    assert answer.body["target"] == "https://example.org/v2"
    assert answer.body["metadata"] == {"who": "Doe", "what": "Paper", "when": "", "where": "",
                                       "lang": "fr"}  # fmt: skip
    event = ArkEvent.objects.filter(ark__key=ark).last()
    assert event.action == "update"
    assert event.changes == {"target": ["https://example.org/v1", "https://example.org/v2"]}


def test_patch_replaces_the_metadata_object(world, ark):
    answer = world.a.api.patch(f"arks/{ark}", {"metadata": {"what": "Paper, 2nd ed."}})
    assert answer.body["metadata"] == {"who": "", "what": "Paper, 2nd ed.", "when": "",
                                       "where": ""}  # fmt: skip
    stored = Ark.objects.get(key=ark)
    assert (stored.who, stored.what, stored.metadata) == ("", "Paper, 2nd ed.", {})


def test_patch_with_the_same_values_changes_nothing(world, ark):
    events = ArkEvent.objects.filter(ark__key=ark).count()
    assert world.a.api.patch(f"arks/{ark}", {"target": "https://example.org/v1"}).status == 200
    assert world.a.api.patch(f"arks/{ark}", {}).status == 200
    assert ArkEvent.objects.filter(ark__key=ark).count() == events


def test_reserved_arks_are_published_by_patch(world, client):
    ark = world.a.api.mint().body["ark"]
    assert client.get(f"/{ark}").status_code == 404
    answer = world.a.api.patch(f"arks/{ark}", {"state": "public", "target": "https://e.org/x"})
    assert answer.status == 200
    assert client.get(f"/{ark}").status_code == 302


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"state": "reserved"}, "state", "cannot go from public to reserved"),
        ({"target": ""}, "target", "a public ARK needs a target"),
        ({"state": "unavailable"}, "reason", "needs a reason"),
    ],
)
def test_state_changes_that_are_not_allowed_conflict(world, ark, change, field, message):
    answer = world.a.api.patch(f"arks/{ark}", change)
    assert answer.status == 409
    assert answer.error["code"] == "invalid_state_change"
    assert answer.error["field"] == field
    assert message in answer.error["message"]
    assert Ark.objects.get(key=ark).state == "public"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "javascript:alert(1)"}, "target"),
        ({"state": "deleted"}, "state"),
        ({"metadata": "x"}, "metadata"),
        ({"reason": 5}, "reason"),
        ({"owner": "Institution B"}, "owner"),
        ({"ark": "ark:99999/other"}, "ark"),
    ],
)
def test_patch_bodies_are_checked(world, ark, body, field):
    answer = world.a.api.patch(f"arks/{ark}", body)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


def test_delete_withdraws_the_ark_into_a_tombstone_that_keeps_resolving(world, ark, client):
    answer = world.a.api.delete(f"arks/{ark}?reason=Retracted by the authors")
    assert answer.status == 200
    assert answer.body["state"] == "unavailable"
    assert answer.body["reason"] == "Retracted by the authors"
    stored = Ark.objects.get(key=ark)  # nothing is removed
    assert (stored.target, stored.what) == ("https://example.org/v1", "Paper")
    page = client.get(f"/{ark}")
    assert page.status_code == 410
    assert "Retracted by the authors" in page.content.decode()
    assert ArkEvent.objects.filter(ark=stored).last().action == "tombstone"


def test_the_reason_may_come_in_a_json_body(world, ark):
    answer = world.a.api.delete(f"arks/{ark}", {"reason": "Duplicate of another record"})
    assert answer.status == 200
    assert answer.body["reason"] == "Duplicate of another record"


@pytest.mark.parametrize(
    ("path_suffix", "body"),
    [("", None), ("?reason=", None), ("", {"reason": ""}), ("", {"why": "x"})],
)
def test_withdrawing_needs_a_reason(world, ark, path_suffix, body):
    answer = world.a.api.delete(f"arks/{ark}{path_suffix}", body)
    assert answer.status == 400
    assert answer.errors[0]["field"] in ("reason", "why")
    assert Ark.objects.get(key=ark).state == "public"


def test_a_withdrawn_ark_can_be_published_again(world, ark, client):
    world.a.api.delete(f"arks/{ark}?reason=Mistake")
    answer = world.a.api.patch(f"arks/{ark}", {"state": "public"})
    assert answer.status == 200
    assert answer.body["reason"] == ""
    assert client.get(f"/{ark}").status_code == 302


def test_history_lists_every_change_oldest_first(world, ark):
    world.a.api.patch(f"arks/{ark}", {"target": "https://example.org/v2"})
    world.a.api.delete(f"arks/{ark}?reason=Gone")
    answer = world.a.api.get(f"arks/{ark}/history")
    assert answer.status == 200
    assert answer.body["ark"] == ark
    events = answer.body["events"]
    assert [e["action"] for e in events] == ["mint", "update", "tombstone"]
    assert events[1]["changes"] == {"target": ["https://example.org/v1", "https://example.org/v2"]}
    assert events[2]["changes"]["reason"] == ["", "Gone"]


def test_merged_arks_say_what_they_resolve_through(world, ark):
    other = world.a.api.mint(target="https://example.org/o", state="public").body["ark"]
    services.merge(ark=Ark.objects.get(key=other), into=Ark.objects.get(key=ark), actor="test")
    assert world.a.api.get(f"arks/{other}").body["merged_into"] == ark
