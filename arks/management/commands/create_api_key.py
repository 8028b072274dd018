"""create_api_key --org NAME: issue an API key; the key alone is printed on the last line."""

from argparse import ArgumentParser
from typing import Any

from arks import selectors, services
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Issue an API key for an organisation. Only its hash is stored: copy it now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--name", default="", help="a label for the key")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = selectors.find_organization(opts["org"])
        api_key, key = services.issue_api_key(organization=org, name=opts["name"] or "command line")
        self.stderr.write(f"API key {api_key.prefix}… for {org.name}; it will not be shown again:")
        self.stdout.write(key)
