"""The record dedup works on, and the keys derived from it once.

``DedupRecord`` is deliberately small: what blocking and comparison read, nothing else. It is
built from a harvested ``Product`` (``from_product``) or from any tabular source (the benchmark
reader builds it from CSV rows with ``DedupRecord.create``). Its derived form, ``Features``
(folded titles, numbers, parsed names, PID keys), is computed on first use and kept on the
record, so a record compared with fifty candidates is normalised once.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from aggregation.dedup.text import (
    Name,
    clean,
    fold,
    is_number,
    key_words,
    parse_name,
    title_numbers,
)
from aggregation.dedup.words import GENERIC_TITLES, JOURNAL_WORDS, TITLE_MARKERS
from aggregation.formats.model import Person, Product
from aggregation.formats.nameids import normalize_orcid
from aggregation.formats.pids import detect_pid, normalize_pid

__all__ = [
    "IDENTIFYING_PID_KINDS",
    "DedupRecord",
    "Features",
    "TitleForm",
    "split_authors",
]

# PIDs that name one product, so that two records sharing one describe the same product. ISSNs
# name journals and plain URLs name pages (a repository's home page is shared by everything it
# holds): they never make two records one.
IDENTIFYING_PID_KINDS = frozenset({"doi", "handle", "urn", "ark", "arxiv", "pmid", "pmcid", "isbn"})
MAX_TITLES = 6
MAX_HEADS = 3  # heads cut from one title (a title with many commas would give many)
MAX_AUTHORS = 60

TitleText = tuple[str, str | None, str]

# The word lists in the form titles take after folding and dropping stop words.
_GENERIC = frozenset(" ".join(key_words(t.split())) for t in GENERIC_TITLES)
_MARKERS = frozenset(" ".join(key_words(m.split())) for m in TITLE_MARKERS)


@dataclass(frozen=True, slots=True)
class DedupRecord:
    """One record as dedup sees it.

    * ``titles``: ``(text, lang, type)`` with ``type`` ``main``, ``alternative``,
      ``translated``, ``subtitle`` or ``other`` (as ``aggregation.formats.model.Title``);
    * ``authors``: personal or organisational names as written ("Family, Given" is best);
    * ``pids``: ``(kind, value)`` already normalised by ``aggregation.formats.pids`` (use
      ``create`` to normalise raw values);
    * ``kind``: the coarse type, ``publication``, ``dataset``, ``software`` or ``other``;
    * ``author_ids``: ORCID iDs of the authors, in any order.
    """

    id: str
    titles: tuple[TitleText, ...] = ()
    authors: tuple[str, ...] = ()
    year: int | None = None
    kind: str | None = None
    pids: tuple[tuple[str, str], ...] = ()
    venue: str | None = None
    publisher: str | None = None
    author_ids: tuple[str, ...] = ()
    _features: Features | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        id: str,
        *,
        titles: Iterable[str | TitleText] = (),
        authors: Iterable[str] | str = (),
        year: int | str | None = None,
        kind: str | None = None,
        pids: Iterable[tuple[str, str] | str] = (),
        venue: str | None = None,
        publisher: str | None = None,
    ) -> DedupRecord:
        """A record from loose values: titles as text, authors as a list or one string
        ("A, B and C"), a year as text, PIDs raw (``("doi", "https://doi.org/10.1/X")`` or
        free text such as ``"arXiv:2101.00001v2"``), normalised here; invalid ones are dropped."""
        return cls(
            id=str(id),
            titles=tuple(_title(t) for t in titles if (t if isinstance(t, str) else t[0])),
            authors=tuple(split_authors(authors) if isinstance(authors, str) else authors),
            year=_year(year),
            kind=kind or None,
            pids=tuple(p for p in (_pid(raw) for raw in pids) if p),
            venue=clean(venue) or None,
            publisher=clean(publisher) or None,
        )

    @property
    def features(self) -> Features:
        cached = self._features
        if cached is None:
            cached = Features.of(self)
            object.__setattr__(self, "_features", cached)
        return cached


def from_product(product: Product, record_id: str) -> DedupRecord:
    """The dedup view of a mapped ``Product`` (``record_id`` is the caller's key for it)."""
    people = [p for p in product.creators if p.role is None] or list(product.creators)
    return DedupRecord(
        id=record_id,
        titles=tuple((t.text, t.lang, t.type) for t in product.titles),
        authors=tuple(_person_name(p) for p in people),
        year=product.publication_year,
        kind=product.kind if product.resource_type else None,
        pids=tuple((p.kind, p.value) for p in product.pids if p.kind in IDENTIFYING_PID_KINDS),
        venue=product.container_title,
        publisher=product.publisher,
        author_ids=tuple(sorted({p.orcid for p in people if p.orcid})),
    )


def _person_name(person: Person) -> str:
    if person.family_name and person.given_name:
        return f"{person.family_name}, {person.given_name}"
    return person.name


def _title(value: str | TitleText) -> TitleText:
    if isinstance(value, str):
        return (value, None, "main")
    text, lang, kind = value
    return (text, lang, kind or "main")


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def _year(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    match = _YEAR.search(str(value))
    return int(match.group(1)) if match else None


def _pid(raw: tuple[str, str] | str) -> tuple[str, str] | None:
    pid = detect_pid(raw) if isinstance(raw, str) else normalize_pid(*raw)
    if pid is None or pid.kind not in IDENTIFYING_PID_KINDS:
        return None
    return (pid.kind, pid.value)


_AND = re.compile(r"\s+(?:and|&|y|e|et|und)\s+", re.IGNORECASE)
_INITIALS_ONLY = re.compile(r"^(?:[A-Za-z]\.?[\s-]?){1,4}$")


def split_authors(text: str) -> list[str]:
    """Split one author string: ``;`` separates names when present, else ``,`` does.

    A comma list where every other part is initials or given names ("Smith, J., Doe, A.") is
    read as "Family, Given" pairs.
    """
    text = clean(text)
    if not text:
        return []
    if ";" in text or "|" in text:
        return [n.strip() for n in re.split(r"[;|]", text) if n.strip()]
    parts = [p.strip() for p in _AND.sub(", ", text).split(",") if p.strip()]
    if (
        len(parts) >= 2
        and len(parts) % 2 == 0
        and all(_INITIALS_ONLY.match(p) for p in parts[1::2])
    ):
        return [f"{family}, {given}" for family, given in zip(parts[::2], parts[1::2], strict=True)]
    return parts


# --- features -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TitleForm:
    """One title (or the main part of one, before its subtitle), folded for comparison."""

    key_text: str  # folded words without stop words: what rapidfuzz compares
    keys: tuple[str, ...]  # the same words: what blocking reads
    numbers: frozenset[int]
    whole_numbers: frozenset[int]  # of the whole title, for a variant
    markers: frozenset[str]
    generic: bool
    lang: str | None
    is_part: bool  # a head cut from a longer title before a subtitle

    @property
    def short(self) -> bool:
        """Fewer than three key words: too little to tell two works apart on its own."""
        return len(self.keys) < 3


_SUBTITLE = re.compile(r"\s*(?:[:;?!,]|\s[-\u2013\u2014]\s|\.\s|\s[(\[])")
_LABEL = re.compile(r"^\s*[^\W\d]+(?:\s+[^\W\d]+)?\s*(?::|\s[-\u2013\u2014])\s*")
_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")


@dataclass(frozen=True, slots=True)
class Features:
    titles: tuple[TitleForm, ...]
    names: tuple[Name, ...]
    pid_keys: frozenset[str]
    dois: frozenset[str]
    pid_authorities: frozenset[str]  # "handle:10915": who minted each PID (see _authority)
    author_ids: frozenset[str]
    year: int | None
    kind: str | None
    venue: str | None  # "journal", "other" (a venue that is not a journal) or None

    @classmethod
    def of(cls, record: DedupRecord) -> Features:
        names = (parse_name(a) for a in record.authors[:MAX_AUTHORS])
        pid_keys = _set(f"{kind}:{value}" for kind, value in record.pids)
        orcids = (normalize_orcid(i) for i in record.author_ids)
        return cls(
            titles=_title_forms(record.titles),
            names=tuple(n for n in names if n is not None),
            pid_keys=pid_keys,
            dois=_set(k for k in pid_keys if k.startswith("doi:")),
            pid_authorities=_set(_authority(k) for k in pid_keys),
            author_ids=_set(i for i in orcids if i),
            year=record.year,
            kind=(record.kind or "").lower() or None,
            venue=_venue_kind(record.venue),
        )


# PIDs whose value starts with the naming authority that minted it: a Handle's prefix names the
# repository ("10915/1234": 10915), a DOI's the registrant ("10.1145/..."), an ARK's the NAAN.
_AUTHORITY_KINDS = frozenset({"doi", "handle", "ark"})


def _authority(pid_key: str) -> str | None:
    """``kind:authority`` of a PID key (``handle:10915`` for ``handle:10915/1234``)."""
    kind, _, value = pid_key.partition(":")
    authority, slash, _rest = value.partition("/")
    if kind not in _AUTHORITY_KINDS or not slash or not authority:
        return None
    return f"{kind}:{authority}"


# A million records hold millions of empty sets: they share one.
_NONE: frozenset[str] = frozenset()


def _set(items: Iterable[str | None]) -> frozenset[str]:
    found = frozenset(i for i in items if i)
    return found or _NONE


def _venue_kind(venue: str | None) -> str | None:
    words = fold(venue).split()
    if not words:
        return None
    return "journal" if JOURNAL_WORDS.intersection(words) else "other"


def _title_forms(titles: tuple[TitleText, ...]) -> tuple[TitleForm, ...]:
    forms: list[TitleForm] = []
    seen: set[str] = set()
    for text, lang, _type in _whole_titles(titles)[:MAX_TITLES]:
        cleaned = clean(text)
        full = _title_form(cleaned, lang, False, None)
        if full is None or full.key_text in seen:
            continue
        seen.add(full.key_text)
        forms.append(full)
        for variant in _variants(cleaned):
            form = _title_form(variant, lang, True, full)
            if form is not None and form.keys and form.key_text not in seen:
                seen.add(form.key_text)
                forms.append(form)
    return tuple(forms)


_ISO639_2 = {"eng": "en", "por": "pt", "spa": "es", "fra": "fr", "fre": "fr", "deu": "de"}
_ISO639_2 |= {"ger": "de", "ita": "it"}


def _language(tag: str | None) -> str | None:
    """``en`` for ``en``, ``EN-us`` and ``eng``: only the primary language is compared."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return _ISO639_2.get(primary, primary) or None


_GENERIC_LENGTH = max(len(t.split()) for t in _GENERIC)
_MARKER_WORDS = frozenset(word for m in _MARKERS for word in m.split())


_GENERIC_WORDS = frozenset(word for t in _GENERIC for word in t.split())


def _is_generic(keys: list[str]) -> bool:
    if not keys:
        return True
    if len(keys) > _GENERIC_LENGTH + 2 or not (keys[0] in _GENERIC_WORDS or is_number(keys[0])):
        return False
    return " ".join(w for w in keys if not is_number(w)) in _GENERIC


def _whole_titles(titles: tuple[TitleText, ...]) -> list[TitleText]:
    """The titles, a subtitle given apart (DataCite's ``Subtitle``) joined to the first title:
    alone, "A case study" would meet every other case study."""
    whole = [t for t in titles if t[2] != "subtitle"]
    subtitle = next((t for t in titles if t[2] == "subtitle"), None)
    if subtitle and whole:
        text, lang, _type = whole[0]
        whole.insert(1, (f"{text}: {subtitle[0]}", lang, "main"))
    return whole


def _variants(title: str) -> list[str]:
    """Shorter forms of a title, for titles that one source gives with a subtitle, a label or
    a note and another without: the heads before the first subtitle separators ("A: B (C)"
    gives "A" and "A: B"), the rest after a label of one or two words ("Tutorial: A" gives A
    when A has three key words or more) and the title without notes in brackets ("A (extended
    abstract)" gives "A")."""
    heads = itertools.islice(_SUBTITLE.finditer(title), MAX_HEADS)
    variants = [title[: m.start()] for m in heads]
    label = _LABEL.match(title)
    if label and len(key_words(fold(title[label.end() :]).split())) >= 3:
        variants.append(title[label.end() :])
    stripped = _NOTE.sub(" ", title)
    if stripped != title:
        variants.append(stripped)
    return variants


def _title_form(
    text: str, lang: str | None, is_part: bool, whole: TitleForm | None
) -> TitleForm | None:
    folded = fold(text)
    if not folded:
        return None
    all_words = folded.split()
    keys = key_words(all_words)
    key_text = " ".join(keys)
    numbers = title_numbers(all_words)
    if whole is None:
        markers = _NONE
        if not _MARKER_WORDS.isdisjoint(keys):
            padded = f" {key_text} "
            markers = frozenset(m for m in _MARKERS if f" {m} " in padded)
        whole_numbers = numbers
    else:  # a variant keeps the markers and numbers of its whole title
        markers, whole_numbers = whole.markers, whole.whole_numbers
    return TitleForm(
        key_text=key_text,
        keys=tuple(map(sys.intern, keys)),  # titles share their words: keep one copy
        numbers=numbers,
        whole_numbers=whole_numbers,
        markers=markers,
        generic=_is_generic(keys),
        lang=_language(lang),
        is_part=is_part,
    )
