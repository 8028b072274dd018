"""The read-only works API, over records harvested and deduplicated as the service does."""

from __future__ import annotations

import pytest

from aggregation import identity
from tests.aggregation.identity_support import PageSource, Rec, works_shoulder

pytestmark = pytest.mark.django_db(transaction=True)

SOIL = Rec("Soil carbon dynamics in Andean grasslands", ("Pérez, Ana", "Silva, João"), 2019,
           doi="10.1234/soil.1", url="https://repo-a.example/1")  # fmt: skip
FISH = Rec("Heavy metal accumulation in freshwater fish", ("Gómez, Luis",), 2018,
           url="https://repo-a.example/2")  # fmt: skip


@pytest.fixture
def harvested(tmp_path):
    works_shoulder()
    a, b = PageSource(tmp_path / "a", "Repo A"), PageSource(tmp_path / "b", "Repo B")
    a.publish({"1": SOIL, "2": FISH})
    b.publish({"x": SOIL.but(title="Soil Carbon Dynamics in Andean Grasslands.",
                             url="https://repo-b.example/x")})  # fmt: skip
    identity.run_dedup()
    return a, b


def test_list_filters_by_source_and_query(client, harvested):
    everything = client.get("/api/v1/works").json()["results"]
    assert len(everything) == 2
    by_b = client.get("/api/v1/works", {"source": "Repo B"}).json()["results"]
    assert len(by_b) == 1 and by_b[0]["title"].casefold().startswith("soil carbon dynamics")
    by_title = client.get("/api/v1/works", {"q": "freshwater"}).json()["results"]
    assert [w["title"] for w in by_title] == ["Heavy metal accumulation in freshwater fish"]
    by_pid = client.get("/api/v1/works", {"q": "10.1234/soil.1"}).json()["results"]
    assert len(by_pid) == 1 and by_pid[0]["ark"].startswith("ark:99999/w3")
    as_url = client.get("/api/v1/works", {"q": "https://doi.org/10.1234/SOIL.1"}).json()
    assert [w["ark"] for w in as_url["results"]] == [by_pid[0]["ark"]]
    assert client.get("/api/v1/works", {"q": "10.1234/soi"}).json()["results"] == []  # not a part
    unknown = client.get("/api/v1/works", {"source": "Nowhere"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "source"


def test_detail_explains_why_records_are_one_work(client, harvested):
    (soil,) = client.get("/api/v1/works", {"q": "soil"}).json()["results"]
    body = client.get(f"/api/v1/works/{soil['ark']}").json()
    assert {m["source"] for m in body["members"]} == {"Repo A", "Repo B"}
    assert {i["source"] for i in body["instances"]} == {"Repo A", "Repo B"}
    (match,) = body["explanation"]["matches"]
    assert match["rule"] and match["explained"].startswith("match by ")
    assert body["target"] == "https://doi.org/10.1234/soil.1"
    hyphenated = soil["ark"].replace("ark:", "ark:/")
    assert client.get(f"/api/v1/works/{hyphenated}").json()["ark"] == soil["ark"]


def test_detail_errors_are_clear(client, harvested):
    missing = client.get("/api/v1/works/ark:99999/w3nothere")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "ark"
    bad = client.get("/api/v1/works/not-an-ark")
    assert bad.status_code == 400
