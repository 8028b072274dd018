"""Writes of the aggregation layer: sources and their schedules, and the life of a harvest run.

A run is ``queued`` (asked for), ``running`` (claimed by one worker with a conditional UPDATE, its
heartbeat moving), then ``succeeded``, ``failed`` or ``held`` (by the quality gate, until an
administrator ``release``s or ``discard``s it). The database allows one queued or running run per
source. A failed run that stored pages is resumed, from its checkpoint, by the next request for
the same mode. Entry points (admin, commands, tasks) call these functions and nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from aggregation import folder, harvest, identity, oai, owner, quality, selectors
from aggregation.errors import (
    HarvestConflict,
    HarvestError,
    IdentityNotConfigured,
    InvalidSource,
    PermanentHarvestError,
    TransientHarvestError,
)
from aggregation.models import HarvestRun, RawRecord, Source

log = logging.getLogger(__name__)
Status = HarvestRun.Status
Mode = HarvestRun.Mode
HARVEST_TASK = "aggregation.tasks.harvest_source"


# Beyond the longest a request can take: parsing and mapping a page (50 MB at most), which
# takes seconds. A page that takes longer than both is stuck (``harvest.execute``).
PAGE_WORK_SECONDS: Final = 600.0


def http_policy() -> oai.HttpPolicy:
    return oai.HttpPolicy(
        connect_timeout=settings.PIDSVC_HARVEST_CONNECT_TIMEOUT,
        read_timeout=settings.PIDSVC_HARVEST_READ_TIMEOUT,
        response_deadline=settings.PIDSVC_HARVEST_RESPONSE_DEADLINE,
        attempts=settings.PIDSVC_HARVEST_ATTEMPTS,
        backoff=settings.PIDSVC_HARVEST_BACKOFF_SECONDS,
        max_wait=settings.PIDSVC_HARVEST_MAX_WAIT_SECONDS,
    )


# --- sources ------------------------------------------------------------------------------------

_SOURCE_FIELDS = ("url", "metadata_prefix", "set_spec", "repository_type", "country", "active",
                  "max_withdrawal_percent")  # fmt: skip


def validate_url(url: str) -> str:
    """An http(s) base URL, or the absolute path of an existing folder (offline ingest)."""
    url = url.strip()
    if url.lower().startswith(("http://", "https://")):
        if not urlsplit(url).netloc:
            raise InvalidSource(f"{url!r} has no host", field="url")
        return url
    path = Path(url)
    if not path.is_absolute() or not path.is_dir():
        raise InvalidSource(
            f"{url!r} is neither an http(s) URL nor the absolute path of a folder", field="url"
        )
    return str(path)


@transaction.atomic
def create_source(
    *,
    name: str,
    url: str,
    metadata_prefix: str = "oai_dc",
    set_spec: str = "",
    repository_type: str = "",
    country: str = "",
    active: bool = True,
    max_withdrawal_percent: int | None = None,
    schedule: str = "",
) -> Source:
    """A new source; ``schedule`` (cron, UTC) makes beat harvest it incrementally."""
    name = name.strip()
    if not name:
        raise InvalidSource("a source needs a name", field="name")
    if Source.objects.filter(name=name).exists():
        raise InvalidSource(f"a source named {name!r} exists already", field="name")
    if max_withdrawal_percent is not None and not 0 <= max_withdrawal_percent <= 100:
        raise InvalidSource("the withdrawal share is a percentage (0-100)", field="max_withdrawal")
    source = Source(
        name=name,
        url=validate_url(url),
        metadata_prefix=metadata_prefix.strip() or "oai_dc",
        set_spec=set_spec.strip(),
        repository_type=repository_type,
        country=country.strip().upper(),
        active=active,
        max_withdrawal_percent=max_withdrawal_percent,
    )
    _check_fields(source, [f.name for f in Source._meta.concrete_fields])
    source.save()
    return set_schedule(source=source, cron=schedule) if schedule else source


def _check_fields(source: Source, names: Iterable[str]) -> None:
    """The model's own rules (lengths, choices, the country code) for ``names``, as the admin's
    form applies them, raised as ``InvalidSource``; the URL has its own check."""
    checked = set(names) - {"url", "schedule", "id"}
    exclude = [f.name for f in Source._meta.concrete_fields if f.name not in checked]
    try:
        source.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidSource(f"{field}: {' '.join(messages)}", field=field) from None


@transaction.atomic
def update_source(*, source: Source, schedule: str | None = None, **changes: object) -> Source:
    """Change the fields in ``_SOURCE_FIELDS`` and (unless ``None``) the ``schedule``; a
    schedule is enabled while its source is active."""
    unknown = set(changes) - set(_SOURCE_FIELDS)
    if unknown:
        raise InvalidSource(f"unknown field(s): {', '.join(sorted(unknown))}")
    if "url" in changes:
        changes["url"] = validate_url(str(changes["url"]))
    for name, value in changes.items():
        setattr(source, name, value)
    _check_fields(source, changes)
    if changes:
        source.save(update_fields=list(changes))
    if schedule is not None and schedule.split() != selectors.schedule_of(source).split():
        set_schedule(source=source, cron=schedule)
    if source.schedule_id is not None and "active" in changes:
        PeriodicTask.objects.filter(pk=source.schedule_id).update(enabled=source.active)
    return source


@transaction.atomic
def set_schedule(*, source: Source, cron: str, full: bool = False) -> Source:
    """Harvest ``source`` periodically at ``cron`` (``minute hour day month weekday``, UTC) with
    django-celery-beat; an empty ``cron`` removes the schedule."""
    cron = " ".join(cron.split())
    if not cron:
        if source.schedule_id is not None:
            PeriodicTask.objects.filter(pk=source.schedule_id).delete()
            source.schedule = None
        return source
    schedule, _ = CrontabSchedule.objects.get_or_create(**check_schedule(cron), timezone="UTC")
    values = {"task": HARVEST_TASK, "crontab": schedule, "interval": None,
              "args": json.dumps([source.pk]), "kwargs": json.dumps({"full": full}),
              "enabled": source.active}  # fmt: skip
    if source.schedule_id is not None:
        PeriodicTask.objects.filter(pk=source.schedule_id).update(**values)
        source.schedule.refresh_from_db()
    else:
        source.schedule = PeriodicTask.objects.create(name=f"Harvest {source.name}", **values)
        source.save(update_fields=["schedule"])
    return source


def check_schedule(cron: str) -> dict[str, str]:
    """The CrontabSchedule fields of ``cron``; ``InvalidSource`` when it is not a schedule."""
    parts = cron.split()
    if len(parts) != 5:
        raise InvalidSource(f"{cron!r} is not 'minute hour day month weekday'", field="schedule")
    fields = dict(zip(["minute", "hour", "day_of_month", "month_of_year", "day_of_week"], parts,
                      strict=True))  # fmt: skip
    try:
        crontab(**fields)
    except (ValueError, TypeError) as exc:
        raise InvalidSource(f"{cron!r} is not a valid schedule: {exc}", field="schedule") from None
    return fields


# --- asking for runs ----------------------------------------------------------------------------


def request_harvest(*, source: Source, full: bool = False, actor: str) -> HarvestRun:
    """Queue a harvest of ``source`` (or resume its failed one) and enqueue it for a worker."""
    run = start_run(source=source, full=full, actor=actor)
    _enqueue("aggregation.tasks.harvest_run", run.pk)
    return run


@transaction.atomic
def start_run(*, source: Source, full: bool, actor: str) -> HarvestRun:
    """A queued run of ``source``: the failed run of the same mode it resumes, or a new one.

    Refused (``HarvestConflict``) while another run is queued or running; a running run whose
    heartbeat is stale is failed first (its worker is gone), so that it can be resumed.
    """
    source = Source.objects.select_for_update().get(pk=source.pk)
    if not source.active:
        raise HarvestConflict(f"source {source} is not active")
    fail_stale_runs(source=source)
    _check_free(source)
    mode = Mode.FULL if full else Mode.INCREMENTAL
    latest = source.runs.order_by("-id").first()
    resumable = latest is not None and latest.status == Status.FAILED and latest.pages > 0
    if resumable and latest.mode == mode:
        return _resume(latest, actor=actor)
    try:
        with transaction.atomic():
            return HarvestRun.objects.create(source=source, mode=mode, actor=actor)
    except IntegrityError:  # another request won the race for the one in-flight slot
        raise HarvestConflict(f"a run of {source} is already queued or running") from None


def _check_free(source: Source) -> None:
    """Refuse a run of ``source`` while another is queued or running, or while one is held by
    the quality gate: a second full run would be held for the same reason, and any run would
    move the records' ``last_run`` under the held run's list of withdrawals."""
    current = selectors.in_flight(source)
    if current is not None:
        raise HarvestConflict(
            f"run #{current.pk} of {source} is already {current.status}", run_id=current.pk
        )
    held = selectors.held_run(source)
    if held is not None:
        reasons = "; ".join(held.gate.get("reasons") or []) or "held by the quality gate"
        raise HarvestConflict(
            f"run #{held.pk} of {source} is held by the quality gate ({reasons}); no other run "
            f"starts until it is released (its withdrawals are applied) or discarded (nothing "
            f"is withdrawn): see it in the admin, Harvest runs, run #{held.pk}",
            run_id=held.pk,
        )


def _resume(run: HarvestRun, *, actor: str) -> HarvestRun:
    note = f"resumed by {actor} from page {run.pages + 1}"
    harvest.add_errors(run, [{"code": "resumed", "message": note}])
    run.status, run.finished_at = Status.QUEUED, None
    run.save(update_fields=["status", "finished_at"])
    return run


def resume_run(*, run: HarvestRun, actor: str) -> HarvestRun:
    """Queue a failed run again, from its checkpoint."""
    if run.status != Status.FAILED:
        raise HarvestConflict(f"run #{run.pk} is {run.status}; only failed runs are resumed")
    with transaction.atomic():
        Source.objects.select_for_update().get(pk=run.source_id)
        _check_free(run.source)
        _resume(run, actor=actor)
    _enqueue("aggregation.tasks.harvest_run", run.pk)
    return run


def scheduled_harvest(*, source_id: int, full: bool = False) -> HarvestRun | None:
    """What beat runs: a harvest of an active source, skipped while one is in flight."""
    source = Source.objects.filter(pk=source_id, active=True).first()
    if source is None:
        return None
    try:
        return request_harvest(source=source, full=full, actor="schedule")
    except HarvestConflict as exc:
        log.info("scheduled harvest skipped: %s", exc.message)
        return None


def harvest_in_foreground(
    *, source: Source, full: bool, actor: str, on_progress: harvest.OnProgress | None = None,
    sleep: oai.Sleep | None = None,
) -> HarvestRun:  # fmt: skip
    """Run a harvest in this process (``manage.py harvest``); the next stage is enqueued."""
    run = start_run(source=source, full=full, actor=actor)
    run = run_harvest(run_id=run.pk, on_progress=on_progress, sleep=sleep)
    if run.status == Status.SUCCEEDED:
        _enqueue("aggregation.tasks.after_harvest", run.pk)
        run.refresh_from_db()  # a task run at once (CELERY_TASK_ALWAYS_EAGER) noted its outcome
    return run


# --- running ------------------------------------------------------------------------------------


def run_harvest(
    *,
    run_id: int,
    on_progress: harvest.OnProgress | None = None,
    sleep: oai.Sleep | None = None,
    final_attempt: bool = True,
) -> HarvestRun:
    """Claim and run a queued run (or one whose worker died) to its end; idempotent.

    A transient failure fails the run on the ``final_attempt`` and otherwise queues it again and
    re-raises, for the caller (the Celery task) to retry later; the checkpoint is kept either way.
    """
    run = _claim(run_id)
    if run is None:  # finished, or running in another worker: nothing to do here
        return HarvestRun.objects.get(pk=run_id)
    waits = harvest.Waits(sleep=sleep)
    try:
        policy = http_policy()
        client = _client_for(run.source, policy=policy, waits=waits)
        deadline = policy.longest_request() + PAGE_WORK_SECONDS
        harvest.execute(run, client, waits=waits, on_progress=on_progress, page_deadline=deadline)
        _finish(run)
    except harvest.RunLost:
        log.warning("run %s was taken away (stale heartbeat?); stopped", run_id)
    except TransientHarvestError as exc:
        if not final_attempt:
            _stop(run, exc, status=Status.QUEUED)
            raise
        _stop(run, exc, status=Status.FAILED)
    except PermanentHarvestError as exc:
        _stop(run, exc, status=Status.FAILED)
    except Exception as exc:  # a bug: the run must not stay "running" for ever; then re-raise
        bug = HarvestError(f"internal error: {type(exc).__name__}: {exc}")
        _stop(run, bug, status=Status.FAILED)
        raise
    except KeyboardInterrupt:  # Ctrl-C on a foreground harvest: harvesting again resumes it
        _stop(run, HarvestError("interrupted by the user"), status=Status.FAILED)
        raise
    except SystemExit:  # the worker is going away: the task comes back (acks_late) and resumes
        _stop(run, HarvestError("the worker stopped"), status=Status.QUEUED)
        raise
    run.refresh_from_db()
    return run


def _client_for(source: Source, *, policy: oai.HttpPolicy, waits: harvest.Waits) -> oai.Client:
    if source.is_folder:
        return folder.FolderClient(source.url)
    return oai.HttpClient(source.url, policy=policy, sleep=waits.wait, on_wait=waits.note)


def _claim(run_id: int) -> HarvestRun | None:
    """Take the run with one conditional UPDATE: two workers never both get it. A running run
    is taken when its lease expired, or when its owner is gone from this host (a task delivered
    again after its worker process was killed): then only from that same owner, so that of two
    processes taking it over at once one wins."""
    now = timezone.now()
    stale = now - timedelta(minutes=settings.PIDSVC_HARVEST_STALE_MINUTES)
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=stale)
    orphan = HarvestRun.objects.filter(pk=run_id, status=Status.RUNNING).first()
    if orphan is not None and not owner.is_gone(_owner(orphan)):
        orphan = None
    if orphan is not None:
        claimable |= Q(status=Status.RUNNING, owner_host=orphan.owner_host,
                       owner_pid=orphan.owner_pid, owner_started=orphan.owner_started)  # fmt: skip
    me = owner.current()
    taken = HarvestRun.objects.filter(claimable, pk=run_id).update(
        status=Status.RUNNING, started_at=Coalesce("started_at", now), heartbeat_at=now,
        owner_host=me.host, owner_pid=me.pid, owner_started=me.started,
    )  # fmt: skip
    if not taken:
        return None
    run = HarvestRun.objects.select_related("source").get(pk=run_id)
    if orphan is not None:
        code, message = _owner_gone(orphan)
        harvest.add_errors(run, [{"code": code, "message": message}])
    return run


def _stop(run: HarvestRun, exc: HarvestError, *, status: str) -> None:
    error = exc.as_dict()
    if status == Status.QUEUED:
        error["note"] = "will be retried from page " + str(run.pages + 1)
    harvest.add_errors(run, [error])
    finished = timezone.now() if status == Status.FAILED else None
    HarvestRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        status=status, finished_at=finished
    )


def _finish(run: HarvestRun) -> None:
    """Close a run whose pages are all stored: a full run goes through the quality gate."""
    with transaction.atomic():
        locked = HarvestRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != Status.RUNNING:
            raise harvest.RunLost(f"run {run.pk} is {locked.status}")
        locked.finished_at = timezone.now()
        locked.status = Status.SUCCEEDED
        if locked.mode == Mode.FULL:
            decision = _assess(locked)
            locked.gate = decision.as_dict()
            if decision.hold:
                locked.status = Status.HELD
            else:
                locked.records_deleted += _withdraw(locked)
        if locked.status == Status.SUCCEEDED:  # whoever ran it sends the next stage on
            locked.next_stage = _queued()
        locked.save(
            update_fields=["status", "finished_at", "gate", "records_deleted", "next_stage"]
        )


def _assess(run: HarvestRun) -> quality.GateDecision:
    source = run.source
    previous = selectors.last_successful_run(source, mode=Mode.FULL, before=run)
    live = RawRecord.objects.filter(source=source, deleted=False)
    return quality.decide(
        withdrawals=selectors.withdrawal_candidates(run).count(),
        live=live.count(),
        listed=live.filter(last_run=run).count(),
        last_full_listed=(previous.gate or {}).get("listed") if previous else None,
        max_withdrawal_percent=(
            source.max_withdrawal_percent
            if source.max_withdrawal_percent is not None
            else settings.PIDSVC_HARVEST_MAX_WITHDRAWAL_PERCENT
        ),
        min_listed_percent=settings.PIDSVC_HARVEST_MIN_LISTED_PERCENT,
    )


def _withdraw(run: HarvestRun) -> int:
    """Mark withdrawn the live records that ``run`` (a full run) and later runs did not list."""
    return selectors.withdrawal_candidates(run).update(
        deleted=True, deleted_by_run=run, changed_at=timezone.now()
    )


# --- the quality gate's held runs ---------------------------------------------------------------


@transaction.atomic
def release_run(*, run: HarvestRun, actor: str) -> HarvestRun:
    """Apply a held run: withdraw what it did not list, mark it succeeded, start the next stage."""
    locked = _held(run)
    locked.records_deleted += _withdraw(locked)
    locked.status = Status.SUCCEEDED
    locked.gate = {**locked.gate, "released_by": actor, "released_at": _now()}
    locked.next_stage = _queued()
    locked.save(update_fields=["status", "records_deleted", "gate", "next_stage"])
    _enqueue("aggregation.tasks.after_harvest", locked.pk)
    return locked


@transaction.atomic
def discard_run(*, run: HarvestRun, actor: str, reason: str = "") -> HarvestRun:
    """Refuse a held run (nothing is withdrawn, the next stage does not run for it), or give up
    a failed one (the next request starts afresh instead of resuming it)."""
    locked = HarvestRun.objects.select_for_update().get(pk=run.pk)
    if locked.status not in (Status.HELD, Status.FAILED):
        raise HarvestConflict(f"run #{run.pk} is {locked.status}, neither held nor failed")
    locked.status = Status.DISCARDED
    locked.gate = {**locked.gate, "discarded_by": actor, "discarded_at": _now(), "reason": reason}
    locked.save(update_fields=["status", "gate"])
    return locked


def _held(run: HarvestRun) -> HarvestRun:
    locked = HarvestRun.objects.select_for_update().select_related("source").get(pk=run.pk)
    if locked.status != Status.HELD:
        raise HarvestConflict(f"run #{run.pk} is {locked.status}, not held")
    return locked


def _now() -> str:
    return timezone.now().isoformat(timespec="seconds")


# --- the next stage -----------------------------------------------------------------------------


def _queued() -> dict[str, object]:
    return {"state": "queued", "at": _now()}


def run_next_stage(*, run_id: int) -> dict[str, object] | None:
    """The stage after a harvest run succeeded (or a held run was released): dedup and identity
    for the records that changed (``aggregation.identity``), its outcome noted on the run (the
    run's admin page and ``manage.py harvest`` show it). Idempotent: a second delivery finds
    nothing left to do. A run that no longer exists means "all sources"."""
    run = HarvestRun.objects.select_related("source").filter(pk=run_id).first()
    try:
        report = identity.run_dedup(source=run.source if run else None)
    except IdentityNotConfigured as exc:
        # Nothing is lost: the records stay to be matched by the next run that can mint.
        log.error("dedup after harvest run %s did not run: %s", run_id, exc)
        _note_next_stage(run_id, {"state": "not run", "at": _now(), "error": str(exc)})
        return None
    except Exception as exc:  # a bug: noted on the run, then raised for the worker's log
        _note_next_stage(run_id, {"state": "failed", "at": _now(), "error": repr(exc)})
        raise
    outcome = report.as_dict()
    _note_next_stage(run_id, {"state": "done", "at": _now(), "report": outcome})
    log.info("dedup after harvest run %s: %s", run_id, outcome)
    return outcome


def _note_next_stage(run_id: int, outcome: dict[str, object]) -> None:
    HarvestRun.objects.filter(pk=run_id).update(next_stage=outcome)


# --- the sweeper --------------------------------------------------------------------------------


def fail_stale_runs(*, source: Source | None = None, now: datetime | None = None) -> int:
    """Fail runs whose owner is gone: its process no longer exists on this host, or nothing
    renewed its lease (no heartbeat for ``PIDSVC_HARVEST_STALE_MINUTES``, wherever it ran); and
    queued runs nobody picked up. They keep their checkpoint and are resumed by the next
    request. Returns how many were failed."""
    age = timedelta(minutes=settings.PIDSVC_HARVEST_STALE_MINUTES)
    stale = selectors.stale_runs(older_than=age, now=now)
    running_here = selectors.running_on(owner.current().host)
    if source is not None:
        stale, running_here = stale.filter(source=source), running_here.filter(source=source)
    failing = {run.pk: (run, _lease_lapsed(run)) for run in stale}
    for run in running_here:
        if run.pk not in failing and owner.is_gone(_owner(run)):
            failing[run.pk] = (run, _owner_gone(run))
    failed = 0
    for run, (code, message) in failing.values():
        harvest.add_errors(run, [{"code": code, "message": message}])
        failed += HarvestRun.objects.filter(pk=run.pk, status=run.status).update(
            status=Status.FAILED, finished_at=now or timezone.now()
        )
    return failed


def _owner(run: HarvestRun) -> owner.Owner:
    return owner.Owner(run.owner_host, run.owner_pid or 0, run.owner_started)


def _owner_gone(run: HarvestRun) -> tuple[str, str]:
    return "owner_gone", (
        f"its process {run.owner_pid} on {run.owner_host} no longer exists (killed?): "
        "taken over at once"
    )


def _lease_lapsed(run: HarvestRun) -> tuple[str, str]:
    if run.status == Status.RUNNING:
        return "stale", (
            f"no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC: the worker was lost"
        )
    return "stale", "queued but never started: the task message was lost"


# --- Celery -------------------------------------------------------------------------------------


def _enqueue(task: str, run_id: int) -> None:
    """Send ``task`` for ``run_id`` once the current transaction commits (never for a run whose
    row a rollback took away)."""
    from aggregation import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: getattr(tasks, task.rpartition(".")[2]).delay(run_id))
