"""Offline ingest: a folder of saved OAI-PMH responses harvested as if a server sent them.

What a folder may hold (the README says the same to users):

* page files: ``*.xml``, or gzip-compressed ``*.xml.gz``, each one whole OAI-PMH 2.0 response to
  ListRecords (an ``<OAI-PMH>`` root with ``<ListRecords>``, or a ``noRecordsMatch`` error), as
  a harvester saves them. They are read in natural name order (``page2.xml`` before
  ``page10.xml``: digits compare as numbers), and the "resumption token" of a page is the name of
  the file that follows it; tokens inside the files are ignored (they point at a server that is
  not asked);
* optionally ``Identify.xml`` (or any ``Identify*.xml``, ``.gz`` too): the repository's Identify
  answer (granularity, deleted-record policy); without one the folder's name is the repository's;
* nothing else that matters: other files, and hidden ones (``.…``), are ignored.

Every failure names the file and says why (malformed XML, not an OAI-PMH response, an OAI-PMH
error, unreadable, a broken gzip stream), since a run's error is all an administrator sees.
A compressed file is decompressed within the same size limit as a page from a server.

Pure of Django.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from lxml import etree

from aggregation import xmlsafe
from aggregation.errors import (
    BadResumptionToken,
    HarvestError,
    MalformedPage,
    NotOaiResponse,
    PermanentHarvestError,
)
from aggregation.oai import Identity, Page, check_errors, parse_oai, parse_page, read_identify

SUFFIXES: Final = (".xml", ".xml.gz")
_DIGITS: Final = re.compile(r"(\d+)")


def natural_key(name: str) -> list[tuple[int, int | str]]:
    """``page2.xml`` before ``page10.xml``: runs of digits compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(name)]


class FolderClient:
    """The ``Client`` of a folder of saved responses (see the module's docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise NotOaiResponse(f"{self.folder} is not a folder", url=str(self.folder))

    def _files(self) -> list[Path]:
        found = [p for p in self.folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        return sorted((p for p in found if p.name.lower().endswith(SUFFIXES)),
                      key=lambda p: natural_key(p.name))  # fmt: skip

    def _pages(self) -> list[Path]:
        return [p for p in self._files() if not p.name.startswith("Identify")]

    def identify(self) -> Identity:
        found = [p for p in self._files() if p.name.startswith("Identify")]
        if not found:
            return Identity(repository_name=self.folder.name)
        with _naming(found[0]):
            root = _read(found[0])
            check_errors(root, url=str(found[0]))
            return read_identify(root)

    def list_records(
        self, *, prefix: str, set_spec: str = "", from_: str = "", until: str = "", token: str = ""
    ) -> Page:
        pages = self._pages()
        if not pages:
            return Page(records=(), token="", response_date="", url=str(self.folder))
        names = [p.name for p in pages]
        if token and token not in names:
            raise BadResumptionToken(
                "badResumptionToken", f"no page {token!r} in {self.folder}", url=str(self.folder)
            )
        index = names.index(token) if token else 0
        path = pages[index]
        with _naming(path):
            root = _read(path)
            page = parse_page(root, url=str(path), empty=check_errors(root, url=str(path)))
        following = names[index + 1] if index + 1 < len(names) else ""
        return Page(
            records=page.records,
            token=following,
            response_date=page.response_date,
            url=page.url,
            complete_list_size=None,
            problems=page.problems,
        )


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Put the file's name in front of whatever goes wrong with it."""
    try:
        yield
    except HarvestError as exc:
        exc.message = f"page file {path.name}: {exc.message}"
        exc.args = (exc.message,)
        exc.url = str(path)
        raise


def _read(path: Path) -> etree._Element:
    return parse_oai(_contents(path), url=str(path), from_file=True)


def _contents(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip, at most ``xmlsafe.MAX_BYTES`` of them."""
    limit = xmlsafe.MAX_BYTES
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = stream.read(limit + 1)
        else:
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise MalformedPage(f"not a readable gzip file ({exc})", url=str(path)) from exc
    except OSError as exc:
        raise PermanentHarvestError(
            f"could not be read ({exc.strerror or exc})", url=str(path)
        ) from exc
    if len(data) > limit:
        raise MalformedPage(f"larger than {limit:,} bytes (decompressed): refused", url=str(path))
    return data
