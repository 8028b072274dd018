"""Routes of the statistics pages and API, included at the site root by ``pidsvc.urls``.

``stats/<ark>`` takes the rest of the path, so every equivalent form of an ARK (``ark:/…``,
hyphens, the old label) reaches the view, which normalises it. Names: ``stats:site``,
``stats:ark`` and ``stats:api-ark``.
"""

from django.urls import re_path

from arks import stats_views
from arks.api import stats as stats_api

app_name = "stats"

urlpatterns = [
    re_path(r"^stats/$", stats_views.site_stats, name="site"),
    re_path(r"^stats/(?P<ark>.+)$", stats_views.ark_stats, name="ark"),
    re_path(r"^api/v1/stats/(?P<ark>.+)$", stats_api.ArkStats.as_view(), name="api-ark"),
]
