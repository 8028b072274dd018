"""Where a request for more than a stored ARK goes: its target with the rest of the request.

ARK spec, "ARKs that Reveal Object Hierarchy" and suffix passthrough: a request for
``ark:12345/x54/c3/s5.pdf`` that finds only ``ark:12345/x54`` is sent to that ARK's target with
the suffix ``/c3/s5.pdf`` after it. The spec appends to a target that is a plain path; a target
may also carry a query string (``…/item/1?lang=en``) and a fragment, and gluing text on the end
would put the suffix inside the query (``…?lang=en/c3``). So the target is taken apart as a URL
(RFC 3986, urllib.parse):

* the suffix is appended to the target's **path**, verbatim;
* the **query strings are merged**: the target's parameters first, then the request's, each as
  written (nothing is decoded or re-encoded; a parameter in both appears twice, the request's
  last, which is the one most servers read);
* the target's **fragment** is kept (a request's fragment never reaches a server).

Pure: no Django.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["passed_on"]


def passed_on(target: str, *, suffix: str = "", query: str | None = None) -> str:
    """``target`` with ``suffix`` after its path and ``query`` after its own query string.

    ``query`` is the request's query string without its ``?``; ``None`` when the request had
    none. An empty one (a bare ``?``, an inflection another resolver should see) is kept.
    """
    if not suffix and query is None:
        return target  # the common case, and a target is sent exactly as stored
    parts = urlsplit(target)
    url = urlunsplit(parts._replace(path=parts.path + suffix, query="", fragment=""))
    queries = [q for q in (parts.query, query) if q]
    if queries or query is not None:
        url += "?" + "&".join(queries)
    return f"{url}#{parts.fragment}" if parts.fragment else url
