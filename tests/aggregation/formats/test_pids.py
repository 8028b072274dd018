"""PID normalisation: the spellings found in real records, and check-digit failures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregation.formats.nameids import (
    mod11_2_check_digit,
    normalize_isni,
    normalize_orcid,
    normalize_ror,
)
from aggregation.formats.pids import (
    Pid,
    detect_pid,
    isbn_check_digit,
    issn_check_digit,
    normalize_pid,
)

# --- detect_pid on free text (dc:identifier, dc:relation) ----------------------------------------

DETECTED = [
    # DOIs: resolver URLs old and new, labels, case, trailing punctuation, escapes
    ("https://doi.org/10.1234/ABC", Pid("doi", "10.1234/abc")),
    (
        "https://dx.doi.org/10.1021/ACS.CHEMMATER.8B01713",
        Pid("doi", "10.1021/acs.chemmater.8b01713"),
    ),
    ("http://doi.org/10.1000/182", Pid("doi", "10.1000/182")),
    ("doi:10.1000/182", Pid("doi", "10.1000/182")),
    ("DOI: 10.1000/182.", Pid("doi", "10.1000/182")),
    ("doi: https://doi.org/10.1000/182", Pid("doi", "10.1000/182")),
    ("info:doi/10.1000/ABC", Pid("doi", "10.1000/abc")),
    ("10.22323/1.265.0153", Pid("doi", "10.22323/1.265.0153")),
    ("10.1080/00393630.2018.1504449/", Pid("doi", "10.1080/00393630.2018.1504449")),
    ("https://doi.org/10.1002/%28SICI%291097-4636", Pid("doi", "10.1002/(sici)1097-4636")),
    ("(see 10.1000/182)", None),
    # Handles; a handle under the 10. prefix is a DOI
    ("hdl:1721.1/123", Pid("handle", "1721.1/123")),
    ("https://hdl.handle.net/1721.1/140717", Pid("handle", "1721.1/140717")),
    ("http://hdl.handle.net/1721.1/41848", Pid("handle", "1721.1/41848")),
    ("https://hdl.handle.net/1721.1/135829.2", Pid("handle", "1721.1/135829.2")),
    ("http://hdl.handle.net/10.1000/182", Pid("doi", "10.1000/182")),
    ("info:hdl/20.500.12345/9", Pid("handle", "20.500.12345/9")),
    # arXiv, new and old style, with and without version
    ("arXiv:2101.00001v2", Pid("arxiv", "2101.00001", 2)),
    ("arXiv:0706.0001", Pid("arxiv", "0706.0001")),
    ("arxiv: 1501.00001", Pid("arxiv", "1501.00001")),
    ("https://arxiv.org/abs/2101.00001v3", Pid("arxiv", "2101.00001", 3)),
    ("https://arxiv.org/pdf/2101.00001v2.pdf", Pid("arxiv", "2101.00001", 2)),
    ("hep-th/9901001v1", Pid("arxiv", "hep-th/9901001", 1)),
    ("arXiv:math.GT/0309136", Pid("arxiv", "math/0309136")),
    ("arXiv:1501.0001", None),  # from 2015 the number has five digits
    ("arXiv:0703.00001", None),  # new-style identifiers start in April 2007
    # PubMed and PubMed Central
    ("PMID: 123", Pid("pmid", "123")),
    ("pmid:012345", Pid("pmid", "12345")),
    ("https://pubmed.ncbi.nlm.nih.gov/12082125/", Pid("pmid", "12082125")),
    ("http://www.ncbi.nlm.nih.gov/pubmed/12082125", Pid("pmid", "12082125")),
    ("PMC5574022", Pid("pmcid", "PMC5574022")),
    ("http://europepmc.org/articles/PMC5574022", Pid("pmcid", "PMC5574022")),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5574022/", Pid("pmcid", "PMC5574022")),
    ("PMCID: PMC5574022", Pid("pmcid", "PMC5574022")),
    # URNs, also behind resolvers; NBN
    ("urn:nbn:de:101:1-201102033592", Pid("urn", "urn:nbn:de:101:1-201102033592")),
    ("URN:NBN:se:uu:diva-160648", Pid("urn", "urn:nbn:se:uu:diva-160648")),
    (
        "http://urn.kb.se/resolve?urn=urn:nbn:se:uu:diva-160648",
        Pid("urn", "urn:nbn:se:uu:diva-160648"),
    ),
    (
        "https://nbn-resolving.org/urn:nbn:de:bsz:14-qucosa-123",
        Pid("urn", "urn:nbn:de:bsz:14-qucosa-123"),
    ),
    ("urn:lsid:ubio.org:namebank:11815", Pid("urn", "urn:lsid:ubio.org:namebank:11815")),
    # ARKs (normalised by arks.domain.ark)
    ("ark:/13030/tqb3kh97gh8w", Pid("ark", "ark:13030/tqb3kh97gh8w")),
    ("https://n2t.net/ark:/13030/tqb3kh97gh8w", Pid("ark", "ark:13030/tqb3kh97gh8w")),
    # ISBN and ISSN, only with valid check digits
    ("ISBN 978-3-905673-82-1", Pid("isbn", "9783905673821")),
    ("ISBN-10: 0-306-40615-2", Pid("isbn", "9780306406157")),
    ("978-0-306-40615-7", Pid("isbn", "9780306406157")),
    ("ISBN 978-3-905673-82-2", None),
    ("1520-5002", Pid("issn", "1520-5002")),  # Chemistry of Materials, in a DSpace dc:identifier
    ("eISSN: 1521-3765", Pid("issn", "1521-3765")),
    ("ISSN 0378-5955", Pid("issn", "0378-5955")),
    ("1234-5678", None),  # wrong check digit (1234-5679 is right)
    ("1984-1985", None),  # a range of years, not an ISSN
    # URLs and non-identifiers
    ("http://repository.example.org/2003292", Pid("url", "http://repository.example.org/2003292")),
    ("HTTPS://Example.ORG/Path?Q=1", Pid("url", "https://example.org/Path?Q=1")),
    ('Hoang, Andre et al. 2016. "Top quark mass calibration"', None),
    ("MIT Experimental Music Studio recordings", None),
    ("12082125", None),  # a bare number is never guessed to be a PMID
    ("http://[::1", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("text", "expected"), DETECTED)
def test_detect_pid_reads_real_world_spellings(text: str, expected: Pid | None) -> None:
    assert detect_pid(text) == expected


# --- normalize_pid with a declared type -----------------------------------------------------------

NORMALIZED = [
    ("DOI", "10.5072/WDCC/CCSRNIES_SRES_B2", Pid("doi", "10.5072/wdcc/ccsrnies_sres_b2")),
    ("doi", "https://doi.org/10.82433/9184-DY35", Pid("doi", "10.82433/9184-dy35")),
    ("DOI", "not a doi", None),
    ("Handle", "10013/epic.10033", Pid("handle", "10013/epic.10033")),
    ("Handle", "no-slash", None),
    (
        "URN",
        "http://urn.kb.se/resolve?urn=urn:nbn:se:uu:diva-160648",
        Pid("urn", "urn:nbn:se:uu:diva-160648"),
    ),
    ("URN", "rlUTkOW", None),  # the OpenAIRE mock sample
    ("arXiv", "arXiv:0706.0001", Pid("arxiv", "0706.0001")),
    ("arXiv", "RBZGe", None),
    ("PMID", "12082125", Pid("pmid", "12082125")),
    ("PMID", "PMC5574022", None),  # mislabelled in the Europe PMC sample: detect_pid finds it
    ("PMCID", "5574022", Pid("pmcid", "PMC5574022")),
    ("ISBN", "978-3-905673-82-1", Pid("isbn", "9783905673821")),
    ("ISBN", "937-0-1234-56789-X", None),  # the DataCite oai sample: 14 characters
    ("ISBN", "0-8044-2957-X", Pid("isbn", "9780804429573")),
    ("ISBN", "0-8044-2957-9", None),
    ("EAN13", "9783468111242", Pid("isbn", "9783468111242")),
    ("ISSN", "0077-5606", Pid("issn", "0077-5606")),
    ("EISSN", "1562-6865", Pid("issn", "1562-6865")),
    ("LISSN", "1188-1534", Pid("issn", "1188-1534")),
    ("ISSN", "2049-3630", Pid("issn", "2049-3630")),
    ("ISSN", "0317-8471", Pid("issn", "0317-8471")),
    ("ISSN", "1050-124x", Pid("issn", "1050-124X")),
    ("ISSN", "1050-1241", None),
    ("URL", "http://purl.oclc.org/foo/bar", Pid("url", "http://purl.oclc.org/foo/bar")),
    ("PURL", "http://purl.oclc.org/foo/bar", Pid("url", "http://purl.oclc.org/foo/bar")),
    ("URL", "ftp://example.org/x", None),
    ("URL", "http://exa mple.org/", None),
    ("ARK", "ark:/13030/tqb3kh97gh8w", Pid("ark", "ark:13030/tqb3kh97gh8w")),
    ("LSID", "urn:lsid:ubio.org:namebank:11815", Pid("urn", "urn:lsid:ubio.org:namebank:11815")),
    ("bibcode", "2018AGUFM.A24K..07S", None),  # a type we do not normalise
]


@pytest.mark.parametrize(("kind", "value", "expected"), NORMALIZED)
def test_normalize_pid_checks_syntax_and_check_digits(
    kind: str, value: str, expected: Pid | None
) -> None:
    assert normalize_pid(kind, value) == expected


def test_isbn10_becomes_isbn13_with_a_recomputed_check_digit() -> None:
    # 0-306-40615-2 is the ISBN-10 of the standard's own example; its ISBN-13 ends in 7.
    assert normalize_pid("isbn", "0306406152") == normalize_pid("isbn", "978-0-306-40615-7")


@pytest.mark.parametrize(
    ("base", "check"), [("978030640615", "7"), ("030640615", "2"), ("080442957", "X")]
)
def test_isbn_check_digit(base: str, check: str) -> None:
    assert isbn_check_digit(base) == check


@pytest.mark.parametrize(("base", "check"), [("0378595", "5"), ("1050124", "X"), ("1520500", "2")])
def test_issn_check_digit(base: str, check: str) -> None:
    assert issn_check_digit(base) == check


def test_pid_urls_resolve_each_kind() -> None:
    assert Pid("doi", "10.1000/182").url == "https://doi.org/10.1000/182"
    assert Pid("handle", "1721.1/5").url == "https://hdl.handle.net/1721.1/5"
    assert (
        Pid("urn", "urn:nbn:se:uu:diva-1").url == "https://nbn-resolving.org/urn:nbn:se:uu:diva-1"
    )
    assert Pid("urn", "urn:lsid:ubio.org:namebank:1").url is None
    assert Pid("arxiv", "2101.00001").url == "https://arxiv.org/abs/2101.00001"
    assert Pid("isbn", "9780306406157").url is None
    assert str(Pid("arxiv", "2101.00001", 2)) == "arxiv:2101.00001v2"
    assert str(Pid("urn", "urn:nbn:se:uu:diva-1")) == "urn:nbn:se:uu:diva-1"


# --- people and organisations ---------------------------------------------------------------------

ORCIDS = [
    ("https://orcid.org/0000-0003-1983-9378", "0000-0003-1983-9378"),  # Europe PMC sample
    ("http://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
    (" https://orcid.org/0000-0001-5727-2427", "0000-0001-5727-2427"),  # DataCite full example
    ("0000-0002-7285-027x", "0000-0002-7285-027X"),
    ("000000021825009 7", "0000-0002-1825-0097"),
    ("orcid.org/0000-0002-1825-0097/", "0000-0002-1825-0097"),
    ("ORCID: 0000-0002-1825-0097", "0000-0002-1825-0097"),
    ("0000-0002-1825-0098", None),  # check digit
    ("0000-0002-7285-0270", None),  # the check is X
    ("xyz789", None),  # the DataCite oai sample
    ("1234-1234-1234-1234", None),  # the Guidelines v4 placeholder
]


@pytest.mark.parametrize(("text", "expected"), ORCIDS)
def test_normalize_orcid_verifies_the_iso_7064_check_digit(text: str, expected: str | None) -> None:
    assert normalize_orcid(text) == expected


def test_mod11_2_matches_the_orcid_documentation_example() -> None:
    # ORCID's "Structure of the ORCID Identifier" computes the check digit of 0000-0002-1694-233X.
    assert mod11_2_check_digit("000000021694233") == "X"


def test_isni_and_ror() -> None:
    assert normalize_isni("1422 4586 3573 0476") == "1422458635730476"
    assert normalize_isni("1422 4586 3573 0477") is None
    assert normalize_ror("https://ror.org/04wxnsj81") == "https://ror.org/04wxnsj81"
    assert normalize_ror("04WXNSJ81") == "https://ror.org/04wxnsj81"
    assert normalize_ror("grid.268117.b") is None


# --- robustness -----------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_detect_pid_never_raises_and_is_idempotent_on_its_output(text: str) -> None:
    pid = detect_pid(text)
    if pid is not None and pid.kind in ("doi", "urn", "ark", "pmcid", "url"):
        again = normalize_pid(pid.kind, pid.value)
        assert again is not None and again.value == pid.value


@given(st.sampled_from(["doi", "handle", "urn", "ark", "arxiv", "pmid", "pmcid", "isbn", "issn",
                        "url", "EISSN", "nonsense"]), st.text(max_size=200))  # fmt: skip
def test_normalize_pid_never_raises(kind: str, text: str) -> None:
    normalize_pid(kind, text)


@given(st.from_regex(r"10\.[0-9]{4,6}/[A-Za-z0-9._;()/-]{1,30}", fullmatch=True))
def test_doi_spellings_agree(doi: str) -> None:
    expected = detect_pid(doi)
    if expected is None:  # only trailing punctuation, nothing left
        return
    for spelling in (f"https://doi.org/{doi}", f"doi:{doi}", f"DOI: {doi.upper()}"):
        assert detect_pid(spelling) == expected
