"""Template filters for links made from stored values.

Targets are checked when they are written (http and https only), but an ARK's ``metadata`` is
free JSON written through the API: a URL in it is shown as a link only when it is an absolute
http or https URL, so that no ``javascript:`` or ``data:`` URL ever reaches an ``href``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()

WEB_SCHEMES = frozenset({"http", "https"})


@register.filter
def web_url(value: object) -> str:
    """``value`` if it is an absolute http(s) URL, else ""."""
    if not isinstance(value, str):
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    return value if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else ""
