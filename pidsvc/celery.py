"""The Celery application: configured from Django settings (``CELERY_*``), tasks found in apps."""

import os
from typing import Any

from celery import Celery

from pidsvc.startup import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")

app = Celery("pidsvc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _settings_or_exit(sender: Celery, **kwargs: Any) -> None:
    """Before Celery reads its configuration from the settings (``celery -A pidsvc worker``): a
    missing or malformed variable is one line, not a traceback through Celery's command line."""
    settings_or_exit()
