"""Who may call an endpoint at all. Which ARKs and shoulders a key may act on is decided by
``arks.access``, asked by ``arks.selectors`` (``shoulder_for``, ``ark_for``, ``arks_for``) for
reads and by ``arks.services`` for every write."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from arks.api.authentication import ApiClient


class HasApiKey(BasePermission):
    """Only requests made with a valid API key; without one DRF answers 401 with a challenge."""

    message = "this endpoint needs an API key: send 'Authorization: Token <key>'"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ApiClient)
