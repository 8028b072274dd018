"""Periodic tasks that data migrations put on django-celery-beat's schedule, so that every
installation (``make run``, docker compose) has them without a manual step; administrators can
change or disable them in the admin (Periodic tasks)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def schedule_every(name: str, task: str, *, every: int, period: str) -> migrations.RunPython:
    """The migration operation that schedules ``task`` as ``name`` every ``every`` ``period``
    (``"minutes"``, ``"hours"``…), and unschedules it when migrated backwards."""

    def schedule(apps: Any, schema_editor: Any) -> None:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )

    def unschedule(apps: Any, schema_editor: Any) -> None:
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTask.objects.filter(name=name, task=task).delete()

    return migrations.RunPython(schedule, unschedule)
