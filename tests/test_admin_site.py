"""The admin index's groups: a NAAN administrator's work first, the scheduler last, and no
registered model left out."""

from __future__ import annotations

from pidsvc.admin_site import SCHEDULER_NAME, group_apps


def app(label: str, name: str, *models: str) -> dict:
    return {"app_label": label, "name": name, "app_url": f"/admin/{label}/",
            "models": [{"object_name": m, "name": m} for m in models]}  # fmt: skip


def test_groups_follow_the_work_and_keep_every_model():
    apps = [
        app("aggregation", "Aggregation", "HarvestRun", "Source", "Work", "Extra"),
        app("auth", "Authentication", "Group", "User"),
        app("django_celery_beat", "Periodic tasks", "PeriodicTask", "CrontabSchedule"),
        app("arks", "Identifiers", "ApiKey", "Ark", "Naan", "Organization"),
        app("ops", "Operations", "Thing"),
    ]
    grouped = group_apps(apps)
    names = [g["name"] for g in grouped]
    assert names == ["Identifiers", "Delegation", "Harvesting", "Works", "Authentication",
                     "Aggregation", "Operations", SCHEDULER_NAME]  # fmt: skip
    assert [m["object_name"] for m in grouped[2]["models"]] == ["Source", "HarvestRun"]
    assert [m["object_name"] for m in grouped[5]["models"]] == ["Extra"]
    shown = sorted(m["object_name"] for g in grouped for m in g["models"])
    assert shown == sorted(m["object_name"] for a in apps for m in a["models"])
