"""Reads of the aggregation layer: runs, their progress, per-source reports, and works."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aggregation import xmlsafe
from aggregation.dedup import Decision
from aggregation.formats import detect_pid
from aggregation.formats.compliance import ComplianceReport, check_openaire_v4, validate_xsd
from aggregation.models import HarvestRun, HeldGroup, Match, Membership, RawRecord, Source, Work
from arks.domain import ark as arkdomain
from arks.errors import NotFound

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


def held_run(source: Source) -> HarvestRun | None:
    """The source's run held by the quality gate, if any (it blocks further runs)."""
    return source.runs.filter(status=Status.HELD).order_by("-id").first()


def running_on(host: str) -> QuerySet[HarvestRun]:
    """Running runs whose owner process ran on ``host`` (it can be checked from here)."""
    return HarvestRun.objects.filter(status=Status.RUNNING, owner_host=host)


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


def withdrawal_list(run: HarvestRun) -> QuerySet[RawRecord]:
    """``withdrawal_candidates`` for showing: by OAI identifier, with the parsed title, without
    the stored XML."""
    return (
        withdrawal_candidates(run)
        .select_related("record")
        .only("oai_identifier", "datestamp", "last_run_id", "record__title")
        .order_by("oai_identifier", "pk")
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


# --- works -------------------------------------------------------------------------------------


def works(*, source: str | None = None, q: str | None = None) -> QuerySet[Work]:
    """Works that are live, withdrawn or merged, newest first; with ``source`` (a source's name)
    those with a record from it, with ``q`` those whose title or a member's PID holds it."""
    found = Work.objects.select_related("ark", "merged_into__ark")
    if source is not None:
        if not Source.objects.filter(name=source).exists():
            raise NotFound(f"no source is named {source!r}", field="source")
        found = found.filter(
            Exists(Membership.objects.filter(work=OuterRef("pk"), raw__source__name=source))
        )
    if q:
        pid = detect_pid(q.strip())
        if pid is not None and pid.kind != "url":  # a PID in any form: that PID exactly
            match = with_pid(str(pid), field="raw__record__pids")
        else:
            match = Q(raw__record__pids__icontains=q)
        by_pid = Membership.objects.filter(match, work=OuterRef("pk"))
        found = found.filter(Q(title__icontains=q) | Exists(by_pid))
    return found.order_by("-id")


def with_pid(pid: str, *, field: str = "pids") -> Q:
    """Records whose ``pids`` (normalised PIDs separated by spaces) hold ``pid`` as a whole:
    ``doi:10.5072/1000`` is not found in ``doi:10.5072/100044``."""
    return (
        Q(**{field: pid})
        | Q(**{f"{field}__startswith": f"{pid} "})
        | Q(**{f"{field}__endswith": f" {pid}"})
        | Q(**{f"{field}__contains": f" {pid} "})
    )


def work_for_ark(text: str) -> Work:
    """The Work whose ARK is ``text`` (any equivalent form). Raises ``InvalidArk``/``NotFound``."""
    key = arkdomain.normalize(text)
    work = Work.objects.select_related("ark", "merged_into__ark").filter(ark__key=key).first()
    if work is None:
        raise NotFound(f"{key} is not the ARK of an aggregated work", field="ark")
    return work


@dataclass(frozen=True)
class WorkMember:
    record: int
    source: str
    oai_identifier: str
    title: str
    pids: list[str]
    live: bool
    isolated: bool


@dataclass(frozen=True)
class WorkExplanation:
    """Why the members are one Work: the matched pairs among them (rule and scores, or the
    curator who joined them and why), and the groups held for review that touch them."""

    members: list[WorkMember]
    matches: list[dict[str, object]]
    held: list[HeldGroup]
    merged_works: list[str]


def explain_work(work: Work) -> WorkExplanation:
    rows = (
        Membership.objects.filter(work=work)
        .order_by("raw_id")
        .values_list(
            "raw_id", "raw__source__name", "raw__oai_identifier", "raw__record__title",
            "raw__record__pids", "live", "isolated",
        )
    )  # fmt: skip
    members = [
        WorkMember(pk, source, oai_id, title or "", (pids or "").split(), live, isolated)
        for pk, source, oai_id, title, pids, live, isolated in rows
    ]
    ids = [m.record for m in members]
    named = {m.record: m.oai_identifier for m in members}
    labels = {m.record: f"{m.source}: {m.oai_identifier}" for m in members}
    matches = [
        {
            "a": named[m.a_id],
            "b": named[m.b_id],
            "a_label": labels[m.a_id],
            "b_label": labels[m.b_id],
            "rule": m.rule,
            "scores": m.scores,
            "curator": m.curator,
            "actor": m.actor,
            "note": m.note,
            "explained": Decision("match", m.rule, m.scores).explain()
            if not m.curator
            else f"joined by {m.actor}: {m.note}",
        }
        # Each pair is one row (stored with a < b), so each is named once.
        for m in Match.objects.filter(a_id__in=ids, b_id__in=ids).order_by("a_id", "b_id")
    ]
    held = [g for g in HeldGroup.objects.filter(open=True) if set(g.members) & set(ids)]
    merged = list(work.merged_works.order_by("pk").values_list("ark__ark", flat=True))
    return WorkExplanation(members, matches, held, merged)


def record_labels(records: Iterable[int]) -> dict[int, str]:
    """Harvested records as people name them: ``source: OAI identifier``."""
    return {
        pk: f"{source}: {identifier}"
        for pk, source, identifier in RawRecord.objects.filter(pk__in=set(records)).values_list(
            "pk", "source__name", "oai_identifier"
        )
    }
