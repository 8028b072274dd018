"""Routes of the works API (``/api/v1/works``), included at the site root by ``pidsvc.urls``."""

from __future__ import annotations

from django.urls import path, re_path

from aggregation.api import views
from arks.api.views import NoSuchEndpoint

app_name = "works"

urlpatterns = [
    path("api/v1/works", views.WorkList.as_view(), name="list"),
    # ``arkpath`` (registered by arks.api.urls) takes the rest of the path, as the ARK API does.
    path("api/v1/works/<arkpath:ark>", views.WorkDetail.as_view(), name="detail"),
    # Anything else below the collection (an empty ARK, a newline in one): a JSON 404.
    re_path(r"^api/v1/works/", NoSuchEndpoint.as_view()),
]
