"""Compliance of ``oai_openaire`` records with the OpenAIRE Guidelines for Literature
Repositories v4, record by record (``check_openaire_v4``, ``validate_xsd``) and per source
(``ComplianceReport``, counts over many records for the admin).

Requirement levels are the Guidelines' own ("Application Profile Overview"): Mandatory (M),
Mandatory if Applicable (MA), Recommended (R). The mandatory properties, each "Cardinality:
Mandatory" on its page, are Title, Creator, Resource Type, Resource Identifier, Access Rights
and Publication Date (a ``datacite:date`` of type ``Issued``). Mandatory if applicable and
checked when absent: Language, Publisher, Description, Subject, File Location (when the access
right is open) and the Embargo Period Dates (when it is embargoed); Contributor and Funding
Reference are checked only when present (their absence is normal). Subproperties and attributes
marked (M) on their property's page (``contributorType``, ``nameIdentifierScheme``,
``funderName``, ``alternateIdentifierType``…) are mandatory whenever their property is used.

``validate_xsd`` (from ``aggregation.formats.xsd``, re-exported here) validates against the
bundled schema, offline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from aggregation.formats import detect_format, metadata_root
from aggregation.formats.errors import FormatError
from aggregation.formats.kernel import children
from aggregation.formats.nameids import normalize_orcid
from aggregation.formats.values import clean, element_text, normalize_date, normalize_language
from aggregation.formats.vocab import (
    ACCESS_RIGHTS,
    OPENAIRE_RESOURCE_TYPE_GENERAL,
    access_right_from,
    coar_type_from_uri,
)
from aggregation.formats.xsd import SCHEMA_DIR, openaire_v4_schema, validate_xsd

__all__ = [
    "SCHEMA_DIR",
    "ComplianceReport",
    "Finding",
    "Level",
    "ReportRow",
    "check_openaire_v4",
    "openaire_v4_schema",
    "validate_xsd",
]


class Level(StrEnum):
    MANDATORY = "mandatory"
    MANDATORY_IF_APPLICABLE = "mandatory_if_applicable"
    RECOMMENDED = "recommended"


M, MA, R = Level.MANDATORY, Level.MANDATORY_IF_APPLICABLE, Level.RECOMMENDED


@dataclass(frozen=True, slots=True)
class Finding:
    """``code`` is stable (``title.missing``) for counting; ``message`` is for humans."""

    field: str
    level: Level
    code: str
    message: str


# Guidelines v4 vocabularies: "Resource Identifier (M)" identifierType, "Access Rights (M)".
_IDENTIFIER_TYPES = frozenset({"ARK", "DOI", "Handle", "PURL", "URL", "URN"})
_OBJECT_TYPES = frozenset({"fulltext", "dataset", "software", "other"})


class _Record:
    """The v4 record's top-level elements, by local name."""

    def __init__(self, root: etree._Element) -> None:
        self.elements: dict[str, list[etree._Element]] = {}
        for name, child in children(root):
            self.elements.setdefault(name, []).append(child)

    def all(self, name: str) -> list[etree._Element]:
        return self.elements.get(name, [])

    def nested(self, wrapper: str, name: str) -> Iterator[etree._Element]:
        for outer in self.all(wrapper):
            for child_name, child in children(outer):
                if child_name == name:
                    yield child


def check_openaire_v4(element: etree._Element) -> list[Finding]:
    """Findings for one record (``<record>``, ``<metadata>`` or ``oaire:resource``)."""
    try:
        fmt = detect_format(element)
        root = metadata_root(element)
    except FormatError as exc:
        return [Finding("format", M, "format.unreadable", str(exc))]
    if fmt != "oai_openaire":
        return [Finding("format", M, "format.not-openaire-v4", f"record is {fmt}, not v4")]
    record = _Record(root)
    findings: list[Finding] = []
    for check in _CHECKS:
        findings.extend(check(record))
    return findings


def _title(record: _Record) -> Iterator[Finding]:
    if not any(clean(element_text(t)) for t in record.nested("titles", "title")):
        yield Finding("title", M, "title.missing", "no datacite:title")


def _creators(record: _Record) -> Iterator[Finding]:
    creators = list(record.nested("creators", "creator"))
    if not any(_name_of(c, "creatorName") for c in creators):
        yield Finding("creator", M, "creator.missing", "no datacite:creator with a creatorName")
    yield from _name_identifiers("creator", creators)


def _name_of(el: etree._Element, tag: str) -> str | None:
    return next((clean(element_text(c)) for n, c in children(el) if n == tag), None)


def _name_identifiers(prop: str, people: list[etree._Element]) -> Iterator[Finding]:
    for person in people:
        for name, ident in children(person):
            if name != "nameIdentifier":
                continue
            scheme = (ident.get("nameIdentifierScheme") or "").strip()
            if not scheme:
                yield Finding(
                    prop,
                    M,
                    f"{prop}.identifier-scheme-missing",
                    f"nameIdentifier {clean(ident.text)!r} has no nameIdentifierScheme",
                )
            elif scheme.upper() == "ORCID" and not normalize_orcid(ident.text or ""):
                yield Finding(
                    prop,
                    R,
                    f"{prop}.orcid-invalid",
                    f"ORCID {clean(ident.text)!r} is malformed or fails its check digit",
                )


def _contributors(record: _Record) -> Iterator[Finding]:
    people = list(record.nested("contributors", "contributor"))
    for person in people:
        if not (person.get("contributorType") or "").strip():
            yield Finding("contributor", M, "contributor.type-missing", "no contributorType")
        if not _name_of(person, "contributorName"):
            yield Finding("contributor", M, "contributor.name-missing", "no contributorName")
    yield from _name_identifiers("contributor", people)


def _funding(record: _Record) -> Iterator[Finding]:
    for ref in record.nested("fundingReferences", "fundingReference"):
        if not _name_of(ref, "funderName"):
            yield Finding("fundingReference", M, "funding.funder-name-missing", "no funderName")
        if not _name_of(ref, "awardNumber"):
            yield Finding("fundingReference", MA, "funding.award-number-missing", "no awardNumber")


def _identifiers(record: _Record) -> Iterator[Finding]:
    found = record.all("identifier")
    if not found:
        yield Finding("identifier", M, "identifier.missing", "no datacite:identifier")
    elif len(found) > 1:
        yield Finding("identifier", M, "identifier.repeated", f"{len(found)} datacite:identifier")
    for ident in found:
        kind = (ident.get("identifierType") or "").strip()
        if kind not in _IDENTIFIER_TYPES:
            yield Finding("identifier", M, "identifier.invalid-type", f"identifierType {kind!r}")
    for alt in record.nested("alternateIdentifiers", "alternateIdentifier"):
        if not (alt.get("alternateIdentifierType") or "").strip():
            yield Finding(
                "alternateIdentifier",
                M,
                "alternateIdentifier.type-missing",
                "alternateIdentifier without alternateIdentifierType",
            )
    for rel in record.nested("relatedIdentifiers", "relatedIdentifier"):
        for attr in ("relatedIdentifierType", "relationType"):
            if not (rel.get(attr) or "").strip():
                yield Finding(
                    "relatedIdentifier",
                    M,
                    f"relatedIdentifier.{attr}-missing",
                    f"relatedIdentifier without {attr}",
                )


def _access(record: _Record) -> str | None:
    rights = record.all("rights")
    return access_right_from(rights[0].get("rightsURI") or "") if rights else None


def _access_rights(record: _Record) -> Iterator[Finding]:
    rights = record.all("rights")
    if not rights:
        yield Finding("accessRights", M, "accessRights.missing", "no datacite:rights")
        return
    if len(rights) > 1:
        yield Finding("accessRights", M, "accessRights.repeated", f"{len(rights)} datacite:rights")
    uri = (rights[0].get("rightsURI") or "").strip()
    if not uri.startswith("http://purl.org/coar/access_right/") or not _access(record):
        yield Finding(
            "accessRights",
            M,
            "accessRights.invalid-uri",
            f"rightsURI {uri!r} is not a COAR access right",
        )


def _dates(record: _Record) -> Iterator[Finding]:
    dates = list(record.nested("dates", "date"))
    issued = [d for d in dates if d.get("dateType") == "Issued"]
    if not issued:
        yield Finding("publicationDate", M, "publicationDate.missing", "no date of type Issued")
    for date in issued:
        if not normalize_date(clean(date.text)):
            yield Finding(
                "publicationDate",
                M,
                "publicationDate.invalid",
                f"Issued {clean(date.text)!r} is not YYYY[-MM[-DD]]",
            )
    if _access(record) == "embargoed":
        types = {d.get("dateType") for d in dates}
        if not {"Accepted", "Available"} <= types:
            yield Finding(
                "embargoPeriodDate",
                MA,
                "embargo.dates-missing",
                "embargoed, but no Accepted and Available dates",
            )


def _resource_type(record: _Record) -> Iterator[Finding]:
    types = record.all("resourceType")
    if not types:
        yield Finding("resourceType", M, "resourceType.missing", "no oaire:resourceType")
        return
    uri = (types[0].get("uri") or "").strip()
    if not coar_type_from_uri(uri):
        yield Finding(
            "resourceType",
            M,
            "resourceType.invalid-uri",
            f"uri {uri!r} is not a COAR resource type of the Guidelines",
        )
    general = (types[0].get("resourceTypeGeneral") or "").strip()
    if general not in OPENAIRE_RESOURCE_TYPE_GENERAL:
        yield Finding(
            "resourceType", M, "resourceType.invalid-general", f"resourceTypeGeneral {general!r}"
        )


def _literals(record: _Record) -> Iterator[Finding]:
    languages = [clean(e.text) for e in record.all("language")]
    if not any(languages):
        yield Finding("language", MA, "language.missing", "no dc:language")
    for value in filter(None, languages):
        if not normalize_language(value):
            yield Finding("language", MA, "language.invalid", f"{value!r} is no ISO 639 code")
    for prop, tag in (("publisher", "publisher"), ("description", "description")):
        if not any(clean(element_text(e)) for e in record.all(tag)):
            yield Finding(prop, MA, f"{prop}.missing", f"no dc:{tag}")
    if not any(clean(element_text(s)) for s in record.nested("subjects", "subject")):
        yield Finding("subject", MA, "subject.missing", "no datacite:subject")
    if not any(clean(e.text) for e in record.all("format")):
        yield Finding("format", R, "format.missing", "no dc:format")


def _license(record: _Record) -> Iterator[Finding]:
    found = record.all("licenseCondition")
    if not found:
        yield Finding("licenseCondition", R, "license.missing", "no oaire:licenseCondition")
    for lic in found:
        if not _is_url(lic.get("uri")):
            yield Finding(
                "licenseCondition",
                MA,
                "license.uri-invalid",
                f"uri {lic.get('uri')!r} is not a URL",
            )
        if not normalize_date(clean(lic.get("startDate"))):
            yield Finding(
                "licenseCondition",
                MA,
                "license.start-date-invalid",
                f"startDate {lic.get('startDate')!r} is not YYYY-MM-DD",
            )


def _is_url(value: str | None) -> bool:
    parts = urlsplit((value or "").strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _files(record: _Record) -> Iterator[Finding]:
    files = record.all("file")
    if not files and _access(record) == "open":
        yield Finding("file", MA, "file.missing", "open access, but no oaire:file")
    for f in files:
        if not _is_url(f.text):
            yield Finding("file", MA, "file.not-url", f"{clean(f.text)!r} is not a URL")
        access = f.get("accessRightsURI")
        if access and access_right_from(access) not in ACCESS_RIGHTS:
            yield Finding("file", R, "file.access-right-invalid", f"accessRightsURI {access!r}")
        kind = f.get("objectType")
        if kind and kind not in _OBJECT_TYPES:
            yield Finding("file", R, "file.object-type-invalid", f"objectType {kind!r}")


def _version(record: _Record) -> Iterator[Finding]:
    if not record.all("version"):
        yield Finding("version", R, "version.missing", "no oaire:version")


_CHECKS = (
    _title,
    _creators,
    _contributors,
    _funding,
    _identifiers,
    _access_rights,
    _dates,
    _resource_type,
    _literals,
    _license,
    _files,
    _version,
)


# --- per-source report ----------------------------------------------------------------------------

_LEVEL_ORDER = {M: 0, MA: 1, R: 2}


@dataclass(frozen=True, slots=True)
class ReportRow:
    field: str
    level: Level
    code: str
    records: int
    share: float
    example: str


@dataclass(slots=True)
class ComplianceReport:
    """Findings counted over many records: how many records have each finding (a record with
    three untyped identifiers counts once), how many fail the XSD, how many are compliant (no
    mandatory finding and a valid XSD, when one was checked). Merge reports from parallel
    workers with ``merge``; store with ``to_dict``."""

    records: int = 0
    compliant: int = 0
    xsd_invalid: int = 0
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, findings: Iterable[Finding], xsd_errors: Sequence[str] = ()) -> None:
        self.records += 1
        seen = {(f.field, f.level.value, f.code): f.message for f in findings}
        for key, message in seen.items():
            self.counts[key] += 1
            self.examples.setdefault(key[2], message)
        if xsd_errors:
            self.xsd_invalid += 1
            self.examples.setdefault("xsd", xsd_errors[0])
        if not xsd_errors and all(level != M.value for _, level, _ in seen):
            self.compliant += 1

    def merge(self, other: ComplianceReport) -> None:
        self.records += other.records
        self.compliant += other.compliant
        self.xsd_invalid += other.xsd_invalid
        self.counts.update(other.counts)
        for code, message in other.examples.items():
            self.examples.setdefault(code, message)

    def rows(self) -> list[ReportRow]:
        """Mandatory first, then by the number of records affected."""
        rows = [
            ReportRow(f, Level(level), code, n, n / self.records, self.examples.get(code, ""))
            for (f, level, code), n in self.counts.items()
        ]
        return sorted(rows, key=lambda r: (_LEVEL_ORDER[r.level], -r.records, r.code))

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "compliant": self.compliant,
            "xsd_invalid": self.xsd_invalid,
            "counts": [[f, level, code, n] for (f, level, code), n in sorted(self.counts.items())],
            "examples": dict(self.examples),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComplianceReport:
        counts: Counter[tuple[str, str, str]] = Counter(
            {(f, Level(level).value, code): int(n) for f, level, code, n in data["counts"]}
        )
        return cls(
            records=int(data["records"]),
            compliant=int(data["compliant"]),
            xsd_invalid=int(data["xsd_invalid"]),
            counts=counts,
            examples=dict(data.get("examples", {})),
        )
