"""The resolver: what a browser or an HTTP client gets for ``/ark:NAAN/NAME…``.

Each view parses the request, asks ``arks.selectors`` and turns the answer into a response:
a redirect, a landing page (``?info``, ``?`` or ``??``), a tombstone, a forward to the resolver
that serves a NAAN, or an error that says what is wrong. Metadata comes as HTML, JSON, JSON-LD
or ANVL by content negotiation.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from arks import representations as rep
from arks import selectors, stats
from arks.api import errors as api_errors
from arks.domain.ark import InvalidArk, without_nma
from arks.domain.passthrough import passed_on
from arks.models import Ark

HTML, JSON, JSONLD, TEXT = "text/html", "application/json", "application/ld+json", "text/plain"
FORMATS = [HTML, JSON, JSONLD, TEXT]
# "?info" asks for a description (ARK spec, THUMP); "?" and "??" are its older spellings.
INFLECTIONS = frozenset({"info", "", "?"})
_NAAN_ONLY = re.compile(r"^(?:ark)(?::|%3a)(?:/|%2f)*([^/?#%]*)(?:/|%2f)*$", re.IGNORECASE)


class _Redirect(HttpResponseRedirect):
    allowed_schemes = ["http", "https"]


def raw_request(request: HttpRequest) -> tuple[str, str | None]:
    """The path and query string exactly as the client sent them.

    Percent-escapes are part of an ARK's identity, so the decoded ``request.path`` is not good
    enough: gunicorn and uWSGI pass the raw request target. Without it (the development
    server) the path is re-encoded, and a bare ``?`` cannot be told from no query at all.
    The query is ``None`` when there was no ``?``.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        if not raw.startswith("/") and "://" in raw.split("?", 1)[0]:  # absolute-form target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        path, sep, query = raw.partition("?")
        return path, (query if sep else None)
    query = request.META.get("QUERY_STRING", "")
    return quote(request.path, safe="/:=~*+@_$%-.,;!'()&"), (query or None)


def preferred_format(request: HttpRequest) -> str:
    return request.get_preferred_type(FORMATS) or HTML


@csrf_exempt  # GET and HEAD only: other methods get 405, not a CSRF page
@require_safe
def resolve(request: HttpRequest) -> HttpResponse:
    path, query = raw_request(request)
    fmt = preferred_format(request)  # cheap enough here: plain redirects rarely reach this view
    info = query is not None and query.lower() in INFLECTIONS
    try:
        naan_only = _NAAN_ONLY.match(without_nma(path))
        res = selectors.resolve_naan(naan_only[1]) if naan_only else selectors.resolve(path)
    except InvalidArk as exc:
        return error(request, fmt, 400, f"Not a valid ARK: {exc}", code="invalid_ark")
    if res.kind == "forward":
        return forward(request, fmt, res, query)
    if res.kind == "naan":
        doc = rep.naan_document(res.naan)
        return render_document(request, fmt, "arks/naan.html", doc, status=200)
    if res.kind == "shoulder":
        doc = rep.shoulder_document(res.shoulder)
        return render_document(request, fmt, "arks/shoulder.html", doc, status=200)
    if res.kind == "unknown":
        return unknown(request, fmt, res)
    return resolve_ark(request, fmt, res, query=query, info=info)


def resolve_ark(
    request: HttpRequest, fmt: str, res: selectors.Resolution, *, query: str | None, info: bool
) -> HttpResponse:
    hit, survivor = res.ark, res.survivor
    if Ark.State.RESERVED in (hit.state, survivor.state):
        # Reserved ARKs are not public: answer exactly as for an ARK that does not exist.
        shoulder = selectors.shoulder_by_id(hit.shoulder_id)
        naan = shoulder.naan if shoulder else None
        hidden = selectors.Resolution("unknown", res.requested, naan=naan, shoulder=shoulder)
        return unknown(request, fmt, hidden)
    if not info:
        # A resolution: the ARK followed to its target, or to its tombstone. A description
        # (?info, ?, ??, in any format) is a look at the record, not a use of the identifier.
        stats.record(hit.id)
    if not info and survivor.state == Ark.State.PUBLIC:
        location = passed_on(survivor.target, suffix=res.suffix, query=query)
        response = _Redirect(location)
        response["Link"] = f'<{rep.public_url(survivor.ark)}>; rel="cite-as"'
        return response
    ark = selectors.ark_by_id(hit.id)
    shown = ark if survivor.id == hit.id else selectors.ark_by_id(survivor.id)
    totals = stats.totals([hit.id])
    doc = rep.ark_document(ark, survivor=shown, suffix=res.suffix, totals=totals)
    status = 410 if survivor.state == Ark.State.UNAVAILABLE and not info else 200
    template = "arks/tombstone.html" if status == 410 else "arks/landing.html"
    response = render_document(request, fmt, template, doc, status=status, anvl=rep.ark_anvl)
    response["Link"] = rep.signposting(doc)
    return response


def unknown(request: HttpRequest, fmt: str, res: selectors.Resolution) -> HttpResponse:
    requested = str(res.requested) if res.requested else ""
    context: dict[str, Any] = {"ark": requested}
    if res.naan is not None:
        context["naan"] = rep.naan_document(res.naan) if fmt in (HTML, TEXT) else res.naan.naan
    if res.shoulder is not None:
        context["shoulder"] = rep.shoulder_document(res.shoulder)
    message = f"{requested} is not known to this resolver."
    return error(
        request, fmt, 404, message, code="not_found", template="arks/not_found.html", **context
    )


def forward(
    request: HttpRequest, fmt: str, res: selectors.Resolution, query: str | None
) -> HttpResponse:
    """Send the request on to the resolver that serves the NAAN, suffix and query kept."""
    url = passed_on(res.forward_url, query=query)
    if _is_this_node(request, url):
        message = "This NAAN is configured to be forwarded to this very resolver (a loop)."
        return error(request, fmt, 404, message, code="forwarding_loop")
    response = _Redirect(url)
    response.status_code = res.forward_status
    return response


def _is_this_node(request: HttpRequest, url: str) -> bool:
    """Whether ``url`` points at this resolver: its public host or the one asked, compared as
    host and port (``host``, ``host:80`` and ``host:443`` are one node behind a TLS proxy)."""
    ours = {_node(settings.PIDSVC_PUBLIC_URL), _node(f"{request.scheme}://{request.get_host()}")}
    return _node(url) in ours


def _node(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").rstrip("."), None if port in (None, 80, 443) else port


def render_document(
    request: HttpRequest,
    fmt: str,
    template: str,
    doc: dict[str, Any],
    *,
    status: int,
    anvl: Any = None,
) -> HttpResponse:
    if fmt == JSON:
        response: HttpResponse = JsonResponse(doc, status=status, json_dumps_params={"indent": 2})
    elif fmt == JSONLD and "ark" in doc:
        body = json.dumps(rep.ark_jsonld(doc), indent=2, ensure_ascii=False)
        response = HttpResponse(body, status=status, content_type=f"{JSONLD}; charset=utf-8")
    elif fmt == TEXT:
        text = anvl(doc) if anvl else rep.anvl([("erc", _flat(doc))])
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    else:
        context = {
            "doc": doc,
            "jsonld": _script_json(rep.ark_jsonld(doc)) if "ark" in doc else None,
        }
        response = render(request, template, context, status=status)
        response["Content-Security-Policy"] = PAGE_POLICY
    response["Vary"] = "Accept"
    return response


# Resolver pages run no script and load nothing from elsewhere (the JSON-LD block is data, not
# a script): a policy that forbids both keeps anything that got into stored metadata inert.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _script_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no character can close it."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))  # noqa: S308


def _flat(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not isinstance(v, (dict, list)) or v}


def error(
    request: HttpRequest,
    fmt: str,
    status: int,
    message: str,
    *,
    code: str,
    template: str = "arks/error.html",
    **context: Any,
) -> HttpResponse:
    """The resolver's error answer; in JSON the API's one error shape (``arks.api.errors``),
    with what helps next (the NAAN's and shoulder's pages) beside it."""
    if fmt in (JSON, JSONLD):
        body = {"errors": [api_errors.error(code, "ark", message)], **context}
        response: HttpResponse = JsonResponse(body, status=status)
    elif fmt == TEXT:
        sections = [("error", {"status": status, "message": message})]
        sections += [(name, value) for name, value in context.items() if isinstance(value, dict)]
        text = rep.anvl(sections)
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    else:
        doc = {"error": message, "status": status, **context}
        response = render(request, template, {"doc": doc}, status=status)
        response["Content-Security-Policy"] = PAGE_POLICY
    response["Vary"] = "Accept"
    return response


@csrf_exempt  # GET and HEAD only: other methods get 405, not a CSRF page
@require_safe
def well_known_ark(request: HttpRequest) -> HttpResponse:
    """``/.well-known/ark``: the path of this host's ARK resolver service (ARK spec, "IANA
    Considerations"); appending a compact ARK to it makes a resolution request."""
    path = urlsplit(settings.PIDSVC_PUBLIC_URL).path or "/"
    return HttpResponse(f"{path}\n", content_type="text/plain; charset=utf-8")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The front page: what this resolver serves, and a box to look an ARK up."""
    text = request.GET.get("ark", "").strip()
    if text:
        try:
            target = selectors.normalize_request(text)
        except InvalidArk as exc:
            return render(request, "arks/home.html", {"error": str(exc), "ark": text}, status=400)
        return HttpResponseRedirect(f"/{target}?info")
    return render(request, "arks/home.html", {"naans": selectors.served_naans()})
