"""Sources whose OAI-PMH pages a test writes, harvested by the real harvest loop, for the
dedup and identity tests.

Each ``PageSource`` is a folder source: ``publish`` writes its records as one ``oai_dc``
ListRecords page (live records with their metadata, withdrawn ones as deleted headers, as a
repository's OAI-PMH interface shows them) and harvests it through
``services.harvest_in_foreground``, the same code a scheduled harvest runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

from aggregation import identity, services
from aggregation.models import HarvestRun, Source
from arks import services as ark_services
from arks.models import Shoulder

_seq = itertools.count(1)


@dataclass(frozen=True)
class Rec:
    """One record as a repository exposes it in ``oai_dc`` (OpenAIRE v3 conventions)."""

    title: str
    creators: tuple[str, ...] = ()
    year: int = 2020
    doi: str = ""
    url: str = ""
    access: str = "openAccess"  # info:eu-repo/semantics/…
    kind: str = "article"
    ark: str = ""  # an ARK the repository names as the product's identifier

    def but(self, **changes: object) -> Rec:
        return replace(self, **changes)  # type: ignore[arg-type]


def works_shoulder() -> Shoulder:
    """NAAN 99999 with the works shoulder w3 (the default PIDSVC_WORKS_SHOULDER)."""
    aggregator = ark_services.ensure_organization(name="Aggregator")
    naan = ark_services.register_naan(naan="99999", holder=aggregator)
    return ark_services.delegate_shoulder(naan=naan, prefix="w3", organization=aggregator)


class PageSource:
    """A source whose records a test sets with ``publish``."""

    def __init__(self, folder: Path, name: str | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.source: Source = services.create_source(
            name=name or f"Repository {next(_seq)}", url=str(folder)
        )
        self.records: dict[str, Rec | None] = {}

    def identifier(self, key: str) -> str:
        return f"oai:{self.source.name.replace(' ', '-').lower()}:{key}"

    def publish(self, changes: dict[str, Rec | None]) -> HarvestRun:
        """Apply ``changes`` (key -> record, or ``None`` to withdraw it) and harvest the page."""
        self.records.update(changes)
        stamp = f"2026-01-{len(list(self.folder.glob('*'))) % 28 + 1:02d}"
        body = "".join(self._record(key, rec, stamp) for key, rec in sorted(self.records.items()))
        for old in self.folder.glob("*.xml"):
            old.unlink()
        (self.folder / "page.xml").write_text(PAGE.format(records=body), encoding="utf-8")
        return services.harvest_in_foreground(source=self.source, full=False, actor="test")

    def _record(self, key: str, rec: Rec | None, stamp: str) -> str:
        ident = escape(self.identifier(key))
        if rec is None:
            return (
                f'<record><header status="deleted"><identifier>{ident}</identifier>'
                f"<datestamp>{stamp}</datestamp></header></record>"
            )
        fields = [f"<dc:title>{escape(rec.title)}</dc:title>"]
        fields += [f"<dc:creator>{escape(c)}</dc:creator>" for c in rec.creators]
        fields.append(f"<dc:date>{rec.year}</dc:date>")
        fields.append(f"<dc:type>info:eu-repo/semantics/{rec.kind}</dc:type>")
        fields.append(f"<dc:rights>info:eu-repo/semantics/{rec.access}</dc:rights>")
        for value in (rec.doi and f"https://doi.org/{rec.doi}", rec.url, rec.ark):
            if value:
                fields.append(f"<dc:identifier>{escape(value)}</dc:identifier>")
        return (
            f"<record><header><identifier>{ident}</identifier><datestamp>{stamp}</datestamp>"
            f"</header><metadata><oai_dc:dc {DC_NS}>{''.join(fields)}</oai_dc:dc></metadata>"
            "</record>"
        )


DC_NS = (
    'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-11-22T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="oai_dc">file</request>
<ListRecords>{records}</ListRecords>
</OAI-PMH>
"""


def one_item_from_three_sources(folder: Path, rec: Rec) -> list[PageSource]:
    """``rec`` harvested from Repo A, B and C (each with its own URL), then dedup: one work."""
    works_shoulder()
    sources = [PageSource(folder / n, f"Repo {n.upper()}") for n in "abc"]
    for n, source in zip("abc", sources, strict=True):
        source.publish({"1": rec.but(url=f"https://repo-{n}.example/items/1")})
    identity.run_dedup()
    return sources
