"""Random histories of harvests (hypothesis): records are added, changed, withdrawn and added
again in several sources, each step harvested through the harvest loop and followed by dedup
and identity as the service runs them. After every step:

* every ARK ever minted still resolves: to its target, through its survivor, or to a tombstone;
* every live Work has exactly one ARK, public and not merged into another;
* every harvested record belongs to exactly one Work, and a live record to a live Work;
* a second run changes nothing.

The database is not emptied between examples (ARKs are never deleted), so each example's titles
and DOIs carry a number of their own: works of different examples never match.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregation import identity
from aggregation.models import Membership, RawRecord, Work
from arks.models import Ark, ArkEvent
from tests.aggregation.identity_support import PageSource, Rec, works_shoulder

pytestmark = pytest.mark.django_db(transaction=True)

TOPICS = (
    ("Soil carbon dynamics in Andean grasslands", ("Pérez, Ana", "Silva, João")),
    ("Migratory routes of shorebirds along the Pacific coast", ("Rojas, Camila",)),
    ("Heavy metal accumulation in freshwater fish", ("Gómez, Luis", "Costa, Rita")),
)
SOURCES = 3
KEYS = ("r1", "r2", "r3")

put = st.tuples(
    st.just("put"),
    st.integers(0, SOURCES - 1),
    st.sampled_from(KEYS),
    st.integers(0, len(TOPICS) - 1),
    st.booleans(),  # with the DOI
    st.booleans(),  # the title as another repository writes it
)
withdraw = st.tuples(st.just("withdraw"), st.integers(0, SOURCES - 1), st.sampled_from(KEYS))
histories = st.lists(st.lists(st.one_of(put, put, withdraw), min_size=1, max_size=3),
                     min_size=1, max_size=5)  # fmt: skip

_examples = itertools.count(1)


def record(example: int, topic: int, with_doi: bool, restyled: bool, url: str) -> Rec:
    title, creators = TOPICS[topic]
    title = f"{title} (study {example})"
    if restyled:
        title = title.upper() + "."
        creators = tuple(reversed(creators))
    doi = f"10.5555/ex{example}.t{topic}" if with_doi else ""
    return Rec(title, creators, 2020, doi=doi, url=url)


@pytest.fixture
def configured():
    works_shoulder()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_every_ark_resolves_and_every_record_has_one_work(configured, client, tmp_path, history):
    example = next(_examples)
    sources = [PageSource(tmp_path / f"ex{example}" / f"s{i}") for i in range(SOURCES)]
    minted: set[str] = set()
    for step in history:
        changes: dict[int, dict[str, Rec | None]] = {}
        for op in step:
            if op[0] == "put":
                _, s, key, topic, with_doi, restyled = op
                url = f"https://s{s}.example/{example}/{key}"
                changes.setdefault(s, {})[key] = record(example, topic, with_doi, restyled, url)
            else:
                _, s, key = op
                if key in sources[s].records:
                    changes.setdefault(s, {})[key] = None
        for s, change in changes.items():
            sources[s].publish(change)
        identity.run_dedup()
        records = RawRecord.objects.filter(source__in=[p.source for p in sources])
        works = Work.objects.filter(members__raw__in=records).distinct()
        minted.update(works.values_list("ark__ark", flat=True))
        minted.update(
            Work.objects.filter(merged_works__in=works).values_list("ark__ark", flat=True)
        )
        check(client, records, minted)


def check(client, records, minted: set[str]) -> None:
    for ark in minted:
        response = client.get(f"/{ark}")
        assert response.status_code in (302, 410), (ark, response.status_code)
    for raw in records:
        membership = Membership.objects.select_related("work__ark").get(raw=raw)
        work = membership.work
        assert work is not None, raw
        assert work.status != Work.Status.MERGED, (raw, work)
        if membership.live:
            assert work.status == Work.Status.LIVE
    live = Work.objects.filter(members__raw__in=records, status=Work.Status.LIVE).distinct()
    for work in live:
        ark = Ark.objects.get(pk=work.ark_id)
        assert ark.state == Ark.State.PUBLIC and ark.merged_into_id is None
        assert work.members.filter(live=True).exists()
    for work in Work.objects.filter(members__raw__in=records, status=Work.Status.WITHDRAWN):
        assert not work.members.filter(live=True).exists()
        assert Ark.objects.get(pk=work.ark_id).state == Ark.State.UNAVAILABLE
    events = ArkEvent.objects.count()
    snapshot = list(Work.objects.order_by("pk").values())
    again = identity.run_dedup()
    assert again.grouped_records == 0 and again.matched_records == 0
    full = identity.run_dedup(full=True)
    assert (full.new_works, full.merged, full.revived, full.withdrawn, full.updated) == (0,) * 5
    assert ArkEvent.objects.count() == events
    assert list(Work.objects.order_by("pk").values()) == snapshot
