"""The one place where errors become HTTP answers.

Every error, from the identifier layer or from DRF, is answered with one JSON shape::

    {"errors": [{"code": "invalid_target", "field": "target", "message": "…"}]}

``field`` always names what was wrong: a body field as a path (``metadata.who``,
``items[3].target``), a query parameter, the path's ``ark``, or a header (``Authorization``,
``Idempotency-Key``, ``Content-Type``); ``body`` when it is the body as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from arks.api.parsers import RequestTooLarge
from arks.errors import (
    ArkConflict,
    ArkDeletionForbidden,
    IdempotencyKeyReused,
    IdentifierError,
    InvalidArk,
    InvalidStateChange,
    MergeRefused,
    NotFound,
    NotPermitted,
    ShoulderConflict,
    ShoulderUnavailable,
)

# Most specific first: the first class an error is an instance of decides its status.
_STATUS: list[tuple[type[IdentifierError], int]] = [
    (NotFound, status.HTTP_404_NOT_FOUND),
    (NotPermitted, status.HTTP_403_FORBIDDEN),
    (IdempotencyKeyReused, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (InvalidStateChange, status.HTTP_409_CONFLICT),
    (ArkConflict, status.HTTP_409_CONFLICT),
    (ShoulderConflict, status.HTTP_409_CONFLICT),
    (ShoulderUnavailable, status.HTTP_409_CONFLICT),
    (MergeRefused, status.HTTP_409_CONFLICT),
    (ArkDeletionForbidden, status.HTTP_409_CONFLICT),
]

# What DRF's own errors are about, when they are not about a body field.
_FIELD_OF: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "Authorization"),
    (exceptions.AuthenticationFailed, "Authorization"),
    (exceptions.Throttled, "Authorization"),
    (exceptions.PermissionDenied, "Authorization"),
    (exceptions.MethodNotAllowed, "method"),
    (exceptions.UnsupportedMediaType, "Content-Type"),
    (exceptions.NotAcceptable, "Accept"),
    (exceptions.NotFound, "path"),
    (RequestTooLarge, "body"),
    (exceptions.ParseError, "body"),
]


def error(code: str, field: str, message: str) -> dict[str, str]:
    return {"code": code, "field": field, "message": message}


def status_of(exc: IdentifierError) -> int:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return status.HTTP_400_BAD_REQUEST  # InvalidInput and its kind: the request was wrong


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler for the API views; ``None`` (a 500) only for real bugs."""
    if isinstance(exc, InvalidArk):
        return _answer(status.HTTP_400_BAD_REQUEST, [error("invalid_ark", "ark", str(exc))])
    if isinstance(exc, IdentifierError):
        return _answer(status_of(exc), [error(exc.code, exc.field or "body", exc.message)])
    if isinstance(exc, RequestDataTooBig):  # Django's own limit, met when DRF reads the body
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(f"the request body is larger than {limit} bytes")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    return _answer(exc.status_code, list(_errors(exc)), headers)


def _answer(status_code: int, errors: list[dict[str, str]], headers: Any = None) -> Response:
    return Response({"errors": errors}, status=status_code, headers=headers)


def _errors(exc: exceptions.APIException) -> Iterator[dict[str, str]]:
    if isinstance(exc, exceptions.ValidationError):
        for field, detail in _flatten(exc.detail, ""):
            yield error(getattr(detail, "code", None) or "invalid", field, str(detail))
        return
    field = next((name for cls, name in _FIELD_OF if isinstance(exc, cls)), "request")
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    yield error(str(code), field, str(detail))


def _flatten(detail: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Serializer errors (nested dicts and lists) as (field path, message) pairs."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            yield from _flatten(value, sub)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                yield from _flatten(value, f"{path}[{index}]")
            else:
                yield path or "body", value
    else:
        yield path or "body", detail
