"""Cursor pagination of ARK lists: stable under concurrent minting (the cursor is a position in
the ARKs' id order, newest first, not an offset that shifts as ARKs are added).

A cursor is only ever one this API gave out. DRF's own decoding is lenient — it drops characters
outside the base64 alphabet and ignores unknown or missing tokens, so ``cursor=!!!!`` or the
base64 of ``foo`` silently served the first page — which hides a client's broken paging as a
loop over page one. Here a cursor must be exactly what :meth:`encode_cursor` writes: anything
else is a 400 ``invalid_cursor`` on the field ``cursor``.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode, b64encode
from typing import Any
from urllib.parse import parse_qsl, urlencode

from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from arks.errors import InvalidCursor

CURSOR_MESSAGE = "not a cursor this API gave out (take next or previous from a page)"
# The position is compared with ids in SQL: anything but a bigint would fail there.
_POSITION = re.compile(r"[0-9]{1,18}")
_COUNT = re.compile(r"[1-9][0-9]{0,3}")
# DRF's own bound on a cursor's offset (an OFFSET in SQL), which its decoding enforced.
_MAX_OFFSET = CursorPagination.offset_cutoff


def encode(cursor: Cursor) -> str:
    """The cursor's text, as DRF's ``encode_cursor`` writes it (tokens left out at default)."""
    tokens = {}
    if cursor.offset != 0:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = cursor.position
    return b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def decode(encoded: str) -> Cursor:
    """The cursor ``encoded`` stands for; :class:`InvalidCursor` for anything :func:`encode`
    could not have written."""
    try:
        text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
        tokens = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except (UnicodeError, binascii.Error, ValueError):
        raise InvalidCursor(CURSOR_MESSAGE, field="cursor") from None
    offset, reverse, position = tokens.get("o", "0"), tokens.get("r"), tokens.get("p")
    if (
        not (offset == "0" or (_COUNT.fullmatch(offset) and int(offset) <= _MAX_OFFSET))
        or reverse not in (None, "1")
        or (position is not None and not _POSITION.fullmatch(position))
    ):
        raise InvalidCursor(CURSOR_MESSAGE, field="cursor")
    cursor = Cursor(offset=int(offset), reverse=reverse == "1", position=position)
    if not tokens or encode(cursor) != encoded:  # unknown or repeated tokens, another order…
        raise InvalidCursor(CURSOR_MESSAGE, field="cursor")
    return cursor


class ArkCursor(CursorPagination):
    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        return None if encoded is None else decode(encoded)

    def links(self) -> dict[str, Any]:
        return {"next": self.get_next_link(), "previous": self.get_previous_link()}
