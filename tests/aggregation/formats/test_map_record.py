"""The entry point: format detection by namespace, input shapes, typed errors, fuzzing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from aggregation.formats import (
    FormatError,
    MappingError,
    Product,
    UnsupportedFormat,
    detect_format,
    map_record,
)
from tests.aggregation.formats.fixtures import (
    FIXTURES,
    METADATA_SAMPLES,
    OAI_PAGES,
    fixture_bytes,
    oai_records,
    record_bytes,
)

SAMPLES = {
    "openaire_v3_oai_dc_example_record.xml": "oai_dc",
    "dspace-mit/GetRecord_oai_dc_1.xml": "oai_dc",
    "openaire-literature-v4/sample_journalarticle1.xml": "oai_openaire",
    "openaire-literature-v4/sample_minimal.xml": "oai_openaire",
    "openaire-literature-v4/mocksample.xml": "oai_openaire",
    "datacite/oai-sample-1.1.xml": "oai_datacite",
    "datacite/datacite-example-full-v4.xml": "datacite",
    "datacite/datacite-example-dataset-v4.xml": "datacite",
    "datacite/datacite-example-dissertation-v4.xml": "datacite",
    "datacite/datacite-example-affiliation-v4.xml": "datacite",
    "datacite/datacite-example-fundingReference-v4.xml": "datacite",
}


def _metadata_root(relative: str) -> etree._Element:
    root = etree.fromstring(fixture_bytes(relative))
    records = oai_records(relative) if root.tag.endswith("OAI-PMH") else []
    return records[0] if records else root


@pytest.mark.parametrize(("relative", "fmt"), SAMPLES.items())
def test_detect_format_by_namespace(relative: str, fmt: str) -> None:
    assert detect_format(_metadata_root(relative)) == fmt


def test_the_oai_datacite_sample_named_1_1_uses_the_1_0_namespace() -> None:
    root = etree.fromstring(fixture_bytes("datacite/oai-sample-1.1.xml"))
    assert root.tag == "{http://schema.datacite.org/oai/oai-1.0/}oai_datacite"
    renamed = fixture_bytes("datacite/oai-sample-1.1.xml").replace(b"oai-1.0/", b"oai-1.1/")
    assert map_record(renamed).format == "oai_datacite"


def test_record_metadata_and_root_give_the_same_product() -> None:
    (record,) = oai_records("dspace-mit/GetRecord_oai_dc_1.xml")
    metadata = record.find("{http://www.openarchives.org/OAI/2.0/}metadata")
    assert metadata is not None
    root = metadata[0]
    expected = map_record(record)
    for shape in (record, metadata, root, record_bytes(record), etree.tostring(root)):
        assert map_record(shape) == expected
    assert map_record(etree.tostring(root, encoding="unicode")) == expected
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + etree.tostring(root, encoding="unicode")
    assert map_record(text) == expected  # decoded text: the declared encoding is moot
    assert map_record(etree.ElementTree(root)) == expected


def test_claimed_prefix_that_disagrees_is_a_warning_not_an_error() -> None:
    data = fixture_bytes("openaire_v3_oai_dc_example_record.xml")
    assert map_record(data, claimed_prefix="oai_dc").warnings == map_record(data).warnings
    wrong = map_record(data, claimed_prefix="oai_openaire")
    assert wrong.format == "oai_dc"
    assert wrong.warnings[-1] == "server's prefix 'oai_openaire', but the record is oai_dc"
    datacite = fixture_bytes("datacite/oai-sample-1.1.xml")
    assert "prefix" not in " ".join(map_record(datacite, claimed_prefix="datacite").warnings)


def test_deleted_record_has_no_metadata() -> None:
    (record,) = oai_records("dspace-mit/ListRecords_oai_dc_one_deleted_record.xml")
    with pytest.raises(MappingError, match="deleted"):
        map_record(record_bytes(record))


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", MappingError, "not well-formed"),
        (b"<oai_dc:dc xmlns:oai_dc='x'", MappingError, "not well-formed"),
        (b"<html><body>Service unavailable</body></html>", UnsupportedFormat, "<html>"),
        (
            b"<dc xmlns='http://purl.org/dc/elements/1.1/'/>",
            UnsupportedFormat,
            "http://purl.org/dc/elements/1.1/",
        ),
        (
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>",
            UnsupportedFormat,
            "OAI-PMH protocol",
        ),
        (
            b"<metadata xmlns='http://www.openarchives.org/OAI/2.0/'/>",
            MappingError,
            "exactly one element, not 0",
        ),
        (
            b"<record xmlns='http://www.openarchives.org/OAI/2.0/'><header/></record>",
            MappingError,
            "no <metadata>",
        ),
        (
            b"<oai_datacite xmlns='http://schema.datacite.org/oai/oai-1.1/'/>",
            MappingError,
            "no <payload>",
        ),
        (
            b"<oai_datacite xmlns='http://schema.datacite.org/oai/oai-1.1/'><payload>"
            b"<x/></payload></oai_datacite>",
            MappingError,
            "no DataCite",
        ),
    ],
)
def test_typed_errors_say_what_is_wrong(data: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        map_record(data)


def test_empty_records_of_each_format_map_to_empty_products() -> None:
    for data in (
        b"<oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'/>",
        b"<resource xmlns='http://namespace.openaire.eu/schema/oaire/'/>",
        b"<resource xmlns='http://datacite.org/schema/kernel-3'/>",
    ):
        product = map_record(data)
        assert product.titles == () and product.pids == () and product.kind == "other"


# --- fuzzing: only typed errors, whatever comes in ------------------------------------------------

ALL_FILES = sorted(METADATA_SAMPLES + OAI_PAGES)
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("\t\n"),
    max_size=60,
)
INTERESTING_TEXT = st.one_of(
    XML_TEXT,
    st.sampled_from(
        [
            "info:eu-repo/grantAgreement/",
            "info:eu-repo/grantAgreement/EC/FP7/1%2/x/y/z/w/v",
            "info:eu-repo/semantics/altIdentifier/doi/",
            "info:eu-repo/semantics/embargoedAccess",
            "info:eu-repo/date/embargoEnd/2024-02-30",
            "http://purl.org/coar/resource_type/c_6501",
            "https://orcid.org/0000-0002-1825-0097",
            "http://[::1",
            "ark:/",
            "urn:nbn:",
            "10./x",
            "PMC0",
            "9999-99-99",
            "0000-00-00T",
        ]
    ),
)


def _assert_maps_or_raises_typed(data: bytes | etree._Element) -> None:
    try:
        product = map_record(data)
    except FormatError:
        return
    assert isinstance(product, Product)
    assert Product.from_dict(product.to_dict()) == product


@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_typed_errors(data: bytes) -> None:
    _assert_maps_or_raises_typed(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_FILES), st.floats(0, 1))
def test_truncated_records_raise_only_typed_errors(relative: str, fraction: float) -> None:
    data = (FIXTURES / relative).read_bytes()
    _assert_maps_or_raises_typed(data[: int(len(data) * fraction)])


MAPPABLE = [f for f in ALL_FILES if "deleted" not in f]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.sampled_from(MAPPABLE), st.data())
def test_records_with_random_values_raise_only_typed_errors(
    relative: str, data: st.DataObject
) -> None:
    """Real records whose texts and attribute values are replaced by arbitrary strings."""
    root = etree.fromstring((FIXTURES / Path(relative)).read_bytes())
    elements = list(root.iter(etree.Element))
    for el in data.draw(st.lists(st.sampled_from(elements), max_size=12)):
        if len(el) == 0:
            el.text = data.draw(INTERESTING_TEXT)
        for name in list(el.attrib):
            if data.draw(st.booleans()):
                el.set(name, data.draw(INTERESTING_TEXT))
    records = list(root.iter("{http://www.openarchives.org/OAI/2.0/}record")) or [root]
    for record in records[:3]:
        _assert_maps_or_raises_typed(record)
        _assert_maps_or_raises_typed(etree.tostring(record))


ROOTS = [
    "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc",
    "{http://namespace.openaire.eu/schema/oaire/}resource",
    "{http://datacite.org/schema/kernel-4}resource",
    "{http://schema.datacite.org/oai/oai-1.1/}oai_datacite",
]
NAMESPACES = [
    "http://purl.org/dc/elements/1.1/",
    "http://datacite.org/schema/kernel-4",
    "http://namespace.openaire.eu/schema/oaire/",
]
LOCAL_NAMES = [
    "title",
    "titles",
    "creator",
    "creators",
    "creatorName",
    "contributor",
    "contributors",
    "contributorName",
    "givenName",
    "familyName",
    "nameIdentifier",
    "affiliation",
    "identifier",
    "alternateIdentifier",
    "alternateIdentifiers",
    "relatedIdentifier",
    "relatedIdentifiers",
    "date",
    "dates",
    "type",
    "resourceType",
    "rights",
    "rightsList",
    "licenseCondition",
    "subject",
    "subjects",
    "description",
    "descriptions",
    "publisher",
    "publicationYear",
    "language",
    "relation",
    "version",
    "file",
    "citationTitle",
    "fundingReferences",
    "fundingReference",
    "funderName",
    "funderIdentifier",
    "awardNumber",
    "awardTitle",
    "fundingStream",
    "relatedItems",
    "relatedItem",
    "relatedItemIdentifier",
    "payload",
]
ATTRIBUTES = [
    "identifierType",
    "alternateIdentifierType",
    "relatedIdentifierType",
    "relationType",
    "titleType",
    "dateType",
    "nameType",
    "nameIdentifierScheme",
    "schemeURI",
    "affiliationIdentifier",
    "affiliationIdentifierScheme",
    "contributorType",
    "resourceTypeGeneral",
    "uri",
    "rightsURI",
    "startDate",
    "objectType",
    "funderIdentifierType",
    "awardURI",
    "descriptionType",
    "subjectScheme",
    "valueURI",
]


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    ns = draw(st.sampled_from(NAMESPACES))
    el = etree.Element(f"{{{ns}}}{draw(st.sampled_from(LOCAL_NAMES))}")
    for name in draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3)):
        el.set(name, draw(INTERESTING_TEXT))
    if draw(st.booleans()):
        el.set("{http://www.w3.org/XML/1998/namespace}lang", draw(INTERESTING_TEXT))
    el.text = draw(st.none() | INTERESTING_TEXT)
    if depth < 2:
        el.extend(draw(st.lists(_element(depth + 1), max_size=3)))
    return el


@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=100
)
@given(st.sampled_from(ROOTS), st.lists(_element(), max_size=6))
def test_records_of_random_structure_raise_only_typed_errors(
    root_tag: str, children: list[etree._Element]
) -> None:
    root = etree.Element(root_tag)
    root.extend(children)
    _assert_maps_or_raises_typed(root)
    _assert_maps_or_raises_typed(etree.tostring(root))
