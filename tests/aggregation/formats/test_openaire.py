"""oai_openaire (OpenAIRE Guidelines v4) samples, asserted against the files."""

from __future__ import annotations

from aggregation.formats import map_record
from aggregation.formats.model import (
    DateEntry,
    Funding,
    License,
    NameIdentifier,
    Person,
    Subject,
    Title,
)
from aggregation.formats.pids import Pid
from tests.aggregation.formats.fixtures import fixture_bytes

V4 = "openaire-literature-v4/"


def test_europe_pmc_journal_article() -> None:
    p = map_record(fixture_bytes(V4 + "sample_journalarticle1.xml"), claimed_prefix="oai_openaire")
    assert p.format == "oai_openaire"
    assert p.titles == (
        Title(
            "Redox\u2010Neutral Dual Functionalization of Electron\u2010Deficient Alkenes", "eng"
        ),
    )
    assert [c.name for c in p.creators] == [
        "Pettersson, Fredrik",
        "Bergonzini, Giulia",
        "Cassani, Carlo",
        "Wallentin, Carl\u2010Johan",
    ]
    assert p.creators[3] == Person(
        "Wallentin, Carl\u2010Johan",
        "Carl\u2010Johan",
        "Wallentin",
        identifiers=(NameIdentifier("orcid", "0000-0003-1983-9378"),),
    )
    assert p.creators[3].orcid == "0000-0003-1983-9378"
    assert p.funding == (
        Funding(
            funder_name="European Commission",
            funding_stream="H2020 Marie Skłodowska-Curie Actions",
            award_number="660668",
            award_uri="http://cordis.europa.eu/project/rcn/195983_en.html",
            award_title="ACT against AMR",
        ),
    )  # the empty funderIdentifier is dropped with its type
    # the DOI alternate identifier; "PMID" PMC5574022 is a PMCID (and the landing URL says so)
    assert p.pids == (Pid("doi", "10.1002/chem.201701589"), Pid("pmcid", "PMC5574022"))
    assert p.doi == "10.1002/chem.201701589"
    assert "PMID 'PMC5574022' read as pmcid" in p.warnings
    assert {(r.pid, r.relation) for r in p.related_identifiers} == {
        (Pid("issn", "0947-6539"), "IsPartOf"),
        (Pid("issn", "1521-3765"), "IsPartOf"),
    }
    assert p.dates == (DateEntry("2018-02-25", "Accepted"), DateEntry("2019-02-25", "Available"))
    # No Issued date: the Guidelines say to use any other date; the earliest is taken.
    assert p.publication_date == "2018-02-25" and p.publication_year == 2018
    assert p.languages == ("eng",)
    assert p.resource_type is not None
    assert p.resource_type.uri == "http://purl.org/coar/resource_type/c_6501"
    assert p.resource_type.label == "journal article"
    assert p.kind == "publication"
    assert p.landing_url == "http://europepmc.org/articles/PMC5574022"
    assert p.publisher == "John Wiley and Sons Inc."
    assert p.version == "SMUR"  # http://purl.org/coar/version/c_71e4c1898caa6e32
    assert p.access_right is not None and p.access_right.code == "open"
    assert p.licenses == (
        License(
            "http://creativecommons.org/licenses/by-nc/4.0/",
            "Creative Commons Attribution\u2010NonCommercial",
            "2018-10-23",
        ),
    )
    assert p.subjects == tuple(
        Subject(s)
        for s in (
            "acyl radicals",
            "cascade transformation",
            "multicomponent reactions",
            "photoredox catalysis",
        )
    )
    assert p.fulltext_urls == ("http://europepmc.org/articles/PMC5574022?pdf=render",)
    assert p.container_title == "Chemistry"
    assert p.description is not None
    assert p.description.startswith("Visible\u2010light photoredox catalysis has been utilized")
    assert "\n" not in p.description  # hard-wrapped lines are one paragraph


def test_minimal_diva_record() -> None:
    p = map_record(fixture_bytes(V4 + "sample_minimal.xml"))
    assert p.titles == (Title("A general approach to finite dimensional division algebras"),)
    assert p.creators == (Person("Dieterich, Ernst", "Ernst", "Dieterich"),)
    assert p.languages == ("eng",)
    assert p.publication_date == "2011"
    assert p.resource_type is not None and p.resource_type.label == "report"
    assert p.resource_type.uri == "http://purl.org/coar/resource_type/c_93fc"
    assert p.pids == (Pid("urn", "urn:nbn:se:uu:diva-160648"),)
    assert p.landing_url == "http://urn.kb.se/resolve?urn=urn:nbn:se:uu:diva-160648"
    assert p.access_right is not None and p.access_right.code == "open"
    assert p.warnings == ()


def test_mock_sample_maps_what_is_valid_and_warns_about_the_rest() -> None:
    p = map_record(fixture_bytes(V4 + "mocksample.xml"))
    # titles of type AlternativeTitle and Subtitle only: no main title, first one stands in
    assert [(t.type, t.lang) for t in p.titles] == [("alternative", "fr"), ("subtitle", "en")]
    assert p.title == "UHT1VD"
    assert [c.name for c in p.creators] == ["DSS7yuOHgx.2BAPOIx4", "WZoRCE5U.qFJdDFEAO5Z"]
    assert p.creators[0].name_type == "organizational"
    assert p.creators[0].given_name == "givenName1"  # the text before the pretty-printed newline
    assert p.creators[0].identifiers[0] == NameIdentifier("fg", "KfnpY3MJb_")
    assert [a.name for a in p.creators[0].affiliations] == ["affiliation1", "affiliation2"]
    assert [(c.role, c.name) for c in p.contributors] == [
        ("Other", "i-5uvLfGD2R.y8fXv442y8o.D6v1"),
        ("Editor", "ZxHQr4TGMeqqEOTbMcNd_EMFvIf"),
    ]
    assert [f.funder_name for f in p.funding] == ["pZT7SjviMp4yodvIG", "funderName"]
    assert p.funding[1].funder_id == "QwqkD4y"
    assert p.pids == ()  # URN rlUTkOW, alternate identifiers of unknown types
    # relatedIdentifier arXiv "RBZGe" and LSID "y" are not identifiers
    assert p.related_identifiers == ()
    assert p.publication_date is None  # Issued "fjGUgM9ayQrxBZvkONAW4e2jli8kl"
    assert p.resource_type is not None
    assert p.resource_type.label == "report to funding agency"  # c_18hj
    assert p.access_right is not None and p.access_right.code == "restricted"
    assert p.version == "EVoR"
    assert p.licenses == (License(None, "F9SXD33cLZ", None),)  # uri "O" is no URL
    assert p.fulltext_urls == ()
    assert p.container_title == "b.Aaayzp1jr"
    assert p.languages == () and p.publisher is None and p.descriptions == ()
    for expected in (
        "invalid arXiv 'RBZGe' dropped",
        "invalid URN 'rlUTkOW' dropped",
        "resourceTypeGeneral 'publication' is not in the Guidelines' list",
        "licence URI 'O' is not a URL",
        "file location 'KZFG.XjDAP-' is not a URL",
        "Issued date 'fjGUgM9ayQrxBZvkONAW4e2jli8kl' is not a W3CDTF date",
    ):
        assert expected in p.warnings
