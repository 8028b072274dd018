"""Per-key request rates (``PIDSVC_API_RATES``): ``read`` for GET, ``write`` for the rest, and
``anonymous`` per client address for requests without a key.

A fixed window counted with one atomic increment (``arks.api.rate_counters``: Redis, or the
database): exactly ``limit`` requests pass a window however many arrive at once, and the
cost per request does not grow with the rate, unlike DRF's default sliding log, which stores and
rewrites every timestamp of the window on each request. The price is that a client may spend two
windows' worth across a window boundary; the documented limit is per window.
"""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from arks.api import rate_counters
from arks.api.authentication import ApiClient
from pidsvc.clients import client_address

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int]:
    """``600/min`` → (600, 60). The settings have checked the format already."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[0]]


class KeyRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        scope, ident = self.scope_and_ident(request)
        limit, period = parse_rate(settings.PIDSVC_API_RATES[scope])
        now = time.time()
        window = int(now // period)
        used = rate_counters.hit(f"pidsvc:throttle:{scope}:{ident}:{window}", ttl=period + 5)
        if used <= limit:
            return True
        self.wait_seconds = (window + 1) * period - now
        return False

    def scope_and_ident(self, request: Request) -> tuple[str, str]:
        client = request.user
        if isinstance(client, ApiClient):
            scope = "read" if request.method in SAFE_METHODS else "write"
            return scope, client.api_key.prefix
        # Hashed into a safe cache key (an IPv6 address has colons; a forwarded one, anything).
        address = client_address(request.META)
        return "anonymous", hashlib.sha256(address.encode()).hexdigest()[:32]

    def wait(self) -> float | None:
        return self.wait_seconds
