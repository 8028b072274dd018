"""add_naan NAAN --org NAME [--forward-to URL]: register a NAAN held by an organisation."""

from argparse import ArgumentParser
from typing import Any

from arks import services
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Register a NAAN (created or updated). With --forward-to it is served by another node."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("naan")
        parser.add_argument("--org", required=True, help="holder organisation (created if missing)")
        parser.add_argument("--forward-to", default="", help="resolver URL or target template")
        parser.add_argument("--policy", default="", help="the holder's persistence statement")

    def handle(self, *args: Any, **opts: Any) -> None:
        holder = services.ensure_organization(name=opts["org"])
        naan = services.register_naan(
            naan=opts["naan"],
            holder=holder,
            forward_to=opts["forward_to"],
            policy_statement=opts["policy"],
        )
        where = f"forwarded to {naan.forward_to}" if naan.forward_to else "served here"
        self.stdout.write(f"NAAN {naan.naan} held by {holder.name}, {where}")
