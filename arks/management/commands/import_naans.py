"""import_naans FILE: import the public NAAN registry (ANVL naan_registry.txt or JSON)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from arks import services
from arks.domain.naan_registry import RegistryFormatError, parse_registry
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Import the public NAAN registry (naan_registry.txt or naan_records.json), in place."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            records = parse_registry(opts["file"].read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from None
        except RegistryFormatError as exc:
            raise CommandError(f"{opts['file']}: {exc}") from None
        created, updated = services.import_registry(records)
        self.stdout.write(f"{len(records)} records: {created} new, {updated} updated")
