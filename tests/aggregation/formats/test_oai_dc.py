"""oai_dc records from DSpace@MIT and the OpenAIRE v3 example, asserted against the files."""

from __future__ import annotations

import pytest
from lxml import etree

from aggregation.formats import map_record
from aggregation.formats.model import Funding, NameIdentifier, Person, Product, Subject, Title
from aggregation.formats.oai_dc import parse_grant_agreement
from aggregation.formats.pids import Pid
from tests.aggregation.formats.fixtures import (
    DSPACE_PAGE,
    OAI,
    fixture_bytes,
    oai_records,
    record_bytes,
)

DC = "{http://purl.org/dc/elements/1.1/}"
PAGE = DSPACE_PAGE.relative_to(DSPACE_PAGE.parents[1]).as_posix()


def dc_values(record: etree._Element, name: str) -> list[str]:
    return [e.text for e in record.iter(f"{DC}{name}") if e.text]


# --- the 58-record ListRecords page ---------------------------------------------------------------


def test_every_record_of_the_dspace_page_maps() -> None:
    records = oai_records(PAGE)
    assert len(records) == 58
    for record in records:
        product = map_record(record_bytes(record), claimed_prefix="oai_dc")
        handle = record.findtext(f"{OAI}header/{OAI}identifier").removeprefix("oai:dspace.mit.edu:")
        assert product.format == "oai_dc"
        assert product.pids == (Pid("handle", handle),)
        assert product.landing_url == f"https://hdl.handle.net/{handle}"
        assert product.title == dc_values(record, "title")[0]
        assert [c.name for c in product.creators] == [
            " ".join(c.split()) for c in dc_values(record, "creator")
        ]
        assert product.subjects == (Subject("Experimental Music Studio"),)
        assert product.related_identifiers == ()  # dc:relation names the collection, no PID
        assert product.licenses == ()  # dc:rights is a rights statement without a URL
        assert product.access_right is None
        assert product.resource_type is None and product.kind == "other"
        assert product.warnings == ()


def test_dspace_issue_date_wins_over_accession_timestamps() -> None:
    products = {
        r.findtext(f"{OAI}header/{OAI}identifier"): map_record(r) for r in oai_records(PAGE)
    }
    doubles = products["oai:dspace.mit.edu:1721.1/140717"]
    # dc:date 2022-02-24T20:08:20Z twice (accessioned, available), then 1984-10 (issued)
    assert doubles.publication_date == "1984-10"
    assert doubles.publication_year == 1984
    assert doubles.title == "Doubles"
    assert doubles.creators == (Person("Brody, Martin", "Martin", "Brody"),)
    assert doubles.descriptions == (
        "This is now the only master of Doubles with reverb (2 exist without any reverb). "
        "Cut 2 of 2, wet, msp",
    )
    # only the accession stamps: the date they share
    story = products["oai:dspace.mit.edu:1721.1/140745"]
    assert story.publication_date == "2022-02-24"
    assert story.creators[0].family_name == "Kenney"
    nscor = products["oai:dspace.mit.edu:1721.1/140747"]
    assert nscor.title == "NSCOR" and nscor.creators == () and nscor.publication_date == "1985"
    two = products["oai:dspace.mit.edu:1721.1/140687"]
    assert [c.family_name for c in two.creators] == ["Dodge", "Child"]
    spaced = products["oai:dspace.mit.edu:1721.1/140709"]
    assert spaced.creators == (Person("Le Poulin , Edward", "Edward", "Le Poulin"),)
    single = products["oai:dspace.mit.edu:1721.1/140713"]
    assert single.creators == (Person("Bret"),)


# --- GetRecord responses --------------------------------------------------------------------------


def _only(relative: str) -> Product:
    (record,) = oai_records(relative)
    return map_record(record_bytes(record), claimed_prefix="oai_dc")


def test_conference_paper_with_doi_in_relation() -> None:
    p = _only("dspace-mit/GetRecord_oai_dc_1.xml")
    assert p.title == "Top quark mass calibration for Monte-Carlo event generators"
    assert [c.family_name for c in p.creators] == [
        "Hoang", "Butenschoen", "Dehnadi", "Mateu", "Preisser", "Stewart",
    ]  # fmt: skip
    assert p.creators[-1].given_name == "Iain W."
    # dc:type "Article" and http://purl.org/eprint/type/ConferencePaper: the vocabulary URI wins
    assert p.resource_type is not None
    assert p.resource_type.uri == "http://purl.org/coar/resource_type/c_5794"
    assert p.resource_type.label == "conference paper"
    assert p.kind == "publication"
    assert p.publication_date == "2016-11-09"
    assert p.pids == (Pid("handle", "1721.1/137646"),)  # the citation dc:identifier is not a PID
    assert [r.pid for r in p.related_identifiers] == [Pid("doi", "10.22323/1.265.0153")]
    assert p.related_identifiers[0].relation is None
    assert p.license == "http://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert p.languages == ("en",)
    assert p.publisher == "Sissa Medialab"
    assert p.description is not None and p.description.startswith("The most precise top quark")


def test_journal_article_issn_and_publisher_doi() -> None:
    p = _only("dspace-mit/GetRecord_oai_dc_2.xml")
    assert p.resource_type is not None and p.resource_type.label == "journal article"
    assert p.publication_date == "2018"
    assert len(p.creators) == 16 and p.creators[0] == Person("Vardar, Gulin", "Gulin", "Vardar")
    assert p.contributors[0].name == (
        "Massachusetts Institute of Technology. Department of Nuclear Science and Engineering"
    )
    assert p.pids == (Pid("handle", "1721.1/135829.2"),)
    related = {(r.pid, r.relation) for r in p.related_identifiers}
    assert related == {
        (Pid("issn", "1520-5002"), "IsPartOf"),  # dc:identifier 1520-5002: the journal's ISSN
        (Pid("doi", "10.1021/acs.chemmater.8b01713"), None),  # https://dx.doi.org/10.1021/ACS...
    }
    assert len(p.descriptions) == 7
    assert "NSF (DMR 14-19807)" in p.descriptions


def test_thesis_keeps_paragraphs_and_rights_statement_url() -> None:
    p = _only("dspace-mit/GetRecord_oai_dc_3.xml")
    assert p.title == "Studying Electronic Textures with Coherent Lensless Imaging"
    assert p.resource_type is not None and p.resource_type.uri.endswith("/c_46ec")  # thesis
    assert p.publication_date == "2023-06"
    assert p.contributors[0] == Person("Comin, Riccardo", "Riccardo", "Comin")
    assert p.license == "https://rightsstatements.org/page/InC-EDU/1.0/"
    assert p.publisher == "Massachusetts Institute of Technology"
    assert p.description is not None
    paragraphs = p.description.split("\n\n")  # the abstract's &#xd; blank lines
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("X-ray microscopes have opened our collective eyes")
    assert paragraphs[3].startswith("RPI has proven to be reliable and robust")
    assert p.descriptions[1] == "Ph.D."
    assert p.languages == ()


def test_book_chapter_and_language_with_region() -> None:
    p = _only("dspace-mit/GetRecord_oai_dc_4.xml")
    assert p.resource_type is not None and p.resource_type.label == "book part"
    assert p.languages == ("en",)  # dc:language en_US
    assert p.publication_date == "2007"
    assert p.pids == (Pid("handle", "1721.1/41848"),)
    assert p.landing_url == "http://hdl.handle.net/1721.1/41848"


# --- OpenAIRE v3 / DRIVER -------------------------------------------------------------------------


def test_openaire_v3_example_reads_every_info_eu_repo_term() -> None:
    p = map_record(fixture_bytes("openaire_v3_oai_dc_example_record.xml"))
    assert p.format == "oai_dc"
    assert p.titles == (Title("Studies of Unicorn Behaviour"),)
    assert [c.name for c in p.creators] == ["Jane, Doe", "John, Doe"]
    assert p.access_right is not None
    assert p.access_right.code == "open"
    assert p.access_right.uri == "http://purl.org/coar/access_right/c_abf2"
    assert p.resource_type is not None
    assert p.resource_type.uri == "http://purl.org/coar/resource_type/c_6501"
    assert p.resource_type.original == "info:eu-repo/semantics/article"
    assert p.funding == (
        Funding(
            funder_name="European Commission",
            funder_id="10.13039/501100000780",
            funder_id_type="Crossref Funder ID",
            funding_stream="FP7",
            award_number="1234556789",
            funder_code="EC",
            jurisdiction="EU",
            project_acronym="UNICORN",
        ),
    )
    # altIdentifier: this product's DOI and PMID; the eISSN 1234-5678 fails its check digit
    assert set(p.pids) == {
        Pid("url", "http://repository.example.org/2003292"),
        Pid("pmid", "123456789"),
        Pid("doi", "10.1000/182"),
    }
    assert any("1234-5678" in w for w in p.warnings)
    # info:eu-repo/semantics/reference/doi/… and …/dataset/doi/… (the same DOI in the example)
    assert [(r.pid, r.relation, r.resource_type) for r in p.related_identifiers] == [
        (Pid("doi", "10.1234/789.1"), "References", None),
        (Pid("doi", "10.1234/789.1"), "References", "Dataset"),
    ]
    assert p.license == "http://creativecommons.org/licenses/by-sa/2.0/uk/"
    assert p.subjects == (Subject("590", "ddc"), Subject("Unicorns"))
    assert p.publisher == "Unicorn Press"
    assert p.publication_date == "2013" and p.publication_year == 2013
    assert p.landing_url == "http://repository.example.org/2003292"
    assert p.description == "Lorem ipsum dolor..."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "info:eu-repo/grantAgreement/EC/FP7/244909/EU/Making Capabilities Work/WorkAble",
            Funding("European Commission", "10.13039/501100000780", "Crossref Funder ID", "FP7",
                    "244909", None, "Making Capabilities Work", "EC", "EU", "WorkAble"),
        ),
        (
            "info:eu-repo/grantAgreement/EC/FP7/283595/EU//OpenAIREplus",
            Funding("European Commission", "10.13039/501100000780", "Crossref Funder ID", "FP7",
                    "283595", None, None, "EC", "EU", "OpenAIREplus"),
        ),
        (
            "info:eu-repo/grantAgreement/EC/FP7/244909",
            Funding("European Commission", "10.13039/501100000780", "Crossref Funder ID", "FP7",
                    "244909", funder_code="EC"),
        ),
        (
            "info:eu-repo/grantAgreement/WT/Wellcome Trust/098051/GB/My%2FProject/MP",
            Funding("Wellcome Trust", None, None, "Wellcome Trust", "098051", None, "My/Project",
                    "WT", "GB", "MP"),
        ),
        (
            "info:eu-repo/grantAgreement/NSF/CBET/1234567/US/Name with / slash/ACR",
            Funding("NSF", None, None, "CBET", "1234567", None, "Name with / slash", "NSF", "US",
                    "ACR"),
        ),
        ("info:eu-repo/grantAgreement/EC/FP7", None),
        ("info:eu-repo/grantAgreement//FP7/123", None),
    ],
)  # fmt: skip
def test_grant_agreement_forms_of_the_guidelines(value: str, expected: Funding | None) -> None:
    # The first three are the Guidelines v3 "Project Identifier" examples.
    assert parse_grant_agreement(value) == expected


def test_embargoed_v3_record() -> None:
    # The v3 example with the access term and embargo date of the Guidelines' "Embargo End Date"
    data = fixture_bytes("openaire_v3_oai_dc_example_record.xml")
    data = data.replace(b"semantics/openAccess", b"semantics/embargoedAccess").replace(
        b"<dc:date>2013</dc:date>",
        b"<dc:date>2013</dc:date><dc:date>info:eu-repo/date/embargoEnd/2015-12-31</dc:date>",
    )
    p = map_record(data)
    assert p.access_right is not None
    assert p.access_right.code == "embargoed"
    assert p.access_right.uri == "http://purl.org/coar/access_right/c_f1cf"
    assert p.embargo_end == "2015-12-31"
    assert p.publication_date == "2013"  # the embargo date is not a publication date


def test_orcid_written_into_a_creator_string() -> None:
    data = fixture_bytes("openaire_v3_oai_dc_example_record.xml").replace(
        b"<dc:creator>John, Doe</dc:creator>",
        b"<dc:creator>Carberry, Josiah (https://orcid.org/0000-0002-1825-0097)</dc:creator>"
        b"<dc:creator>Doe, Jane; orcid: 0000-0002-1825-0098</dc:creator>",
    )
    p = map_record(data)
    assert p.creators[1] == Person(
        "Carberry, Josiah",
        "Josiah",
        "Carberry",
        identifiers=(NameIdentifier("orcid", "0000-0002-1825-0097"),),
    )
    assert p.creators[2] == Person("Doe, Jane", "Jane", "Doe")  # check digit fails: dropped
    assert "invalid ORCID '0000-0002-1825-0098' dropped" in p.warnings


def test_translated_titles_and_version_terms() -> None:
    data = fixture_bytes("openaire_v3_oai_dc_example_record.xml").replace(
        b"<dc:title>Studies of Unicorn Behaviour</dc:title>",
        b'<dc:title xml:lang="en">Studies of Unicorn Behaviour</dc:title>'
        b'<dc:title xml:lang="de">Studien zum Verhalten von Einh\xc3\xb6rnern</dc:title>'
        b'<dc:title xml:lang="en">Unicorns</dc:title>'
        b"<dc:type>info:eu-repo/semantics/acceptedVersion</dc:type>",
    )
    p = map_record(data)
    assert p.titles == (
        Title("Studies of Unicorn Behaviour", "en", "main"),
        Title("Studien zum Verhalten von Einhörnern", "de", "translated"),
        Title("Unicorns", "en", "alternative"),
    )
    assert p.version == "AM"
