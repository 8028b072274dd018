"""Tests of the NAAN registry parser (ANVL and JSON) and of target expansion."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import pytest

from arks.domain import naan_registry
from arks.domain.naan_registry import (
    MAX_REGISTRY_BYTES,
    NaanRecord,
    RegistryFormatError,
    expand_target,
    parse_anvl,
    parse_json,
    parse_registry,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "naan_registry"

# The ANVL record given in shared/reference/naan-registry/README.md.
README_WIPO_ANVL = """\
naa:
who:    World Intellectual Property Organization (=) WIPO
what:   13038
when:   2002.07.12
where:  http://www.wipo.int
how:    NP | (:unkn) unknown | 2002 |
"""

# The JSON record the README says corresponds to it.
README_WIPO_JSON = {
    "what": "13038",
    "where": "http://www.wipo.int",
    "target": {"url": "http://www.wipo.int/$arkpid", "http_code": 302},
    "when": "2002-07-12T00:00:00+00:00",
    "who": {"name": "World Intellectual Property Organization", "acronym": "WIPO"},
    "na_policy": {"orgtype": "NP", "policy": "(:unkn) unknown", "tenure": "2002"},
}


def _only(records: list[NaanRecord]) -> NaanRecord:
    assert len(records) == 1, records
    return records[0]


def _record(**changes: object) -> NaanRecord:
    base = NaanRecord(
        naan="12345",
        shoulder="",
        name="Example",
        acronym="EX",
        where="https://example.org",
        target="",
        http_code=302,
        registered=None,
        org_type="NP",
        policy="",
        tenure="",
        policy_url="",
        test_identifier="",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The example records of CDLUC3/naan_reg_public


EXAMPLES = {
    "example_88120.json": {
        "naan": "88120",
        "shoulder": "",
        "name": "USC ISI Informatics Systems Research Division",
        "acronym": "ISRD",
        "where": "http://www.isi.edu/research/informatics",
        "target": "https://ezid.cdlib.org/ark:/${content}",
        "http_code": 302,
        "registered": datetime.date(2015, 9, 8),
        "org_type": "NP",
        "policy": "(:unkn) unknown",
        "tenure": "2015",
        "policy_url": "",
        "test_identifier": "",
    },
    "example_b5060.json": {
        "naan": "b5060",
        "shoulder": "",
        "name": "CDLIB EZID",
        "acronym": "EZID",
        "where": "https://ezid.cdlib.org/",
        "target": "https://doi.org/10.5060/${value}",
        "http_code": 302,
        "registered": datetime.date(1970, 1, 1),
        "org_type": "NP",
        "policy": "NR",
        "tenure": "1970",
        "policy_url": "",
        "test_identifier": "ark:/b5060/d8bc75",
    },
    "example_99166_w6.json": {
        "naan": "99166",
        "shoulder": "w6",
        "name": (
            "Social Networks and Archival Context Cooperative - historical persons, "
            "families, organizations"
        ),
        "acronym": "SNACC",
        # The file says "303 http://socialarchive.iath.virginia.edu": the status is split off.
        "where": "http://socialarchive.iath.virginia.edu",
        "target": "http://socialarchive.iath.virginia.edu/ark:/${content}",
        "http_code": 303,
        "registered": datetime.date(2013, 2, 12),
        "org_type": "NP",
        "policy": "NR, OP, CC",
        "tenure": "2013",
        "policy_url": "",
        "test_identifier": "",
    },
    "example_19156_tkt42.json": {
        "naan": "19156",
        "shoulder": "tkt42",
        "name": "Participatory Image Archives",
        "acronym": "PIA",
        "where": "https://ark.participatory-archives.ch",
        "target": (
            "https://vocab.participatory-archives.ch/vocab.participatory-archives.ch/"
            "brunner${suffix}"
        ),
        "http_code": 302,
        "registered": datetime.date(2022, 4, 14),
        "org_type": "NP",
        "policy": "(:unkn) unknown",
        "tenure": "2022",
        "policy_url": "",
        "test_identifier": "",
    },
}


@pytest.mark.parametrize("filename", sorted(EXAMPLES))
def test_example_record_parses_to_expected_fields(filename: str) -> None:
    record = _only(parse_registry((FIXTURES / filename).read_bytes()))
    assert dataclasses.asdict(record) == EXAMPLES[filename]


@pytest.mark.parametrize("filename", sorted(EXAMPLES))
def test_example_record_same_through_parse_json_and_parse_registry(filename: str) -> None:
    text = (FIXTURES / filename).read_text(encoding="utf-8")
    assert parse_json(text) == parse_registry(text) == parse_registry(text.encode("utf-8"))


def test_example_records_as_one_list() -> None:
    documents = [json.loads((FIXTURES / name).read_text()) for name in sorted(EXAMPLES)]
    records = parse_json(json.dumps(documents))
    assert [(r.naan, r.shoulder) for r in records] == [
        ("19156", "tkt42"),
        ("88120", ""),
        ("99166", "w6"),
        ("b5060", ""),
    ]


def test_example_targets_expand() -> None:
    def load(name: str) -> NaanRecord:
        return _only(parse_registry((FIXTURES / name).read_bytes()))

    b5060 = load("example_b5060.json")
    assert expand_target(b5060, ark=b5060.test_identifier) == "https://doi.org/10.5060/d8bc75"
    assert (
        expand_target(load("example_88120.json"), ark="ark:88120/x6np1wh8k/c3.xsl")
        == "https://ezid.cdlib.org/ark:/88120/x6np1wh8k/c3.xsl"
    )
    assert (
        expand_target(load("example_99166_w6.json"), ark="ark:/99166/w6abc")
        == "http://socialarchive.iath.virginia.edu/ark:/99166/w6abc"
    )
    # ${suffix}: the name after the record's shoulder.
    assert expand_target(load("example_19156_tkt42.json"), ark="ark:19156/tkt42/term7") == (
        "https://vocab.participatory-archives.ch/vocab.participatory-archives.ch/brunner/term7"
    )


# --------------------------------------------------------------------------------------------
# ANVL


def test_readme_anvl_record_gives_the_readme_json_fields() -> None:
    record = _only(parse_anvl(README_WIPO_ANVL))
    assert record.name == "World Intellectual Property Organization"
    assert record.acronym == "WIPO"
    assert record.naan == "13038"
    assert record.shoulder == ""
    assert record.registered == datetime.date(2002, 7, 12)
    assert record.org_type == "NP"
    assert record.policy == "(:unkn) unknown"
    assert record.tenure == "2002"
    assert record.policy_url == ""
    assert record.where == "http://www.wipo.int"
    assert record.target == ""  # no explicit target: append the ARK to 'where'
    assert record.http_code == 302


def test_readme_anvl_and_json_records_agree() -> None:
    from_anvl = _only(parse_anvl(README_WIPO_ANVL))
    from_json = _only(parse_json(json.dumps(README_WIPO_JSON)))
    assert dataclasses.replace(from_anvl, target=from_json.target) == from_json
    # The blank ANVL target and the JSON "$arkpid" template send an ARK to the same place.
    ark = "ark:/13038/abc123"
    assert expand_target(from_anvl, ark=ark) == expand_target(from_json, ark=ark)
    assert expand_target(from_json, ark=ark) == "http://www.wipo.int/ark:13038/abc123"


def test_anvl_sample_file() -> None:
    records = parse_registry((FIXTURES / "naan_registry_sample.txt").read_bytes())
    # The 'erc:' header and the unknown 'frob:' record are skipped.
    assert [(r.naan, r.shoulder) for r in records] == [
        ("13038", ""),
        ("01234", ""),
        ("b7654", ""),
        ("12345", "x5"),
        ("99999", ""),
    ]
    wipo, zero, library, shoulder, no_acronym = records
    assert wipo == _only(parse_anvl(README_WIPO_ANVL))

    assert zero.naan == "01234"  # leading zero kept: NAANs are text
    assert zero.name == "Example Leading Zero Archive"
    assert zero.policy == "NR, OP, CC"
    assert zero.policy_url == "https://archive.example.org/ark-policy"

    # Continuation line, three name variants (native, English, acronym), upper-case NAAN,
    # bare host name, list-style policy.
    assert library.name == "Example City Library of Somewhere"
    assert library.acronym == "ECLS"
    assert library.where == "https://lib.example.net"
    assert library.org_type == "FP"
    assert library.policy == "NR, OP"

    # 'what: ark:/12345/x5' is a shoulder; 'where: 303 ...' asks for a 303.
    assert shoulder.where == "https://agents.example.org"
    assert shoulder.http_code == 303
    assert shoulder.target == ""

    assert no_acronym.name == "Example Service Without Acronym"
    assert no_acronym.acronym == ""
    assert no_acronym.target == "https://resolver.example.com/resolve?id=${content}"


def test_anvl_comments_and_private_lines_are_ignored() -> None:
    text = """\
# a comment before anything
naa:
# a comment inside the record does not end it
who:    Example (=) EX
!contact: Surname, Firstname ||| someone@example.org |
          continued private line
what:   12345
!why:   ARK
when:   2020.01.02
where:  https://example.org
how:    NP | NR | 2020 |
#!who:  Old Name (=) OLD
"""
    record = _only(parse_anvl(text))
    assert (record.naan, record.name, record.acronym) == ("12345", "Example", "EX")
    assert record.where == "https://example.org"
    assert "someone" not in repr(record)


def test_anvl_continuation_lines_extend_the_previous_value() -> None:
    text = (
        "naa:\n"
        "who:    A Very Long\n"
        "\tOrganisation Name\n"
        "        (=) AVLON\n"
        "what:   12345\n"
        "where:  https://example.org\n"
        "how:    NP | NR, OP |\n"
        "        2001 | https://example.org/policy\n"
    )
    record = _only(parse_anvl(text))
    assert record.name == "A Very Long Organisation Name"
    assert record.acronym == "AVLON"
    assert (record.policy, record.tenure, record.policy_url) == (
        "NR, OP",
        "2001",
        "https://example.org/policy",
    )


def test_anvl_unknown_record_types_are_skipped() -> None:
    text = (
        "erc:\nwho: Registry\nwhat: The registry\nwhen: 2020.01.29\n\n"
        "frob:\nwhat: not-a-naan\n\n"
        "who: a block with no type line\nwhat: 22222\n\n" + README_WIPO_ANVL
    )
    assert [r.naan for r in parse_anvl(text)] == ["13038"]


def test_anvl_shoulder_record_type() -> None:
    text = "shoulder:\nwho: Ex (=) EX\nwhat: ark:/12345/b3\nwhere: https://example.org\n"
    record = _only(parse_anvl(text))
    assert (record.naan, record.shoulder) == ("12345", "b3")


def test_anvl_records_separated_by_whitespace_only_lines_and_crlf() -> None:
    text = (
        README_WIPO_ANVL.replace("\n", "\r\n")
        + "   \r\n"
        + README_WIPO_ANVL.replace("13038", "01234").replace("\n", "\r\n")
    )
    assert [r.naan for r in parse_anvl(text)] == ["13038", "01234"]


def test_anvl_bom_and_utf8_bytes() -> None:
    text = README_WIPO_ANVL.replace("World Intellectual", "Organisation Mondiale Élevée")
    record = _only(parse_registry(b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert record.name.startswith("Organisation Mondiale Élevée")


def test_anvl_first_where_is_the_service_base() -> None:
    text = README_WIPO_ANVL.replace(
        "where:  http://www.wipo.int\n",
        "where:  https://first.example.org\nwhere:  https://second.example.org\n",
    )
    assert _only(parse_anvl(text)).where == "https://first.example.org"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2002.07.12", datetime.date(2002, 7, 12)),
        ("2002-07-12", datetime.date(2002, 7, 12)),
        ("2002", None),
        ("(:unkn)", None),
        ("", None),
    ],
)
def test_anvl_dates(when: str, expected: datetime.date | None) -> None:
    text = README_WIPO_ANVL.replace("2002.07.12", when)
    assert _only(parse_anvl(text)).registered == expected


def test_anvl_odd_where_values_from_the_real_registry_are_kept() -> None:
    # The real file has 'where: N/A' and 'where: http//host'; they parse, but never resolve.
    for where in ("N/A", "http//cams.example.edu"):
        record = _only(parse_anvl(README_WIPO_ANVL.replace("http://www.wipo.int", where)))
        assert record.where == where
        with pytest.raises(ValueError, match="http"):
            expand_target(record, ark="ark:13038/x")


def test_anvl_empty_text_has_no_records() -> None:
    assert parse_anvl("") == []
    assert parse_anvl("# only a comment\n\n") == []


# --------------------------------------------------------------------------------------------
# JSON


def test_json_sample_file() -> None:
    records = parse_registry((FIXTURES / "naan_records_sample.json").read_bytes())
    # The record with an unknown rtype is skipped.
    assert [(r.naan, r.shoulder) for r in records] == [
        ("13038", ""),
        ("01234", ""),
        ("12345", "x5"),
    ]
    wipo, zero, shoulder = records
    assert wipo == _only(parse_json(json.dumps(README_WIPO_JSON)))
    assert zero.naan == "01234"
    assert zero.test_identifier == "ark:/01234/x9test"
    assert expand_target(zero, ark=zero.test_identifier) == (
        "https://archive.example.org/ark:/01234/x9test"
    )
    assert (shoulder.where, shoulder.http_code) == ("https://agents.example.org", 303)
    assert expand_target(shoulder, ark="ark:12345/x5kd93") == (
        "https://agents.example.org/agent/x5kd93"
    )


def test_json_anvl_sample_files_agree_on_shared_fields() -> None:
    from_anvl = {
        r.naan: r for r in parse_registry((FIXTURES / "naan_registry_sample.txt").read_text())
    }
    from_json = parse_registry((FIXTURES / "naan_records_sample.json").read_text())
    for record in from_json:
        other = from_anvl[record.naan]
        assert (record.shoulder, record.name, record.acronym) == (
            other.shoulder,
            other.name,
            other.acronym,
        )
        assert (record.where, record.http_code, record.registered) == (
            other.where,
            other.http_code,
            other.registered,
        )


@pytest.mark.parametrize(
    "document",
    [
        [README_WIPO_JSON],
        README_WIPO_JSON,
        {"metadata": {"version": "1.0"}, "data": [README_WIPO_JSON]},
        {"records": [README_WIPO_JSON]},
        {"13038": README_WIPO_JSON},
    ],
    ids=["list", "single-record", "metadata-and-data", "single-key", "keyed-by-naan"],
)
def test_json_top_level_shapes(document: object) -> None:
    record = _only(parse_json(json.dumps(document)))
    assert (record.naan, record.name) == ("13038", "World Intellectual Property Organization")


def test_json_leading_zero_naan_kept_and_case_folded() -> None:
    records = parse_json(json.dumps([{"what": "01234"}, {"what": "B5060"}]))
    assert [r.naan for r in records] == ["01234", "b5060"]


def test_json_target_as_plain_string_and_defaults() -> None:
    record = _only(parse_json(json.dumps({"what": "12345", "target": "https://x.example/$id"})))
    assert (record.target, record.http_code) == ("https://x.example/$id", 302)
    assert (record.name, record.where, record.registered) == ("", "", None)


def test_json_empty_list_has_no_records() -> None:
    assert parse_json("[]") == []


# --------------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (README_WIPO_ANVL.replace("13038", "13a38"), r"record 1 \(line 3\).*invalid NAAN '13a38'"),
        (README_WIPO_ANVL.replace("13038", "12 345"), r"line 3.*invalid NAAN"),
        (README_WIPO_ANVL.replace("13038", "ark:/"), "invalid NAAN ''"),
        (README_WIPO_ANVL.replace("what:   13038\n", ""), r"record 1 \(line 1\).*no 'what'"),
        (README_WIPO_ANVL.replace("2002.07.12", "2002.13.45"), "line 4.*impossible date"),
        (README_WIPO_ANVL.replace("2002.07.12", "last tuesday"), "line 4.*unreadable date"),
        (README_WIPO_ANVL.replace("where:  http", "where:  200 http"), "line 5.*status 200"),
        ("naa:\nwho Example without a colon\n", r"line 2: expected 'label: value'"),
        ("  continuation first\nnaa:\n", "line 1: continuation line"),
        ("naa:\n: no label\n", "line 2: element with an empty label"),
        ("naa:\nwhat: 12345\x00\n", r"line 2: control character U\+0000"),
        ("naa:\nwho: A\x0bB\nwhat: 12345\n", r"line 2: control character U\+000B"),
        ("shoulder:\nwhat: 12345\n", "shoulder record 'what' '12345' has no shoulder"),
    ],
)
def test_malformed_anvl(text: str, message: str) -> None:
    with pytest.raises(RegistryFormatError, match=message):
        parse_anvl(text)
    with pytest.raises(RegistryFormatError, match=message):
        parse_registry(text.encode("utf-8"))


def test_bad_naan_in_second_record_names_it() -> None:
    text = README_WIPO_ANVL + "\n" + README_WIPO_ANVL.replace("13038", "1234!")
    with pytest.raises(RegistryFormatError, match=r"record 2 \(line 10\).*'1234!'"):
        parse_anvl(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"what": "13a38"}]', r"record 1 .*invalid NAAN '13a38'"),
        ('[{"what": 13038}]', r"record 1: 'what' is a number, not a string"),
        ('[{"who": {"name": "No NAAN"}}]', r"record 1: missing 'what'"),
        ("[1, 2, 3]", "record 1: expected a JSON object, got number"),
        ('["13038"]', "record 1: expected a JSON object, got string"),
        ('"13038"', "JSON document is a string, not a list of NAAN records"),
        ("null", "JSON document is a null"),
        ('{"a": 1, "b": {"c": 2}}', "JSON object holds no list of NAAN records"),
        ('{"a": [], "b": []}', "JSON object holds no list of NAAN records"),
        ('[{"what": "13038"}', r"invalid JSON at line 1, column \d+"),
        ('[\n{"what": "13038",}\n]', r"invalid JSON at line 2"),
        ('[{"what": "13038", "x": NaN}]', r"^invalid JSON: NaN is not allowed$"),
        ('[{"what": "13038", "who": ["a"]}]', "'who' is a array"),
        ('[{"what": "13038", "target": 5}]', "'target' is a number"),
        ('[{"what": "13038", "target": {"url": "x", "http_code": true}}]', "not a number"),
        ('[{"what": "13038", "target": {"url": "x", "http_code": 200}}]', "status 200"),
        ('[{"what": "12345/x5", "naan": "54321"}]', "'naan' '54321' disagrees"),
        ('[{"what": "12345/x5", "shoulder": "y7"}]', "'shoulder' 'y7' disagrees"),
        ('[{"what": "12345", "rtype": "PublicNAANShoulder"}]', "shoulder record has no shoulder"),
        ('[{"what": "12345/x5", "rtype": "PublicNAAN"}]', "NAAN record has a shoulder"),
        ('[{"what": "13038", "when": "not a date"}]', "unreadable date"),
    ],
)
def test_malformed_json(text: str, message: str) -> None:
    with pytest.raises(RegistryFormatError, match=message):
        parse_json(text)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        bytes(range(256)),
        b"\xff\xfe\x00n\x00a\x00a\x00:",  # UTF-16
        b"naa:\nwhat: 12345\x00\x01\x02\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    ],
)
def test_binary_junk_is_refused(data: bytes) -> None:
    with pytest.raises(RegistryFormatError) as info:
        parse_registry(data)
    assert str(info.value)


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", ""])
def test_empty_registry_is_refused(data: bytes | str) -> None:
    with pytest.raises(RegistryFormatError, match="empty"):
        parse_registry(data)


def test_registry_format_error_is_a_value_error() -> None:
    assert issubclass(RegistryFormatError, ValueError)


def test_oversized_input_is_refused() -> None:
    assert MAX_REGISTRY_BYTES == 64 * 1024 * 1024
    too_big = b"#" * (MAX_REGISTRY_BYTES + 1)
    with pytest.raises(RegistryFormatError, match="over the 67108864-byte limit"):
        parse_registry(too_big)
    with pytest.raises(RegistryFormatError, match="limit"):
        parse_anvl(too_big.decode("ascii"))
    with pytest.raises(RegistryFormatError, match="limit"):
        parse_json("[" + " " * MAX_REGISTRY_BYTES + "]")


def test_size_limit_counts_utf8_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(naan_registry, "MAX_REGISTRY_BYTES", 10)
    assert parse_anvl("# 12345678") == []  # 10 ASCII bytes: at the limit
    with pytest.raises(RegistryFormatError, match="12 bytes"):
        parse_anvl("# ééééé")  # 7 characters, 12 bytes


# --------------------------------------------------------------------------------------------
# Target expansion


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://t.example/${pid}", "https://t.example/ark:12345/x6np1wh8k/c3.xsl"),
        ("https://t.example/$arkpid", "https://t.example/ark:12345/x6np1wh8k/c3.xsl"),
        ("https://t.example/ark:/${content}", "https://t.example/ark:/12345/x6np1wh8k/c3.xsl"),
        ("https://t.example/r?id=$id", "https://t.example/r?id=12345/x6np1wh8k/c3.xsl"),
        ("https://t.example/v/${value}", "https://t.example/v/x6np1wh8k/c3.xsl"),
        ("https://t.example/v/$nlid", "https://t.example/v/x6np1wh8k/c3.xsl"),
        (
            "https://t.example/${value}?full=${pid}",
            "https://t.example/x6np1wh8k/c3.xsl?full=ark:12345/x6np1wh8k/c3.xsl",
        ),
        ("https://t.example/static", "https://t.example/static"),
    ],
)
def test_expand_target_substitutions(template: str, expected: str) -> None:
    assert expand_target(template, ark="ark:12345/x6np1wh8k/c3.xsl") == expected


@pytest.mark.parametrize("ark", ["ark:12345/x6", "ark:/12345/x6", "12345/x6", " ARK:/12345/x6 "])
def test_expand_target_accepts_ark_forms(ark: str) -> None:
    assert expand_target("https://t.example/${pid}", ark=ark) == "https://t.example/ark:12345/x6"


def test_expand_target_keeps_name_case_and_folds_naan_case() -> None:
    assert expand_target("https://t.example/$arkpid", ark="ark:/B5060/D8bc75") == (
        "https://t.example/ark:b5060/D8bc75"
    )


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("http://www.wipo.int", "http://www.wipo.int/ark:13038/abc"),
        ("http://www.wipo.int/", "http://www.wipo.int/ark:13038/abc"),
        ("https://example.org/base//", "https://example.org/base/ark:13038/abc"),
        ("303 https://example.org", "https://example.org/ark:13038/abc"),
    ],
)
def test_expand_blank_template_appends_ark_to_where(where: str, expected: str) -> None:
    assert expand_target("", ark="ark:/13038/abc", where=where) == expected
    assert expand_target("   ", ark="ark:13038/abc", where=where) == expected


def test_expand_blank_template_without_where_is_refused() -> None:
    with pytest.raises(ValueError, match="no target template"):
        expand_target("", ark="ark:13038/abc")


def test_expand_record_uses_its_target_and_where() -> None:
    record = _record(where="https://holder.example.org", shoulder="x5")
    assert expand_target(record, ark="ark:12345/x5abc") == (
        "https://holder.example.org/ark:12345/x5abc"
    )
    assert expand_target(record, ark="ark:12345/x5abc", where="https://other.example") == (
        "https://other.example/ark:12345/x5abc"
    )
    templated = _record(target="https://t.example/${suffix}/${value}", shoulder="x5")
    assert expand_target(templated, ark="ark:12345/x5abc") == "https://t.example/abc/x5abc"


def test_expand_naan_only_ark() -> None:
    assert expand_target("https://t.example/${pid}", ark="ark:12345") == (
        "https://t.example/ark:12345"
    )
    assert expand_target("https://t.example/${content}/${value}", ark="ark:12345") == (
        "https://t.example/12345/"
    )


@pytest.mark.parametrize(
    "template",
    [
        "javascript:alert(document.cookie)//${pid}",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>${pid}",
        "ftp://files.example.org/${content}",
        "//evil.example/${pid}",
        "/relative/${pid}",
        "https:///${pid}",
        "https://exa mple.org/${pid}",
        "https://example.org\\@evil.example/${pid}",
        "https://example.org:notaport/${pid}",
    ],
)
def test_expand_refuses_non_http_targets(template: str) -> None:
    with pytest.raises(ValueError):
        expand_target(template, ark="ark:12345/x6")


def test_expand_refuses_javascript_where() -> None:
    with pytest.raises(ValueError, match="http or https"):
        expand_target("", ark="ark:12345/x6", where="javascript:alert(1)")


def test_expand_encodes_unsafe_ark_characters() -> None:
    url = expand_target("https://t.example/${value}", ark='ark:12345/a b\r\nSet-Cookie:x?y#z"<>')
    assert url == "https://t.example/a%20b%0D%0ASet-Cookie:x%3Fy%23z%22%3C%3E"
    assert expand_target("https://t.example/${value}", ark="ark:12345/caf\u00e9") == (
        "https://t.example/caf%C3%A9"
    )


def test_expand_does_not_re_expand_the_ark() -> None:
    url = expand_target("https://t.example/${value}", ark="ark:12345/$id/$arkpid")
    assert url == "https://t.example/$id/$arkpid"


def test_expand_refuses_unknown_placeholder_and_bad_arks() -> None:
    with pytest.raises(ValueError, match=r"unsupported placeholder \$\{nope\}"):
        expand_target("https://t.example/${nope}", ark="ark:12345/x")
    for ark in ("", "ark:", "ark:/", "doi:10.1234/x", "ark:12a45/x", "ark:!/x"):
        with pytest.raises(ValueError, match="not an ARK"):
            expand_target("https://t.example/${pid}", ark=ark)
    with pytest.raises(TypeError):
        expand_target(None, ark="ark:12345/x")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The record type


def test_naan_record_is_frozen_with_slots() -> None:
    record = _record()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.naan = "54321"  # type: ignore[misc]
    assert not hasattr(record, "__dict__")
    assert record == _record()
    assert hash(record) == hash(_record())
