"""Schedule the hourly purge of old idempotency records with django-celery-beat."""

from django.db import migrations

from pidsvc.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("arks", "0004_idempotency_record"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            "Purge old idempotency records",
            "arks.tasks.purge_idempotency_records",
            every=1,
            period="hours",
        )
    ]
