"""WSGI entry point (gunicorn pidsvc.wsgi): Django behind the resolver's fast path."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
django_application = get_wsgi_application()

from arks.fastpath import FastResolver  # noqa: E402 - needs the apps loaded above

application = FastResolver(django_application)

# What start-up loaded (about 90,000 objects: Django, the apps, their modules) lives as long as
# the worker. Frozen, it is left out of the garbage collector's full collections, which would
# otherwise walk all of it (about 20-30 ms on a 2-CPU machine) while the requests queued behind
# this worker wait. Collections then look only at what requests create.
gc.collect()
gc.freeze()
