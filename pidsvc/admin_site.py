"""The admin site, laid out for the people who run a node: a NAAN administrator's work first.

The index groups the models by task instead of by Django app: identifiers (ARKs, NAANs), their
delegation (organisations, shoulders' holders, API keys), harvesting, and the works built from
it; accounts follow, and the scheduler's internals (django-celery-beat's tables, which the
sources' schedules write) come last. A model no group names keeps its app's own group, before
the scheduler, so nothing registered is ever hidden.

The navigation sidebar is off: at 1280 px it took a quarter of the width from every changelist
and form, and the index and the breadcrumbs lead everywhere it did.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest

# (group, [(app label, model object name)...]) in the order the index shows them.
GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Identifiers", [("arks", "Ark"), ("arks", "Naan"), ("arks", "RegistryNaan")]),
    ("Delegation", [("arks", "Organization"), ("arks", "ApiKey")]),
    ("Harvesting", [("aggregation", m) for m in ("Source", "HarvestRun", "RawRecord", "Record")]),
    ("Works", [("aggregation", "Work"), ("aggregation", "HeldGroup")]),
]
ACCOUNTS = "auth"
SCHEDULER = "django_celery_beat"
SCHEDULER_NAME = "Scheduler internals (Celery beat)"


def group_apps(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Django's app list (each app with its ``models``) regrouped as ``GROUPS`` says."""
    models = {(app["app_label"], m["object_name"]): (app, m) for app in apps for m in app["models"]}
    placed: set[tuple[str, str]] = set()
    grouped = []
    for name, wanted in GROUPS:
        found = [models[key] for key in wanted if key in models]
        if not found:
            continue
        placed.update(key for key in wanted if key in models)
        first_app = found[0][0]
        grouped.append({**first_app, "name": name, "models": [m for _, m in found]})
    rest: list[dict[str, Any]] = []
    for app in apps:
        left = [m for m in app["models"] if (app["app_label"], m["object_name"]) not in placed]
        if left:
            rest.append({**app, "models": left})
    rest.sort(key=lambda app: (app["app_label"] == SCHEDULER, app["app_label"] != ACCOUNTS))
    for app in rest:
        if app["app_label"] == SCHEDULER:
            app["name"] = SCHEDULER_NAME
    return grouped + rest


class AdminSite(admin.AdminSite):
    site_header = "pidsvc administration"
    site_title = "pidsvc"
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        return apps if app_label else group_apps(apps)


class AdminConfig(DjangoAdminConfig):
    default_site = "pidsvc.admin_site.AdminSite"
