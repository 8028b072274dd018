"""The only request body the API reads: JSON, UTF-8, at most ``PIDSVC_MAX_REQUEST_BYTES``.

DRF hands JSON parsers the request's ``body``, where Django enforces the limit
(``DATA_UPLOAD_MAX_MEMORY_SIZE``, answered as 413 by ``arks.api.errors``); the parser checks it
again so that no other way of reaching it reads an unbounded stream.

Constants Python's json module accepts but JSON does not (``NaN``, ``Infinity``, numbers that
overflow to infinity) are refused, since no database can store them in a JSON column.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]}… is too large")
    return value


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"the request body is larger than {limit} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("the body is not UTF-8 text", code="malformed_body") from None
        try:
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except RecursionError:
            raise ParseError("the body nests JSON too deeply", code="malformed_body") from None
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ParseError(f"the body is not valid JSON: {exc}", code="malformed_body") from None
