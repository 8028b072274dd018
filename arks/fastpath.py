"""The resolver's hot path: plain ``GET /ark:…`` redirects answered before Django's request cycle.

Most traffic a PID service sees is browsers following ARKs to their targets. For that one case
— a public ARK, no query string, nothing to negotiate — Django's handler, middleware and URL
routing cost several times the database lookup itself. This WSGI wrapper answers it with the
same code the resolver view uses (``selectors.lookup``, ``stats.record``) and the same status
and headers, in the same order, that the view's redirect gets from Django's middleware, and
hands every other request, and any request it has doubts about, to Django unchanged.

What the middleware adds is reproduced for the project's ``MIDDLEWARE`` list only
(``MIRRORED_MIDDLEWARE``) and read from the same settings; with any other list, or with a setting
that makes the middleware answer by itself (an HTTPS or ``www.`` redirect, a refused user
agent), every request goes to Django.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import psycopg
from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, connection
from django.dispatch import receiver
from django.http.request import split_domain_port, validate_host
from django.utils.http import MAX_URL_REDIRECT_LENGTH

from arks import representations, selectors, stats
from arks.domain import ark as arkdomain
from arks.domain.passthrough import passed_on
from arks.models import Ark
from ops import metrics

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = tuple[tuple[str, str], ...]

logger = logging.getLogger(__name__)

# The middleware whose effect on the view's redirect ``_Policy`` reproduces, in this order.
MIRRORED_MIDDLEWARE = (
    "ops.metrics.RequestMetrics",  # adds no header; the fast path counts its own answers
    "ops.probes.HealthProbes",  # answers /health only, never an ARK
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)

# Characters that Django's iri_to_uri leaves as they are: a Location made of these only is sent
# unchanged by the view's redirect; anything else goes to Django, which encodes it.
_URI_AS_IS = re.compile(r"[A-Za-z0-9_.\-~/#%\[\]=:;$&()+,!?*@']*")
_REDIRECT_SCHEMES = ("http://", "https://")  # the view's _Redirect.allowed_schemes
# Where a path the resolver view answers starts (pidsvc.urls): the label, or a resolver's URL
# with an ARK after it. Anything else is not the resolver's.
_RESOLVER_PREFIXES = ("ark:", "ark%", "http")


@dataclass(frozen=True, slots=True)
class _Policy:
    """What the settings make of a redirect: whether the fast path may answer at all, and the
    headers Django's middleware adds after the view's own (Content-Type, Location, Link)."""

    active: bool
    ssl_redirect: bool
    proxy_ssl_header: tuple[str, str] | None
    after: Headers  # X-Frame-Options … on a plain-HTTP request
    after_secure: Headers  # the same with Strict-Transport-Security, on an HTTPS request

    @classmethod
    def from_settings(cls) -> _Policy:
        middleware = tuple(settings.MIDDLEWARE)
        active = (
            middleware == MIRRORED_MIDDLEWARE
            and not settings.PREPEND_WWW
            and not settings.DISALLOWED_USER_AGENTS
        )
        if middleware != MIRRORED_MIDDLEWARE:
            logger.warning("resolver fast path off: MIDDLEWARE is not the list it reproduces")
        # XFrameOptionsMiddleware, then CommonMiddleware (Content-Length), then
        # SecurityMiddleware: process_response runs in reverse order.
        head = (
            ("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()),
            ("Content-Length", "0"),
        )
        tail: list[tuple[str, str]] = []
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            tail.append(("X-Content-Type-Options", "nosniff"))
        policy = settings.SECURE_REFERRER_POLICY
        if policy:
            values = [v.strip() for v in policy.split(",")] if isinstance(policy, str) else policy
            tail.append(("Referrer-Policy", ",".join(values)))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            tail.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        hsts: Headers = ()
        if settings.SECURE_HSTS_SECONDS:
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            hsts = (("Strict-Transport-Security", value),)
        return cls(
            active=active,
            ssl_redirect=bool(settings.SECURE_SSL_REDIRECT),
            proxy_ssl_header=settings.SECURE_PROXY_SSL_HEADER,
            after=(*head, *tail),
            after_secure=(*head, *hsts, *tail),
        )

    def is_secure(self, environ: dict[str, Any]) -> bool:
        """``HttpRequest.is_secure``: the proxy's header when configured and sent, else the
        WSGI scheme."""
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"


_policy: _Policy | None = None
# Answers of validate_host for the Host headers seen: a handful in practice, bounded against
# clients that send a new one every time.
_MAX_HOSTS_KEPT = 256
_hosts_checked: dict[str, bool] = {}
_hosts_checked_for: list[object] = [None]  # the ALLOWED_HOSTS those answers were given for


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    """Tests override settings: recompute what was derived from them."""
    global _policy
    _policy = None


class FastResolver:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = perf_counter()
        redirect = self._plain_redirect(environ)
        if redirect is None:
            return self.app(environ, start_response)
        start_response("302 Found", redirect)
        metrics.fast_seconds.observe(perf_counter() - started)
        metrics.fast_redirects.inc()
        return [b""]

    def _plain_redirect(self, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """The redirect's headers when this is a plain redirect; None hands it to Django."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if not raw.startswith("/") or "?" in raw or environ.get("QUERY_STRING"):
            return None  # inflections, passed-on queries and absolute-form targets: Django
        if not raw[1:5].lower().startswith(_RESOLVER_PREFIXES):
            return None
        policy = _policy or _load_policy()
        if not policy.active or not _host_allowed(environ):
            return None
        secure = policy.is_secure(environ)
        if policy.ssl_redirect and not secure:
            return None  # SecurityMiddleware redirects to HTTPS
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
        location = passed_on(survivor.target, suffix=suffix)  # as the view does
        if (
            len(location) > MAX_URL_REDIRECT_LENGTH
            or not location.startswith(_REDIRECT_SCHEMES)
            or not _URI_AS_IS.fullmatch(location)
        ):
            return None  # the view's redirect refuses it, or encodes it: Django
        stats.record(hit.id)
        return [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Location", location),
            ("Link", f'<{representations.public_url(survivor.ark)}>; rel="cite-as"'),
            *(policy.after_secure if secure else policy.after),
        ]


def _load_policy() -> _Policy:
    global _policy
    _policy = policy = _Policy.from_settings()
    return policy


def _host_allowed(environ: dict[str, Any]) -> bool:
    """Whether Django would accept the request's host (``HttpRequest.get_host``)."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        host = environ["HTTP_X_FORWARDED_HOST"]
    else:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    allowed_hosts = settings.ALLOWED_HOSTS
    if _hosts_checked_for[0] is not allowed_hosts:  # replaced, as test set-ups do
        _hosts_checked.clear()
        _hosts_checked_for[0] = allowed_hosts
    allowed = _hosts_checked.get(host)
    if allowed is None:
        domain, _ = split_domain_port(host)
        allowed = bool(domain) and validate_host(domain, allowed_hosts)
        if len(_hosts_checked) < _MAX_HOSTS_KEPT:
            _hosts_checked[host] = allowed
    return allowed
