"""Sources and runs for the harvesting tests, made through the services like real ones."""

from __future__ import annotations

import itertools

from aggregation import services
from aggregation.models import HarvestRun, Source
from tests.oaipmh_server import (
    DSPACE_58,
    OaiServer,
    Reply,
    fixture,
    identify,
    page_with,
    paginate,
    records_of,
    serve_pages,
)

_seq = itertools.count()


def source(url: str, **fields: object) -> Source:
    return services.create_source(name=f"Repository {next(_seq)}", url=url, **fields)


def harvest(src: Source, *, full: bool = False, sleeps=None, on_progress=None) -> HarvestRun:
    kwargs = {"sleep": sleeps} if sleeps is not None else {}
    return services.harvest_in_foreground(
        source=src, full=full, actor="test", on_progress=on_progress, **kwargs
    )


def dspace_server(
    server: OaiServer, *, per_page: int = 20, granularity: str = "YYYY-MM-DD"
) -> list[bytes]:
    """Identify, and the real 58-record DSpace page split into token-chained pages."""
    server.route(Reply(identify(granularity)), verb="Identify")
    pages = paginate(fixture(DSPACE_58), per_page)
    serve_pages(server, pages)
    return pages


def held_full_run(server: OaiServer, listed: list, *, sleeps=None) -> HarvestRun:
    """A source harvested in full (the 58 DSpace records), then in full again listing only
    ``listed`` of them: the quality gate holds the second run when it withdraws too many."""
    server.route(Reply(identify()), verb="Identify")
    server.route(Reply(page_with(fixture(DSPACE_58), records_of(fixture(DSPACE_58)))),
                 verb="ListRecords")  # fmt: skip
    src = source(server.url)
    harvest(src, full=True, sleeps=sleeps)
    server.route(Reply(page_with(fixture(DSPACE_58), listed)), verb="ListRecords")
    return harvest(src, full=True, sleeps=sleeps)
