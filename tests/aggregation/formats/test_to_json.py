"""Product.to_json(): the JSON text of to_dict(), built without the intermediate dict."""

from __future__ import annotations

import json

import pytest

from aggregation.formats import Product, map_record
from aggregation.formats.model import Person, Title
from aggregation.formats.pids import Pid
from tests.aggregation.formats.fixtures import (
    DSPACE_PAGE,
    FIXTURES,
    METADATA_SAMPLES,
    OAI_PAGES,
    fixture_bytes,
    oai_records,
)


def _products() -> list[Product]:
    products = [map_record(fixture_bytes(name)) for name in METADATA_SAMPLES]
    for page in (DSPACE_PAGE.relative_to(FIXTURES).as_posix(), *OAI_PAGES):
        products.extend(
            map_record(record)
            for record in oai_records(page)
            if record.find("{http://www.openarchives.org/OAI/2.0/}metadata") is not None
        )
    return products


def test_to_json_is_the_text_of_to_dict_for_every_sample() -> None:
    products = _products()
    assert len(products) > 70
    for product in products:
        assert product.to_json() == json.dumps(product.to_dict(), ensure_ascii=False)
        assert Product.from_dict(json.loads(product.to_json())) == product


def test_to_json_leaves_out_what_to_dict_leaves_out() -> None:
    product = Product(
        "oai_dc",
        titles=(Title("Ü", lang=None),),
        creators=(Person("Doe, J.", family_name="Doe", given_name="J."),),
        pids=(Pid("arxiv", "2101.00001", 2), Pid("doi", "10.1/x")),
        publication_year=0,
        descriptions=("",),
    )
    assert json.loads(product.to_json()) == product.to_dict()
    assert product.to_json() == json.dumps(product.to_dict(), ensure_ascii=False)
    assert '"Ü"' in product.to_json()  # not escaped, as to_dict() and json.dumps(…) store it


def test_to_json_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        Product("oai_dc", warnings=(object(),)).to_json()  # type: ignore[arg-type]
