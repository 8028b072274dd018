"""Resolution counts: how often each ARK is resolved, per day (UTC).

Counting must not slow resolution down, so ``record`` only adds one to an in-process buffer
under a lock; a daemon thread writes the buffer in batches (``flush``) every
``PIDSVC_STATS_FLUSH_SECONDS`` (default 5), as soon as the buffer holds more than
``MAX_PENDING_KEYS`` keys, and once more when the process exits. Each batch is a single
``INSERT … ON CONFLICT (ark_id, day) DO UPDATE`` that adds to the stored count, so flushes from
many processes (gunicorn workers, replicas) add up without reading first.

Delivery is at-least-once: counts that a flush could not write go back into the buffer and are
tried again (a commit lost with its connection may therefore count a batch twice; losing counts
is the worse failure). Counts still buffered when a process is killed with SIGKILL are lost.

The buffer, its lock and the thread belong to one process: gunicorn forks workers after import,
so a forked child starts with an empty buffer and no thread of its own (``os.register_at_fork``)
and never writes the counts its parent already holds.

The selectors at the end read the stored counts for the ``?info`` page, the statistics pages and
the API; counts still in some process's buffer show up after its next flush.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Final

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from arks.errors import InvalidInput
from arks.models import Ark, DailyResolutions

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_DAYS",
    "DEFAULT_FLUSH_SECONDS",
    "MAX_DAYS",
    "MAX_PENDING_KEYS",
    "flush",
    "pending",
    "record",
    "reset",
    "series",
    "shutdown",
    "site_series",
    "top",
    "totals",
    "upsert",
]

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_SECONDS: Final = 5.0
MAX_PENDING_KEYS: Final = 1000
# Rows per upsert statement: on SQLite 1,500 parameters, far below its limit.
BATCH_ROWS: Final = 500
MAX_DAYS: Final = 366
DEFAULT_DAYS: Final = 90  # one ARK's series, unless asked for another length
_SECONDS_PER_DAY: Final = 86_400
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_JOIN_SECONDS: Final = 10.0

Key = tuple[int, int]  # (ark id, UTC day as days since 1970-01-01): cheap to make and to hash

# The clock ``record`` reads; a seam for tests that need counts on other days.
_clock = time.time


class _State:
    """One process's buffer and flusher; replaced as a whole in a forked child."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[Key, int] = {}
        self.flusher: threading.Thread | None = None
        self.wake = threading.Event()
        self.stopping = threading.Event()
        # The database the counts were recorded against (see _flush).
        self.database: str | None = None


_state = _State()


# --- recording --------------------------------------------------------------------------------


def record(ark_id: int) -> None:
    """Count one resolution of ``ark_id`` today (UTC). Costs a dict update under a lock.

    The resolver calls this on every successful resolution (redirect, ``?info``, tombstone).
    """
    key = (ark_id, int(_clock() // _SECONDS_PER_DAY))
    state = _state
    with state.lock:
        counts = state.counts
        counts[key] = counts.get(key, 0) + 1
        full = len(counts) > MAX_PENDING_KEYS
    if state.flusher is None:
        _start_flusher(state)
    if full:
        state.wake.set()


def pending() -> dict[tuple[int, date], int]:
    """A copy of what this process has counted but not yet written: ``{(ark id, day): count}``."""
    with _state.lock:
        items = list(_state.counts.items())
    return {(ark_id, _day(n)): count for (ark_id, n), count in items}


def flush() -> int:
    """Write the buffer to the database in batches; returns the number of rows written.

    Whatever a batch fails to write goes back into the buffer (and a warning is logged), except
    counts for ARK ids that do not exist, which are dropped with an error: they can never be
    written and would otherwise be retried for ever.
    """
    return _flush(_state)[0]


def upsert(rows: Sequence[tuple[int, date, int]]) -> int:
    """Add ``(ark id, day, count)`` rows to the stored counts in one statement (one batch).

    ``INSERT … ON CONFLICT (ark_id, day) DO UPDATE SET count = count + excluded.count`` works on
    PostgreSQL and on SQLite (3.24+) alike, and never reads before it writes. On PostgreSQL the
    rows travel as three arrays (``unnest``), on SQLite as ``VALUES``.
    """
    if not rows:
        return 0
    qn = connection.ops.quote_name
    table = qn(DailyResolutions._meta.db_table)
    ark, day, count = qn("ark_id"), qn("day"), qn("count")
    params: list[object]
    if connection.vendor == "postgresql":
        # Three array parameters, whatever the batch size: one short statement text, and no
        # per-value quoting in Python (which, in a gunicorn worker's flusher thread, holds the
        # GIL that the requests are waiting for).
        values = "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::bigint[])"
        params = [
            "{" + ",".join([str(int(ark_id)) for ark_id, _, _ in rows]) + "}",
            "{" + ",".join([d.isoformat() for _, d, _ in rows]) + "}",
            "{" + ",".join([str(int(n)) for _, _, n in rows]) + "}",
        ]
    else:
        values = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(rows))
        adapt = connection.ops.adapt_datefield_value
        params = [p for ark_id, d, n in rows for p in (ark_id, adapt(d), n)]
    sql = (
        f"INSERT INTO {table} ({ark}, {day}, {count}) {values} "
        f"ON CONFLICT ({ark}, {day}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(rows)


def shutdown(*, write: bool = True) -> int:
    """Stop this process's flusher thread and, with ``write``, flush what is left.

    Registered with ``atexit``; returns the rows written by the last flush.
    """
    _stop_flusher(_state)
    return flush() if write else 0


def reset() -> dict[tuple[int, date], int]:
    """Stop the flusher and empty the buffer without writing; returns what was dropped.

    For tests and benchmarks, which must not leave counts behind for the exit-time flush.
    """
    _stop_flusher(_state)
    dropped = pending()
    with _state.lock:
        _state.counts.clear()
        _state.database = None
    return dropped


# --- the buffer and the flusher ---------------------------------------------------------------


def _day(n: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + n)


def _flush(state: _State) -> tuple[int, bool]:
    """(rows written, whether every batch was written)."""
    with state.lock:
        taken, state.counts = state.counts, {}
    if taken and state.database not in (None, _database()):
        # The test runner swaps the test database for the real one before the exit-time flush:
        # counts made against one database are never written to another.
        logger.warning(
            "%s resolution counts dropped: recorded against database %s, not %s",
            len(taken),
            state.database,
            _database(),
        )
        return 0, True
    # Sorted, so that every process locks rows in the same order: concurrent flushes from
    # several workers then queue behind each other instead of deadlocking.
    rows = sorted((ark_id, _day(n), count) for (ark_id, n), count in taken.items())
    written = 0
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        try:
            written += _write_batch(batch)
        except DatabaseError as exc:
            _put_back(state, rows[start:])
            logger.warning(
                "resolution counts not written (%s rows kept for the next flush): %s",
                len(rows) - start,
                exc,
            )
            return written, False
        except BaseException:
            _put_back(state, rows[start:])  # a bug must not also lose the counts
            raise
    return written, True


def _write_batch(batch: list[tuple[int, date, int]]) -> int:
    try:
        return upsert(batch)
    except IntegrityError:
        known = _existing_arks({ark_id for ark_id, _, _ in batch})
        kept = [row for row in batch if row[0] in known]
        if len(kept) == len(batch):
            raise
        lost = sorted({ark_id for ark_id, _, _ in batch} - known)
        logger.error("resolution counts dropped for ARK ids that do not exist: %s", lost)
        return upsert(kept)


def _existing_arks(ids: Iterable[int]) -> set[int]:
    return set(Ark.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))


def _put_back(state: _State, rows: Iterable[tuple[int, date, int]]) -> None:
    with state.lock:
        counts = state.counts
        for ark_id, day, count in rows:
            key = (ark_id, day.toordinal() - _EPOCH_ORDINAL)
            counts[key] = counts.get(key, 0) + count


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def _interval() -> float:
    return max(float(getattr(settings, "PIDSVC_STATS_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS)), 0.01)


def _start_flusher(state: _State) -> None:
    with state.lock:
        if state.flusher is not None:
            return
        state.stopping.clear()
        state.database = state.database or _database()
        thread = threading.Thread(
            target=_run, args=(state,), name="pidsvc-stats-flusher", daemon=True
        )
        state.flusher = thread
    thread.start()


def _run(state: _State) -> None:
    me = threading.current_thread()
    try:
        # A thread that outlived a timed-out stop() must not run beside its successor.
        while not state.stopping.is_set() and state.flusher is me:
            state.wake.wait(_interval())
            state.wake.clear()
            if state.stopping.is_set():
                break  # whoever stops the thread flushes what is left
            if not _flush_in_thread(state):
                # The database is failing: wait a full interval before trying again, even if
                # the buffer is over its size, rather than hammer it.
                state.stopping.wait(_interval())
    except Exception:
        # Not swallowed: logged with its traceback, and the next record() starts a new thread
        # (the counts went back into the buffer in _flush).
        logger.exception("the resolution-count flusher stopped; it restarts on the next record")
    finally:
        connection.close()  # nothing else would ever close this thread's connection
        with state.lock:
            if state.flusher is me:
                state.flusher = None


def _flush_in_thread(state: _State) -> bool:
    """Flush from the flusher thread. Django connections belong to their thread, so this looks
    after the thread's own as Django does around a request: it is kept from one flush to the
    next while ``CONN_MAX_AGE`` allows and it works (a new PostgreSQL session for every flush
    costs that server more CPU than the flush), and closed when the thread ends (``_run``)."""
    connection.close_if_unusable_or_obsolete()
    try:
        return _flush(state)[1]
    finally:
        connection.close_if_unusable_or_obsolete()


def _stop_flusher(state: _State) -> None:
    thread = state.flusher
    if thread is None:
        return
    state.stopping.set()
    state.wake.set()
    if thread is not threading.current_thread():
        thread.join(_JOIN_SECONDS)
    with state.lock:
        if state.flusher is thread:
            state.flusher = None
    state.wake.clear()


def _after_fork_in_child() -> None:
    # The parent keeps (and flushes) its own counts; the child's copy of its lock may even be
    # held by a thread that does not exist in the child. Start afresh.
    global _state
    _state = _State()


def _at_exit() -> None:
    try:
        shutdown()
    finally:
        connection.close()
    if _state.counts:  # the final flush failed, and there is no next one
        logger.error("%s resolution counts could not be written at exit", len(_state.counts))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)


# --- reading ----------------------------------------------------------------------------------


def _window(days: int) -> tuple[date, date]:
    """The last ``days`` days up to today (UTC), both ends included."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be a whole number from 1 to {MAX_DAYS}", field="days")
    today = timezone.now().date()  # USE_TZ: now() is UTC, the same days record() counts in
    return today - timedelta(days=days - 1), today


def _filled(counts: dict[date, int], start: date, end: date) -> list[tuple[date, int]]:
    span = (end - start).days + 1
    return [(d, counts.get(d, 0)) for d in (start + timedelta(days=i) for i in range(span))]


def totals(ark_ids: Iterable[int]) -> dict[int, int]:
    """All-time resolution counts of ``ark_ids`` (0 for ARKs never resolved), in one query."""
    ids = list(ark_ids)
    found = (
        DailyResolutions.objects.filter(ark_id__in=ids)
        .values("ark_id")
        .annotate(total=Sum("count"))
        .values_list("ark_id", "total")
    )
    return {**dict.fromkeys(ids, 0), **dict(found)}


def series(ark_id: int, days: int = DEFAULT_DAYS) -> list[tuple[date, int]]:
    """One ARK's resolutions per day over the last ``days`` days, oldest first, zeros filled in."""
    start, end = _window(days)
    rows = DailyResolutions.objects.filter(ark_id=ark_id, day__range=(start, end))
    return _filled(dict(rows.values_list("day", "count")), start, end)


def site_series(days: int = 90) -> list[tuple[date, int]]:
    """Resolutions of every ARK per day over the last ``days`` days, oldest first."""
    start, end = _window(days)
    rows = (
        DailyResolutions.objects.filter(day__range=(start, end))
        .values("day")
        .annotate(total=Sum("count"))
        .values_list("day", "total")
    )
    return _filled(dict(rows), start, end)


def top(days: int = 30, limit: int = 20) -> list[tuple[Ark, int]]:
    """The most-resolved ARKs of the last ``days`` days with their counts, most first."""
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be from 1 to 1000", field="limit")
    start, end = _window(days)
    rows = list(
        DailyResolutions.objects.filter(day__range=(start, end))
        .values("ark_id")
        .annotate(total=Sum("count"))
        .order_by("-total", "ark_id")
        .values_list("ark_id", "total")[:limit]
    )
    arks = Ark.objects.in_bulk([ark_id for ark_id, _ in rows])
    return [(arks[ark_id], total) for ark_id, total in rows]
