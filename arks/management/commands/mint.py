"""mint ark:NAAN/PREFIX [--count N] [--target URL]: mint ARKs, printed one per line."""

from argparse import ArgumentParser
from typing import Any

from arks import selectors, services
from arks.management.base import ServiceCommand
from arks.models import Ark


class Command(ServiceCommand):
    help = (
        "Mint ARKs under a shoulder. With --target they are public unless --state says otherwise."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("shoulder", help="e.g. ark:99999/fk4")
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument("--target", default="")
        parser.add_argument("--state", choices=[Ark.State.RESERVED, Ark.State.PUBLIC])
        parser.add_argument("--what", default="", help="title (ERC what)")

    def handle(self, *args: Any, **opts: Any) -> None:
        shoulder = selectors.find_shoulder(opts["shoulder"])
        # No --state: the service's rule (public with a target, else reserved).
        data = services.ArkData(target=opts["target"], state=opts["state"], what=opts["what"])
        remaining = opts["count"]
        while remaining > 0:  # batches keep each transaction and its memory bounded
            batch = min(remaining, services.MAX_BATCH)
            arks = services.mint(shoulder=shoulder, actor=self.actor(), data=data, count=batch)
            self.stdout.write("\n".join(ark.ark for ark in arks))
            remaining -= batch
