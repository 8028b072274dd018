"""Cursor pagination of ARK lists: stable under concurrent minting (the cursor is a position in
the ARKs' id order, newest first, not an offset that shifts as ARKs are added)."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import NotFound as PageNotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from arks.errors import InvalidInput

_POSITION = re.compile(r"[0-9]{1,18}")


class ArkCursor(CursorPagination):
    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request) -> Cursor | None:
        message = "not a cursor this API gave out (take next or previous from a page)"
        try:
            cursor = super().decode_cursor(request)
        except PageNotFound:
            raise InvalidInput(message, field="cursor") from None
        # The position is compared with ids in SQL: anything but a bigint would fail there.
        position = cursor.position if cursor is not None else None
        if position is not None and not _POSITION.fullmatch(position):
            raise InvalidInput(message, field="cursor")
        return cursor

    def links(self) -> dict[str, Any]:
        return {"next": self.get_next_link(), "previous": self.get_previous_link()}
