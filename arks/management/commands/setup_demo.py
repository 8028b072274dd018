"""setup_demo: on an empty database, create the demo NAAN, shoulder, API key and superuser."""

from typing import Any

from arks.demo import create_demo_setup
from arks.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Create the demo set-up on an empty database; do nothing otherwise."

    def handle(self, *args: Any, **opts: Any) -> None:
        demo = create_demo_setup()
        if demo is None:
            self.stdout.write("Database already set up; demo set-up skipped.")
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
