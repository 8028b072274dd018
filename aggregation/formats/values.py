"""Small normalisers for literal values: text, dates (W3CDTF) and language codes."""

from __future__ import annotations

import calendar
import re
from typing import Final

from lxml import etree

__all__ = [
    "clean",
    "clean_paragraphs",
    "element_text",
    "normalize_date",
    "normalize_language",
    "parse_date",
    "year_of",
]


def element_text(el: etree._Element) -> str:
    """All text inside ``el`` (mixed content such as ``<br/>`` included), unstripped."""
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def clean(text: str | None) -> str | None:
    """Whitespace runs (newlines and indentation from pretty-printing too) become one space."""
    if not text:
        return None
    return " ".join(text.split()) or None


_BLANK_LINE = re.compile(r"\n\s*\n")


def clean_paragraphs(text: str | None) -> str | None:
    """Like ``clean`` but keeps paragraph breaks (blank lines) as ``\\n\\n``."""
    if not text:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.count("\n") < 2:  # no blank line possible: one paragraph (most abstracts)
        return " ".join(text.split()) or None
    paragraphs = (" ".join(p.split()) for p in _BLANK_LINE.split(text))
    return "\n\n".join(p for p in paragraphs if p) or None


# W3CDTF (www.w3.org/TR/NOTE-datetime), the date profile the OpenAIRE Guidelines prescribe,
# tolerating one-digit months and days and a time or zone after the date.
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?([T ]\d{2}:\S*)?Z?$")
_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")


def normalize_date(text: str | None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` for a W3CDTF-like value, else ``None``."""
    return parse_date(text)[0]


def parse_date(text: str | None) -> tuple[str | None, bool]:
    """``normalize_date`` and whether the value carried a time of day, in one match.

    The time matters in DSpace's oai_dc: timestamps are accession and availability stamps the
    system writes, while the issue date is a bare ``YYYY[-MM[-DD]]``.
    """
    if not text:
        return None, False
    match = _DATE.match(text.strip())
    if not match:
        return None, False
    year, month, day, time = match.groups()
    return _valid_date(year, month, day, time), time is not None


# Days in each month of a common year (``calendar.mdays``); February gains one in a leap year.
_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_date(year: str, month: str | None, day: str | None, _time: str | None) -> str | None:
    if month is None:
        return year
    m = int(month)
    if not 1 <= m <= 12:
        return None
    # Two ASCII digits are already the normal form (formatting the numbers again costs more
    # than the match).
    month = month if len(month) == 2 and month.isascii() else f"{m:02d}"
    if day is None:
        return f"{year}-{month}"
    d = int(day)
    if not 1 <= d <= _MONTH_DAYS[m] + (m == 2 and calendar.isleap(int(year))):
        return None
    return f"{year}-{month}-{day if len(day) == 2 and day.isascii() else f'{d:02d}'}"


def year_of(text: str | None) -> int | None:
    """The year of a date, or of the first plausible year in fuzzy text (``ca. 1650``)."""
    if not text:
        return None
    normalized = normalize_date(text)
    if normalized:
        return int(normalized[:4])
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


_LANGUAGE_SPLIT = re.compile(r"[-_/;, ]")


def normalize_language(text: str | None) -> str | None:
    """The primary language subtag in lower case: ``en_US`` → ``en``, ``ENG`` → ``eng``.

    ISO 639-1 and 639-3 codes are kept as given (the Guidelines v4, "Language (MA)", allow
    both); anything that is not a two- or three-letter code (``English``) gives ``None``.
    """
    if not text:
        return None
    first = _LANGUAGE_SPLIT.split(text.strip().lower(), maxsplit=1)[0]
    if 2 <= len(first) <= 3 and first.isascii() and first.isalpha():
        return first
    return None
