"""The OAI-PMH harvest loop of one run: Identify, then every ListRecords page from the checkpoint
on, each stored in one transaction with the checkpoint that follows it.

OAI-PMH 2.0: Identify (4.2) gives the granularity that ``from`` is written in and the
deleted-record policy; ListRecords (4.5) pages through resumption tokens (3.5). A run that
crashes or is killed resumes from its last stored token; a token that has expired meanwhile
(``badResumptionToken``) makes it list again from its ``from`` window, which stores nothing twice
(``aggregation.ingest``). Finishing a run (the quality gate) is ``aggregation.services``' work.
"""

from __future__ import annotations

import functools
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from aggregation import ingest, selectors
from aggregation.errors import BadResumptionToken, PageTimeout
from aggregation.models import HarvestRun, Source
from aggregation.oai import (
    Client,
    Identity,
    Page,
    Sleep,
    TokenGuard,
    oai_datestamp,
    parse_response_date,
)

MAX_ERRORS: Final = 200  # kept per run; beyond that only counted
BEAT_SECONDS: Final = 30.0  # heartbeat while waiting for a page
OnProgress = Callable[[HarvestRun], None]


class RunLost(Exception):
    """The run stopped being this worker's (the sweeper failed it): stop without writing."""


class Stopped(Exception):
    """The run ended while the page fetcher was waiting to retry: it gives up quietly."""


@dataclass
class Waits:
    """The client's waits between retries: interruptible when the run ends, and noted (by the
    thread that fetches) for the run's errors (written by the thread that stores).

    ``sleep`` stands in for waiting (tests pass one that only records the seconds)."""

    sleep: Sleep | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    notes: deque[tuple[str, float]] = field(default_factory=deque)

    def wait(self, seconds: float) -> None:
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            self.stop.wait(seconds)
        if self.stop.is_set():
            raise Stopped

    def note(self, message: str, seconds: float) -> None:
        self.notes.append((message, seconds))

    def drain(self) -> list[dict[str, str]]:
        out = []
        while self.notes:
            message, seconds = self.notes.popleft()
            out.append({"code": "retry", "message": f"{message}; waited {seconds:.0f} s"})
        return out


@dataclass(frozen=True)
class _Fetched:
    page: Page
    mapped: ingest.Mapped


class _Fetcher:
    """Fetches, parses and maps the next page in a thread while the current one is stored, so
    that the remote server, the network and the database work at the same time. Only the
    calling thread touches the database."""

    def __init__(
        self, client: Client, run: HarvestRun, waits: Waits, *, deadline: float | None = None
    ) -> None:
        self.client, self.run, self.waits, self.deadline = client, run, waits, deadline
        self.future: Future[_Fetched] | None = None
        self.asked_at = 0.0
        # One thread for the whole run (its thread-local lxml parser is made once), and a
        # daemon: unlike a thread pool's worker it does not keep the process from exiting while
        # it waits on a slow server (Ctrl-C, a worker's shutdown).
        self.asked: queue.SimpleQueue[tuple[str, Future[_Fetched]] | None] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=f"harvest-{run.pk}", daemon=True).start()

    def ask(self, token: str) -> None:
        """Fetch the page of ``token`` next (one page at a time: the next is asked for once
        this one is taken)."""
        self.future, self.asked_at = Future(), time.monotonic()
        self.asked.put((token, self.future))

    def _serve(self) -> None:
        while (job := self.asked.get()) is not None:
            token, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._fetch(token))
            except BaseException as exc:  # handed to the thread that stores, as a pool would
                future.set_exception(exc)

    def _fetch(self, token: str) -> _Fetched:
        page = _list(self.client, self.run, token)
        return _Fetched(page, ingest.map_page(page, prefix=self.run.source.metadata_prefix))

    def result(self) -> _Fetched:
        assert self.future is not None
        while True:
            try:
                return self.future.result(timeout=BEAT_SECONDS)
            except FutureTimeout:
                waited = time.monotonic() - self.asked_at
                if self.deadline is not None and waited > self.deadline:
                    raise PageTimeout(
                        f"page {self.run.pages + 1} was not fetched, parsed and mapped within "
                        f"{self.deadline:.0f} s; given up (retried later)"
                    ) from None
                beat(self.run, self.waits)

    def close(self) -> None:
        self.waits.stop.set()  # a fetch waiting to retry gives up; one in flight is abandoned
        self.asked.put(None)


def execute(
    run: HarvestRun,
    client: Client,
    *,
    waits: Waits | None = None,
    on_progress: OnProgress | None = None,
    page_deadline: float | None = None,
) -> None:
    """List and store every page of ``run`` (status ``running``, claimed by the caller).

    A page that is not fetched, parsed and mapped within ``page_deadline`` seconds stops the
    run with ``PageTimeout``: the heartbeat goes on while the storing thread waits for a page,
    so without a limit a stuck fetch would hold the run, and its source, for ever."""
    waits = waits or Waits()
    identity = client.identify()
    _note_identity(run.source, identity)
    if run.pages == 0 and not run.resumption_token:
        _open_window(run, identity)
    elif not run.resumption_token:
        return  # the last page was stored before the run stopped: only finishing is left
    fetcher = _Fetcher(client, run, waits, deadline=page_deadline)
    try:
        with _prompt_switching():
            _pages(run, fetcher, waits, on_progress)
    finally:
        fetcher.close()


# The thread that stores a page waits for the database several times per page (statements,
# COPY, commit); after each wait it needs the interpreter lock back from the thread that parses
# and maps the next page, which gives it up only every "switch interval" (5 ms by default): up
# to 5 ms lost per statement. While pages are harvested the interval is shortened (for the
# whole process: the last run to finish restores it).
SWITCH_INTERVAL: Final = 0.0005
_switching = threading.Lock()
_switching_runs = 0
_switching_before = 0.0


@contextmanager
def _prompt_switching() -> Iterator[None]:
    global _switching_runs, _switching_before
    with _switching:
        if _switching_runs == 0:
            _switching_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switching_before, SWITCH_INTERVAL))
        _switching_runs += 1
    try:
        yield
    finally:
        with _switching:
            _switching_runs -= 1
            if _switching_runs == 0:
                sys.setswitchinterval(_switching_before)


def _pages(
    run: HarvestRun, fetcher: _Fetcher, waits: Waits, on_progress: OnProgress | None
) -> None:
    token = run.resumption_token
    guard = TokenGuard(seen=(token,) if token else ())
    fell_back = False
    fetcher.ask(token)
    while True:
        try:
            fetched = fetcher.result()
        except BadResumptionToken as exc:
            if not token or fell_back:
                raise
            fell_back = True
            add_errors(run, [{**exc.as_dict(), "note": "listing again from the run's window"}])
            token, guard = "", TokenGuard()
            fetcher.ask(token)
            continue
        page = fetched.page
        guard.check(page, page_number=run.pages + 1)
        if page.token:
            fetcher.ask(page.token)  # the next page comes while this one is stored
        store(run, page, mapped=fetched.mapped, waits=waits)
        if on_progress is not None:
            on_progress(run)
        if not page.token:
            return
        token = page.token


def _list(client: Client, run: HarvestRun, token: str) -> Page:
    source = run.source
    return client.list_records(
        prefix=source.metadata_prefix,
        set_spec=source.set_spec,
        from_=run.window_from,
        until=run.window_until,
        token=token,
    )


def _note_identity(source: Source, identity: Identity) -> None:
    values = {
        "repository_name": identity.repository_name[:500],
        "granularity": identity.granularity,
        "earliest_datestamp": identity.earliest_datestamp[:32],
        "deleted_record": identity.deleted_record[:16],
    }
    if any(getattr(source, name) != value for name, value in values.items()):
        Source.objects.filter(pk=source.pk).update(**values)
        for name, value in values.items():
            setattr(source, name, value)


def _open_window(run: HarvestRun, identity: Identity) -> None:
    """An incremental run asks ``from`` the previous successful run's responseDate, written at
    the repository's granularity (a day-granular ``from`` re-reads part of a day: harmless)."""
    if run.mode != HarvestRun.Mode.INCREMENTAL or run.window_from:
        return
    previous = selectors.last_successful_run(run.source, before=run)
    if previous is None or previous.response_date is None:
        return
    run.window_from = oai_datestamp(previous.response_date, identity.granularity)
    HarvestRun.objects.filter(pk=run.pk).update(window_from=run.window_from)


def store(
    run: HarvestRun, page: Page, *, mapped: ingest.Mapped | None = None, waits: Waits | None = None
) -> None:
    """Store ``page`` and move the checkpoint past it, in one transaction."""
    try:
        _store(run, page, mapped=mapped, waits=waits)
    except IntegrityError:
        # Records the page's SELECT did not find go in without conflict handling (``ingest``):
        # one that is there after all was written meanwhile by another run of the source, which
        # can only be running if this one was taken away (the sweeper failed it).
        if not HarvestRun.objects.filter(pk=run.pk, status=HarvestRun.Status.RUNNING).exists():
            raise RunLost(f"run {run.pk} is no longer running here") from None
        raise


def _store(
    run: HarvestRun, page: Page, *, mapped: ingest.Mapped | None, waits: Waits | None
) -> None:
    now = timezone.now()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # the setting lasts until the end of the whole transaction
            _commit_without_waiting_for_disk()
        counts = ingest.store_page(
            run=run, page=page, prefix=run.source.metadata_prefix, mapped=mapped
        )
        run.pages += 1
        run.records_new += counts.new
        run.records_updated += counts.updated
        run.records_deleted += counts.deleted
        run.records_unchanged += counts.unchanged
        run.records_failed += counts.failed
        run.resumption_token = page.token
        run.heartbeat_at = now
        if page.complete_list_size is not None:
            run.complete_list_size = page.complete_list_size
        if run.response_date is None:
            run.response_date = parse_response_date(page.response_date) or run.started_at
        errors = (waits.drain() if waits else []) + [
            {**e, "page": str(run.pages)} for e in counts.errors
        ]
        _append(run, errors)
        _save_running(run, _PAGE_FIELDS_AND_ERRORS if errors else _PAGE_FIELDS)


def _commit_without_waiting_for_disk() -> None:
    """On PostgreSQL, this transaction's commit returns before its WAL reaches the disk
    (``synchronous_commit`` off, for this transaction only). A page and the checkpoint past it
    commit together, so a database crash can only lose the last few pages' commits (at most
    three ``wal_writer_delay``s, 600 ms by default) together with their checkpoint, never one
    without the other: the run resumes from the checkpoint that survived and stores those pages
    again, which changes nothing. The run's last transaction (finishing it) commits as usual,
    and its WAL flush carries every page's before it. Waiting for the disk at every page cost
    about a millisecond (PostgreSQL 15 manual, "Asynchronous Commit").
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_PAGE_FIELDS: Final = ("pages", "records_new", "records_updated", "records_deleted",
                       "records_unchanged", "records_failed", "resumption_token", "heartbeat_at",
                       "complete_list_size", "response_date")  # fmt: skip
_PAGE_FIELDS_AND_ERRORS: Final = (*_PAGE_FIELDS, "errors")


def beat(run: HarvestRun, waits: Waits | None = None) -> None:
    """Show that the run is alive (while it waits for a page, too), noting any retries."""
    run.heartbeat_at = timezone.now()
    _append(run, waits.drain() if waits else [])
    _save_running(run, ("heartbeat_at", "errors"))


def _save_running(run: HarvestRun, fields: tuple[str, ...]) -> None:
    """Write ``fields`` of ``run`` while it is still running here, else raise ``RunLost``. One
    statement built once per field list (the ORM's ``update`` compiles it again on every page)."""
    meta = HarvestRun._meta
    values = [
        meta.get_field(name).get_db_prep_save(getattr(run, name), connection) for name in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_running_update_sql(fields), [*values, run.pk, HarvestRun.Status.RUNNING])
        written = cursor.rowcount
    if not written:
        raise RunLost(f"run {run.pk} is no longer running here")


@functools.cache
def _running_update_sql(fields: tuple[str, ...]) -> str:
    meta, quote = HarvestRun._meta, connection.ops.quote_name
    changes = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in fields)
    return (
        f"UPDATE {quote(meta.db_table)} SET {changes} "  # noqa: S608 - names from the model
        f"WHERE {quote(meta.pk.column)} = %s AND {quote(meta.get_field('status').column)} = %s"
    )


def add_errors(run: HarvestRun, errors: list[dict[str, str]]) -> None:
    _append(run, errors)
    HarvestRun.objects.filter(pk=run.pk).update(errors=run.errors)


def _append(run: HarvestRun, errors: list[dict[str, str]]) -> None:
    """Add to ``run.errors``, keeping at most ``MAX_ERRORS`` and counting the rest."""
    if not errors:
        return
    stamped = [{"at": timezone.now().isoformat(timespec="seconds"), **e} for e in errors]
    kept = [e for e in run.errors if e.get("code") != "more"]
    dropped = sum(int(e.get("count", 0)) for e in run.errors if e.get("code") == "more")
    room = max(MAX_ERRORS - len(kept), 0)
    kept.extend(stamped[:room])
    dropped += len(stamped) - len(stamped[:room])
    if dropped:
        kept.append({"code": "more", "count": dropped, "message": f"{dropped} more not kept"})
    run.errors = kept
