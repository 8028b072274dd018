"""DataCite kernel-4 examples and the oai_datacite wrapper sample, asserted against the files."""

from __future__ import annotations

from aggregation.formats import map_record
from aggregation.formats.model import Affiliation, Funding, License, NameIdentifier, Person, Title
from aggregation.formats.pids import Pid
from tests.aggregation.formats.fixtures import fixture_bytes


def test_full_example_has_every_title_type_and_identifier_kind() -> None:
    p = map_record(
        fixture_bytes("datacite/datacite-example-full-v4.xml"), claimed_prefix="datacite"
    )
    assert p.format == "datacite"
    assert p.titles == (
        Title("Example Title", "en", "main"),
        Title("Example Subtitle", "en", "subtitle"),
        Title("Example TranslatedTitle", "fr", "translated"),
        Title("Example AlternativeTitle", "en", "alternative"),
    )
    assert p.creators[0] == Person(
        "ExampleFamilyName, ExampleGivenName",
        "ExampleGivenName",
        "ExampleFamilyName",
        "personal",
        (NameIdentifier("orcid", "0000-0001-5727-2427"),),
        (Affiliation("ExampleAffiliation", "https://ror.org/04wxnsj81", "ROR"),),
    )
    assert p.creators[1].identifiers == (NameIdentifier("ror", "https://ror.org/04wxnsj81"),)
    assert len(p.contributors) == 22  # one per contributorType; a relatedItem has its own
    assert p.contributors[0].role == "ContactPerson"
    # " https://orcid.org/0000-0001-5727-2427" with a leading space in the file
    assert p.contributors[0].orcid == "0000-0001-5727-2427"
    assert p.pids == (Pid("doi", "10.82433/b09z-4k37"),)
    assert p.landing_url == "https://doi.org/10.82433/b09z-4k37"
    assert p.publisher == "Example Publisher"
    assert p.publication_date == "2024-01-01"  # dateType Issued, among twelve dates
    assert len(p.dates) == 12
    assert p.resource_type is not None and p.resource_type.kind == "dataset"
    assert p.resource_type.original == "Dataset/Example ResourceType"
    assert p.license == "https://creativecommons.org/licenses/by/4.0/"
    assert p.funding == (
        Funding(
            funder_name="Example Funder",
            funder_id="10.13039/501100000780",
            funder_id_type="Crossref Funder ID",
            award_number="12345",
            award_uri="https://example.com/example-award-uri",
            award_title="Example AwardTitle",
        ),
    )
    related = {r.pid: r.relation for r in p.related_identifiers}
    assert related[Pid("ark", "ark:13030/tqb3kh97gh8w")] == "IsCitedBy"
    assert related[Pid("arxiv", "0706.0001")] == "Cites"
    assert related[Pid("handle", "10013/epic.10033")] == "IsDescribedBy"
    assert related[Pid("isbn", "9783905673821")] == "IsMetadataFor"
    assert related[Pid("isbn", "9783468111242")] == "Continues"  # EAN13
    assert related[Pid("pmid", "12082125")] == "IsPartOf"
    assert related[Pid("urn", "urn:nbn:de:101:1-201102033592")] == "IsDocumentedBy"
    assert related[Pid("urn", "urn:lsid:ubio.org:namebank:11815")] == "IsPreviousVersionOf"
    assert related[Pid("issn", "0077-5606")] == "HasVersion"
    assert Pid("doi", "10.1016/j.epsl.2011.11.037") in related
    # relatedItem: ISSN 1234-5678 fails its check digit; the title is the container's
    assert "invalid ISSN '1234-5678' dropped" in p.warnings
    assert p.descriptions[0] == "Example Abstract"
    assert len(p.descriptions) == 6


def test_dataset_example() -> None:
    p = map_record(fixture_bytes("datacite/datacite-example-dataset-v4.xml"))
    assert p.pids == (Pid("doi", "10.82433/9184-dy35"),)
    assert p.title == "External Environmental Data, 2010-2020, National Gallery"
    assert p.creators == (
        Person(
            "National Gallery",
            name_type="organizational",
            identifiers=(NameIdentifier("ror", "https://ror.org/043kfff89"),),
        ),
    )
    assert p.contributors[0].orcid == "0000-0002-2572-6428"
    assert p.contributors[0].role == "ContactPerson"
    assert p.kind == "dataset"
    assert p.publication_date == "2022"
    assert p.languages == ("en",)
    assert p.license == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert p.funding[0].funder_id == "10.13039/100010662"
    assert p.funding[0].award_number == "871034"
    related = {r.pid: r.relation for r in p.related_identifiers}
    # "10.1080/00393630.2018.1504449/" in the file: the trailing slash is not part of the DOI
    assert related[Pid("doi", "10.1080/00393630.2018.1504449")] == "IsSupplementedBy"
    assert related[Pid("doi", "10.5281/zenodo.7629200")] == "IsDocumentedBy"
    assert len(p.subjects) == 6
    assert p.subjects[1].uri == "https://www.wikidata.org/wiki/Q11466"


def test_dissertation_example() -> None:
    p = map_record(fixture_bytes("datacite/datacite-example-dissertation-v4.xml"))
    assert p.title == (
        'Software and supporting material for "SOAPdenovo2: An empirically improved '
        'memory-efficient short read de novo assembly"'
    )  # the file's title spans three lines
    assert [c.family_name for c in p.creators] == ["Luo", "Liu", "Xie", "Li"]
    assert p.resource_type is not None and p.resource_type.label == "thesis"
    assert p.kind == "publication"
    assert p.publication_date == "2012"  # publicationYear; the only date is Available
    assert p.license == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert p.publisher == "GigaScience Database"


def test_affiliation_example() -> None:
    p = map_record(fixture_bytes("datacite/datacite-example-affiliation-v4.xml"))
    carberry = p.creators[1]
    assert carberry.orcid == "0000-0002-1825-0097"
    assert carberry.affiliations == (
        Affiliation("Brown University", "https://ror.org/05gq02987", "ROR"),
        Affiliation("Wesleyan University", "grid.268117.b", "GRID"),
    )
    assert p.creators[2].name_type == "organizational"
    assert p.creators[2].family_name is None
    assert p.contributors[0].orcid == "0000-0002-7285-027X"
    assert p.kind == "software"
    assert p.container_title == "Physics letters B"  # relatedItem IsPublishedIn
    assert p.pids == (
        Pid("doi", "10.5072/example-full"),
        Pid(
            "url",
            "https://schema.datacite.org/meta/kernel-4.4/example/datacite-example-full-v4.4.xml",
        ),
    )
    assert p.publication_year == 2014
    assert p.publication_date == "2014"


def test_funding_reference_example_with_bom_and_info_eu_repo_rights() -> None:
    data = fixture_bytes("datacite/datacite-example-fundingReference-v4.xml")
    assert data.startswith(b"\xef\xbb\xbf")  # the file starts with a UTF-8 byte order mark
    p = map_record(data)
    assert [f.award_number for f in p.funding] == ["282625", "284382"]
    assert {f.funder_id for f in p.funding} == {"10.13039/501100000780"}
    assert p.access_right is not None and p.access_right.code == "open"  # info:eu-repo rightsURI
    assert p.licenses == (
        License(
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "Creative Commons Zero 1.0 Universal",
        ),
    )
    assert p.pids == (
        Pid("doi", "10.5281/zenodo.47394"),
        Pid("url", "https://zenodo.org/record/47394"),
    )
    assert p.creators[0].affiliations == (Affiliation("Université catholique de Louvain"),)
    assert p.publication_date == "2016-03-11"
    assert p.kind == "dataset"


def test_oai_datacite_sample_in_the_oai_1_0_namespace() -> None:
    p = map_record(fixture_bytes("datacite/oai-sample-1.1.xml"), claimed_prefix="oai_datacite")
    assert p.format == "oai_datacite"
    assert p.warnings == (
        "invalid ORCID 'xyz789' dropped",
        "invalid ISBN '937-0-1234-56789-X' dropped",
    )
    assert p.pids == (Pid("doi", "10.5072/wdcc/ccsrnies_sres_b2"),)
    assert p.titles == (
        Title(
            "National Institute for Environmental Studies and Center for Climate System Research "
            "Japan"
        ),
        Title("A survey", None, "subtitle"),
    )
    assert p.creators[1].identifiers == (NameIdentifier("isni", "1422458635730476"),)
    assert p.contributors[1] == Person("Doe, John", "John", "Doe", role="ContactPerson")
    assert p.publication_date == "2004"
    assert p.publisher == "World Data Center for Climate (WDCC)"
    assert p.resource_type is not None and p.resource_type.label == "moving image"  # Animation
    assert p.licenses == (License(None, "Open Database License [ODbL]"),)
    assert p.version == "1.0"
    # kernel-2.1 description with a <br/> inside: both halves kept
    assert p.description is not None
    assert p.description.startswith("The current xml-example for a DataCite record")
    assert p.description.endswith("to find the newest versions of sample data and schemas.")
