"""Who sent a request: the one rule for the client's address, used wherever the service reads it
(the API's anonymous rate limit; logs).

``X-Forwarded-For`` is whatever the client wrote, plus one address per proxy that passed the
request on, each appending the address it received it from. Only those appended by proxies this
service trusts can be believed, so the header is read only when ``PIDSVC_NUM_PROXIES`` says how
many stand in front, and then the address the outermost of them appended is the client's.
Without that setting (0) the address is ``REMOTE_ADDR``, the peer of the connection: a client
that sends its own ``X-Forwarded-For`` cannot choose another rate counter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address from a request's WSGI environ (``request.META``)."""
    remote = str(meta.get("REMOTE_ADDR") or "")
    proxies: int = settings.PIDSVC_NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in str(forwarded).split(",")]
    # With N proxies the last N entries are theirs; N-th from the end is the client as the
    # outermost proxy saw it. A shorter list did not pass every proxy: its first entry is the
    # nearest to a client that can be named.
    return hops[-min(proxies, len(hops))] or remote
