"""``Idempotency-Key`` on POST: a repeated request gets the first answer and mints nothing.

The request's fingerprint is SHA-256 over method, path and the body in canonical JSON (keys
sorted, no spaces), so a retry that re-serialises the same body differently still matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from arks import services
from arks.api.authentication import ApiClient
from arks.errors import InvalidInput

HEADER = "Idempotency-Key"
KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the IETF draft suggests


def answer(request: Request, produce: Callable[[], tuple[int, Any]]) -> Response:
    """Run ``produce`` (it writes and returns status and body), once per idempotency key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = produce()
        return Response(body, status=status)
    if not KEY_SHAPE.fullmatch(key):
        raise InvalidInput(f"{HEADER} must be 1 to 255 visible ASCII characters", field=HEADER)
    client: ApiClient = request.user
    result = services.answer_once(
        api_key=client.api_key,
        key=key,
        method=request.method,
        path=request.path[:200],
        fingerprint=fingerprint(request),
        produce=produce,
    )
    response = Response(result.body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    digest.update(body.encode())
    return digest.hexdigest()
