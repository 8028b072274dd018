"""The Product: one research product as any metadata format describes it, normalised.

Frozen dataclasses, no Django. ``Product.to_dict()`` gives plain JSON (for a JSONField) and
``Product.from_dict()`` reads it back; empty fields are left out of the JSON to keep millions of
stored records small, and ``SCHEMA_VERSION`` lets a later reader recognise old dicts.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass
from typing import Any, Final

from aggregation.formats.errors import MappingError
from aggregation.formats.pids import Pid

__all__ = [
    "SCHEMA_VERSION",
    "AccessRight",
    "Affiliation",
    "DateEntry",
    "Funding",
    "License",
    "NameIdentifier",
    "Person",
    "Product",
    "RelatedIdentifier",
    "ResourceType",
    "Subject",
    "Title",
]

SCHEMA_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Title:
    """``type`` is ``main``, ``alternative``, ``translated``, ``subtitle`` or ``other``."""

    text: str
    lang: str | None = None
    type: str = "main"


@dataclass(frozen=True, slots=True)
class NameIdentifier:
    """``scheme`` in lower case (``orcid``, ``isni``, ``ror``, or as the record says).

    ORCID values are the bare ``0000-0000-0000-000X`` form with a verified check digit.
    """

    scheme: str
    value: str


@dataclass(frozen=True, slots=True)
class Affiliation:
    name: str
    identifier: str | None = None
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A creator or contributor, personal or organisational (``name_type``).

    ``role`` is the DataCite contributorType of a contributor (``Editor``, ``DataCurator``…).
    """

    name: str
    given_name: str | None = None
    family_name: str | None = None
    name_type: str | None = None
    identifiers: tuple[NameIdentifier, ...] = ()
    affiliations: tuple[Affiliation, ...] = ()
    role: str | None = None

    @property
    def orcid(self) -> str | None:
        return next((i.value for i in self.identifiers if i.scheme == "orcid"), None)


@dataclass(frozen=True, slots=True)
class ResourceType:
    """COAR concept (``uri``, English ``label``), the coarse ``kind`` and the value as given."""

    kind: str
    uri: str | None = None
    label: str | None = None
    original: str | None = None


@dataclass(frozen=True, slots=True)
class AccessRight:
    """``code`` is ``open``, ``embargoed``, ``restricted`` or ``metadata_only``; COAR URI."""

    code: str
    uri: str
    label: str


@dataclass(frozen=True, slots=True)
class License:
    url: str | None = None
    label: str | None = None
    start_date: str | None = None


@dataclass(frozen=True, slots=True)
class RelatedIdentifier:
    """A PID of another resource; ``relation`` uses DataCite's relationType names when known
    (``IsPartOf`` for a journal's ISSN, ``References``), ``None`` when the record does not say."""

    pid: Pid
    relation: str | None = None
    resource_type: str | None = None


@dataclass(frozen=True, slots=True)
class Funding:
    """A funding reference. From ``info:eu-repo/grantAgreement/EC/FP7/123/EU/Name/ACR`` comes
    ``funder_code="EC"``, ``funding_stream="FP7"``, ``award_number="123"``, ``jurisdiction``,
    ``award_title`` and ``project_acronym``."""

    funder_name: str | None = None
    funder_id: str | None = None
    funder_id_type: str | None = None
    funding_stream: str | None = None
    award_number: str | None = None
    award_uri: str | None = None
    award_title: str | None = None
    funder_code: str | None = None
    jurisdiction: str | None = None
    project_acronym: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    value: str
    scheme: str | None = None
    uri: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class DateEntry:
    """A dated event: ``type`` is DataCite's dateType (``Issued``, ``Available``…) or ``None``."""

    value: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """Everything the aggregator keeps from one metadata record, whatever its format.

    ``pids`` identify this product (DOI, Handle, URN…); identifiers of other resources (the
    journal's ISSN, cited works, a DOI given in ``dc:relation`` without saying how it relates)
    are ``related_identifiers``. ``warnings`` lists what was dropped or guessed while mapping
    (an ORCID with a wrong check digit, a date that is not a date).
    """

    format: str
    titles: tuple[Title, ...] = ()
    creators: tuple[Person, ...] = ()
    contributors: tuple[Person, ...] = ()
    publication_date: str | None = None
    publication_year: int | None = None
    dates: tuple[DateEntry, ...] = ()
    embargo_end: str | None = None
    resource_type: ResourceType | None = None
    access_right: AccessRight | None = None
    version: str | None = None
    licenses: tuple[License, ...] = ()
    pids: tuple[Pid, ...] = ()
    related_identifiers: tuple[RelatedIdentifier, ...] = ()
    landing_url: str | None = None
    fulltext_urls: tuple[str, ...] = ()
    publisher: str | None = None
    container_title: str | None = None
    funding: tuple[Funding, ...] = ()
    subjects: tuple[Subject, ...] = ()
    languages: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def title(self) -> str | None:
        """The main title (the first title when none is marked main)."""
        main = next((t for t in self.titles if t.type == "main"), None)
        chosen = main or (self.titles[0] if self.titles else None)
        return chosen.text if chosen else None

    @property
    def kind(self) -> str:
        return self.resource_type.kind if self.resource_type else "other"

    @property
    def license(self) -> str | None:
        return next((lic.url for lic in self.licenses if lic.url), None)

    @property
    def language(self) -> str | None:
        return self.languages[0] if self.languages else None

    @property
    def description(self) -> str | None:
        return self.descriptions[0] if self.descriptions else None

    def pids_of(self, kind: str) -> tuple[Pid, ...]:
        return tuple(p for p in self.pids if p.kind == kind)

    @property
    def doi(self) -> str | None:
        return next((p.value for p in self.pids if p.kind == "doi"), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only; ``None`` and empty tuples are omitted."""
        data = _dump(self)
        data["schema"] = SCHEMA_VERSION
        return data

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), ensure_ascii=False)``, without building the dict of
        lists first: the encoder (C) walks the tuples itself and asks for each dataclass's
        fields as it meets them."""
        data = _fields(self)
        data["schema"] = SCHEMA_VERSION
        return _ENCODER.encode(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Product:
        """The inverse of ``to_dict``; raises ``MappingError`` for a dict it cannot read."""
        if not isinstance(data, dict):
            raise MappingError(f"a stored product is a dict, not {type(data).__name__}")
        schema = data.get("schema", SCHEMA_VERSION)
        if schema != SCHEMA_VERSION:
            raise MappingError(
                f"stored product has schema {schema!r}, this code reads {SCHEMA_VERSION}"
            )
        body = {k: v for k, v in data.items() if k != "schema"}
        try:
            return _load(cls, body)
        except (TypeError, ValueError, KeyError) as exc:
            raise MappingError(f"stored product is malformed: {exc}") from exc


# The field names of each dataclass met while dumping, ``None`` for any other type: looked up
# once per class rather than through ``dataclasses.fields`` on every object (a harvest dumps
# millions of them).
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
# Values that are their own JSON.
_PLAIN: Final = frozenset({str, int, float, bool})


def _field_names(cls: type) -> tuple[str, ...] | None:
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = (
            tuple(f.name for f in dataclasses.fields(cls))
            if dataclasses.is_dataclass(cls)
            else None
        )
        _FIELD_NAMES[cls] = names
        return names


def _dump(obj: Any) -> Any:
    names = _field_names(type(obj))
    if names is not None:
        out = {}
        for name in names:
            value = getattr(obj, name)
            if value is None or value == ():
                continue
            out[name] = value if type(value) in _PLAIN else _dump(value)
        return out
    if isinstance(obj, tuple):
        return [item if type(item) in _PLAIN else _dump(item) for item in obj]
    return obj


def _fields(obj: Any) -> dict[str, Any]:
    """One dataclass's fields as ``_dump`` keeps them, values left as they are (the encoder's
    ``default``: it is called for every object JSON has no type for)."""
    names = _field_names(type(obj))
    if names is None:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
    out = {}
    for name in names:
        value = getattr(obj, name)
        if value is None or value == ():
            continue
        out[name] = value
    return out


# As ``json.dumps(…, ensure_ascii=False)``, without its guard against circular references: a
# Product is a tree of frozen dataclasses and tuples.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_fields)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} must be an object, not {type(data).__name__}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(sorted(unknown))}")
    return cls(**{name: _convert(hints[name], value) for name, value in data.items()})


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner, value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        (inner, _) = typing.get_args(hint)
        return tuple(_convert(inner, item) for item in value)
    if dataclasses.is_dataclass(hint):
        return _load(hint, value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
    return value
