"""add_source NAME --url URL [--prefix oai_dc] [--set SPEC]: register a harvest source."""

from argparse import ArgumentParser
from typing import Any

from aggregation import services
from aggregation.management.base import ServiceCommand
from aggregation.models import Source


class Command(ServiceCommand):
    help = (
        "Register an OAI-PMH source: a base URL, or the absolute path of a folder of OAI-PMH XML "
        "pages for offline ingest. Harvest it with `manage.py harvest NAME`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--url", required=True, help="OAI-PMH base URL, or a folder path")
        parser.add_argument("--prefix", default="oai_dc", help="metadataPrefix (oai_dc)")
        parser.add_argument("--set", default="", dest="set_spec", help="setSpec to harvest")
        parser.add_argument("--type", default="", choices=["", *Source.RepositoryType.values])
        parser.add_argument("--country", default="", help="ISO 3166-1 alpha-2, e.g. AR")
        parser.add_argument("--schedule", default="", help="cron, UTC, e.g. '0 3 * * *'")
        parser.add_argument("--max-withdrawal-percent", type=int, default=None,
                            help="the quality gate's share for this source")  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        source = services.create_source(
            name=opts["name"],
            url=opts["url"],
            metadata_prefix=opts["prefix"],
            set_spec=opts["set_spec"],
            repository_type=opts["type"],
            country=opts["country"],
            max_withdrawal_percent=opts["max_withdrawal_percent"],
            schedule=opts["schedule"],
        )
        what = f"set {source.set_spec} of " if source.set_spec else ""
        self.stdout.write(
            f"source {source.name!r}: {what}{source.url} ({source.metadata_prefix})"
            + (f", harvested at '{opts['schedule']}' UTC" if opts["schedule"] else "")
        )
