"""pidsvc: a persistent-identifier service that mints and resolves ARKs."""

from pidsvc.celery import app as celery_app

__all__ = ["celery_app"]
