"""Product.to_dict()/from_dict(): plain JSON for a JSONField, read back unchanged."""

from __future__ import annotations

import json

import pytest

from aggregation.formats import MappingError, Product, map_record
from aggregation.formats.model import SCHEMA_VERSION, Title
from aggregation.formats.pids import Pid
from tests.aggregation.formats.fixtures import (
    DSPACE_PAGE,
    FIXTURES,
    METADATA_SAMPLES,
    fixture_bytes,
    oai_records,
    record_bytes,
)


def _all_products() -> list[Product]:
    products = [map_record(r) for r in oai_records(DSPACE_PAGE.relative_to(FIXTURES).as_posix())]
    products.extend(map_record(fixture_bytes(name)) for name in METADATA_SAMPLES)
    for name in ("GetRecord_oai_dc_1", "GetRecord_oai_dc_2", "GetRecord_oai_dc_3"):
        (record,) = oai_records(f"dspace-mit/{name}.xml")
        products.append(map_record(record_bytes(record)))
    return products


def test_every_sample_round_trips_through_json() -> None:
    products = _all_products()
    assert len(products) == 58 + 10 + 3
    for product in products:
        stored = json.loads(json.dumps(product.to_dict()))
        assert Product.from_dict(stored) == product


def test_dict_is_compact_and_versioned() -> None:
    product = Product("oai_dc", titles=(Title("T"),), pids=(Pid("arxiv", "2101.00001", 2),))
    assert product.to_dict() == {
        "format": "oai_dc",
        "titles": [{"text": "T", "type": "main"}],
        "pids": [{"kind": "arxiv", "value": "2101.00001", "version": 2}],
        "schema": SCHEMA_VERSION,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "is a dict"),
        ({"schema": 99, "format": "oai_dc"}, "schema 99"),
        ({"format": "oai_dc", "colour": "red"}, "unknown Product fields: colour"),
        ({"format": "oai_dc", "titles": "T"}, "expected a list"),
        ({"format": "oai_dc", "titles": [{"text": 1}]}, "expected str"),
        ({"format": "oai_dc", "publication_year": True}, "expected int"),
        ({"format": "oai_dc", "pids": [{"kind": "doi"}]}, "malformed"),
        ({}, "malformed"),
    ],
)
def test_from_dict_rejects_what_it_cannot_read(data: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        Product.from_dict(data)  # type: ignore[arg-type]


def test_convenience_properties() -> None:
    product = Product(
        "datacite",
        titles=(Title("Alt", type="alternative"), Title("Main")),
        pids=(Pid("handle", "1/2"), Pid("doi", "10.1/x")),
    )
    assert product.title == "Main"
    assert product.doi == "10.1/x"
    assert product.pids_of("handle") == (Pid("handle", "1/2"),)
    assert product.kind == "other" and product.license is None and product.language is None
