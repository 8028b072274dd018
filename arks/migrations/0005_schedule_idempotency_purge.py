"""Schedule the hourly purge of old idempotency records with django-celery-beat.

A data migration, so that every installation (``make run``, docker compose) has the schedule
without a manual step; administrators can change or disable it in the admin (Periodic tasks).
"""

from django.db import migrations

TASK = "arks.tasks.purge_idempotency_records"
NAME = "Purge old idempotency records"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_hour, "enabled": True}
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("arks", "0004_idempotency_record"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
