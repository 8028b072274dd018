"""The identifier layer's writes: minting, binding, state changes, merges, delegation, keys."""

from __future__ import annotations

import pytest

from arks import selectors, services
from arks.domain import noid
from arks.errors import (
    InvalidInput,
    InvalidStateChange,
    InvalidTarget,
    InvalidTemplateError,
    MergeRefused,
    ShoulderConflict,
    ShoulderUnavailable,
)
from arks.models import ApiKey, Ark, ArkEvent
from tests import factories

pytestmark = pytest.mark.django_db
ACTOR = "test:services"


def test_mint_follows_the_shoulder_template_and_check_character():
    shoulder = factories.shoulder("fk4", template="zeedk")
    arks = services.mint(shoulder=shoulder, actor=ACTOR, count=3)
    template = noid.Template.parse("zeedk", prefix="fk4")
    assert [a.ark for a in arks] == [
        f"ark:99999/{template.name(i, naan='99999')}" for i in range(3)
    ]
    for ark in arks:
        assert template.matches(ark.ark.split("/", 1)[1], naan="99999")
        assert noid.has_valid_check_char(ark.key.removeprefix("ark:"))


def test_mint_records_owner_state_target_metadata_and_history():
    org = factories.organization("Universidad de Ejemplo")
    shoulder = factories.shoulder("b5", org=org)
    data = services.ArkData(
        target="https://repo.example.org/item/1",
        state="public",
        who="Pérez, Ana",
        what="Un título",
        when="2024",
        metadata={"type": "article"},
    )
    (ark,) = services.mint(shoulder=shoulder, actor=ACTOR, data=data)
    stored = Ark.objects.get(pk=ark.pk)
    assert (stored.owner, stored.state, stored.target) == (org, "public", data.target)
    assert (stored.who, stored.what, stored.when, stored.metadata) == (
        "Pérez, Ana", "Un título", "2024", {"type": "article"}
    )  # fmt: skip
    (event,) = stored.events.all()
    assert event.action == ArkEvent.Action.MINT and event.actor == ACTOR
    assert event.changes["target"] == [None, data.target]


def test_counter_advances_by_what_was_minted_and_names_never_repeat():
    shoulder = factories.shoulder()
    first = services.mint(shoulder=shoulder, actor=ACTOR, count=5)
    second = services.mint(shoulder=shoulder, actor=ACTOR, count=7)
    shoulder.refresh_from_db()
    assert shoulder.counter == 12
    assert len({a.ark for a in first + second}) == 12


def test_mint_each_binds_each_item_and_is_all_or_nothing():
    shoulder = factories.shoulder()
    items = [services.ArkData(target=f"https://x.example/{i}", state="public") for i in range(3)]
    arks = services.mint_each(shoulder=shoulder, actor=ACTOR, items=items)
    assert [a.target for a in arks] == [i.target for i in items]
    bad = [*items, services.ArkData(target="javascript:alert(1)")]
    with pytest.raises(InvalidTarget):
        services.mint_each(shoulder=shoulder, actor=ACTOR, items=bad)
    shoulder.refresh_from_db()
    assert shoulder.counter == 3 and Ark.objects.count() == 3


def test_bounded_shoulder_is_exhausted_without_losing_its_counter():
    shoulder = factories.shoulder("x9", template="rd")  # ten names
    services.mint(shoulder=shoulder, actor=ACTOR, count=8)
    with pytest.raises(ShoulderUnavailable, match="2 names left"):
        services.mint(shoulder=shoulder, actor=ACTOR, count=3)
    shoulder.refresh_from_db()
    assert shoulder.counter == 8  # the failed request rolled back its reservation
    services.mint(shoulder=shoulder, actor=ACTOR, count=2)
    assert Ark.objects.filter(shoulder=shoulder).count() == 10
    assert selectors.shoulder_remaining(shoulder) == 0


def test_inactive_shoulder_does_not_mint():
    shoulder = factories.shoulder()
    shoulder.is_active = False
    shoulder.save()
    with pytest.raises(ShoulderUnavailable, match="not active"):
        services.mint(shoulder=shoulder, actor=ACTOR)


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.org/file",
        "//example.org/no-scheme",
        "https://user:secret@example.org/",
        "https://example.org/a b",
        "https:///nohost",
        "https://example.org/" + "a" * 2000,
    ],
)
def test_targets_other_than_plain_http_urls_are_refused(target):
    shoulder = factories.shoulder()
    with pytest.raises(InvalidTarget) as info:
        services.mint(shoulder=shoulder, actor=ACTOR, data=services.ArkData(target=target))
    assert info.value.field == "target"


def test_oversized_metadata_and_bad_counts_are_refused():
    shoulder = factories.shoulder()
    big = services.ArkData(metadata={"blob": "x" * (services.MAX_METADATA_BYTES + 1)})
    with pytest.raises(InvalidInput, match="metadata"):
        services.mint(shoulder=shoulder, actor=ACTOR, data=big)
    for count in (0, services.MAX_BATCH + 1):
        with pytest.raises(InvalidInput, match="count"):
            services.mint(shoulder=shoulder, actor=ACTOR, count=count)


def test_public_needs_a_target():
    shoulder = factories.shoulder()
    with pytest.raises(InvalidStateChange, match="target"):
        services.mint(shoulder=shoulder, actor=ACTOR, data=services.ArkData(state="public"))


def test_update_records_only_what_changed_and_repeating_it_changes_nothing():
    (ark,) = services.mint(shoulder=factories.shoulder(), actor=ACTOR)
    services.update_ark(ark=ark, actor="a", target="https://example.org/1", what="Title")
    services.update_ark(ark=ark, actor="a", target="https://example.org/1", what="Title")
    events = list(ark.events.order_by("id"))
    assert [e.action for e in events] == ["mint", "update"]
    assert events[1].changes == {
        "target": ["", "https://example.org/1"],
        "what": ["", "Title"],
    }


def test_state_machine_allows_withdrawal_and_reinstatement_but_never_unpublishing():
    data = services.ArkData(target="https://example.org/", state="public")
    (ark,) = services.mint(shoulder=factories.shoulder(), actor=ACTOR, data=data)
    with pytest.raises(InvalidStateChange, match="public to reserved"):
        services.update_ark(ark=ark, actor=ACTOR, state="reserved")
    with pytest.raises(InvalidStateChange, match="reason"):
        services.update_ark(ark=ark, actor=ACTOR, state="unavailable")
    gone = services.tombstone(ark=ark, actor=ACTOR, reason="Retracted by the publisher")
    assert (gone.state, gone.reason) == ("unavailable", "Retracted by the publisher")
    back = services.update_ark(ark=gone, actor=ACTOR, state="public")
    assert (back.state, back.reason) == ("public", "")
    assert [e.action for e in ark.events.order_by("id")] == ["mint", "tombstone", "state"]


def test_public_ark_keeps_a_target():
    data = services.ArkData(target="https://example.org/", state="public")
    (ark,) = services.mint(shoulder=factories.shoulder(), actor=ACTOR, data=data)
    with pytest.raises(InvalidStateChange, match="target"):
        services.update_ark(ark=ark, actor=ACTOR, target="")


def test_update_refuses_unknown_fields():
    (ark,) = services.mint(shoulder=factories.shoulder(), actor=ACTOR)
    with pytest.raises(InvalidInput, match="owner"):
        services.update_ark(ark=ark, actor=ACTOR, owner="someone else")


def test_merge_points_at_the_final_survivor_and_refuses_cycles():
    a, b, c = services.mint(shoulder=factories.shoulder(), actor=ACTOR, count=3)
    services.merge(ark=b, into=c, actor=ACTOR)
    merged = services.merge(ark=a, into=b, actor=ACTOR)  # b already resolves through c
    assert merged.merged_into == c
    with pytest.raises(MergeRefused):
        services.merge(ark=c, into=a, actor=ACTOR)
    with pytest.raises(MergeRefused):
        services.merge(ark=c, into=c, actor=ACTOR)
    assert a.events.filter(action="merge").get().changes == {"merged_into": [None, c.ark]}


def test_delegation_refuses_overlapping_and_malformed_shoulders():
    shoulder = factories.shoulder("fk4")
    for prefix in ("fk", "fk45"):
        with pytest.raises(ShoulderConflict):
            services.delegate_shoulder(
                naan=shoulder.naan, prefix=prefix, organization=shoulder.organization
            )
    with pytest.raises(InvalidInput, match="betanumeric"):
        services.delegate_shoulder(
            naan=shoulder.naan, prefix="a1", organization=shoulder.organization
        )
    with pytest.raises(InvalidTemplateError):
        services.delegate_shoulder(
            naan=shoulder.naan, prefix="b7", organization=shoulder.organization, template="zqq"
        )


def test_naan_is_text_with_leading_zeros_and_rejects_non_betanumerics():
    org = factories.organization()
    assert services.register_naan(naan="013960", holder=org).naan == "013960"
    assert services.register_naan(naan="13960", holder=org).naan == "13960"
    with pytest.raises(InvalidInput):
        services.register_naan(naan="12a45", holder=org)


def test_forwarded_naan_needs_an_http_template():
    org = factories.organization()
    naan = services.register_naan(
        naan="12148", holder=org, forward_to="https://ark.bnf.fr/ark:${content}"
    )
    assert (naan.served, naan.forward_to) == (False, "https://ark.bnf.fr/ark:${content}")
    with pytest.raises(InvalidTarget):
        services.register_naan(naan="12149", holder=org, forward_to="javascript:alert(1)")


def test_api_keys_are_stored_hashed_shown_once_and_revocable():
    org = factories.organization()
    api_key, key = services.issue_api_key(organization=org, name="repository")
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert key.startswith(stored.prefix + ".")
    assert key not in {stored.hashed_key, stored.id, stored.name}
    assert stored.hashed_key.startswith("sha512$$")
    assert ApiKey.objects.is_valid(key)
    services.revoke_api_key(api_key=stored)
    assert not ApiKey.objects.is_valid(key)


def test_find_ark_accepts_every_equivalent_form():
    (ark,) = services.mint(shoulder=factories.shoulder(), actor=ACTOR)
    name = ark.ark.removeprefix("ark:99999/")
    hyphenated = "-".join(name)
    forms = [
        ark.ark,
        f"ark:/99999/{name}",
        f"ARK:/99999/{name}",
        f"https://resolver.example.org/some/path/ark:99999/{name}",
        f"ark:99999/{hyphenated}",
        f"ark:99999/{name}/",
    ]
    assert {selectors.find_ark(text).pk for text in forms} == {ark.pk}


def test_nul_characters_are_refused_before_the_database_sees_them():
    shoulder = factories.shoulder()
    with pytest.raises(InvalidInput, match="NUL"):
        services.mint(shoulder=shoulder, actor=ACTOR, data=services.ArkData(what="a\x00b"))
    with pytest.raises(InvalidInput, match="NUL"):
        services.mint(shoulder=shoulder, actor=ACTOR, data=services.ArkData(metadata={"k\x00": 1}))
