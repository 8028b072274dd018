"""Shared behaviour of the identifier layer's management commands."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arks.errors import IdentifierError, InvalidArk


class ServiceCommand(BaseCommand):
    """A command whose expected failures end it with exit status 1 and a one-line message."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (IdentifierError, InvalidArk) as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def actor() -> str:
        """Who did it, for the ARK history: the operating-system user running the command."""
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"
