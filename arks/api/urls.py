"""Routes of the API (``/api/v1/``) and of its description (``/api/schema/``, ``/api/docs/``),
included at the site root by ``pidsvc.urls``.

``<arkpath:ark>`` takes the rest of the path, so every equivalent form of an ARK reaches the
views (``ark:/99999/…``, percent-encoded, hyphenated), which normalise it. An ARK whose last
qualifier is ``/history`` cannot be named here: that path is its history.
"""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from arks.api import schema as _schema  # noqa: F401 - registers the API key scheme
from arks.api import views


class ArkPathConverter:
    regex = ".+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ArkPathConverter, "arkpath")

app_name = "api"

urlpatterns = [
    path("api/v1/arks", views.ArkCollection.as_view(), name="arks"),
    path("api/v1/arks/bulk", views.ArkBulk.as_view(), name="bulk"),
    path("api/v1/arks/export", views.ArkExport.as_view(), name="export"),
    path("api/v1/arks/<arkpath:ark>/history", views.ArkHistory.as_view(), name="history"),
    path("api/v1/arks/<arkpath:ark>", views.ArkDetail.as_view(), name="ark"),
    path("api/v1/shoulders", views.ShoulderList.as_view(), name="shoulders"),
    path("api/v1/naans", views.NaanList.as_view(), name="naans"),
    # The collections with a trailing slash, or anything below them: a JSON 404, not a page.
    re_path(r"^api/v1/(?:arks|shoulders|naans)/", views.NoSuchEndpoint.as_view()),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
