"""What every mapper shares: a mutable ``Draft`` that collects values while the record is read,
and ``finish()``, which makes the choices that do not depend on the format (which date is the
publication date, which type wins, which PIDs are duplicates) and freezes a ``Product``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from aggregation.formats.model import (
    AccessRight,
    DateEntry,
    Funding,
    License,
    Person,
    Product,
    RelatedIdentifier,
    ResourceType,
    Subject,
    Title,
)
from aggregation.formats.pids import Pid
from aggregation.formats.values import normalize_date, parse_date, year_of
from aggregation.formats.vocab import (
    ACCESS_RIGHTS,
    COAR_RESOURCE_TYPE_BASE,
    COAR_RESOURCE_TYPES,
    kind_of,
)

__all__ = ["Draft", "TypeCandidate"]

T = TypeVar("T")

# Ranks of resource type evidence, best first.
RANK_COAR = 0  # a COAR URI
RANK_CONTROLLED = 1  # info:eu-repo, DataCite resourceTypeGeneral refined by its label
RANK_VOCABULARY = 2  # eprint / DCMI type URIs
RANK_FREE_TEXT = 3  # a local label we happen to recognise

# When no date is typed Issued (Guidelines v4, "Publication Date (M)": "If no date of
# publication is available, use any other date available"), the earliest of these.
_FALLBACK_DATE_TYPES = frozenset({"available", "accepted", "created", "submitted", "copyrighted"})


@dataclass(frozen=True, slots=True)
class TypeCandidate:
    rank: int
    code: str | None  # COAR resource type code, if the value mapped onto one
    original: str
    kind: str | None = None  # a coarse kind stated by the record itself


@dataclass(slots=True)
class Draft:
    format: str
    titles: list[Title] = field(default_factory=list)
    creators: list[Person] = field(default_factory=list)
    contributors: list[Person] = field(default_factory=list)
    dates: list[DateEntry] = field(default_factory=list)
    publication_year: int | None = None  # DataCite's publicationYear
    embargo_end: str | None = None
    types: list[TypeCandidate] = field(default_factory=list)
    access: str | None = None
    version: str | None = None
    licenses: list[License] = field(default_factory=list)
    pids: dict[tuple[str, str], Pid] = field(default_factory=dict)
    related: dict[RelatedIdentifier, None] = field(default_factory=dict)
    landing_urls: list[str] = field(default_factory=list)
    fulltext_urls: list[str] = field(default_factory=list)
    publisher: str | None = None
    container_title: str | None = None
    funding: list[Funding] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_pid(self, pid: Pid) -> None:
        """Identifiers of this product. An ISSN never is: it names the journal (``IsPartOf``)."""
        if pid.kind == "issn":
            self.add_related(pid, "IsPartOf")
            return
        self.pids.setdefault((pid.kind, pid.value), pid)

    def add_related(self, pid: Pid, relation: str | None, resource_type: str | None = None) -> None:
        self.related[RelatedIdentifier(pid, relation, resource_type)] = None

    def add_type(self, rank: int, code: str | None, original: str, kind: str | None = None) -> None:
        self.types.append(TypeCandidate(rank, code, original, kind))

    def set_access(self, code: str | None) -> bool:
        """Keep the first access right found; ``True`` when ``code`` was one."""
        if code is None:
            return False
        if self.access is None:
            self.access = code
        return True

    def add_url(self, url: str, *, fulltext: bool = False) -> None:
        target = self.fulltext_urls if fulltext else self.landing_urls
        if url not in target:
            target.append(url)

    def finish(self) -> Product:
        publication_date = self._publication_date()
        year = int(publication_date[:4]) if publication_date else self.publication_year
        return Product(
            format=self.format,
            titles=tuple(self.titles),
            creators=tuple(self.creators),
            contributors=tuple(self.contributors),
            publication_date=publication_date,
            publication_year=year,
            dates=_unique(self.dates),
            embargo_end=self.embargo_end,
            resource_type=self._resource_type(),
            access_right=self._access_right(),
            version=self.version,
            licenses=_unique(self.licenses),
            pids=tuple(self.pids.values()),
            related_identifiers=tuple(self.related),
            landing_url=self.landing_urls[0] if self.landing_urls else None,
            fulltext_urls=tuple(self.fulltext_urls),
            publisher=self.publisher,
            container_title=self.container_title,
            funding=_unique(self.funding),
            subjects=_unique(self.subjects),
            languages=_unique(self.languages),
            descriptions=_unique(self.descriptions),
            warnings=_unique(self.warnings),
        )

    def _publication_date(self) -> str | None:
        issued = [d.value for d in self.dates if d.type == "Issued"]
        issued_ok = [d for d in map(normalize_date, issued) if d]
        if len(issued_ok) < len(issued):
            self.warnings.append(f"Issued date {issued[0]!r} is not a W3CDTF date")
        if issued_ok:
            return min(issued_ok)
        if self.publication_year is not None:
            return str(self.publication_year)
        untyped = [d.value for d in self.dates if d.type is None]
        if untyped:
            return _earliest_untyped(untyped)
        typed = [
            normalize_date(d.value)
            for d in self.dates
            if d.type and d.type.lower() in _FALLBACK_DATE_TYPES
        ]
        return min((d for d in typed if d), default=None)

    def _resource_type(self) -> ResourceType | None:
        if not self.types:
            return None
        ranked = sorted(self.types, key=lambda c: c.rank)
        best = next((c for c in ranked if c.code), None)
        if best and best.code:
            return ResourceType(
                kind=kind_of(best.code),
                uri=COAR_RESOURCE_TYPE_BASE + best.code,
                label=COAR_RESOURCE_TYPES[best.code],
                original=best.original,
            )
        stated = next((c for c in ranked if c.kind), None)
        if stated and stated.kind:
            return ResourceType(kind=stated.kind, original=stated.original)
        return ResourceType(kind="other", original=ranked[0].original)

    def _access_right(self) -> AccessRight | None:
        if self.access is None:
            return None
        access = ACCESS_RIGHTS[self.access]
        return AccessRight(access.code, access.uri, access.label)


def _unique(items: list[T]) -> tuple[T, ...]:
    """In order, without repeats (DSpace repeats its accession stamp as the availability date)."""
    if len(items) < 2:
        return tuple(items)
    return tuple(dict.fromkeys(items))


def _earliest_untyped(values: list[str]) -> str | None:
    """oai_dc dates carry no type. Repositories mix curated dates (``2016-11-09``, ``1984-10``)
    with system timestamps (DSpace's accession and availability stamps, ``…T13:17:36Z``); the
    curated ones win, and among them the earliest (an issue date precedes any deposit)."""
    curated: list[str] = []
    stamps: list[str] = []
    for value in dict.fromkeys(values):  # each value once: repeated stamps are common
        date, stamped = parse_date(value)
        if date:
            (stamps if stamped else curated).append(date)
    if curated or stamps:
        return min(curated or stamps)
    years = [y for y in (year_of(v) for v in values) if y]
    return str(min(years)) if years else None
