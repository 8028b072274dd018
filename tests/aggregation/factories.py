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
    paginate,
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
