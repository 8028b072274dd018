"""Typed errors of the identifier layer.

Each carries a stable ``code`` and a message written for the person who made the request; the
HTTP layer maps them to status codes in one place. ``InvalidArk`` comes from the pure domain.
"""

from __future__ import annotations

from arks.domain.ark import InvalidArk


class IdentifierError(Exception):
    """Base of the identifier layer's expected failures (never a bug)."""

    code = "identifier_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(IdentifierError):
    code = "invalid"


class InvalidTarget(InvalidInput):
    code = "invalid_target"


class InvalidCursor(InvalidInput):
    """A list's ``cursor`` is not one the API gave out."""

    code = "invalid_cursor"


class InvalidTemplateError(InvalidInput):
    code = "invalid_template"


class ArkConflict(IdentifierError):
    code = "conflict"


class ShoulderConflict(IdentifierError):
    code = "shoulder_conflict"


class ShoulderUnavailable(IdentifierError):
    """The shoulder is inactive or has minted every name its template allows."""

    code = "shoulder_unavailable"


class NotFound(IdentifierError):
    code = "not_found"


class InvalidStateChange(IdentifierError):
    code = "invalid_state_change"


class MergeRefused(IdentifierError):
    code = "merge_refused"


class ArkDeletionForbidden(IdentifierError):
    """ARKs are never deleted: an ARK once minted resolves forever (withdraw it instead)."""

    code = "deletion_forbidden"


class NotPermitted(IdentifierError):
    """The caller's organisation may not act on this ARK or shoulder (it belongs to another)."""

    code = "forbidden"


class WorkArkProtected(NotPermitted):
    """The ARK of an aggregated work (or its shoulder): written only by the aggregation pipeline
    and curators, never through an organisation's key."""

    code = "work_ark"


class IdempotencyKeyReused(IdentifierError):
    """An ``Idempotency-Key`` already answered a different request: replaying that answer would
    be wrong, and running this one would make a retry mint twice."""

    code = "idempotency_key_reused"


__all__ = [
    "ArkConflict",
    "ArkDeletionForbidden",
    "IdempotencyKeyReused",
    "IdentifierError",
    "InvalidArk",
    "InvalidCursor",
    "InvalidInput",
    "InvalidStateChange",
    "InvalidTarget",
    "InvalidTemplateError",
    "MergeRefused",
    "NotFound",
    "NotPermitted",
    "ShoulderConflict",
    "ShoulderUnavailable",
    "WorkArkProtected",
]
