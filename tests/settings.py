"""Settings for the test suite: the service's own, with a throwaway secret key when none is set.

Everything else still comes from the environment, so CI's DATABASE_URL and CELERY_BROKER_URL
select the real PostgreSQL and broker.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key")

from pidsvc.settings import *

# Tests render admin pages without running collectstatic first: serve static files from the apps.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
