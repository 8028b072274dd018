"""``Authorization: Token <key>`` with the hashed API keys of the identifier layer.

A request with a key is made by its organisation (``ApiClient``); a request without one is
anonymous, which the permissions turn into ``401`` wherever a key is needed. A key that is
malformed, unknown, revoked or expired is refused outright (``401``), even where none is needed:
a client that sends a bad key wants to know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from arks import selectors, services
from arks.access import Actor
from arks.models import ApiKey, Organization

KEYWORD = "Token"
# djangorestframework-api-key issues "prefix.secret", both alphanumeric. Checking the shape first
# keeps anything else (NUL bytes, megabytes of header) away from the database.
KEY_SHAPE = re.compile(r"[A-Za-z0-9]{1,8}\.[A-Za-z0-9]{1,141}")


@dataclass(frozen=True)
class ApiClient:
    """Who sent a request: an organisation, through one of its API keys (``request.user``)."""

    api_key: ApiKey
    organization: Organization
    is_authenticated: ClassVar[bool] = True

    @property
    def actor(self) -> Actor:
        """This client as a writer: limited to its organisation's ARKs, named in the history."""
        name = f"{self.organization.name} (API key {self.api_key.prefix})"[:200]
        return Actor(name=name, organization=self.organization)


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "").strip()
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != KEYWORD.lower():
            raise AuthenticationFailed(
                f"use 'Authorization: {KEYWORD} <key>' (got the scheme {scheme[:20]!r})",
                code="bad_scheme",
            )
        key = key.strip()
        if not KEY_SHAPE.fullmatch(key):
            raise AuthenticationFailed("the API key is malformed", code="malformed_key")
        api_key = selectors.api_key_from(key)
        if api_key is None:
            raise AuthenticationFailed("unknown or revoked API key", code="invalid_key")
        if api_key.has_expired:
            expired = api_key.expiry_date.isoformat() if api_key.expiry_date else ""
            raise AuthenticationFailed(f"this API key expired at {expired}", code="expired_key")
        services.touch_api_key(api_key=api_key)
        return ApiClient(api_key, api_key.organization), api_key

    def authenticate_header(self, request: Request) -> str:
        # Having a challenge makes DRF answer 401 (not 403) to requests without a usable key.
        return f'{KEYWORD} realm="api"'
