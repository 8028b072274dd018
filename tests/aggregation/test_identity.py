"""Identity: records harvested from real (folder) sources become Works with stable ARKs.

Each test harvests oai_dc pages through the harvest loop, runs dedup and identity as the
service does, and reads the result where users see it: the resolver and the ARK history.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aggregation import curation, identity
from aggregation.errors import CurationRefused
from aggregation.models import HeldGroup, Match, Membership, RawRecord, Work
from arks import services as ark_services
from arks.models import Ark, ArkEvent, Naan
from tests.aggregation.identity_support import PageSource, Rec, works_shoulder

pytestmark = pytest.mark.django_db(transaction=True)

SOIL = Rec(
    "Soil carbon dynamics in Andean grasslands",
    ("Pérez, Ana", "Silva, João"),
    2019,
    doi="10.1234/soil.1",
    url="https://repo-a.example/items/1",
)
BIRDS = Rec(
    "Migratory routes of shorebirds along the Pacific coast of Chile",
    ("Rojas, Camila", "Müller, Hans"),
    2021,
    url="https://repo-a.example/items/2",
)
FISH = Rec(
    "Heavy metal accumulation in freshwater fish of the Paraná basin",
    ("Gómez, Luis",),
    2018,
    url="https://repo-a.example/items/3",
)


@pytest.fixture
def shoulder():
    return works_shoulder()


@pytest.fixture
def sources(tmp_path, shoulder):
    return PageSource(tmp_path / "a", "Repo A"), PageSource(tmp_path / "b", "Repo B")


def work_of(source: PageSource, key: str) -> Work:
    raw = RawRecord.objects.get(source=source.source, oai_identifier=source.identifier(key))
    return Membership.objects.select_related("work__ark").get(raw=raw).work


def resolve(client, ark: str, query: str = ""):
    return client.get(f"/{ark}{query}")


def events(ark: Ark) -> list[str]:
    return list(ArkEvent.objects.filter(ark=ark).order_by("id").values_list("action", flat=True))


def test_one_work_for_one_article_in_two_repositories(client, sources):
    a, b = sources
    a.publish({"1": SOIL})
    b.publish({"x": SOIL.but(
        title="Soil Carbon Dynamics in Andean Grasslands.", creators=("A. Pérez", "J. Silva"),
        url="https://repo-b.example/x", access="closedAccess",
    )})  # fmt: skip
    report = identity.run_dedup()
    assert report.new_works == 1
    work = work_of(a, "1")
    assert work == work_of(b, "x")
    assert work.ark.ark.startswith("ark:99999/w3")
    # The target is the best instance: open access, with a DOI landing page.
    response = resolve(client, work.ark.ark)
    assert response.status_code == 302
    assert response["Location"] == "https://doi.org/10.1234/soil.1"
    page = resolve(client, work.ark.ark, "?info").content.decode()
    assert "Repo A" in page and "Repo B" in page
    assert "open access" in page and "metadata only access" in page
    assert "https://repo-b.example/x" in page


def test_a_second_run_changes_nothing(sources):
    a, b = sources
    a.publish({"1": SOIL, "2": BIRDS})
    b.publish({"x": SOIL.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    before = (ArkEvent.objects.count(), list(Work.objects.order_by("pk").values()))
    again = identity.run_dedup()
    assert again.matched_records == again.grouped_records == 0
    full = identity.run_dedup(full=True)
    assert full.matched_records == 3
    assert full.new_works == full.merged == full.updated == full.revived == 0
    after = (ArkEvent.objects.count(), list(Work.objects.order_by("pk").values()))
    assert after == before


def test_merge_keeps_the_oldest_works_ark(client, sources):
    a, b = sources
    a.publish({"1": SOIL.but(doi="")})
    b.publish({"x": FISH.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    older, newer = work_of(a, "1"), work_of(b, "x")
    assert older.pk < newer.pk
    # Repo B corrects its record: it is the soil article after all.
    b.publish({"x": SOIL.but(doi="", url="https://repo-b.example/x")})
    report = identity.run_dedup()
    assert report.merged == 1
    assert work_of(b, "x") == older
    newer.refresh_from_db()
    assert newer.status == Work.Status.MERGED and newer.merged_into == older
    response = resolve(client, newer.ark.ark)
    assert response.status_code == 302
    # Both copies are open access without a DOI: the most recently seen one is the target.
    assert response["Location"] == "https://repo-b.example/x"
    assert Ark.objects.get(pk=older.ark_id).target == "https://repo-b.example/x"
    assert older.ark.ark in resolve(client, newer.ark.ark, "?info")["Link"]
    assert "merge" in events(newer.ark)


def test_split_keeps_the_ark_with_the_oldest_record_and_gives_a_former_ark_back(client, sources):
    a, b = sources
    a.publish({"1": SOIL.but(doi="")})
    b.publish({"x": FISH.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    soil, fish = work_of(a, "1"), work_of(b, "x")
    b.publish({"x": SOIL.but(doi="", url="https://repo-b.example/x")})
    identity.run_dedup()
    assert work_of(b, "x") == soil
    # The change is undone: the record splits away and its former ARK comes back.
    b.publish({"x": FISH.but(url="https://repo-b.example/x")})
    report = identity.run_dedup()
    assert report.revived == 1 and report.new_works == 0
    assert work_of(a, "1") == soil and work_of(b, "x") == fish
    fish.refresh_from_db()
    assert fish.status == Work.Status.LIVE and fish.ark.merged_into is None
    assert resolve(client, fish.ark.ark)["Location"] == "https://repo-b.example/x"
    assert "unmerge" in events(fish.ark)


def test_split_of_a_work_gives_the_smaller_part_a_new_ark(sources, tmp_path):
    a, b = sources
    c = PageSource(tmp_path / "c", "Repo C")
    a.publish({"1": SOIL})
    b.publish({"x": SOIL.but(url="https://repo-b.example/x")})
    c.publish({"z": SOIL.but(url="https://repo-c.example/z")})
    identity.run_dedup()
    work = work_of(a, "1")
    assert work_of(c, "z") == work
    # Repo A's record turns out to be another article: two records stay, so the ARK stays.
    a.publish({"1": BIRDS})
    report = identity.run_dedup()
    assert report.new_works == 1
    assert work_of(b, "x") == work_of(c, "z") == work
    assert work_of(a, "1") != work


def test_a_work_whose_records_are_all_withdrawn_is_a_tombstone_and_can_return(client, sources):
    a, b = sources
    a.publish({"1": SOIL})
    b.publish({"x": SOIL.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    work = work_of(a, "1")
    a.publish({"1": None})
    identity.run_dedup()
    assert resolve(client, work.ark.ark).status_code == 302  # Repo B still has it
    b.publish({"x": None})
    report = identity.run_dedup()
    assert report.withdrawn == 1
    response = resolve(client, work.ark.ark)
    assert response.status_code == 410
    assert "Soil carbon dynamics" in response.content.decode()  # the last metadata
    assert work_of(a, "1") == work_of(b, "x") == work  # nothing is thrown away
    a.publish({"1": SOIL})
    identity.run_dedup()
    assert resolve(client, work.ark.ark).status_code == 302
    assert work_of(a, "1") == work


def test_an_institutions_ark_is_adopted_and_survives_merges(client, sources):
    a, b = sources
    b.publish({"x": SOIL.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    ours = work_of(b, "x")
    naan = ours.ark.shoulder.naan
    institution = ark_services.ensure_organization(name="University")
    fk4 = ark_services.delegate_shoulder(naan=naan, prefix="fk4", organization=institution)
    (theirs,) = ark_services.mint(
        shoulder=fk4, actor="university",
        data=ark_services.ArkData(target="https://uni.example/soil", state="public",
                                  what="Soil carbon (university record)"),
    )  # fmt: skip
    a.publish({"1": SOIL.but(ark=f"https://n2t.net/{theirs.ark}")})
    report = identity.run_dedup()
    assert report.adopted == 1 and report.merged == 1
    work = work_of(a, "1")
    assert work.adopted and work.ark == theirs and work_of(b, "x") == work
    theirs.refresh_from_db()
    assert theirs.target == "https://uni.example/soil"  # its owner's target stays
    assert theirs.what == "Soil carbon (university record)"
    assert theirs.merged_into is None
    assert resolve(client, ours.ark.ark)["Location"] == "https://uni.example/soil"
    page = resolve(client, theirs.ark, "?info").content.decode()
    assert "Repo A" in page and "Repo B" in page
    assert identity.run_dedup(full=True).merged == 0


def test_curators_merge_and_split_with_history(client, sources):
    a, b = sources
    a.publish({"1": SOIL.but(doi="")})
    b.publish({"x": SOIL.but(doi="", title="Carbono del suelo en pastizales andinos",
                             url="https://repo-b.example/x")})  # fmt: skip
    identity.run_dedup()
    first, second = work_of(a, "1"), work_of(b, "x")
    assert first != second  # a translated title alone is not enough
    with pytest.raises(CurationRefused):
        curation.curator_merge(works=[first, second], actor="admin:eva", note="")
    done = curation.curator_merge(
        works=[first, second], actor="admin:eva", note="Same article, Spanish title in B"
    )
    assert done.survivor == first.ark.ark == work_of(b, "x").ark.ark
    merge = ArkEvent.objects.get(ark=second.ark, action="merge")
    assert (merge.actor, merge.note) == ("admin:eva", "Same article, Spanish title in B")
    assert identity.run_dedup(full=True).merged == 0  # later runs keep the curator's decision
    assert work_of(b, "x") == first
    raw = RawRecord.objects.get(oai_identifier=b.identifier("x"))
    alone = curation.curator_split(records=[raw], actor="admin:eva", note="Different edition")
    assert alone.records[raw.pk].ark == second.ark.ark  # the record takes its former ARK back
    assert "unmerge" in events(second.ark)
    identity.run_dedup(full=True)
    assert work_of(b, "x") == second and work_of(a, "1") == first


def test_a_curators_match_on_a_pair_the_engine_also_matches_is_kept(sources):
    a, b = sources
    a.publish({"1": SOIL})
    b.publish({"x": SOIL.but(url="https://repo-b.example/x")})
    identity.run_dedup()
    match = Match.objects.get()
    Match.objects.filter(pk=match.pk).update(curator=True, rule="curator", actor="admin:eva")
    # Matching both records again finds the same pair: the curator's row stays as it is.
    assert identity.run_dedup(full=True).matches == 1
    kept = Match.objects.get()
    assert (kept.pk, kept.a_id, kept.b_id) == (match.pk, match.a_id, match.b_id)
    assert (kept.curator, kept.rule, kept.actor) == (True, "curator", "admin:eva")
    assert work_of(a, "1") == work_of(b, "x")


def test_two_institutions_arks_are_never_merged_but_held(sources):
    a, b = sources
    naan = Naan.objects.get(naan="99999")
    arks = []
    for name, prefix in (("University One", "b1"), ("University Two", "c2")):
        org = ark_services.ensure_organization(name=name)
        shoulder = ark_services.delegate_shoulder(naan=naan, prefix=prefix, organization=org)
        (ark,) = ark_services.mint(
            shoulder=shoulder, actor=name,
            data=ark_services.ArkData(target=f"https://{prefix}.example/soil", state="public"),
        )  # fmt: skip
        arks.append(ark)
    a.publish({"1": SOIL.but(ark=arks[0].ark)})
    b.publish({"x": SOIL.but(ark=arks[1].ark, url="https://repo-b.example/x")})
    report = identity.run_dedup()
    assert report.held == 1 and report.merged == 0
    assert {work_of(a, "1").ark, work_of(b, "x").ark} == set(arks)
    held = HeldGroup.objects.get(open=True)
    assert held.reason == "institution_arks"
    assert sorted(held.members) == sorted(RawRecord.objects.values_list("pk", flat=True))
    for ark in arks:
        ark.refresh_from_db()
        assert ark.merged_into is None


def test_dedup_command_reports_and_fails_clearly_without_a_works_shoulder(settings, sources):
    a, _ = sources
    a.publish({"1": SOIL})
    call_command("dedup", "--source", "Repo A")
    assert work_of(a, "1").ark.state == "public"
    settings.PIDSVC_WORKS_SHOULDER = "ark:99999/nothere"
    with pytest.raises(CommandError, match="PIDSVC_WORKS_SHOULDER"):
        call_command("dedup")
