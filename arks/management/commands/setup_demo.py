"""setup_demo: on an empty database, create the demo NAAN, shoulder, API key and superuser."""

from typing import Any

from arks import selectors
from arks.demo import DEMO_ORG, create_demo_setup
from arks.errors import NotFound
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Create the demo set-up on an empty database; do nothing otherwise."

    def handle(self, *args: Any, **opts: Any) -> None:
        demo = create_demo_setup()
        if demo is None:
            self.stdout.write(self._already_set_up())
            return
        self.stdout.write(
            "\n".join(
                [
                    "Demo set-up created. These secrets are shown once; copy them now.",
                    f"  admin user:  {demo.username}",
                    f"  password:    {demo.password}",
                    f"  shoulder:    {demo.shoulder} (delegated to the demo institution)",
                    f"  API key:     {demo.api_key}",
                ]
            )
        )

    @staticmethod
    def _already_set_up() -> str:
        """What to run instead: the password and key were shown once, when they were made."""
        try:
            org = f'"{selectors.find_organization(DEMO_ORG).name}"'
        except NotFound:
            org = '"ORGANISATION"'
        return "\n".join(
            [
                "Database already set up; demo set-up skipped (its secrets were shown once).",
                "  a new admin password:  .venv/bin/python manage.py changepassword admin",
                f"  a new API key:         .venv/bin/python manage.py create_api_key --org {org}",
            ]
        )
