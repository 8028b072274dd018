"""Strict readers for settings taken from the environment.

Every setting of the service comes from an environment variable (twelve-factor). A value that
cannot be parsed stops the service at start-up with ``ImproperlyConfigured`` naming the variable,
instead of being guessed: a typo in ``DEBUG=flase`` must not quietly mean anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value; ``default`` when unset; an error when unset and no default."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    """Only true/false, 1/0, yes/no, on/off (any case); anything else is an error."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks between commas are dropped."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_http_url(name: str, default: str | Callable[[], str]) -> str:
    """An absolute http(s) URL, always ending in '/' so that paths can be appended to it.
    ``default`` may be a function, called only when the variable is unset."""
    value = env_str(name, "") or (default() if callable(default) else default)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an absolute http or https URL")
    return value if value.endswith("/") else value + "/"


# Hosts that mean "every interface" in a bind address; links to them use the loopback address.
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def env_bound_url(name: str, default: str) -> str:
    """The ``http://HOST:PORT/`` URL of the address a variable binds to, written as gunicorn's
    ``--bind`` takes it (``HOST:PORT``, ``HOST`` for port 8000, ``[IPv6]:PORT``); a wildcard host
    (``0.0.0.0``, ``[::]``) becomes the loopback address. Unix sockets and file descriptors have
    no such URL: an error says to set the public URL instead."""
    value = env_str(name, default).strip()
    if value.startswith(("unix:", "fd://")):
        raise ImproperlyConfigured(
            f"{name}={value!r} has no http address: set PIDSVC_PUBLIC_URL to the public URL"
        )
    parts = urlsplit(f"http://{value}")
    try:
        port = parts.port or 8000  # gunicorn's default port
    except ValueError:
        port = None
    if port is None or parts.path or parts.query or parts.fragment or parts.username:
        raise ImproperlyConfigured(f"{name}={value!r} is not an address such as 127.0.0.1:8000")
    host = parts.hostname or ""
    host = _WILDCARD_HOSTS.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"
