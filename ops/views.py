"""Entry points for operators and crawlers: health, metrics, robots.txt, the sitemap, the favicon.

None of these is the resolver, so none is counted as a resolution; none is an API view, so the
API's rate limits do not apply to them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ops import health


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
