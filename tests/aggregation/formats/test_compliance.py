"""OpenAIRE v4 compliance: offline XSD validation, mandatory-field findings, per-source report."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from lxml import etree

from aggregation import xmlsafe
from aggregation.formats import compliance, xsd
from aggregation.formats.compliance import (
    SCHEMA_DIR,
    ComplianceReport,
    Finding,
    Level,
    check_openaire_v4,
    validate_xsd,
)
from tests.aggregation.formats.fixtures import fixture_bytes, oai_records
from tests.aggregation.formats.test_xmlsafe import loopback  # noqa: F401 (a fixture)

V4 = "openaire-literature-v4/"
OAIRE = "http://namespace.openaire.eu/schema/oaire/"


def _root(name: str) -> etree._Element:
    return xmlsafe.parse(fixture_bytes(V4 + name))


def _codes(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.level.value, f.code) for f in findings}


# --- XSD ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sample_journalarticle1.xml", "sample_minimal.xml"])
def test_guidelines_samples_validate_against_the_bundled_xsd(name: str) -> None:
    assert validate_xsd(_root(name)) == []


def test_mock_sample_fails_the_xsd() -> None:
    errors = validate_xsd(_root("mocksample.xml"))
    assert len(errors) == 1
    assert errors[0].startswith("line 105: ")
    assert "resourceTypeGeneral" in errors[0] and "'publication'" in errors[0]


def test_a_record_inside_its_oai_pmh_envelope_validates_the_same() -> None:
    inner = fixture_bytes(V4 + "sample_minimal.xml").split(b"?>", 1)[1]
    wrapped = (
        b'<record xmlns="http://www.openarchives.org/OAI/2.0/"><header><identifier>oai:x:1'
        b"</identifier><datestamp>2024-01-01</datestamp></header><metadata>"
        + inner
        + b"</metadata></record>"
    )
    assert validate_xsd(xmlsafe.parse(wrapped)) == []


def test_schema_compiles_from_bundled_files_only() -> None:
    requested: list[str] = []

    class Recording(xsd._BundledResolver):
        def resolve(self, system_url: str, public_id: str, context: object) -> object:
            requested.append(system_url)
            return super().resolve(system_url, public_id, context)

    parser = xmlsafe.make_parser(resolvers=(Recording(),))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "openaire.xsd"), parser))
    assert schema.validate(_root("sample_minimal.xml"))
    remote = [u for u in requested if u.startswith("http")]
    assert remote and set(remote) <= set(xsd._BUNDLED)  # w3.org's xml.xsd, mapped
    local = [u for u in requested if not u.startswith("http")]
    assert {u.rsplit("/", 1)[1] for u in local} <= {p.name for p in SCHEMA_DIR.glob("*.xsd")}


def test_a_schema_import_from_the_network_is_refused(loopback: tuple[str, list[str]]) -> None:  # noqa: F811
    base, hits = loopback
    hostile = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="urn:x" schemaLocation="{base}/evil.xsd"/>'
        '<xs:element name="a"/></xs:schema>'
    ).encode()
    parser = xmlsafe.make_parser(resolvers=(xsd._BundledResolver(),))
    with pytest.raises(etree.XMLSchemaParseError, match=r"evil\.xsd"):
        etree.XMLSchema(etree.fromstring(hostile, parser))
    assert hits == []


def test_schema_is_compiled_once_per_thread() -> None:
    assert compliance.openaire_v4_schema() is compliance.openaire_v4_schema()
    other: list[etree.XMLSchema] = []
    thread = threading.Thread(target=lambda: other.append(compliance.openaire_v4_schema()))
    thread.start()
    thread.join()
    assert other[0] is not compliance.openaire_v4_schema()


def test_bundled_schema_directory_notes_its_origin_and_licence() -> None:
    notes = (SCHEMA_DIR / "SOURCES.md").read_text()
    assert "CC BY 4.0" in notes and "xml.xsd" in notes


# --- mandatory fields -----------------------------------------------------------------------------


def test_europe_pmc_sample_lacks_only_an_issued_date_and_a_format() -> None:
    assert _codes(check_openaire_v4(_root("sample_journalarticle1.xml"))) == {
        ("mandatory", "publicationDate.missing"),
        ("recommended", "format.missing"),
    }


def test_minimal_sample_has_every_mandatory_field() -> None:
    findings = check_openaire_v4(_root("sample_minimal.xml"))
    assert not [f for f in findings if f.level is Level.MANDATORY]
    assert _codes(findings) == {
        ("mandatory_if_applicable", "publisher.missing"),
        ("mandatory_if_applicable", "description.missing"),
        ("mandatory_if_applicable", "subject.missing"),
        ("mandatory_if_applicable", "file.missing"),  # open access without a file link
        ("recommended", "format.missing"),
        ("recommended", "license.missing"),
        ("recommended", "version.missing"),
    }


def test_mock_sample_findings() -> None:
    codes = _codes(check_openaire_v4(_root("mocksample.xml")))
    for expected in (
        ("mandatory", "publicationDate.invalid"),
        ("mandatory", "resourceType.invalid-general"),
        ("mandatory_if_applicable", "language.missing"),  # <dc:language> holds only whitespace
        ("mandatory_if_applicable", "license.uri-invalid"),
        ("mandatory_if_applicable", "license.start-date-invalid"),
        ("mandatory_if_applicable", "file.not-url"),
    ):
        assert expected in codes
    assert ("mandatory", "title.missing") not in codes


def _v4(body: str) -> etree._Element:
    return xmlsafe.parse(
        f'<resource xmlns="{OAIRE}" xmlns:datacite="http://datacite.org/schema/kernel-4" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/">{body}</resource>'.encode()
    )


def test_an_empty_record_misses_every_mandatory_field() -> None:
    mandatory = {f.code for f in check_openaire_v4(_v4("")) if f.level is Level.MANDATORY}
    assert mandatory == {
        "title.missing",
        "creator.missing",
        "resourceType.missing",
        "identifier.missing",
        "accessRights.missing",
        "publicationDate.missing",
    }


def test_conditional_requirements() -> None:
    record = _v4(
        '<datacite:rights rightsURI="http://purl.org/coar/access_right/c_f1cf">embargoed access'
        "</datacite:rights>"
        '<datacite:identifier identifierType="ISBN">978-0-306-40615-7</datacite:identifier>'
        "<datacite:creators><datacite:creator><datacite:creatorName>A, B</datacite:creatorName>"
        '<datacite:nameIdentifier nameIdentifierScheme="ORCID">0000-0002-1825-0098'
        "</datacite:nameIdentifier><datacite:nameIdentifier>x</datacite:nameIdentifier>"
        "</datacite:creator></datacite:creators>"
        "<datacite:contributors><datacite:contributor><datacite:contributorName>C"
        "</datacite:contributorName></datacite:contributor></datacite:contributors>"
        "<fundingReferences><fundingReference><awardNumber>1</awardNumber></fundingReference>"
        "</fundingReferences>"
        '<datacite:dates><datacite:date dateType="Issued">2020</datacite:date></datacite:dates>'
    )
    codes = _codes(check_openaire_v4(record))
    assert ("mandatory_if_applicable", "embargo.dates-missing") in codes
    assert ("mandatory", "identifier.invalid-type") in codes
    assert ("recommended", "creator.orcid-invalid") in codes
    assert ("mandatory", "creator.identifier-scheme-missing") in codes
    assert ("mandatory", "contributor.type-missing") in codes
    assert ("mandatory", "funding.funder-name-missing") in codes
    assert ("mandatory", "publicationDate.missing") not in codes
    assert ("mandatory_if_applicable", "file.missing") not in codes  # not open access


def test_records_of_other_formats_are_reported_as_such() -> None:
    (record,) = oai_records("dspace-mit/GetRecord_oai_dc_1.xml")
    assert check_openaire_v4(record) == [
        Finding("format", Level.MANDATORY, "format.not-openaire-v4", "record is oai_dc, not v4")
    ]
    assert check_openaire_v4(xmlsafe.parse(b"<html/>"))[0].code == "format.unreadable"


# --- the per-source report ------------------------------------------------------------------------


def _report(names: list[str]) -> Iterator[tuple[list[Finding], list[str]]]:
    for name in names:
        root = _root(name)
        yield check_openaire_v4(root), validate_xsd(root)


def test_report_counts_records_per_finding() -> None:
    report = ComplianceReport()
    names = ["sample_journalarticle1.xml", "sample_minimal.xml", "mocksample.xml"]
    for findings, errors in _report(names):
        report.add(findings, errors)
    assert report.records == 3
    assert report.xsd_invalid == 1
    assert report.compliant == 1  # the minimal sample: no mandatory finding, valid XSD
    rows = report.rows()
    assert [r.level for r in rows] == sorted((r.level for r in rows), key=list(Level).index)
    by_code = {r.code: r for r in rows}
    assert by_code["format.missing"].records == 3
    assert by_code["format.missing"].share == 1.0
    assert by_code["publisher.missing"].records == 2
    assert by_code["publicationDate.missing"].example == "no date of type Issued"
    assert rows[0].level is Level.MANDATORY


def test_report_merges_and_round_trips() -> None:
    whole, left, right = ComplianceReport(), ComplianceReport(), ComplianceReport()
    names = ["sample_journalarticle1.xml", "sample_minimal.xml", "mocksample.xml"]
    for i, (findings, errors) in enumerate(_report(names)):
        whole.add(findings, errors)
        (left if i < 2 else right).add(findings, errors)
    left.merge(right)
    assert left.to_dict() == whole.to_dict()
    assert ComplianceReport.from_dict(whole.to_dict()) == whole


def test_one_finding_repeated_in_a_record_counts_once() -> None:
    report = ComplianceReport()
    finding = Finding("identifier", Level.MANDATORY, "identifier.invalid-type", "x")
    report.add([finding, finding])
    assert report.counts[("identifier", "mandatory", "identifier.invalid-type")] == 1
    assert report.compliant == 0
