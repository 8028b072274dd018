#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pidsvc.settings")
    from django.core.management import execute_from_command_line

    from pidsvc.startup import settings_or_exit

    settings_or_exit(sys.argv)  # a missing or malformed variable: one line, not a traceback

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
