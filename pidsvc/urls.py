"""Top-level routes: the resolver at ``/ark:…``, discovery, statistics, the API, the admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from arks import views
from ops import views as ops

admin.site.site_header = "pidsvc administration"
admin.site.site_title = "pidsvc"

urlpatterns = [
    path("", views.home, name="home"),
    # Django hands views the decoded path, so "/ark%3A/…" arrives here as "/ark:/…" too.
    re_path(r"^[Aa][Rr][Kk]:", views.resolve, name="resolve"),
    # An ARK after a resolver's URL, as N2T accepts: /https://n2t.net/ark:/99999/… (also sent
    # percent-encoded as a whole, which arrives here decoded).
    re_path(r"^[Hh][Tt][Tt][Pp][Ss]?:/", views.resolve, name="resolve-embedded"),
    path(".well-known/ark", views.well_known_ark, name="well-known-ark"),
    path("", include("arks.stats_urls")),
    path("", include("arks.api.urls")),  # /api/v1/…, /api/schema/, /api/docs/
    path("", include("aggregation.api.urls")),  # /api/v1/works…
    path("admin/", admin.site.urls),
    # Operating it: health for load balancers, metrics, files for crawlers and browsers.
    path("health", ops.live, name="health"),
    path("health/ready", ops.ready, name="health-ready"),
    path("metrics", ops.prometheus, name="metrics"),
    path("robots.txt", ops.robots, name="robots"),
    path("sitemap.xml", ops.sitemap_index, name="sitemap"),
    path("sitemaps/arks-<int:start>.xml", ops.sitemap_page, name="sitemap-page"),
    path("favicon.ico", ops.favicon, {"kind": "ico"}, name="favicon"),
    path("favicon.svg", ops.favicon, {"kind": "svg"}, name="favicon-svg"),
]
