"""Fixture files for the format tests: real records copied into tests/fixtures/oai (SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DSPACE_PAGE = FIXTURES / "dspace-mit" / "ListRecords_oai_dc_set-com_1721.1_140587_58records.xml"


# The files this package's tests use (listed in tests/fixtures/oai/SOURCES.md); other folders
# under tests/fixtures/oai belong to other tests.
METADATA_SAMPLES = (
    "openaire_v3_oai_dc_example_record.xml",
    "openaire-literature-v4/sample_journalarticle1.xml",
    "openaire-literature-v4/sample_minimal.xml",
    "openaire-literature-v4/mocksample.xml",
    "datacite/datacite-example-full-v4.xml",
    "datacite/datacite-example-dataset-v4.xml",
    "datacite/datacite-example-dissertation-v4.xml",
    "datacite/datacite-example-affiliation-v4.xml",
    "datacite/datacite-example-fundingReference-v4.xml",
    "datacite/oai-sample-1.1.xml",
)
OAI_PAGES = (
    "dspace-mit/ListRecords_oai_dc_set-com_1721.1_140587_58records.xml",
    "dspace-mit/GetRecord_oai_dc_1.xml",
    "dspace-mit/GetRecord_oai_dc_2.xml",
    "dspace-mit/GetRecord_oai_dc_3.xml",
    "dspace-mit/GetRecord_oai_dc_4.xml",
    "dspace-mit/ListRecords_oai_dc_one_deleted_record.xml",
)


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def oai_records(relative: str) -> list[etree._Element]:
    """The ``<record>`` elements of an OAI-PMH response (ListRecords or GetRecord page)."""
    root = etree.fromstring(fixture_bytes(relative))
    return list(root.iter(f"{OAI}record"))


def record_bytes(record: etree._Element) -> bytes:
    """One record as the harvester would store it: serialised on its own."""
    return etree.tostring(record)
