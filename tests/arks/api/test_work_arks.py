"""The ARKs of aggregated works belong to the node: no API key writes one (403 ``work_ark``,
saying why), whoever holds the key — an institution, the NAAN holder, the node's own
organisation. The refusal is the service layer's, so it holds for every entry point."""

from __future__ import annotations

import pytest
from django.test import Client

from aggregation.models import Work
from arks import selectors, services
from arks.access import Actor
from arks.demo import create_demo_setup
from arks.errors import InvalidInput, NotFound, WorkArkProtected
from arks.models import Ark, ArkEvent, Organization
from tests.arks.api.conftest import Api

PIPELINE = Actor.aggregation("dedup")
PUBLIC = services.ArkData(target="https://repo.example/items/1", state="public", what="A work")


@pytest.fixture
def works(world):
    """The works shoulder ark:99999/w3 (the default PIDSVC_WORKS_SHOULDER), delegated to the
    aggregator, which holds NAAN 99999 and so becomes this node's organisation."""
    naan = world.shoulders["fk4"].naan
    return services.delegate_shoulder(naan=naan, prefix="w3", organization=world.aggregator.org)


@pytest.fixture
def work_ark(works) -> Ark:
    (ark,) = services.mint(shoulder=works, actor=PIPELINE, data=PUBLIC)
    return ark


def refusal(ark: str) -> dict[str, str]:
    return {
        "code": "work_ark",
        "field": "ark",
        "message": f"{ark} is the ARK of an aggregated work; it is written only by the "
        "aggregation pipeline and curators (merge and split the works in the admin)",
    }


def writes(ark: str) -> list[tuple[str, str, object]]:
    return [
        ("PATCH", f"arks/{ark}", {"target": "https://attacker.example/"}),
        ("PATCH", f"arks/{ark}", {"metadata": {"what": "Something else"}}),
        ("DELETE", f"arks/{ark}?reason=mine+now", None),
    ]


def assert_untouched(ark: Ark) -> None:
    stored = Ark.objects.get(pk=ark.pk)
    assert (stored.target, stored.state, stored.what) == (PUBLIC.target, "public", "A work")
    assert stored.metadata == {}
    assert ArkEvent.objects.filter(ark=stored).count() == 1


def test_the_works_shoulder_is_held_by_the_nodes_organisation(world, works, settings):
    assert works.organization == world.aggregator.org
    assert Organization.objects.get(is_node=True) == world.aggregator.org
    # No other organisation can be given a works shoulder, nor the shoulder moved to one.
    settings.PIDSVC_WORKS_SHOULDER = "ark:12345/w9"
    with pytest.raises(InvalidInput, match="ark:12345/w9 is the shoulder of aggregated works"):
        services.delegate_shoulder(
            naan=world.shoulders["b2"].naan, prefix="w9", organization=world.a.org
        )
    settings.PIDSVC_WORKS_SHOULDER = "ark:99999/w3"
    with pytest.raises(InvalidInput, match="Aggregator, not by Institution A"):
        services.check_shoulder_holder(shoulder=works, organization=world.a.org)


@pytest.mark.parametrize("step", range(3))
@pytest.mark.parametrize("who", ["a", "aggregator"])
def test_no_key_writes_a_works_ark(world, work_ark, who, step):
    """Institution A's key reads the work's ARK (public works are public) but may not write it;
    nor may the aggregator's, which holds the NAAN and is the node itself."""
    api = getattr(world, who).api
    assert api.get(f"arks/{work_ark.ark}").status == 200
    method, path, body = writes(work_ark.ark)[step]
    answer = api.call(method, path, body)
    assert answer.status == 403
    assert answer.error == refusal(work_ark.ark)
    assert_untouched(work_ark)


def test_a_naan_holder_that_is_not_the_node_may_not_write_works_arks(world, settings):
    settings.PIDSVC_WORKS_SHOULDER = "ark:12345/w9"
    node = services.ensure_organization(name="Regional node")
    other = world.shoulders["b2"].naan
    w9 = services.delegate_shoulder(naan=other, prefix="w9", organization=node)
    (ark,) = services.mint(shoulder=w9, actor=PIPELINE, data=PUBLIC)
    holder = world.other_holder.api  # holds NAAN 12345, and so every shoulder of it
    assert holder.get(f"arks/{ark.ark}").status == 200
    assert {a["ark"] for a in holder.get("arks").body["results"]} == {ark.ark}
    for method, path, body in writes(ark.ark):
        answer = holder.call(method, path, body)
        assert (answer.status, answer.error) == (403, refusal(ark.ark))
    minted = holder.mint("ark:12345/w9")
    assert minted.status == 403 and minted.error["code"] == "work_ark"
    assert_untouched(ark)


@pytest.mark.parametrize("who", ["a", "aggregator"])
def test_no_key_mints_under_the_works_shoulder(world, works, who):
    api = getattr(world, who).api
    message = (
        "ark:99999/w3 is the shoulder of aggregated works; its ARKs are minted only by the "
        "aggregation pipeline"
    )
    single = api.mint("ark:99999/w3", target="https://attacker.example/", state="public")
    bulk = api.post("arks/bulk", {"shoulder": "ark:99999/w3", "count": 3})
    items = api.post("arks/bulk", {"shoulder": "ark:99999/w3", "items": [{"target": ""}]})
    for answer in (single, bulk, items):
        assert answer.status == 403
        assert answer.error == {"code": "work_ark", "field": "shoulder", "message": message}
    works.refresh_from_db()
    assert works.counter == 0 and not Ark.objects.filter(shoulder=works).exists()
    # Nor is it offered among the shoulders the key may mint under.
    offered = [s["shoulder"] for s in api.get("shoulders").body["results"]]
    assert "ark:99999/w3" not in offered and offered


def test_the_ark_of_a_work_is_protected_wherever_it_was_minted(world):
    """A work whose ARK is not under today's works shoulder (minted under a former one)."""
    answer = world.aggregator.api.mint("ark:99999/x7", target=PUBLIC.target, state="public")
    ark = Ark.objects.get(key=answer.body["ark"])
    Work.objects.create(ark=ark)
    patch = world.aggregator.api.patch(f"arks/{ark.ark}", {"target": "https://elsewhere/"})
    assert (patch.status, patch.error) == (403, refusal(ark.ark))


def test_an_adopted_institution_ark_stays_its_owners(world):
    answer = world.a.api.mint(target="https://uni.example/soil", state="public")
    ark = Ark.objects.get(key=answer.body["ark"])
    Work.objects.create(ark=ark, adopted=True)
    patch = world.a.api.patch(f"arks/{ark.ark}", {"target": "https://uni.example/soil/v2"})
    assert patch.status == 200 and patch.body["target"] == "https://uni.example/soil/v2"
    assert world.a.api.delete(f"arks/{ark.ark}?reason=retracted").status == 200


def test_the_service_refuses_every_writer_but_the_pipeline(world, work_ark, works):
    """The check is in ``arks.services``: the command line, the admin and any other caller get
    it too; only the aggregation pipeline and its curators (``Actor.aggregation``) pass."""
    institution = Actor(name="Institution A (API key x)", organization=world.a.org)
    for actor in ("cli:mallory", "admin:eva", institution):
        with pytest.raises(WorkArkProtected):
            services.update_ark(ark=work_ark, actor=actor, target="https://attacker.example/")
        with pytest.raises(WorkArkProtected):
            services.tombstone(ark=work_ark, actor=actor, reason="gone")
        with pytest.raises(WorkArkProtected):
            services.mint(shoulder=works, actor=actor)
    (other,) = services.mint(shoulder=works, actor=PIPELINE, data=PUBLIC)
    with pytest.raises(WorkArkProtected):
        services.merge(ark=other, into=work_ark, actor="cli:mallory")
    assert_untouched(work_ark)
    # An institution's key gets nothing of another's reserved ARK, not even its existence.
    (hidden,) = services.mint(shoulder=world.shoulders["fk5"], actor="test")
    with pytest.raises(NotFound, match=f"{hidden.key} is not known here"):
        services.update_ark(ark=hidden, actor=institution, target="https://attacker.example/")
    changed = services.update_ark(ark=work_ark, actor=PIPELINE, what="A work, retitled")
    assert changed.what == "A work, retitled"
    assert ArkEvent.objects.filter(ark=work_ark).last().actor == "dedup"


def test_the_demo_key_cannot_touch_the_works_of_the_demo(db):
    demo = create_demo_setup()
    assert demo is not None
    works = selectors.find_shoulder("ark:99999/w3")
    assert works.organization.is_node and works.organization.name == "Demo Aggregator"
    (ark,) = services.mint(shoulder=works, actor=PIPELINE, data=PUBLIC)
    api = Api(Client(), demo.api_key)
    patch = api.patch(f"arks/{ark.ark}", {"target": "https://attacker.example/"})
    assert (patch.status, patch.error) == (403, refusal(ark.ark))
    assert api.delete(f"arks/{ark.ark}?reason=x").status == 403
    assert api.mint("ark:99999/w3").status == 403
    assert api.mint("ark:99999/fk4").status == 201  # its own shoulder, as before
    assert_untouched(ark)
