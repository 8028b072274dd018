"""Celery tasks of the identifier layer: thin callers of the services, ids in."""

from __future__ import annotations

from celery import shared_task

from arks import services
from arks.api import rate_counters
from arks.models import Shoulder


@shared_task(acks_late=True)
def mint_arks(shoulder_id: int, count: int, actor: str, target: str = "") -> list[str]:
    """Mint ``count`` ARKs in the background (large scripted mints); returns the ARKs."""
    shoulder = Shoulder.objects.select_related("naan").get(pk=shoulder_id)
    data = services.ArkData(target=target)  # public with a target, else reserved
    return [
        ark.ark for ark in services.mint(shoulder=shoulder, actor=actor, data=data, count=count)
    ]


@shared_task(acks_late=True)
def purge_idempotency_records() -> int:
    """Scheduled hourly (django-celery-beat, migration 0005): forget old API answers."""
    return services.purge_idempotency_records()


@shared_task(acks_late=True)
def purge_rate_counters() -> int:
    """Scheduled hourly (django-celery-beat, migration 0009): drop counters of past windows."""
    return rate_counters.purge_expired()
