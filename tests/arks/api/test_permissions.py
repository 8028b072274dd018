"""Who may act on which ARKs: an institution on its delegated shoulders, a NAAN holder on every
shoulder of its NAANs, nobody on another organisation's (404, as if it did not exist), through
every endpoint."""

from __future__ import annotations

import pytest

from arks import services
from arks.models import Ark, ArkEvent


def mint_as(party, shoulder: str) -> str:
    answer = party.api.mint(shoulder, target="https://example.org/", state="public")
    assert answer.status == 201, answer.body
    return answer.body["ark"]


def attempts(ark: str) -> list[tuple[str, str, object]]:
    return [
        ("GET", f"arks/{ark}", None),
        ("GET", f"arks/{ark}/history", None),
        ("PATCH", f"arks/{ark}", {"target": "https://attacker.example/"}),
        ("DELETE", f"arks/{ark}?reason=mine+now", None),
    ]


def assert_untouched(ark: str) -> None:
    stored = Ark.objects.get(key=ark)
    assert stored.target == "https://example.org/"
    assert stored.state == "public"
    assert ArkEvent.objects.filter(ark=stored).count() == 1


@pytest.mark.parametrize("step", range(4))
def test_an_institution_cannot_touch_another_institutions_arks(world, step):
    ark = mint_as(world.b, "ark:99999/fk5")
    method, path, body = attempts(ark)[step]
    answer = world.a.api.call(method, path, body)
    assert answer.status == 404
    assert answer.error == {
        "code": "not_found",
        "field": "ark",
        "message": f"{ark} is not known here",
    }
    assert_untouched(ark)


@pytest.mark.parametrize("step", range(4))
def test_a_naan_holder_cannot_touch_arks_of_another_naan(world, step):
    ark = mint_as(world.c, "ark:12345/b2")
    method, path, body = attempts(ark)[step]
    assert world.aggregator.api.call(method, path, body).status == 404
    assert_untouched(ark)


@pytest.mark.parametrize("step", range(4))
def test_an_institution_cannot_touch_its_naan_holders_own_arks(world, step):
    ark = mint_as(world.aggregator, "ark:99999/x7")
    method, path, body = attempts(ark)[step]
    assert world.a.api.call(method, path, body).status == 404
    assert_untouched(ark)


def test_an_institution_acts_on_its_own_arks(world):
    ark = mint_as(world.a, "ark:99999/fk4")
    assert world.a.api.get(f"arks/{ark}").status == 200
    assert world.a.api.get(f"arks/{ark}/history").status == 200
    assert world.a.api.patch(f"arks/{ark}", {"target": "https://example.org/v2"}).status == 200
    assert world.a.api.delete(f"arks/{ark}?reason=duplicate").status == 200


def test_a_naan_holder_acts_on_every_shoulder_of_its_naans(world):
    ark = mint_as(world.a, "ark:99999/fk4")
    holder = world.aggregator.api
    assert holder.get(f"arks/{ark}").status == 200
    assert holder.patch(f"arks/{ark}", {"target": "https://example.org/fixed"}).status == 200
    assert holder.delete(f"arks/{ark}?reason=withdrawn by the aggregator").status == 200
    for shoulder in ("ark:99999/fk4", "ark:99999/fk5", "ark:99999/x7"):
        assert holder.mint(shoulder).status == 201
    assert holder.mint("ark:12345/b2").status == 403


def test_an_institution_mints_only_under_its_shoulders(world):
    assert world.a.api.mint("ark:99999/fk4").status == 201
    for shoulder in ("ark:99999/fk5", "ark:99999/x7", "ark:12345/b2"):
        answer = world.a.api.mint(shoulder)
        assert answer.status == 403
        assert answer.error["field"] == "shoulder"
        assert answer.error["code"] == "forbidden"
    bulk = world.a.api.post("arks/bulk", {"shoulder": "ark:99999/fk5", "count": 5})
    assert bulk.status == 403
    assert Ark.objects.filter(shoulder__prefix="fk5").count() == 0


def test_lists_hold_only_what_the_key_may_act_on(world):
    mine = mint_as(world.a, "ark:99999/fk4")
    theirs = mint_as(world.b, "ark:99999/fk5")
    holders = mint_as(world.aggregator, "ark:99999/x7")
    other_naan = mint_as(world.c, "ark:12345/b2")

    def listed(party):
        return {a["ark"] for a in party.api.get("arks").body["results"]}

    assert listed(world.a) == {mine}
    assert listed(world.b) == {theirs}
    assert listed(world.aggregator) == {mine, theirs, holders}
    assert listed(world.c) == {other_naan}
    assert listed(world.other_holder) == {other_naan}
    answer = world.a.api.get("arks?shoulder=ark:99999/fk5")
    assert answer.status == 404
    unknown = world.a.api.get("arks?shoulder=ark:99999/fk6")
    assert [answer.body, unknown.body] == [
        {"errors": [{"code": "not_found", "field": "shoulder",
                     "message": f"no shoulder ark:99999/{s} here that your key may use"}]}
        for s in ("fk5", "fk6")
    ]  # fmt: skip


def test_shoulders_list_what_the_key_may_mint_under(world):
    def shoulders(party):
        return [s["shoulder"] for s in party.api.get("shoulders").body["results"]]

    assert shoulders(world.a) == ["ark:99999/fk4"]
    assert shoulders(world.aggregator) == ["ark:99999/fk4", "ark:99999/fk5", "ark:99999/x7"]
    assert shoulders(world.other_holder) == ["ark:12345/b2"]


def test_arks_outside_any_shoulder_belong_to_their_owner_and_naan_holder(world):
    ark = services.register_ark(
        text="ark:99999/legacy-77", owner=world.b.org, actor="test"
    )  # an existing ARK moved here, under no shoulder
    assert ark.shoulder is None
    assert world.b.api.get("arks/ark:99999/legacy-77").status == 200
    assert world.aggregator.api.get("arks/ark:99999/legacy77").status == 200
    assert world.a.api.get("arks/ark:99999/legacy77").status == 404
    assert world.other_holder.api.get("arks/ark:99999/legacy77").status == 404
    assert "ark:99999/legacy-77" in {a["ark"] for a in world.b.api.get("arks").body["results"]}


def test_a_shoulder_moved_to_another_institution_moves_its_arks(world):
    ark = mint_as(world.a, "ark:99999/fk4")
    shoulder = world.shoulders["fk4"]
    shoulder.organization = world.b.org
    shoulder.save(update_fields=["organization"])
    assert world.a.api.get(f"arks/{ark}").status == 404
    assert world.b.api.get(f"arks/{ark}").status == 200


@pytest.mark.parametrize("step", range(4))
def test_another_organisations_reserved_ark_is_answered_as_an_unknown_one(world, step):
    """A reserved ARK is not public: the answer must not tell that it exists."""
    answer = world.b.api.mint("ark:99999/fk5")  # no target: reserved
    assert (answer.status, answer.body["state"]) == (201, "reserved")
    reserved = answer.body["ark"]
    unknown = "ark:99999/fk5zzzz"
    assert not Ark.objects.filter(key=unknown).exists()
    method, path, body = attempts(reserved)[step]
    hidden = world.a.api.call(method, path, body)
    method, path, body = attempts(unknown)[step]
    missing = world.a.api.call(method, path, body)
    assert hidden.status == missing.status == 404
    assert hidden.body == {
        "errors": [{**missing.error, "message": f"{reserved} is not known here"}]
    }
    assert missing.error == {"code": "not_found", "field": "ark",
                             "message": f"{unknown} is not known here"}  # fmt: skip
    stored = Ark.objects.get(key=reserved)
    assert (stored.state, stored.target) == ("reserved", "")
    assert ArkEvent.objects.filter(ark=stored).count() == 1
