"""Entry points for operators and crawlers: health, metrics, robots.txt, the sitemap, the favicon.

None of these is the resolver, so none is counted as a resolution; none is an API view, so the
API's rate limits do not apply to them.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from arks import export, selectors
from arks.representations import public_url
from ops import health, metrics

TEXT = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_LARGEST_ID = 2**63 - 1  # ids are bigints: a larger number would fail in SQL


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Nothing else is checked, so a load balancer never
    restarts a healthy web tier because the database is down."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database, the broker and the cache all answer within the
    deadline; 503 naming the ones that did not, and why."""
    results = health.readiness(settings.PIDSVC_HEALTH_TIMEOUT)
    failed = [r.name for r in results if not r.ok]
    body = {
        "status": "fail" if failed else "ok",
        "failed": failed,
        "checks": {
            r.name: {"ok": r.ok, "detail": r.detail, "seconds": round(r.seconds, 4)}
            for r in results
        },
    }
    response = JsonResponse(body, status=503 if failed else 200)
    # The answer is the report: Django would log every 503 as a server error as well.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


# Headers a proxy adds: a request that carries one came through a proxy, whose own address
# (perhaps loopback, on the same machine) says nothing about the client's.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@never_cache
@require_safe
def prometheus(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the addresses ``PIDSVC_METRICS_ALLOW`` lists (loopback by
    default), scraped directly: a request relayed by a proxy is refused."""
    if any(h in request.META for h in _PROXY_HEADERS) or not _metrics_allowed(
        request.META.get("REMOTE_ADDR", "")
    ):
        return HttpResponseForbidden(
            "metrics are not served to this address (PIDSVC_METRICS_ALLOW)\n", content_type=TEXT
        )
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def _metrics_allowed(remote: str) -> bool:
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket
    return any(address in network for network in settings.PIDSVC_METRICS_ALLOW)


# --- for crawlers and browsers ------------------------------------------------------------------

ROBOTS = """\
User-agent: *
Disallow: /admin/
Disallow: /api/
Allow: /
Sitemap: {base}sitemap.xml
"""


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    """Landing pages are for everyone; the admin and the API are not for crawlers."""
    response = HttpResponse(ROBOTS.format(base=settings.PIDSVC_PUBLIC_URL), content_type=TEXT)
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The sitemap index (sitemaps.org): one sitemap per page of ``PIDSVC_SITEMAP_URLS`` public
    landing pages, each named by the id its page starts after."""
    size = settings.PIDSVC_SITEMAP_URLS
    base = settings.PIDSVC_PUBLIC_URL
    starts = selectors.page_starts(selectors.listed_arks(), size)

    def lines() -> Iterator[str]:
        yield f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">\n'
        for start in starts:
            yield f"<sitemap><loc>{base}sitemaps/arks-{start}.xml</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return StreamingHttpResponse(export.encoded(lines()), content_type=XML)


@require_safe
def sitemap_page(request: HttpRequest, start: int) -> HttpResponse:
    """One sitemap: the landing pages (``?info``) of the public ARKs after ``start``, by id."""
    if start > _LARGEST_ID:
        raise Http404("no such sitemap")
    page = selectors.listed_arks().filter(pk__gt=start)[: settings.PIDSVC_SITEMAP_URLS]

    def lines() -> Iterator[str]:
        yield f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">\n'
        for ark, updated in page.values_list("ark", "updated_at").iterator(chunk_size=2000):
            loc = escape(public_url(ark) + "?info")
            yield f"<url><loc>{loc}</loc><lastmod>{updated.date().isoformat()}</lastmod></url>\n"
        yield "</urlset>\n"

    return StreamingHttpResponse(export.encoded(lines()), content_type=XML)


_ICONS = Path(__file__).resolve().parent / "icons"


@require_safe
def favicon(request: HttpRequest, kind: str) -> HttpResponse:
    """The site's icon: browsers ask for /favicon.ico whatever a page says, so it is answered
    rather than logged as a 404. Served by the site itself, like robots.txt, at fixed paths."""
    media_type = {"ico": "image/vnd.microsoft.icon", "svg": "image/svg+xml"}[kind]
    response = HttpResponse(_icon(f"favicon.{kind}"), content_type=media_type)
    response["Cache-Control"] = "public, max-age=604800"
    return response


@functools.cache
def _icon(name: str) -> bytes:
    return (_ICONS / name).read_bytes()
