"""Settings of pidsvc, read only from the environment (see .env.example for every variable).

The embedded default needs nothing installed: SQLite under ``var/`` and Celery over a broker that
lives in files under ``var/``. Production sets ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL`` (Redis or RabbitMQ).
"""

from __future__ import annotations

import os
import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from pidsvc.env import env_bool, env_bound_url, env_http_url, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PIDSVC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")  # required: no default when DEBUG is off

# The public base URL of this resolver: what ARKs are prefixed with to make them actionable. By
# default the address the service is bound to (PIDSVC_BIND: `make run`, gunicorn.conf.py), so
# that links name where it runs; served to others, or behind a proxy, it must be set.
PIDSVC_PUBLIC_URL = env_http_url(
    "PIDSVC_PUBLIC_URL", lambda: env_bound_url("PIDSVC_BIND", "127.0.0.1:8000")
)
_public_host = urlsplit(PIDSVC_PUBLIC_URL).hostname or "localhost"
_local_hosts = ["localhost", "127.0.0.1", "[::1]"]
_public_host = f"[{_public_host}]" if ":" in _public_host else _public_host
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", list(dict.fromkeys([*_local_hosts, _public_host])))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where ARKs of NAANs that neither this node nor the imported registry knows are forwarded.
# The ARK specification's best practice for unknown NAANs is N2T (section "Resolver Chains").
PIDSVC_FALLBACK_RESOLVER = env_http_url("PIDSVC_FALLBACK_RESOLVER", "https://n2t.net/")

INSTALLED_APPS = [
    "pidsvc.admin_site.AdminConfig",  # django.contrib.admin, laid out for a node (the index)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "pidsvc.devserver",  # runserver passing the raw request target on; before WhiteNoise's
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_celery_beat",
    "arks",
    "aggregation",
    "ops",
]

MIDDLEWARE = [
    "ops.metrics.RequestMetrics",  # outermost: it counts every answer, adds no header
    "ops.probes.HealthProbes",  # /health answered whatever the Host, before HTTPS redirects
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pidsvc.urls"
WSGI_APPLICATION = "pidsvc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict[str, object]:
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from None
    config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so a web process and a worker
        # queue for it instead of failing with "database is locked" when a read upgrades.
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not memory, so that tests can start other processes on the test database.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-pidsvc.sqlite3")}
    return config


DATABASES = {
    "default": _database(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pidsvc.sqlite3'}")),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request size limits: nothing this service accepts is larger than a bulk mint request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PIDSVC_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery. With no broker configured, messages travel through files under var/ (kombu's filesystem
# transport): a web process and a worker on one machine talk without any server installed.
# (kombu warns about a URL without a host name; the host means nothing to this transport.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    for _folder in (_queue_dir, VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "UNAUTHENTICATED_USER": None,
}

_LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
_LOG_FORMATS = ("plain", "json")
PIDSVC_LOG_FORMAT = env_str("PIDSVC_LOG_FORMAT", "plain").strip().lower()
if PIDSVC_LOG_FORMAT not in _LOG_FORMATS:
    raise ImproperlyConfigured(f"PIDSVC_LOG_FORMAT={PIDSVC_LOG_FORMAT!r} is not plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": PIDSVC_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    # Django gives its "django" logger a console handler of its own (with DEBUG on) and the
    # record then propagates to ours as well: every 4xx was written twice. One handler, ours.
    "loggers": {"django": {"handlers": [], "level": _LOG_LEVEL, "propagate": True}},
}
# A worker replaces the root logger's handlers with its own format unless told not to: with JSON
# logs it keeps ours, so its lines are JSON objects too (LOG_LEVEL then sets its level).
CELERY_WORKER_HIJACK_ROOT_LOGGER = PIDSVC_LOG_FORMAT != "json"

# --- The minting API (arks.api) ---------------------------------------------------------------

INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"

_RATE = re.compile(r"^[1-9][0-9]*/(?:s|sec|second|m|min|minute|h|hour|d|day)$")


def _rate(name: str, default: str) -> str:
    """A request rate such as ``600/min`` (per second, minute, hour or day)."""
    value = env_str(name, default).strip().lower()
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 600/min")
    return value


# Requests per API key and fixed window; a client over the limit gets 429 with Retry-After.
# Anonymous requests (the public NAAN list) are counted per client address.
PIDSVC_API_RATES = {
    "read": _rate("PIDSVC_API_RATE_READ", "3000/min"),
    "write": _rate("PIDSVC_API_RATE_WRITE", "600/min"),
    "anonymous": _rate("PIDSVC_API_RATE_ANONYMOUS", "300/min"),
}
# How many proxies stand in front and append to X-Forwarded-For (0: the header is not read and
# the client is REMOTE_ADDR); pidsvc.clients reads the client's address by it.
PIDSVC_NUM_PROXIES = env_int("PIDSVC_NUM_PROXIES", 0)
REST_FRAMEWORK["NUM_PROXIES"] = PIDSVC_NUM_PROXIES  # DRF's own get_ident() agrees
# How long the first answer to a POST with an Idempotency-Key is kept for replay.
PIDSVC_IDEMPOTENCY_HOURS = env_int("PIDSVC_IDEMPOTENCY_HOURS", 24, minimum=1)


def _cache(url: str) -> dict[str, object]:
    """The shared cache from a URL: redis://, rediss://, file:///abs/path or locmem://. Every
    gunicorn worker must see the same entries, so the default is a directory under var/. The
    API's rate counters use Redis when it is Redis, else the database (arks.api.rate_counters):
    the file cache's incr is not atomic."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc:
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": parts.path}  # fmt: skip
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL={url!r} is not usable (redis://HOST:6379/1, file:///ABSOLUTE/PATH, locmem://)"
    )


CACHES = {"default": _cache(env_str("CACHE_URL", f"file://{VAR_DIR / 'cache'}"))}

SPECTACULAR_SETTINGS = {
    "TITLE": "pidsvc minting API",
    # The description, with the rate limits in force, is written by arks.api.schema.postprocess.
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from this site's own static files: the docs work offline and load nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "NewArkState": ["reserved", "public"],
        "ArkState": ["reserved", "public", "unavailable"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "arks.api.schema.postprocess",
    ],
}

# --- Harvesting (aggregation) -----------------------------------------------------------------

# Every OAI-PMH request: seconds to connect and to wait for data, attempts on connection errors,
# 429 and 5xx, the first backoff (doubled per attempt) and the cap on any wait (Retry-After too).
PIDSVC_HARVEST_CONNECT_TIMEOUT = env_int("PIDSVC_HARVEST_CONNECT_TIMEOUT", 10, minimum=1)
PIDSVC_HARVEST_READ_TIMEOUT = env_int("PIDSVC_HARVEST_READ_TIMEOUT", 120, minimum=1)
# The whole of one response (request, headers and body) must arrive within this many seconds:
# a server that trickles a byte at a time never trips the read timeout.
PIDSVC_HARVEST_RESPONSE_DEADLINE = env_int("PIDSVC_HARVEST_RESPONSE_DEADLINE", 600, minimum=1)
PIDSVC_HARVEST_ATTEMPTS = env_int("PIDSVC_HARVEST_ATTEMPTS", 5, minimum=1)
PIDSVC_HARVEST_BACKOFF_SECONDS = env_int("PIDSVC_HARVEST_BACKOFF_SECONDS", 5)
PIDSVC_HARVEST_MAX_WAIT_SECONDS = env_int("PIDSVC_HARVEST_MAX_WAIT_SECONDS", 600)
# Celery retries of a run that failed transiently (each resumes from the checkpoint).
PIDSVC_HARVEST_TASK_RETRIES = env_int("PIDSVC_HARVEST_TASK_RETRIES", 5)
# A running run whose heartbeat is older than this is failed by the sweeper (and resumable).
PIDSVC_HARVEST_STALE_MINUTES = env_int("PIDSVC_HARVEST_STALE_MINUTES", 30, minimum=1)
# The quality gate: hold a full run that would withdraw more than this share of a source's
# records (a source can override it), or that lists less than this share of the last full run.
PIDSVC_HARVEST_MAX_WITHDRAWAL_PERCENT = env_int("PIDSVC_HARVEST_MAX_WITHDRAWAL_PERCENT", 10)
PIDSVC_HARVEST_MIN_LISTED_PERCENT = env_int("PIDSVC_HARVEST_MIN_LISTED_PERCENT", 50)

# --- Dedup and identity -------------------------------------------------------------------------

# The shoulder under which aggregated works get their ARKs (it must be delegated here; the
# default is the demo's, which `manage.py setup_demo` creates). Set your own in production.
PIDSVC_WORKS_SHOULDER = env_str("PIDSVC_WORKS_SHOULDER", "ark:99999/w3")
# Records matched, and records given their Works, per transaction.
PIDSVC_DEDUP_BATCH = env_int("PIDSVC_DEDUP_BATCH", 2000, minimum=1)

# --- Operating it (ops) -------------------------------------------------------------------------

# Seconds each readiness check (database, broker, cache) of /health/ready may take.
PIDSVC_HEALTH_TIMEOUT = env_int("PIDSVC_HEALTH_TIMEOUT", 3, minimum=1)


def _networks(name: str, default: list[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    try:
        return tuple(ip_network(item, strict=False) for item in env_list(name, default))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc} (addresses or CIDRs, comma-separated)") from None


# prometheus_client takes PROMETHEUS_MULTIPROC_DIR set at all, even to nothing (a blank line of
# an env file), for multiprocess mode, and would write its files in the current directory.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") == "":
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]
# Who may read /metrics: addresses or networks (CIDR), comma-separated. Loopback by default.
PIDSVC_METRICS_ALLOW = _networks("PIDSVC_METRICS_ALLOW", ["127.0.0.0/8", "::1/128"])
# URLs per sitemap file: the sitemaps.org protocol's limit (https://www.sitemaps.org/protocol.html).
PIDSVC_SITEMAP_URLS = 50_000
