"""WSGI entry point (gunicorn pidsvc.wsgi): Django behind the resolver's fast path."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
django_application = get_wsgi_application()

from arks.fastpath import FastResolver  # noqa: E402 - needs the apps loaded above

application = FastResolver(django_application)
