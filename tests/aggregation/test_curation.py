"""Curators' decisions do exactly what was selected: a merge joins the selected works and no
other, a split takes the selected records out (each alone, or together as one work), and the
preview of either is what applying it does."""

from __future__ import annotations

import pytest

from aggregation import curation, identity
from aggregation.errors import CurationRefused
from aggregation.models import Membership, RawRecord, Work
from arks.models import Ark
from tests.aggregation.identity_support import PageSource, one_item_from_three_sources
from tests.aggregation.test_identity import SOIL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_work_of_three(tmp_path):
    """One article harvested from three repositories: one work of three records."""
    sources = one_item_from_three_sources(tmp_path, SOIL)
    assert Work.objects.count() == 1
    return sources


def raw(source: PageSource, key: str = "1") -> RawRecord:
    return RawRecord.objects.get(source=source.source, oai_identifier=source.identifier(key))


def work_of(record: RawRecord) -> Work:
    return Membership.objects.select_related("work__ark").get(raw=record).work


def snapshot(work: Work) -> tuple:
    """What a bystander work's ARK and records are."""
    ark = Ark.objects.get(pk=work.ark_id)
    members = sorted(Membership.objects.filter(work=work).values_list("raw_id", flat=True))
    return (work.status, ark.state, ark.target, ark.merged_into_id, members)


def test_merging_two_works_split_out_of_a_third_joins_exactly_those_two(one_work_of_three):
    a, b, c = (raw(s) for s in one_work_of_three)
    third = work_of(a)
    curation.curator_split(records=[b], actor="admin:eva", note="another edition")
    curation.curator_split(records=[c], actor="admin:eva", note="another edition")
    split_b, split_c = work_of(b), work_of(c)
    assert len({third.pk, split_b.pk, split_c.pk}) == 3
    before = snapshot(Work.objects.get(pk=third.pk))

    done = curation.curator_merge(works=[split_c, split_b], actor="admin:eva", note="one edition")

    oldest = min(split_b, split_c, key=lambda w: w.pk)
    assert done.survivor == oldest.ark.ark
    assert work_of(b) == work_of(c) == oldest
    assert snapshot(Work.objects.get(pk=third.pk)) == before
    other = (split_c if oldest == split_b else split_b).ark
    other.refresh_from_db()
    assert other.merged_into_id == oldest.ark_id
    assert done.aliases == {other.ark: oldest.ark.ark}
    # Later runs keep it so.
    identity.run_dedup(full=True)
    assert work_of(b) == work_of(c) == oldest and work_of(a) == third


def test_split_together_gives_the_selected_records_one_new_work(one_work_of_three):
    a, b, c = (raw(s) for s in one_work_of_three)
    third = work_of(a)
    done = curation.curator_split(
        records=[b, c], together=True, actor="admin:eva", note="the preprint, twice"
    )
    assert work_of(b) == work_of(c) != work_of(a)
    assert work_of(a) == third and third.ark.merged_into_id is None
    assert done.records[b.pk].ark == work_of(b).ark.ark
    identity.run_dedup(full=True)
    assert work_of(b) == work_of(c) != work_of(a) == third


def test_split_each_on_its_own_gives_each_its_own_work(one_work_of_three):
    a, b, c = (raw(s) for s in one_work_of_three)
    curation.curator_split(records=[b, c], actor="admin:eva", note="two other editions")
    assert len({work_of(a).pk, work_of(b).pk, work_of(c).pk}) == 3


def test_a_preview_changes_nothing_and_is_what_applying_does(one_work_of_three):
    _, b, c = (raw(s) for s in one_work_of_three)
    curation.curator_split(records=[b], actor="admin:eva", note="x")
    curation.curator_split(records=[c], actor="admin:eva", note="x")
    works = [work_of(b), work_of(c)]
    state = sorted(Membership.objects.values_list("raw_id", "work_id", "isolated"))
    arks = sorted(Ark.objects.values_list("pk", "state", "merged_into_id"))

    preview = curation.curator_merge(works=works, actor="admin:eva", note="", dry_run=True)

    assert sorted(Membership.objects.values_list("raw_id", "work_id", "isolated")) == state
    assert sorted(Ark.objects.values_list("pk", "state", "merged_into_id")) == arks
    applied = curation.curator_merge(works=works, actor="admin:eva", note="one")
    assert preview.records == applied.records
    assert (preview.survivor, preview.aliases) == (applied.survivor, applied.aliases)
    assert preview.digest == applied.digest


def test_a_split_preview_names_a_new_ark_without_minting_one(one_work_of_three):
    _, b, c = (raw(s) for s in one_work_of_three)
    count = Ark.objects.count()
    preview = curation.curator_split(records=[b, c], together=True, actor="x", note="",
                                     dry_run=True)  # fmt: skip
    assert Ark.objects.count() == count
    assert preview.records[b.pk].ark == preview.records[c.pk].ark == ""
    assert preview.records[b.pk].new


def test_splitting_every_record_of_a_work_together_is_refused(one_work_of_three):
    records = [raw(s) for s in one_work_of_three]
    with pytest.raises(CurationRefused):
        curation.curator_split(records=records, together=True, actor="x", note="all of them")
