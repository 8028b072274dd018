"""The resolver's hot path: plain ``GET /ark:…`` redirects answered before Django's request cycle.

Most traffic a PID service sees is browsers following ARKs to their targets. For that one case
— a public ARK, no query string, nothing to negotiate — Django's handler, middleware and URL
routing cost several times the database lookup itself. This WSGI wrapper answers it with the
same code the resolver view uses (``selectors.lookup``, ``stats.record``) and the same headers,
and hands every other request, and any request it has doubts about, to Django unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from django.http.request import split_domain_port, validate_host

from arks import representations, selectors, stats
from arks.domain import ark as arkdomain
from arks.models import Ark

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# What Django's SecurityMiddleware adds to every response with the default settings.
_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]


class FastResolver:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        redirect = self._plain_redirect(environ)
        if redirect is None:
            return self.app(environ, start_response)
        location, cite_as = redirect
        headers = [
            ("Location", location),
            ("Link", f'<{cite_as}>; rel="cite-as"'),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"),
            *_SECURITY_HEADERS,
        ]
        start_response("302 Found", headers)
        return [b""]

    def _plain_redirect(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(Location, cite-as URL) when this is a plain redirect; None hands it to Django."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if not raw.startswith("/") or "?" in raw or environ.get("QUERY_STRING"):
            return None  # inflections, passed-on queries and absolute-form targets: Django
        if raw[1:5].lower() not in ("ark:", "ark%") or not _host_allowed(environ):
            return None
        try:
            requested = arkdomain.parse(raw)
            found = selectors.lookup(requested, raw)
        except arkdomain.InvalidArk:
            return None  # Django's view explains what is wrong
        except (DatabaseError, psycopg.Error, OSError):
            # A connection that went away (database restart): drop it and let Django's request
            # cycle, with its health checks, reconnect and answer.
            connection.close()
            return None
        if found is None:
            return None
        hit, survivor, suffix = found
        # Exactly the view's rule for redirecting; everything else (reserved, withdrawn) there.
        if Ark.State.RESERVED in (hit.state, survivor.state) or survivor.state != Ark.State.PUBLIC:
            return None
        stats.record(hit.id)
        return survivor.target + suffix, representations.public_url(survivor.ark)


def _host_allowed(environ: dict[str, Any]) -> bool:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)
