"""delegate_shoulder ark:NAAN/PREFIX --org NAME [--template eedk]: delegate a shoulder."""

from argparse import ArgumentParser
from typing import Any

from arks import selectors, services
from arks.access import is_works_shoulder
from arks.domain.ark import parse
from arks.errors import NotFound
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Delegate the shoulder ark:NAAN/PREFIX to an organisation. The organisation and the NAAN "
        "are created when missing (the organisation then holds the NAAN). The works shoulder "
        "(PIDSVC_WORKS_SHOULDER) goes only to this node's own organisation: the first "
        "organisation it is delegated to becomes that."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("shoulder", help="e.g. ark:99999/fk4")
        parser.add_argument("--org", required=True, help="organisation it is delegated to")
        parser.add_argument("--template", default="zeedk", help="NOID mask (default zeedk)")
        parser.add_argument("--test", action="store_true", help="mark it as a test shoulder")
        parser.add_argument("--statement", default="", help="persistence statement")

    def handle(self, *args: Any, **opts: Any) -> None:
        text = opts["shoulder"]
        parsed = parse(text if "ark:" in text.lower() else f"ark:{text}")
        org = services.ensure_organization(name=opts["org"])
        try:
            naan = selectors.find_naan(parsed.naan)
        except NotFound:
            naan = services.register_naan(naan=parsed.naan, holder=org)
        shoulder = services.delegate_shoulder(
            naan=naan,
            prefix=parsed.name,
            organization=org,
            template=opts["template"],
            is_test=opts["test"],
            persistence_statement=opts["statement"],
        )
        line = f"{shoulder} delegated to {org.name} (template {shoulder.template})"
        if is_works_shoulder(shoulder):
            line += f"; {org.name} is this node's organisation, which holds the works' ARKs"
        self.stdout.write(line)
