"""Celery tasks of the aggregation pipeline: thin callers of ``aggregation.services``, ids in.

    harvest_source (beat, per source) ─▶ harvest_run ─▶ after_harvest (dedup and identity)
    sweep_stale_runs (beat, every 5 minutes)

All are idempotent and acknowledged late (a worker that dies mid-task leaves its message to be
delivered again; the run resumes from its checkpoint).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from aggregation import identity, services
from aggregation.errors import IdentityNotConfigured, TransientHarvestError
from aggregation.models import HarvestRun

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientHarvestError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=settings.PIDSVC_HARVEST_TASK_RETRIES,
)
def harvest_run(self, run_id: int) -> str:
    """Run one harvest; on success, chain the next stage on the queue this task came from."""
    last = self.request.retries >= self.max_retries
    run = services.run_harvest(run_id=run_id, final_attempt=last)
    if run.status == HarvestRun.Status.SUCCEEDED:
        queue = (self.request.delivery_info or {}).get("routing_key")
        after_harvest.apply_async(args=[run_id], queue=queue)
    return run.status


@shared_task(acks_late=True)
def after_harvest(run_id: int) -> dict[str, object] | None:
    """The next stage after a harvest run succeeded (or a held run was released): dedup and
    identity for the records that changed (``aggregation.identity``). Idempotent: a second
    delivery finds nothing left to do. A run that no longer exists means "all sources"."""
    run = HarvestRun.objects.select_related("source").filter(pk=run_id).first()
    try:
        report = identity.run_dedup(source=run.source if run else None)
    except IdentityNotConfigured as exc:
        # Nothing is lost: the records stay to be matched by the next run that can mint.
        log.error("dedup after harvest run %s did not run: %s", run_id, exc)
        return None
    log.info("dedup after harvest run %s: %s", run_id, report.as_dict())
    return report.as_dict()


@shared_task(acks_late=True)
def harvest_source(source_id: int, full: bool = False) -> int | None:
    """What a source's periodic task (django-celery-beat) runs: queue a harvest of it."""
    run = services.scheduled_harvest(source_id=source_id, full=full)
    return run.pk if run else None


@shared_task(acks_late=True)
def sweep_stale_runs() -> int:
    """Scheduled every 5 minutes (migration 0002): fail runs whose heartbeat went stale."""
    return services.fail_stale_runs()
