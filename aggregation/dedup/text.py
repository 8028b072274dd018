"""Text normalisation for dedup keys: folding, tokens, numbers in titles, personal names.

Keys are for comparing, never for display. ``fold`` turns text into lower-case words without
accents or punctuation: Latin letters are folded to ASCII (``Ludäscher`` → ``ludascher``,
``Straße`` → ``strasse``); letters of other scripts are kept, case-folded, so that a Greek or
Cyrillic title still has words to compare rather than none.

HTML character references are decoded first (``&#228;`` → ``ä``): harvested text is sometimes
escaped twice, and benchmark exports write accented letters that way. Exports that tokenised
their text put spaces around the reference (``lud &#228; scher``); a reference that stands for
a letter between two letters is joined to them.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass

from aggregation.dedup.words import NUMBERING_WORDS, STOP_WORDS

__all__ = [
    "Name",
    "clean",
    "fold",
    "is_number",
    "key_words",
    "parse_name",
    "title_numbers",
    "words",
]

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "ng",
        "ĸ": "k",
        "\u017f": "s",  # long s
    }
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SPACED_ENTITY = re.compile(
    r"(?<=\w) (&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});) (?=\w)"
)
_NOT_WORD = re.compile(r"[\W_]+")


def clean(text: str | None) -> str:
    """Decode HTML character references and collapse whitespace; ``""`` for ``None``."""
    if not text:
        return ""
    if "&" in text:
        text = _SPACED_ENTITY.sub(_join_letter, text)
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return " ".join(text.split())


def _join_letter(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group(1))
    return decoded if decoded.isalpha() else f" {match.group(1)} "


# Combining marks of the Latin, Greek and Cyrillic scripts left by canonical decomposition.
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str | None) -> str:
    """Lower-case words separated by single spaces: no accents, punctuation or markup."""
    text = clean(text)
    if not text:
        return ""
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text.translate(_SPECIAL)))
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def words(text: str | None) -> list[str]:
    """The folded words of ``text``."""
    return fold(text).split()


def key_words(folded_words: list[str]) -> list[str]:
    """Words without the stop words of the six languages (see ``words.STOP_WORDS``)."""
    return [w for w in folded_words if w not in STOP_WORDS]


# Roman numerals from 2 to 39 written as words: "Part II", "XXth century". Larger ones are too
# often ordinary words (cd, cm, mm, dc, mix, civil), and a lone i, v or x is a numeral only after
# a numbering word ("Part I", "Tome V") because elsewhere it is a letter or a pronoun.
_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
# Digits inside a word ("b2b", "h2o") are part of a name, not a number.
_DIGITS = re.compile(r"(?<![^\W\d_])\d+|\d+(?![^\W\d_])")


def _roman(word: str) -> int | None:
    match = _ROMAN.match(word)
    if not match or not word:
        return None
    tens, units = match.groups()
    return 10 * len(tens) + _ROMAN_VALUES.get(units, 0)


# English ordinals written as words ("the fourth workshop" is "the 4th workshop").
_ORDINAL_WORDS = """
first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth
"""
_ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS.split(), start=1)}


# One shared empty set: most titles have no numbers, and each empty frozenset costs 216 bytes.
NO_NUMBERS: frozenset[int] = frozenset()


def title_numbers(folded_words: list[str]) -> frozenset[int]:
    """The numbers a title carries, arabic or roman: "Part II" and "Parte 2" both give {2}.

    OpenAIRE's publication rules compare the numbers in two titles before anything else
    ("titleVersionMatch"): volume 1 and volume 2 of a work have near-identical titles.
    """
    if not any(_may_be_number(w) for w in folded_words):
        return NO_NUMBERS
    found: set[int] = set()
    previous = ""
    for word in folded_words:
        if _DIGITS.search(word):
            found.update(int(d) for d in _DIGITS.findall(word) if len(d) <= 9)
        elif word in _ORDINALS:
            found.add(_ORDINALS[word])
        elif len(word) > 1 or previous in NUMBERING_WORDS:
            value = _roman(word)
            if value is not None:
                found.add(value)
        previous = word
    return frozenset(found) if found else NO_NUMBERS


def _may_be_number(word: str) -> bool:
    return word in _ORDINALS or not word.strip("ivx") or not word.isalpha()


def is_number(word: str) -> bool:
    """Whether the word alone reads as a number (for telling "Editorial 2" is generic)."""
    return bool(_DIGITS.search(word)) or word in _ORDINALS or _roman(word) is not None


# --- personal names -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    """A personal name reduced for comparison.

    ``surname`` is the family name's last word (``neumann`` for "John von Neumann"),
    ``family`` all words of the family name when the record separates it (``garcia marquez``
    for "García Márquez, Gabriel"), ``initials`` the first letters of the given names in order
    (``ja`` for "John A." and "J.-A."), ``tokens`` every word of the name (for names written
    in an order the parser cannot tell).
    """

    surname: str
    family: tuple[str, ...]
    initials: str
    tokens: tuple[str, ...]


# "Smith JA", "Smith J.A.", "Smith, J": initials written after the surname (PubMed, Scopus).
_TRAILING_INITIALS = re.compile(r"^(.+?)[\s,]+((?:[A-Z]\.?[\s-]?){1,4})$")
# Family-name particles, dropped from the given names when they precede the surname ("Ludwig
# van Beethoven") so that they do not count as initials. Single letters are initials.
_PARTICLES = "van von der den de del della di da dos das du le la ten ter zu vom"
_NAME_PARTICLES = frozenset(_PARTICLES.split())


@functools.lru_cache(maxsize=262144)
def parse_name(raw: str) -> Name | None:
    """Split a personal name written "Family, Given", "Given Family" or "Family GI"."""
    text = clean(raw)
    if not text:
        return None
    if not text.isascii():
        text = _join_lone_letters(text)
    family_part, given_part = _split_name(text)
    family = tuple(w for w in words(family_part) if w) or tuple(words(given_part))[-1:]
    given = words(given_part) if family_part else words(given_part)[:-1]
    if not family:
        return None
    given = [w for w in given if w not in _NAME_PARTICLES or len(given) == 1]
    return Name(
        surname=family[-1],
        family=family,
        initials="".join(w[0] for w in given),
        tokens=tuple(dict.fromkeys((*family, *given))),
    )


# Exports that tokenised names leave accented letters standing alone: "barbar á", "imieli ń ski",
# "per - Å ke". A lone non-ASCII letter that is not an initial (no full stop after it) joins the
# lower-case word after it, and, when lower case itself, the word before it.
_LONE_LETTER = re.compile(r"(?:(?<=\w)( ))?\b([^\W\d_a-zA-Z])\b(?!\.)(?:( )(?=[a-z]))?")


def _join_lone_letters(text: str) -> str:
    def join(match: re.Match[str]) -> str:
        before, letter, _after = match.groups()
        keep_before = before if before and letter.isupper() else ""
        return f"{keep_before}{letter}"

    return _LONE_LETTER.sub(join, text)


def _split_name(text: str) -> tuple[str, str]:
    """``(family, given)``; ``("", text)`` when the family name is the last words of text."""
    if "," in text:
        family, _, given = text.partition(",")
        if family.strip() and given.strip():
            return family, given
        return "", family or given
    trailing = _TRAILING_INITIALS.match(text)
    if trailing and not trailing.group(1).endswith(".") and not trailing.group(1).isupper():
        initials = trailing.group(2)
        if "." not in initials:  # "JA" is two initials, not a word
            initials = " ".join(initials.replace("-", "").replace(" ", ""))
        return trailing.group(1), initials
    return "", text
