"""Tests for arks.domain.ark against the examples of draft-kunze-ark."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arks.domain.ark import (
    BETANUMERIC,
    MAX_ARK_LENGTH,
    Ark,
    InvalidArk,
    equivalent,
    is_betanumeric,
    normalize,
    parse,
    without_nma,
)

# --- equivalence examples from the spec ----------------------------------------------------------

NMA_SYNONYMS = [
    "ark:/12345/x6np1wh8k",
    "ark:12345/x6np1wh8k",
    "http://example.org/rslvr/ark:12345/x6np1wh8k",
    "https://example.com/ark:12345/x6np1wh8k",
]

HYPHEN_SYNONYMS = [
    "ark:12345/x5-4-xz-321",
    "https://sneezy.dopey.com/ark:12345/x54--xz32-1",
    "ark:12345/x54xz321",
]


@pytest.mark.parametrize("text", NMA_SYNONYMS)
def test_nma_and_old_label_are_identity_inert(text: str) -> None:
    assert normalize(text) == "ark:12345/x6np1wh8k"
    assert equivalent(text, NMA_SYNONYMS[0])


@pytest.mark.parametrize("text", HYPHEN_SYNONYMS)
def test_hyphens_are_identity_inert(text: str) -> None:
    assert normalize(text) == "ark:12345/x54xz321"
    assert equivalent(text, HYPHEN_SYNONYMS[0])


def test_anatomy_split() -> None:
    ark = parse("https://example.org/ark:12345/x6np1wh8k/c3/s5.v7.xsl")
    assert ark == Ark(
        naan="12345",
        name="x6np1wh8k",
        qualifier="/c3/s5.v7.xsl",
        shoulder="x6",
        blade="np1wh8k",
    )
    assert ark.path == "/c3/s5"
    assert ark.variant == ".v7.xsl"
    assert ark.base == "ark:12345/x6np1wh8k"
    assert str(ark) == "ark:12345/x6np1wh8k/c3/s5.v7.xsl"


@pytest.mark.parametrize(
    ("text", "path", "variant"),
    [
        ("ark:12345/x54.24", "", ".24"),
        ("ark:12345/x4z/x54.24", "/x54", ".24"),
        ("ark:12345/x54.v18.fr.odf", "", ".v18.fr.odf"),
        ("ark:12345/x54/xz/321", "/xz/321", ""),
        ("ark:12345/x54", "", ""),
    ],
)
def test_qualifier_split(text: str, path: str, variant: str) -> None:
    ark = parse(text)
    assert (ark.path, ark.variant) == (path, variant)
    assert ark.qualifier == path + variant


@pytest.mark.parametrize(
    ("name", "shoulder", "blade"),
    [
        ("x6np1wh8k", "x6", "np1wh8k"),
        ("fk4abc", "fk4", "abc"),
        ("b5072xyz", "b5", "072xyz"),
        ("678", "6", "78"),
        ("X6np", "", "X6np"),  # upper case is not betanumeric
        ("_5x", "", "_5x"),
        ("xyz", "", "xyz"),  # no digit at all
        ("a5x", "", "a5x"),  # vowel
    ],
)
def test_primordinal_shoulder(name: str, shoulder: str, blade: str) -> None:
    ark = parse(f"ark:12345/{name}")
    assert (ark.shoulder, ark.blade) == (shoulder, blade)


# --- ancestors (hierarchy and variants) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ark:12345/x54/xz/321", ["ark:12345/x54/xz", "ark:12345/x54"]),
        (
            "ark:12345/x54.v18.fr.odf",
            ["ark:12345/x54.v18.fr", "ark:12345/x54.v18", "ark:12345/x54"],
        ),
        (
            "ark:12345/x6np1wh8k/c3/s5.v7.xsl",
            [
                "ark:12345/x6np1wh8k/c3/s5.v7",
                "ark:12345/x6np1wh8k/c3/s5",
                "ark:12345/x6np1wh8k/c3",
                "ark:12345/x6np1wh8k",
            ],
        ),
        ("ark:12345/x6np1wh8k", []),
    ],
)
def test_ancestors(text: str, expected: list[str]) -> None:
    assert parse(text).ancestors() == expected


# --- label, NAAN, query strings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "ARK:/13030/tf5p30086",
        "Ark:13030/tf5p30086",
        "ark%3A/13030/tf5p30086",
        "ark%3a13030/tf5p30086",
        "https://n2t.net/ARK%3A13030/tf5p30086",
        "  ark:/13030/tf5p30086\n",
    ],
)
def test_label_forms(text: str) -> None:
    assert normalize(text) == "ark:13030/tf5p30086"


def test_naan_keeps_leading_zeros() -> None:
    assert parse("ark:013960/x1").naan == "013960"
    assert not equivalent("ark:013960/x1", "ark:13960/x1")


def test_naan_is_lowercased_but_name_case_is_preserved() -> None:
    assert normalize("ark:B5060/Xy") == "ark:b5060/Xy"
    assert equivalent("ark:B5060/xy", "ark:b5060/xy")
    assert not equivalent("ark:12345/Xy", "ark:12345/xy")


@pytest.mark.parametrize(
    "text",
    [
        "https://n2t.net/ark:12345/x6np1wh8k?info",
        "https://n2t.net/ark:12345/x6np1wh8k??",
        "ark:12345/x6np1wh8k#section",
        "ark:12345/x6np1wh8k/?a=b#c",
    ],
)
def test_query_and_fragment_removed(text: str) -> None:
    assert normalize(text) == "ark:12345/x6np1wh8k"


@pytest.mark.parametrize(
    "text",
    [
        "/https://n2t.net/ark:/12345/x6np1wh8k",
        "/http://any.host/some/path/ark:12345/x6np1wh8k",
        "/https%3A%2F%2Fn2t.net%2Fark%3A%2F12345%2Fx6np1wh8k",  # a resolver URL, encoded whole
        "/HTTP%3a%2f%2fn2t.net%2fARK%3a12345%2fx6np1wh8k",
        "/ark%3A12345%2Fx6np1wh8k",  # an ARK encoded whole
        "/ark%3A%2F12345%2Fx6np1wh8k",
        "ark%3A%2F12345/x6np1wh8k",  # the old label's '/' escaped
    ],
)
def test_an_ark_after_a_resolver_url_or_encoded_whole_is_read(text: str) -> None:
    assert normalize(text) == "ark:12345/x6np1wh8k"


def test_decoding_a_request_encoded_whole_keeps_the_arks_own_escapes() -> None:
    # The ARK ark:12345/x%2Fy, its '%' escaped when the whole URL was: decoded once, not twice.
    assert normalize("/https%3A%2F%2Fn2t.net%2Fark%3A12345%2Fx%252Fy") == "ark:12345/x%2Fy"
    # An escape in an ARK that was not encoded whole is the ARK's own, never decoded.
    assert normalize("/https://n2t.net/ark:12345/x%2Fy") == "ark:12345/x%2Fy"
    assert normalize("ark%3A12345/x%41") == "ark:12345/x%41"
    with pytest.raises(InvalidArk):  # not UTF-8 once decoded: left as it is, and refused
        parse("/https%3A%2F%2Fn2t.net%2Fark%3A12345%2Fx%FF")


def test_without_nma_keeps_the_ark_from_its_label_on() -> None:
    assert without_nma("/https%3A%2F%2Fn2t.net%2Fark%3A12345") == "ark:12345"
    assert without_nma("/http://n2t.net/ark:/12345/x/") == "ark:/12345/x/"
    with pytest.raises(InvalidArk, match="no 'ark:' label"):
        without_nma("/https://n2t.net/")


def test_label_must_start_text_or_follow_slash() -> None:
    with pytest.raises(InvalidArk, match="no 'ark:' label"):
        parse("urn:ark:12345/x1")
    with pytest.raises(InvalidArk, match="no 'ark:' label"):
        parse("https://example.org/?id=ark:12345/x1")


# --- characters, escapes, copy-paste tolerance ---------------------------------------------------


def test_percent_escape_hex_is_uppercased() -> None:
    assert normalize("ark:12345/x%7d") == "ark:12345/x%7D"
    assert normalize("ark:12345/x%acT") == "ark:12345/x%ACT"
    assert equivalent("ark:12345/x%7d", "ark:12345/x%7D")


@pytest.mark.parametrize(
    "text", ["ark:12345/x%4", "ark:12345/x%zz", "ark:12345/%", "ark:12345/x%4g"]
)
def test_malformed_percent_escape_rejected(text: str) -> None:
    with pytest.raises(InvalidArk, match="malformed percent-escape"):
        parse(text)


def test_copy_paste_whitespace_and_unicode_hyphens() -> None:
    assert normalize("ark:12345/x54\n xz\t321") == "ark:12345/x54xz321"
    assert normalize("ark:12345/x54\u2010xz\u2015321\u2212") == "ark:12345/x54xz321"
    assert normalize("https://n2t.net/\nark:/12345/x54 -\nxz321") == "ark:12345/x54xz321"


@pytest.mark.parametrize(
    "dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
)
def test_unicode_hyphens_and_dashes_fold_like_hyphens_also_percent_encoded(dash: str) -> None:
    # "Character Repertoires", last paragraph; "Normalization and Lexical Equivalence", step 6.
    escaped = "".join(f"%{byte:02X}" for byte in dash.encode())
    for text in (f"ark:12345/x54{dash}xz321", f"ark:12345/x54{escaped}xz321",
                 f"ark:12345/x54{escaped.lower()}xz321"):  # fmt: skip
        assert normalize(text) == "ark:12345/x54xz321", text
        assert normalize(text, keep_hyphens=True) == "ark:12345/x54-xz321", text
    assert normalize("ark:12345/x%E2%80%A6") == "ark:12345/x%E2%80%A6"  # an ellipsis stays


def test_allowed_punctuation_kept() -> None:
    assert normalize("ark:12345/a=b~c*d+e@f_g$h") == "ark:12345/a=b~c*d+e@f_g$h"


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("ark:12345/x<y", "'<'"),
        ('ark:12345/x"y', "'\"'"),
        ("ark:12345/x\\y", "'\\\\\\\\'"),
        ("ark:12345/x'y", '"\'"'),
        ("ark:12345/x,y", "','"),
        ("ark:12345/x;y", "';'"),
        ("ark:12345/x:y", "':'"),
        ("ark:12345/x\x00y", "U\\+0000"),
        ("ark:12345/xéy", "U\\+00E9"),
        ("ark:12345/x\u200by", "U\\+200B"),
    ],
)
def test_disallowed_characters_named(text: str, char: str) -> None:
    with pytest.raises(InvalidArk, match=rf"{char}.*position 12"):
        parse(text)


# --- structural characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ark:12345/x54//xz/./321/", "ark:12345/x54/xz/321"),
        ("ark:12345//x54/", "ark:12345/x54"),
        ("ark:12345/x54.", "ark:12345/x54"),
        ("ark:12345/./x54.v2./", "ark:12345/x54.v2"),
        ("ark:12345/x54/.v2", "ark:12345/x54/v2"),
        ("ark:12345/x54./v2", "ark:12345/x54.v2"),
    ],
)
def test_structural_characters_folded(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ark:12345/x54/../etc", "ark:12345/../x", "ark:12345/x/%2e%2E/y", "ark:12345/x/.%2E/y"],
)
def test_dot_dot_rejected(text: str) -> None:
    with pytest.raises(InvalidArk, match=r"'\.\.' is not allowed"):
        parse(text)


def test_variant_followed_by_path_rejected() -> None:
    message = r"a variant qualifier \('\.v2'\) may not be followed by a path \('/c3'\)"
    with pytest.raises(InvalidArk, match=message):
        parse("ark:12345/x54.v2/c3")


# --- other invalid input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no 'ark:' label"),
        ("12345/x54", "no 'ark:' label"),
        ("ark:", "NAAN is empty"),
        ("ark:/", "NAAN is empty"),
        ("ark://12345/x", "NAAN is empty"),
        ("ark:12a45/x", "non-betanumeric character 'a'"),
        ("ark:12345", "name after the NAAN is empty"),
        ("ark:12345/", "name after the NAAN is empty"),
        ("ark:12345/./-/", "name after the NAAN is empty"),
        ("ark:" + "1" * 33 + "/x", "NAAN is longer than 32"),
        ("ark:12345/" + "x" * MAX_ARK_LENGTH, f"at most {MAX_ARK_LENGTH}"),
    ],
)
def test_invalid_input(text: str, message: str) -> None:
    with pytest.raises(InvalidArk, match=message):
        parse(text)


def test_invalid_ark_is_a_value_error() -> None:
    assert issubclass(InvalidArk, ValueError)


def test_equivalent_is_false_for_invalid_input() -> None:
    assert not equivalent("not an ark", "not an ark")
    assert not equivalent("ark:12345/x1", "ark:12345/x1<")


# --- keep_hyphens --------------------------------------------------------------------------------


def test_keep_hyphens_keeps_name_hyphens_only() -> None:
    ark = parse("https://n2t.net/ARK:/12-345/x5-4-xz//321%7d/", keep_hyphens=True)
    assert str(ark) == "ark:12345/x5-4-xz/321%7D"
    assert normalize(str(ark)) == "ark:12345/x54xz/321%7D"


def test_keep_hyphens_still_validates_the_hyphen_free_form() -> None:
    with pytest.raises(InvalidArk, match="name after the NAAN is empty"):
        parse("ark:12345/--", keep_hyphens=True)


# --- helpers -------------------------------------------------------------------------------------


def test_is_betanumeric() -> None:
    assert is_betanumeric(BETANUMERIC)
    assert is_betanumeric("13030")
    assert not is_betanumeric("")
    assert not is_betanumeric("12a45")
    assert not is_betanumeric("1l")
    assert not is_betanumeric("B5060")


# --- properties ----------------------------------------------------------------------------------

ARKISH = st.text(
    alphabet=st.sampled_from(list("ark:/AR.%-_2E3a?#b5x \n\u2010\u00e9<")), max_size=40
)
ANY_TEXT = st.one_of(st.text(max_size=60), ARKISH, ARKISH.map(lambda s: "ark:12345/" + s))


@given(ANY_TEXT)
def test_parse_returns_ark_or_raises_invalid_ark(text: str) -> None:
    try:
        ark = parse(text)
    except InvalidArk:
        return
    assert isinstance(ark, Ark)
    assert normalize(normalize(text)) == normalize(text)
    assert ark.name and is_betanumeric(ark.naan)
    assert ark.name == ark.shoulder + ark.blade


@given(ANY_TEXT)
def test_keep_hyphens_is_idempotent_and_consistent(text: str) -> None:
    try:
        kept = normalize(text, keep_hyphens=True)
    except InvalidArk:
        return
    assert normalize(kept, keep_hyphens=True) == kept
    assert normalize(kept) == normalize(text)
