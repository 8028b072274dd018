"""Reads of the aggregation layer: runs, their progress, and per-source reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from aggregation import xmlsafe
from aggregation.formats.compliance import ComplianceReport, check_openaire_v4, validate_xsd
from aggregation.models import HarvestRun, RawRecord, Source

Status = HarvestRun.Status


def find_source(name: str) -> Source:
    return Source.objects.get(name=name)


def schedule_of(source: Source) -> str:
    """The source's schedule as cron text, "" when it has none (or one that is not a crontab)."""
    task = source.schedule
    if task is None or task.crontab is None:
        return ""
    c = task.crontab
    return f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"


def last_successful_run(
    source: Source, *, mode: str | None = None, before: HarvestRun | None = None
) -> HarvestRun | None:
    runs = source.runs.filter(status=Status.SUCCEEDED)
    if mode:
        runs = runs.filter(mode=mode)
    if before is not None and before.pk:
        runs = runs.exclude(pk=before.pk)
    return runs.order_by("-id").first()


def in_flight(source: Source) -> HarvestRun | None:
    return source.runs.filter(status__in=HarvestRun.IN_FLIGHT).first()


def stale_runs(*, older_than: timedelta, now: datetime | None = None) -> QuerySet[HarvestRun]:
    """Running runs whose heartbeat stopped; queued runs nobody picked up for 48 times
    that long (a lost task message): both would block their source forever."""
    now = now or timezone.now()
    return HarvestRun.objects.filter(
        status=Status.RUNNING, heartbeat_at__lt=now - older_than
    ) | HarvestRun.objects.filter(status=Status.QUEUED, created_at__lt=now - older_than * 48)


def withdrawal_candidates(run: HarvestRun) -> QuerySet[RawRecord]:
    """Live records of ``run``'s source that neither it nor any later run listed."""
    return RawRecord.objects.filter(source_id=run.source_id, deleted=False).exclude(
        last_run_id__gte=run.pk
    )


@dataclass(frozen=True)
class Progress:
    records: int
    pages: int
    rate: float  # records per second since the run started
    heartbeat_age: float | None  # seconds
    share: float | None  # of completeListSize, when the server gives it
    eta: float | None  # seconds left, from the rate and completeListSize


def progress(run: HarvestRun, *, now: datetime | None = None) -> Progress:
    now = now or timezone.now()
    records = run.records_seen
    elapsed = ((run.finished_at or now) - run.started_at).total_seconds() if run.started_at else 0
    rate = records / elapsed if elapsed > 0 else 0.0
    size = run.complete_list_size
    share = min(records / size, 1.0) if size else None
    eta = (size - records) / rate if size and rate and records < size else None
    age = (now - run.heartbeat_at).total_seconds() if run.heartbeat_at else None
    return Progress(records, run.pages, rate, age, share, eta)


_NOT_V4 = frozenset({"format.not-openaire-v4", "format.unreadable"})


def compliance_report(source: Source, *, limit: int = 2000) -> ComplianceReport:
    """The OpenAIRE Guidelines v4 report (mandatory fields, and the bundled XSD for records in
    the v4 format) over the source's ``limit`` most recently changed live records, each parsed
    again from its stored XML."""
    report = ComplianceReport()
    rows = (
        RawRecord.objects.filter(source=source, deleted=False)
        .order_by("-changed_at")
        .values_list("xml", flat=True)[:limit]
    )
    for xml in rows.iterator(chunk_size=500):
        try:
            element = xmlsafe.parse(xml.encode("utf-8"))
        except xmlsafe.XmlError:
            continue  # stored XML was parsed once already; nothing to report on
        findings = check_openaire_v4(element)
        v4 = not any(f.code in _NOT_V4 for f in findings)
        report.add(findings, validate_xsd(element) if v4 else ())
    return report


def source_counts(source: Source) -> dict[str, int]:
    raw = RawRecord.objects.filter(source=source)
    return {
        "records": raw.count(),
        "deleted": raw.filter(deleted=True).count(),
        "failed": raw.exclude(error="").count(),
        "parsed": source.records.count(),
    }
