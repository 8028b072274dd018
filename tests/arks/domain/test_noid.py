"""Tests for arks.domain.noid against the Noid documentation (TEMPLATES, NCDA)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arks.domain.noid import (
    XDIGITS,
    InvalidTemplate,
    Template,
    TemplateExhausted,
    check_char,
    has_valid_check_char,
)

# --- NCDA ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("13030/xf93gt2", "q"),  # the worked example (sum 891 = 21 mod 29)
        ("13030/f54x54g1", "1"),  # the final 1 of 13030/f54x54g11
        ("13030/tf5p30086", "k"),
    ],
)
def test_check_char_vectors(base: str, expected: str) -> None:
    assert check_char(base) == expected


def test_has_valid_check_char() -> None:
    assert has_valid_check_char("13030/xf93gt2q")
    assert has_valid_check_char("13030/f54x54g11")
    assert has_valid_check_char("13030/tf5p30086k")
    assert not has_valid_check_char("13030/xf83gt2q")  # single substitution
    assert not has_valid_check_char("13030/ft5p30086k")  # adjacent transposition
    assert not has_valid_check_char("")
    assert not has_valid_check_char("q")


def test_non_xdigits_count_zero_but_take_a_position() -> None:
    assert check_char("/") == "0"
    assert check_char("A1") == check_char("/1") == check_char("01") == "2"


XDIGIT_STRINGS = st.text(alphabet=st.sampled_from(XDIGITS), min_size=2, max_size=27)


def _checked(base: str) -> str:
    return base + check_char(base)


@given(XDIGIT_STRINGS, st.data())
def test_single_substitution_detected(base: str, data: st.DataObject) -> None:
    checked = _checked(base)  # at most 28 characters: below R, where the NCDA is perfect
    index = data.draw(st.integers(0, len(checked) - 1))
    other = data.draw(st.sampled_from(XDIGITS).filter(lambda c: c != checked[index]))
    corrupted = checked[:index] + other + checked[index + 1 :]
    assert not has_valid_check_char(corrupted)


@given(XDIGIT_STRINGS, st.data())
def test_adjacent_transposition_detected(base: str, data: st.DataObject) -> None:
    checked = _checked(base)
    index = data.draw(st.integers(0, len(checked) - 2))
    a, b = checked[index], checked[index + 1]
    corrupted = checked[:index] + b + a + checked[index + 2 :]
    assert has_valid_check_char(corrupted) == (a == b)


# --- template parsing ----------------------------------------------------------------------------

SPEC_TEMPLATES = [
    # (template, prefix, generator, mask, check, capacity)
    (".rddd", "", "r", "ddd", False, 1000),
    (".sdddddd", "", "s", "dddddd", False, 1_000_000),
    (".zd", "", "z", "d", False, None),
    ("bc.rdddd", "bc", "r", "dddd", False, 10_000),
    ("8rf.sdd", "8rf", "s", "dd", False, 100),
    (".se", "", "s", "e", False, 29),
    ("h9.reee", "h9", "r", "eee", False, 24_389),
    (".zeee", "", "z", "eee", False, None),
    (".rdedeedd", "", "r", "dedeedd", False, 10**4 * 29**3),
    (".zededede", "", "z", "ededede", False, None),
    ("sdd.sdede", "sdd", "s", "dede", False, 100 * 29**2),
    (".rdedk", "", "r", "ded", True, 2900),
    (".sdeeedk", "", "s", "deeed", True, 100 * 29**3),
    (".zdeek", "", "z", "dee", True, None),
    ("63q.redek", "63q", "r", "ede", True, 10 * 29**2),
    ("tb7r.zdd", "tb7r", "z", "dd", False, None),
]


@pytest.mark.parametrize(
    ("text", "prefix", "generator", "mask", "check", "capacity"), SPEC_TEMPLATES
)
def test_parse_spec_templates(
    text: str, prefix: str, generator: str, mask: str, check: bool, capacity: int | None
) -> None:
    template = Template.parse(text)
    assert template == Template(prefix=prefix, generator=generator, mask=mask, check=check)
    assert template.capacity == capacity
    assert str(template) == text
    assert Template.parse(str(template)) == template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zeedk", "fk4.zeedk"),
        ("rdd", "fk4.rdd"),
        ("eedk", "fk4.zeedk"),  # a bare mask is unbounded
        ("fk4.reedk", "fk4.reedk"),  # same prefix twice is fine
        ("fk4.eedk", "fk4.zeedk"),
    ],
)
def test_parse_with_prefix_keyword_and_bare_masks(text: str, expected: str) -> None:
    assert str(Template.parse(text, prefix="fk4")) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "mask is empty"),
        ("fk4.", "mask is empty"),
        ("r", "no 'd' or 'e'"),
        ("zk", "no 'd' or 'e'"),
        (".rdkd", "'k' must be the last"),
        (".rdkk", "'k' must be the last"),
        (".rdx", "unknown mask character 'x'"),
        (".rdD", "unknown mask character 'D'"),
        (".qdd", "unknown generator 'q'"),
        ("Fk4.rdd", "non-betanumeric character 'F'"),
        ("fa4.rdd", "non-betanumeric character 'a'"),
        ("f/4.rdd", "non-betanumeric character '/'"),
        ("fk4.rd.d", "unknown mask character '.'"),
        ("b5.rdd", "conflicts with prefix 'fk4'"),
    ],
)
def test_invalid_templates(text: str, message: str) -> None:
    with pytest.raises(InvalidTemplate, match=message):
        Template.parse(text, prefix="fk4" if text.startswith("b5") else "")


def test_invalid_template_direct_construction() -> None:
    with pytest.raises(InvalidTemplate, match="unknown generator"):
        Template(prefix="", generator="x", mask="dd", check=False)
    assert issubclass(InvalidTemplate, ValueError)


# --- minting: 's' and 'z' ------------------------------------------------------------------------


def test_z_template_grows_from_the_first_mask_character() -> None:
    template = Template.parse("tb7r.zdd")
    names = [template.name(i, naan="13030") for i in range(1001)]
    assert names[:3] == ["tb7r00", "tb7r01", "tb7r02"]
    assert names[99:102] == ["tb7r99", "tb7r100", "tb7r101"]
    assert names[999:] == ["tb7r999", "tb7r1000"]
    assert len(set(names)) == len(names)
    assert all(template.matches(name, naan="13030") for name in names)


def test_z_template_with_extended_digits() -> None:
    template = Template.parse(".zed")
    assert template.name(289, naan="") == "z9"
    assert template.name(290, naan="") == "100"  # grows with another 'e'
    assert template.name(29 * 290, naan="") == "1000"


def test_s_template_is_sequential_and_exhausts() -> None:
    template = Template.parse(".sdd")
    assert [template.name(i, naan="99999") for i in (0, 1, 42, 99)] == ["00", "01", "42", "99"]
    with pytest.raises(TemplateExhausted):
        template.name(100, naan="99999")


def test_s_template_extended_digits() -> None:
    template = Template.parse("8rf.sde")
    assert template.name(28, naan="") == "8rf0z"
    assert template.name(29, naan="") == "8rf10"
    assert template.name(289, naan="") == "8rf9z"
    with pytest.raises(TemplateExhausted):
        template.name(290, naan="")


def test_check_character_covers_naan_slash_name() -> None:
    template = Template.parse("fk4.sdeek")
    name = template.name(5, naan="13030")
    assert name == "fk4005" + check_char("13030/fk4005")
    assert has_valid_check_char(f"13030/{name}")


def test_negative_counter_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Template.parse(".zd").name(-1, naan="13030")


# --- minting: 'r' --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [".rdd", ".rdedk", "h9.reee"])
def test_r_template_is_a_bijection(text: str) -> None:
    template = Template.parse(text)
    capacity = template.capacity
    assert capacity is not None
    names = [template.name(i, naan="13030") for i in range(capacity)]
    assert len(set(names)) == capacity
    assert all(template.matches(name, naan="13030") for name in names)
    assert names != sorted(names)  # quasi-random, not the sequential order
    with pytest.raises(TemplateExhausted):
        template.name(capacity, naan="13030")


def test_r_template_is_deterministic_and_seedable() -> None:
    template = Template.parse("fk4.reedk")
    first = [template.name(i, naan="13030") for i in range(50)]
    assert first == [template.name(i, naan="13030") for i in range(50)]
    other_seed = [template.name(i, naan="13030", seed=b"other") for i in range(50)]
    assert other_seed != first
    assert all(template.matches(name, naan="13030") for name in other_seed)


def test_r_template_with_large_capacity() -> None:
    template = Template.parse(".r" + "e" * 60 + "k")
    name = template.name(10**80, naan="13030")
    assert template.matches(name, naan="13030")


@pytest.mark.parametrize("text", ["fk4.reedk", "h9.reee", ".sdeeedk", ".zdeek", "63q.redek"])
def test_names_are_lowercase_betanumeric(text: str) -> None:
    template = Template.parse(text)
    for counter in range(0, 2000, 7):
        name = template.name(counter, naan="13030")
        assert set(name) <= set(XDIGITS), name


# --- matches -------------------------------------------------------------------------------------


def test_matches_detects_corruption_of_checked_names() -> None:
    template = Template.parse("fk4.reedk")
    name = template.name(123, naan="13030")
    assert template.matches(name, naan="13030")
    substituted = name[:4] + ("0" if name[4] != "0" else "1") + name[5:]
    transposed = name[:4] + name[5] + name[4] + name[6:]
    assert not template.matches(substituted, naan="13030")
    if name[4] != name[5]:
        assert not template.matches(transposed, naan="13030")
    assert not template.matches(name, naan="13031")  # the check zone includes the NAAN


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("fk4.sdd", "fk412", True),
        ("fk4.sdd", "fk4123", False),  # too long for a bounded template
        ("fk4.sdd", "fk41", False),
        ("fk4.sdd", "fk41b", False),  # 'b' is not a pure digit
        ("fk4.sdd", "b512", False),  # wrong prefix
        ("fk4.see", "fk4bz", True),
        ("fk4.see", "fk4ba", False),  # vowel
        ("fk4.see", "fk4bL", False),  # capital
        ("tb7r.zdd", "tb7r1000", True),
        ("tb7r.zdd", "tb7r0100", False),  # never minted: 100 is 'tb7r100'
        ("tb7r.zdd", "tb7r5", False),  # shorter than the mask
        ("fk4.zdd", "fk4", False),
    ],
)
def test_matches_well_formedness(text: str, name: str, expected: bool) -> None:
    assert Template.parse(text).matches(name, naan="13030") is expected


def test_matches_checked_name_vector() -> None:
    # 13030/tf5p30086k from the NCDA examples: prefix 'tf', 7 mixed digits, check char 'k'.
    template = Template.parse("tf.sdedddddk")
    assert template.matches("tf5p30086k", naan="13030")
    assert not template.matches("tf5p30068k", naan="13030")  # transposed digits
    assert not template.matches("tf5p3008k", naan="13030")  # too short
