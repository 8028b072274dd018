"""Health probes answered ahead of the middleware that would refuse or redirect them.

Load balancers and orchestrators name a node by its address (``Host: 10.0.3.7:8000``), not by a
name in ``ALLOWED_HOSTS``, and probe it over plain HTTP inside the network even when
``SECURE_SSL_REDIRECT`` sends browsers to HTTPS: through the whole middleware list a healthy
node would answer 400 or 301. The probes' answers say nothing that depends on the host, so they
are given before any of that. Everything else passes through untouched.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import resolve

PROBE_PATHS = frozenset({"/health", "/health/ready"})


class HealthProbes:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in PROBE_PATHS:
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match  # named in the request metrics like any view
        return match.func(request, *match.args, **match.kwargs)
