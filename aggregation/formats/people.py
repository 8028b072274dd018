"""Creators and contributors: names, name identifiers (ORCID, ISNI, ROR) and affiliations."""

from __future__ import annotations

import re

from aggregation.formats.model import Affiliation, NameIdentifier, Person
from aggregation.formats.nameids import normalize_isni, normalize_orcid, normalize_ror
from aggregation.formats.values import clean

__all__ = ["affiliation", "name_identifier", "person", "person_from_text"]

_NORMALIZERS = {"orcid": normalize_orcid, "isni": normalize_isni, "ror": normalize_ror}


def _scheme(scheme: str | None, scheme_uri: str | None, value: str) -> str | None:
    if scheme and scheme.strip():
        return scheme.strip().lower()
    hint = f"{scheme_uri or ''} {value}".lower()
    for known, marker in (("orcid", "orcid.org"), ("isni", "isni.org"), ("ror", "ror.org")):
        if marker in hint:
            return known
    return None


def name_identifier(
    scheme: str | None, value: str | None, warnings: list[str], scheme_uri: str | None = None
) -> NameIdentifier | None:
    """ORCID/ISNI/ROR normalised and verified (dropped with a warning when invalid); other
    schemes kept as given, scheme name in lower case."""
    text = clean(value)
    if not text:
        return None
    name = _scheme(scheme, scheme_uri, text)
    if name is None:
        warnings.append(f"name identifier {text!r} has no scheme")
        return None
    normalizer = _NORMALIZERS.get(name)
    if normalizer is None:
        return NameIdentifier(name, text)
    normalized = normalizer(text)
    if normalized is None:
        warnings.append(f"invalid {name.upper()} {text!r} dropped")
        return None
    return NameIdentifier(name, normalized)


def affiliation(name: str | None, identifier: str | None, scheme: str | None) -> Affiliation | None:
    text = clean(name)
    ident = clean(identifier)
    if not text:
        return None
    scheme_name = clean(scheme)
    if ident and (scheme_name or "").lower() == "ror":
        ident = normalize_ror(ident) or ident
    return Affiliation(text, ident, scheme_name if ident else None)


def person(
    name: str | None,
    *,
    given: str | None = None,
    family: str | None = None,
    name_type: str | None = None,
    identifiers: tuple[NameIdentifier, ...] = (),
    affiliations: tuple[Affiliation, ...] = (),
    role: str | None = None,
) -> Person | None:
    """A Person, or ``None`` without a name. ``Family, Given`` fills the name parts when the
    record does not give them (DataCite and the OpenAIRE Guidelines ask for that order)."""
    given, family = clean(given), clean(family)
    full = clean(name) or (f"{family}, {given}" if family and given else family)
    if not full:
        return None
    kind = clean(name_type)
    kind = kind.lower() if kind else None
    if not given and not family and kind != "organizational" and "," in full:
        head, _, tail = full.partition(",")
        family, given = head.strip() or None, tail.strip() or None
    return Person(full, given, family, kind, identifiers, affiliations, clean(role))


# An ORCID iD written into a dc:creator string: "Doe, Jane (https://orcid.org/0000-…)".
_ORCID_IN_TEXT = re.compile(
    r"[\s;,(\[]*(?:orcid\s*:?\s*)?(?:https?://)?(?:orcid\.org/)?"
    r"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])[)\]]?",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")


def person_from_text(
    text: str | None, warnings: list[str], role: str | None = None
) -> Person | None:
    """A Person from a free-text name (``dc:creator``), taking out an embedded ORCID iD."""
    name = clean(text)
    if not name:
        return None
    identifiers: tuple[NameIdentifier, ...] = ()
    if _DIGIT.search(name):
        match = _ORCID_IN_TEXT.search(name)
        if match:
            orcid = normalize_orcid(match.group(1))
            if orcid:
                identifiers = (NameIdentifier("orcid", orcid),)
            else:
                warnings.append(f"invalid ORCID {match.group(1)!r} dropped")
            name = clean(name[: match.start()] + " " + name[match.end() :]) or name
    return person(name, identifiers=identifiers, role=role)
