"""Counters of the API's rate limits: one per (limit, client, window), incremented atomically
across every gunicorn worker and machine, so that exactly ``limit`` requests pass a window
however many arrive at once.

Django's cache ``incr`` is not that: the file cache (once the embedded default) reads the
counter and writes it back, so parallel requests overwrote each other's counts (900 parallel
requests let 485 past a limit of 300), and it culls random entries once it holds 300 files.
Here each hit is one atomic operation on the server that holds the count:

- with ``CACHE_URL=redis://…``, Redis: ``INCR`` and ``EXPIRE`` in one ``MULTI``/``EXEC``;
- otherwise, the database: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL, and
  SQLite 3.35+), which locks the row for that statement only and never reads before it writes.
  The embedded default (SQLite) shares the count among the workers of one machine, PostgreSQL
  among every machine. Called outside any transaction (DRF throttles before the view runs).
"""

from __future__ import annotations

import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from arks.models import RateCounter

# Standard SQL, quoted identifiers alike on PostgreSQL and SQLite (arks.models.RateCounter).
_UPSERT = (
    'INSERT INTO "arks_ratecounter" ("key", "hits", "expires") VALUES (%s, 1, %s) '
    'ON CONFLICT ("key") DO UPDATE SET "hits" = "arks_ratecounter"."hits" + 1 RETURNING "hits"'
)


def hit(key: str, *, ttl: int) -> int:
    """Count one request on ``key`` and return the count so far, this one included. ``key`` names
    one window, so the counter is of no use ``ttl`` seconds after its first hit: Redis expires it
    (``ttl`` after its last hit), the hourly purge removes it from the database."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _hit_redis(backend, key, ttl)
    return _hit_database(key, ttl)


def _hit_redis(backend: RedisCache, key: str, ttl: int) -> int:
    name = backend.make_and_validate_key(key)
    client = backend._cache.get_client(name, write=True)
    # Every key is one window's, so renewing its expiry on each hit only keeps it a little
    # longer than the window; one round trip either way.
    count, _ = client.pipeline(transaction=True).incr(name).expire(name, ttl).execute()
    return int(count)


def _hit_database(key: str, ttl: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, int(time.time()) + ttl])
        return int(cursor.fetchone()[0])


def purge_expired() -> int:
    """Drop the database counters of windows that are over; returns how many (hourly task)."""
    deleted, _ = RateCounter.objects.filter(expires__lt=int(time.time())).delete()
    return deleted
