"""Bulk export of ARKs: every ARK an organisation may read, as ANVL, CSV or JSON Lines.

What EZID's batch download gives is what users move from, so ANVL is EZID's: one record per ARK,
``:: ARK`` first, then ``_``-prefixed internal elements and ``erc.``-prefixed kernel elements,
records separated by a blank line. CSV has a header row and one ARK a row: the ERC kernel in
columns of its own, everything else of the metadata as one JSON object in ``metadata``. JSON
Lines is one JSON object a line, the API's own representation of an ARK.

The renderers take any iterable of ARKs and yield text as they go; ``arks.selectors.each_ark``
reads ARKs a bounded page at a time, so an export holds one page in memory, whatever its size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from arks.api.serializers import ark_json
from arks.models import Ark
from arks.representations import anvl_escape, public_url
from arks.services import ERC_FIELDS

CSV_COLUMNS = (
    "ark", "url", "state", "target", "reason", *ERC_FIELDS, "owner", "shoulder", "merged_into",
    "created", "updated", "metadata",
)  # fmt: skip


def anvl_records(arks: Iterable[Ark]) -> Iterator[str]:
    """EZID-style ANVL: ``_status`` is ``unavailable | reason`` for a withdrawn ARK, as EZID's."""
    for ark in arks:
        status = ark.state
        if ark.state == Ark.State.UNAVAILABLE and ark.reason:
            status = f"{ark.state} | {ark.reason}"
        elements: list[tuple[str, Any]] = [
            ("_target", ark.target),
            ("_status", status),
            ("_owner", ark.owner.name),
            ("_shoulder", str(ark.shoulder) if ark.shoulder_id else ""),
            ("_merged_into", ark.merged_into.ark if ark.merged_into_id else ""),
            ("_url", public_url(ark.ark)),
            ("_created", ark.created_at.isoformat()),
            ("_updated", ark.updated_at.isoformat()),
            *((f"erc.{name}", getattr(ark, name)) for name in ERC_FIELDS),
            *_extra_metadata(ark).items(),
        ]
        lines = [f":: {ark.ark}"]
        for label, value in elements:
            if value in ("", None, [], {}):
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            # A label ends at its colon, so a colon inside one is escaped like the value's "%".
            lines.append(f"{anvl_escape(label).replace(':', '%3A')}: {anvl_escape(text)}")
        yield "\n".join(lines) + "\n\n"


def csv_rows(arks: Iterable[Ark]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for ark in arks:
        extra = _extra_metadata(ark)
        writer.writerow(
            [
                ark.ark,
                public_url(ark.ark),
                ark.state,
                ark.target,
                ark.reason,
                *(getattr(ark, name) for name in ERC_FIELDS),
                ark.owner.name,
                str(ark.shoulder) if ark.shoulder_id else "",
                ark.merged_into.ark if ark.merged_into_id else "",
                ark.created_at.isoformat(),
                ark.updated_at.isoformat(),
                json.dumps(extra, ensure_ascii=False) if extra else "",
            ]
        )
        yield flush()


def json_lines(arks: Iterable[Ark]) -> Iterator[str]:
    for ark in arks:
        yield json.dumps(ark_json(ark), ensure_ascii=False) + "\n"


def _extra_metadata(ark: Ark) -> dict[str, Any]:
    return {k: v for k, v in ark.metadata.items() if k not in ERC_FIELDS}


@dataclass(frozen=True)
class Format:
    media_type: str
    extension: str
    render: Callable[[Iterable[Ark]], Iterator[str]]


FORMATS: dict[str, Format] = {
    "anvl": Format("text/plain; charset=utf-8", "txt", anvl_records),
    "csv": Format("text/csv; charset=utf-8", "csv", csv_rows),
    "jsonl": Format("application/x-ndjson", "jsonl", json_lines),
}


def encoded(chunks: Iterable[str], *, batch: int = 64 * 1024) -> Iterator[bytes]:
    """UTF-8 bytes in pieces of about ``batch`` bytes: fewer, larger writes to the socket."""
    pending: list[str] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= batch:
            yield "".join(pending).encode("utf-8", "backslashreplace")
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8", "backslashreplace")
