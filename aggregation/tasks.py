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

from aggregation import services
from aggregation.errors import TransientHarvestError
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
    identity, its outcome noted on the run (``services.run_next_stage``)."""
    return services.run_next_stage(run_id=run_id)


@shared_task(acks_late=True)
def harvest_source(source_id: int, full: bool = False) -> int | None:
    """What a source's periodic task (django-celery-beat) runs: queue a harvest of it."""
    run = services.scheduled_harvest(source_id=source_id, full=full)
    return run.pk if run else None


@shared_task(acks_late=True)
def sweep_stale_runs() -> int:
    """Scheduled every 5 minutes (migration 0002): fail runs whose heartbeat went stale."""
    return services.fail_stale_runs()
