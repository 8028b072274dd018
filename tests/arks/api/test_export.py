"""GET /api/v1/arks/export and manage.py export_arks: every ARK the key may read, streamed as
ANVL, CSV or JSON Lines, read back with a parser of each format."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arks import selectors, services
from arks.models import Ark

TRICKY = {
    "who": 'Doe, Jane; "Jay" O\'Neil',
    "what": "Line one\nline two: 100% café\r\n",
    "when": "2024",
    "type": "dataset",
    "odd:key": ["a", {"b": 1}],
}


def mint(world, prefix: str, count: int, **data) -> list[str]:
    erc = {k: data.pop(k) for k in ("who", "what", "when", "where") if k in data}
    extra = {k: data.pop(k) for k in list(data) if k not in ("target", "state")}
    fields = services.ArkData(**data, **erc, metadata=extra)
    arks = services.mint(shoulder=world.shoulders[prefix], actor="test", data=fields, count=count)
    return [a.ark for a in arks]


def read_anvl(text: str) -> list[dict[str, str]]:
    """ANVL records: blank-line separated, ``:: id`` first, ``label: value`` lines whose ``%``
    escapes are undone."""
    records = []
    for block in text.split("\n\n"):
        if not block:
            continue
        first, *lines = block.split("\n")
        assert first.startswith(":: "), first
        record = {"::": first[3:]}
        for line in lines:
            label, sep, value = line.partition(": ")
            assert sep, f"not an ANVL element: {line!r}"
            record[unquote(label)] = unquote(value)
        records.append(record)
    return records


def arks_in(fmt: str, text: str) -> list[str]:
    if fmt == "anvl":
        return [r["::"] for r in read_anvl(text)]
    if fmt == "csv":
        return [row["ark"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    return [json.loads(line)["ark"] for line in text.splitlines()]


def download(api, query: str) -> tuple[int, dict, str]:
    response = api.client.get(
        f"/api/v1/arks/export?{query}", headers={"Authorization": f"Token {api.key}"}
    )
    if not response.streaming:
        return response.status_code, response.headers, response.content.decode()
    body = b"".join(response.streaming_content).decode()
    return response.status_code, response.headers, body


@pytest.fixture
def minted(world) -> dict[str, list[str]]:
    return {
        "fk4": mint(world, "fk4", 2500, target="https://example.org/a", state="public")
        + mint(world, "fk4", 3, target="https://example.org/t", state="public", **TRICKY),
        "fk5": mint(world, "fk5", 20),
        "x7": mint(world, "x7", 5),
        "b2": mint(world, "b2", 7),
    }


@pytest.mark.parametrize("fmt", ["anvl", "csv", "jsonl"])
def test_an_institution_gets_all_its_arks_and_no_others(world, minted, fmt) -> None:
    status, headers, text = download(world.a.api, f"format={fmt}")
    assert status == 200, text
    assert arks_in(fmt, text) == minted["fk4"]  # every one, once, oldest first
    assert headers["Content-Disposition"].startswith("attachment; filename=")


@pytest.mark.parametrize("fmt", ["anvl", "csv", "jsonl"])
def test_a_naan_holder_gets_every_shoulder_of_its_naans(world, minted, fmt) -> None:
    status, _, text = download(world.aggregator.api, f"format={fmt}")
    assert status == 200
    assert sorted(arks_in(fmt, text)) == sorted(minted["fk4"] + minted["fk5"] + minted["x7"])


def test_every_format_keeps_the_metadata_exactly(world, minted) -> None:
    tricky = minted["fk4"][-1]
    _, _, text = download(world.a.api, "format=jsonl&state=public")
    row = [json.loads(line) for line in text.splitlines()][-1]
    assert row["ark"] == tricky
    assert {k: row["metadata"][k] for k in TRICKY} == TRICKY

    _, _, text = download(world.a.api, "format=csv")
    last = list(csv.DictReader(io.StringIO(text, newline="")))[-1]
    assert (last["ark"], last["who"], last["what"], last["when"]) == (
        tricky, TRICKY["who"], TRICKY["what"], TRICKY["when"],
    )  # fmt: skip
    assert json.loads(last["metadata"]) == {"type": "dataset", "odd:key": ["a", {"b": 1}]}

    _, _, text = download(world.a.api, "format=anvl")
    record = read_anvl(text)[-1]
    assert record["::"] == tricky
    assert record["erc.what"] == TRICKY["what"] and record["erc.who"] == TRICKY["who"]
    assert record["_target"] == "https://example.org/t" and record["_status"] == "public"
    assert json.loads(record["odd:key"]) == TRICKY["odd:key"] and record["type"] == "dataset"


def test_a_withdrawn_ark_says_why_as_ezid_does(world, minted) -> None:
    ark = Ark.objects.get(ark=minted["fk4"][0])
    services.tombstone(ark=ark, actor="test", reason="retracted by the authors")
    _, _, text = download(world.a.api, "format=anvl&state=unavailable")
    (record,) = read_anvl(text)
    assert record["_status"] == "unavailable | retracted by the authors"


def test_filters_are_the_lists(world, minted) -> None:
    _, _, text = download(world.aggregator.api, "format=jsonl&shoulder=ark:99999/x7")
    assert arks_in("jsonl", text) == minted["x7"]
    _, _, text = download(world.aggregator.api, "state=reserved")  # jsonl is the default
    assert sorted(arks_in("jsonl", text)) == sorted(minted["fk5"] + minted["x7"])


def test_the_export_reads_bounded_pages_not_everything_at_once(world, minted, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "EXPORT_PAGE", 400)
    with CaptureQueriesContext(connection) as queries:
        status, _, text = download(world.a.api, "format=csv")
    assert status == 200 and len(arks_in("csv", text)) == 2503
    pages = [q["sql"] for q in queries.captured_queries if 'FROM "arks_ark" LEFT' in q["sql"]]
    assert len(pages) == 7  # 2503 ARKs, 400 a page: 6 full pages and one of 103
    assert all(sql.rstrip().endswith("LIMIT 400") for sql in pages), pages


def test_bad_requests_are_explained(world) -> None:
    answer = world.a.api.get("arks/export?format=xml")
    assert answer.status == 400
    assert answer.error["field"] == "format"
    answer = world.a.api.get("arks/export?format=csv&colour=blue")
    assert answer.status == 400 and answer.error["field"] == "colour"
    answer = world.anonymous.get("arks/export?format=csv")
    assert answer.status == 401


def test_the_export_is_in_the_openapi_schema(client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/arks/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "text/plain", "text/csv", "application/x-ndjson",
    }  # fmt: skip
    names = {p["name"] for p in operation["parameters"]}
    assert {"format", "shoulder", "state", "updated_since"} <= names


@pytest.mark.parametrize("fmt", ["anvl", "csv", "jsonl"])
def test_the_command_writes_the_same_file(world, minted, fmt, tmp_path, capsys) -> None:
    out = tmp_path / f"arks.{fmt}"
    call_command("export_arks", "--org", "Institution A", "--format", fmt, "--output", str(out))
    assert arks_in(fmt, out.read_text()) == minted["fk4"]
    assert f"{len(minted['fk4'])} ARKs written" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.partial"))


def test_the_command_narrows_a_holder_to_one_naan(world, minted, capsys) -> None:
    call_command("export_arks", "--org", "Other Holder", "--naan", "12345", "--format", "csv")
    assert arks_in("csv", capsys.readouterr().out) == minted["b2"]
    call_command("export_arks", "--org", "Other Holder", "--naan", "99999")
    assert capsys.readouterr().out == ""  # none of NAAN 99999 is theirs


def test_the_command_names_an_unknown_organisation(world) -> None:
    with pytest.raises(CommandError, match="no organisation named 'Nobody'"):
        call_command("export_arks", "--org", "Nobody")
