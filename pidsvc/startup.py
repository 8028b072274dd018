"""What each entry point (manage.py, the Celery app, gunicorn.conf.py) does first: load the
settings and, when the environment makes them unusable, say so in one line and stop.

The settings module raises ``ImproperlyConfigured`` naming the variable (``pidsvc.env``); shown as
a traceback of forty lines through Django's or Celery's start-up, that message is easy to miss.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandParser, handle_default_options


def settings_or_exit(argv: list[str] | None = None) -> None:
    """Import the settings; on a configuration error print it on one line and exit with 1.

    ``argv`` is a management command line: its ``--settings`` and ``--pythonpath``, which Django
    would apply later, are applied first, so that the settings checked are the ones it runs with.
    """
    if argv is not None:
        parser = CommandParser(add_help=False, allow_abbrev=False)
        parser.add_argument("--settings")
        parser.add_argument("--pythonpath")
        options, _ = parser.parse_known_args(argv[2:])
        handle_default_options(options)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - the first access imports the settings module
    except ImproperlyConfigured as exc:
        message = " ".join(str(exc).split())
        sys.exit(f"pidsvc: {message}; .env.example describes every setting")
