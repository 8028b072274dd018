"""A URL configuration with only the statistics routes, for tests/arks/test_stats.py."""

from django.urls import include, path

urlpatterns = [path("", include("arks.stats_urls"))]
