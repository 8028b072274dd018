"""Shared behaviour of the aggregation layer's management commands."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aggregation.errors import HarvestConflict, InvalidSource
from aggregation.models import Source


class ServiceCommand(BaseCommand):
    """A command whose expected failures end it with exit status 1 and a one-line message."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (HarvestConflict, InvalidSource) as exc:
            raise CommandError(exc.message) from None
        except Source.DoesNotExist:
            raise CommandError(
                "no source of that name (manage.py add_source creates one)"
            ) from None

    @staticmethod
    def actor() -> str:
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"
