"""Shared behaviour of the aggregation layer's management commands."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from aggregation.errors import (
    CurationRefused,
    HarvestConflict,
    IdentityNotConfigured,
    InvalidSource,
)
from aggregation.models import Source
from arks.management.base import ServiceCommand as IdentifierCommand


class ServiceCommand(IdentifierCommand):
    """The identifier layer's command behaviour (one-line errors, exit status 1, the actor),
    extended to the aggregation layer's expected failures."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (HarvestConflict, InvalidSource) as exc:
            raise CommandError(exc.message) from None
        except (IdentityNotConfigured, CurationRefused) as exc:
            raise CommandError(str(exc)) from None
        except Source.DoesNotExist:
            raise CommandError(
                "no source of that name (manage.py add_source creates one)"
            ) from None
