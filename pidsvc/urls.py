"""Top-level routes: the admin. Resolver and API routes join as they are built."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "pidsvc administration"
admin.site.site_title = "pidsvc"

urlpatterns = [
    path("admin/", admin.site.urls),
]
