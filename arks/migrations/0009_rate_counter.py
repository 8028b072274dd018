"""The API's rate counters in the database (``arks.api.rate_counters``), unlogged on PostgreSQL,
and the hourly purge of past windows scheduled with django-celery-beat (as migration 0005)."""

from django.db import migrations, models

from pidsvc.beat import schedule_every


def unlogged(apps, schema_editor):
    # A crash may lose a window's counts; no WAL write per API request is worth more.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE arks_ratecounter SET UNLOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("arks", "0008_dailyresolutions_no_ark_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                ("key", models.CharField(max_length=120, primary_key=True, serialize=False)),
                ("hits", models.PositiveIntegerField()),
                ("expires", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["expires"], name="ratecounter_expires")],
            },
        ),
        migrations.RunPython(unlogged, migrations.RunPython.noop),
        schedule_every(
            "Purge past API rate windows", "arks.tasks.purge_rate_counters", every=1, period="hours"
        ),
    ]
