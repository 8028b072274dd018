"""The vocabularies in code agree with the bundled OpenAIRE v4 schema; mappings onto COAR."""

from __future__ import annotations

import pytest
from lxml import etree

from aggregation.formats.compliance import SCHEMA_DIR
from aggregation.formats.values import normalize_date, normalize_language, year_of
from aggregation.formats.vocab import (
    ACCESS_RIGHTS,
    COAR_ACCESS_RIGHT_BASE,
    COAR_RESOURCE_TYPE_BASE,
    COAR_RESOURCE_TYPES,
    COAR_VERSIONS,
    INFO_EU_REPO_TYPES,
    access_right_from,
    coar_type_from_label,
    coar_type_from_uri,
    kind_of,
)

XS = "{http://www.w3.org/2001/XMLSchema}"


def _enumeration(xsd: str) -> list[tuple[str, str]]:
    """(value, label) pairs of an XSD enumeration; labels are the comments after each value."""
    root = etree.parse(str(SCHEMA_DIR / xsd)).getroot()
    pairs = []
    for enum in root.iter(f"{XS}enumeration"):
        comment = enum.getnext()
        label = comment.text.strip() if isinstance(comment, etree._Comment) else ""
        pairs.append((enum.get("value"), label))
    return pairs


def test_coar_resource_types_equal_the_v4_schema_enumeration() -> None:
    expected = _enumeration("oaire-resourceType-v4.xsd")
    assert len(expected) == 58
    assert [
        (COAR_RESOURCE_TYPE_BASE + c, label) for c, label in COAR_RESOURCE_TYPES.items()
    ] == expected


def test_access_rights_equal_the_v4_schema_enumeration() -> None:
    expected = _enumeration("oaire-accessRight-v4.xsd")
    assert [(a.uri, a.label) for a in ACCESS_RIGHTS.values()] == expected
    assert [a.uri.removeprefix(COAR_ACCESS_RIGHT_BASE) for a in ACCESS_RIGHTS.values()] == [
        "c_abf2", "c_f1cf", "c_16ec", "c_14cb",
    ]  # fmt: skip


def test_versions_equal_the_v4_schema_enumeration() -> None:
    values = [v for v, _ in _enumeration("oaire-versions-v4.xsd")]
    assert sorted(values) == sorted(f"http://purl.org/coar/version/{c}" for c in COAR_VERSIONS)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("info:eu-repo/semantics/openAccess", "open"),
        ("info:eu-repo/semantics/embargoedAccess", "embargoed"),
        ("info:eu-repo/semantics/restrictedAccess", "restricted"),
        ("info:eu-repo/semantics/closedAccess", "metadata_only"),
        ("http://purl.org/coar/access_right/c_abf2", "open"),
        ("https://purl.org/coar/access_right/c_f1cf/", "embargoed"),
        ("http://purl.org/coar/access_right/c_16ec", "restricted"),
        ("http://purl.org/coar/access_right/c_14cb", "metadata_only"),
        ("Open Access", "open"),
        ("metadata only access", "metadata_only"),
        ("http://purl.org/coar/access_right/c_xxxx", None),
        ("These materials are made available for use in research, teaching", None),
    ],
)
def test_access_rights_from_every_vocabulary(text: str, code: str | None) -> None:
    assert access_right_from(text) == code


def test_every_info_eu_repo_type_maps_to_a_v4_coar_type() -> None:
    assert len(INFO_EU_REPO_TYPES) == 16  # Guidelines v3, "Publication Type (M)"
    assert set(INFO_EU_REPO_TYPES.values()) <= set(COAR_RESOURCE_TYPES)
    assert INFO_EU_REPO_TYPES["doctoralthesis"] == "c_db06"


@pytest.mark.parametrize(
    ("label", "code", "kind"),
    [
        ("Article", "c_6501", "publication"),  # DSpace default, as info:eu-repo article
        ("journal article", "c_6501", "publication"),
        ("JournalArticle", "c_6501", "publication"),
        ("Book chapter", "c_3248", "publication"),
        ("BookChapter", "c_3248", "publication"),
        ("Thesis", "c_46ec", "publication"),
        ("Dataset", "c_ddb1", "dataset"),
        ("Software", "c_5ce6", "software"),
        ("ComputationalNotebook", "c_5ce6", "software"),
        ("Recording, musical", "c_18cc", "other"),
        ("Image", "c_c513", "other"),
        ("Technical Report", "c_18gh", "publication"),
        ("Master's thesis", "c_bdcc", "publication"),
        ("banana", None, None),
    ],
)
def test_type_labels_onto_coar(label: str, code: str | None, kind: str | None) -> None:
    assert coar_type_from_label(label) == code
    if code:
        assert kind_of(code) == kind


def test_coar_type_uris() -> None:
    assert coar_type_from_uri("http://purl.org/coar/resource_type/c_6501") == "c_6501"
    assert coar_type_from_uri("https://purl.org/coar/resource_type/c_6501/") == "c_6501"
    assert coar_type_from_uri("http://purl.org/coar/resource_type/c_R60J") is None  # not in v4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-11-09", "2016-11-09"),
        ("1984-10", "1984-10"),
        ("2007", "2007"),
        ("2022-02-24T20:08:20Z", "2022-02-24"),
        ("2023-10-25T18:00:00.654Z", "2023-10-25"),
        ("2010-5-3", "2010-05-03"),
        ("2023-02-29", None),
        ("2024-13", None),
        ("17th century", None),
        ("fjGUgM9ayQrxBZvkONAW4e2jli8kl", None),
    ],
)
def test_w3cdtf_dates(text: str, expected: str | None) -> None:
    assert normalize_date(text) == expected


def test_years_from_fuzzy_dates() -> None:
    assert year_of("ca. 1650") == 1650
    assert year_of("2010/2020") == 2010
    assert year_of("no year") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("eng", "eng"), ("EN", "en"), ("en_US", "en"), ("en-US", "en"), ("zh-CHS", "zh"),
     ("nld/dut", "nld"), ("English", None), ("", None)],
)  # fmt: skip
def test_languages(text: str, expected: str | None) -> None:
    assert normalize_language(text) == expected
