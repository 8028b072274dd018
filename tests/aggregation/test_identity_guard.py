"""Every dedup run, incremental too, puts back what anything other than identity changed in a
work's ARK, through the identifier layer's services (so the history says so); an institution's
ARK that a work adopted stays its owner's. The works shoulder belongs to the node."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from aggregation import identity
from arks import services as ark_services
from arks.access import Actor
from arks.models import Ark, ArkEvent, Naan, Organization, Shoulder
from tests.aggregation.identity_support import PageSource, works_shoulder
from tests.aggregation.test_identity import SOIL, work_of
from tests.arks.api.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True)


def held(ark: Ark) -> tuple[str, str, str, str, dict]:
    ark.refresh_from_db()
    return ark.target, ark.state, ark.who, ark.what, ark.metadata


@pytest.fixture
def source(tmp_path):
    works_shoulder()
    return PageSource(tmp_path / "a", "Repo A")


def test_an_incremental_run_puts_back_a_works_ark_changed_by_another_writer(source):
    source.publish({"1": SOIL})
    identity.run_dedup()
    work = work_of(source, "1")
    before = held(work.ark)
    assert before[0] == "https://doi.org/10.1234/soil.1" and before[1] == "public"
    events = ArkEvent.objects.filter(ark=work.ark).count()
    # Another writer goes around the services (a script on the database, say).
    Ark.objects.filter(pk=work.ark_id).update(
        target="https://attacker.example/", who="Someone else", metadata={"kind": "spam"}
    )
    report = identity.run_dedup()  # nothing was harvested: incremental, no record changed
    assert report.matched_records == 0 and report.restored == 1
    assert held(work.ark) == before
    event = ArkEvent.objects.filter(ark=work.ark).last()
    assert (event.actor, event.note) == ("dedup", identity.RESTORED_NOTE)
    assert event.changes["target"] == ["https://attacker.example/", before[0]]
    assert event.changes["metadata"][0] == {"kind": "spam"}
    assert ArkEvent.objects.filter(ark=work.ark).count() == events + 1
    # Nothing else changed: the database finds no difference, and the next run changes nothing.
    assert not identity._drifted().exists()
    assert identity.run_dedup().restored == 0
    assert ArkEvent.objects.filter(ark=work.ark).count() == events + 1
    # The command says what it put back.
    Ark.objects.filter(pk=work.ark_id).update(what="Retitled by hand")
    out = StringIO()
    call_command("dedup", stdout=out)
    assert "1 ARKs put back after changes made outside dedup" in out.getvalue()
    assert held(work.ark) == before


def test_a_withdrawn_or_revived_ark_is_put_back_in_its_state(source, client):
    source.publish({"1": SOIL})
    identity.run_dedup()
    work = work_of(source, "1")
    Ark.objects.filter(pk=work.ark_id).update(state="unavailable", reason="withdrawn by a key")
    assert client.get(f"/{work.ark.ark}").status_code == 410
    identity.run_dedup()
    assert client.get(f"/{work.ark.ark}").status_code == 302
    work.ark.refresh_from_db()
    assert (work.ark.state, work.ark.reason) == ("public", "")
    # A work whose records are all withdrawn is a tombstone, and stays one.
    source.publish({"1": None})
    identity.run_dedup()
    Ark.objects.filter(pk=work.ark_id).update(state="public", reason="")
    assert identity.run_dedup().restored == 1
    work.ark.refresh_from_db()
    assert (work.ark.state, work.ark.reason) == ("unavailable", identity.WITHDRAWN_REASON)


def test_an_adopted_institution_ark_stays_its_owners(source):
    naan = Naan.objects.get(naan="99999")
    university = ark_services.ensure_organization(name="University")
    fk4 = ark_services.delegate_shoulder(naan=naan, prefix="fk4", organization=university)
    _, key = ark_services.issue_api_key(organization=university, name="university key")
    api = Api(Client(), key)
    minted = api.mint(
        "ark:99999/fk4", target="https://uni.example/soil", state="public", metadata={"what": "U"}
    )
    theirs = Ark.objects.get(key=minted.body["ark"])
    assert fk4.organization == university
    source.publish({"1": SOIL.but(ark=theirs.ark)})
    assert identity.run_dedup().adopted == 1
    assert work_of(source, "1").ark == theirs and work_of(source, "1").adopted
    # Its owner's key keeps writing it, and later runs leave what the owner wrote.
    patch = api.patch(f"arks/{theirs.ark}", {"target": "https://uni.example/soil/v2"})
    assert patch.status == 200, patch.body
    identity.run_dedup()
    identity.run_dedup(full=True)
    theirs.refresh_from_db()
    assert (theirs.target, theirs.what) == ("https://uni.example/soil/v2", "U")


def test_a_works_shoulder_delegated_to_an_institution_goes_to_the_node(tmp_path):
    """A node set up before the works belonged to the node had its works shoulder delegated to
    an institution, whose keys could rewrite the works. Dedup gives it to the node."""
    institution = Organization.objects.create(name="Demo Institution")
    naan = Naan.objects.create(naan="99999", holder=institution)
    w3 = Shoulder.objects.create(naan=naan, prefix="w3", organization=institution)
    (old,) = ark_services.mint(shoulder=w3, actor=Actor.aggregation("dedup"))
    assert old.owner == institution
    source = PageSource(tmp_path / "a", "Repo A")
    source.publish({"1": SOIL})
    identity.run_dedup()
    node = Organization.objects.get(is_node=True)
    assert node.name == ark_services.NODE_NAME and node != institution
    w3.refresh_from_db()
    old.refresh_from_db()
    assert w3.organization == node and old.owner == node
    assert work_of(source, "1").ark.owner == node
    moved = ArkEvent.objects.filter(ark=old).last()
    assert moved.changes == {"owner": ["Demo Institution", node.name]}
    assert moved.actor == "dedup"
