"""Reads for operators: the pipeline's progress, in a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Model, Q

from aggregation.models import HarvestRun, RawRecord, Work


@dataclass(frozen=True)
class Progress:
    runs: dict[str, int]  # every status, zero included
    records: dict[str, int]  # live, deleted
    dedup_pending: int
    works: dict[str, int]  # every status, zero included


def progress() -> Progress:
    deleted = _count_by(RawRecord, "deleted")
    # What dedup's next run would take up (aggregation.identity.changed_records), and what a
    # stopped run left matched but without its work (Membership.pending).
    pending = RawRecord.objects.filter(
        Q(membership__isnull=True)
        | ~Q(membership__content_hash=F("content_hash"))
        | ~Q(membership__deleted=F("deleted"))
        | Q(membership__pending=True)
    )
    return Progress(
        runs={**dict.fromkeys(HarvestRun.Status.values, 0), **_count_by(HarvestRun, "status")},
        records={"live": deleted.get(False, 0), "deleted": deleted.get(True, 0)},
        dedup_pending=pending.count(),
        works={**dict.fromkeys(Work.Status.values, 0), **_count_by(Work, "status")},
    )


def _count_by(model: type[Model], field: str) -> dict[Any, int]:
    rows = model._default_manager.values(field).annotate(n=Count("pk")).order_by()
    return dict(rows.values_list(field, "n"))
