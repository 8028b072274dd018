"""export_arks --org NAME [--naan N] [--shoulder S] [--state S] [--format F] [--output FILE]."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arks import export, selectors
from arks.management.base import ServiceCommand
from arks.models import Ark


class Command(ServiceCommand):
    help = (
        "Write every ARK an organisation may read (its shoulders; for a NAAN holder, its NAANs) "
        "as ANVL, CSV or JSON Lines, to a file or to standard output."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation whose ARKs to export")
        parser.add_argument("--naan", help="only the ARKs of this NAAN")
        parser.add_argument("--shoulder", help="only the ARKs of this shoulder (ark:NAAN/PREFIX)")
        parser.add_argument("--state", choices=Ark.State.values)
        parser.add_argument("--format", choices=sorted(export.FORMATS), default="jsonl")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = selectors.find_organization(opts["org"])
        shoulder = None
        if opts["shoulder"]:
            shoulder = selectors.shoulder_for(organization=org, text=opts["shoulder"])
        arks = selectors.arks_for(organization=org, shoulder=shoulder, state=opts["state"])
        if opts["naan"]:
            arks = arks.filter(naan=selectors.find_naan(opts["naan"]).naan)
        counted = [0]

        def each() -> Iterator[Ark]:
            for ark in selectors.each_ark(arks):
                counted[0] += 1
                yield ark

        chunks = export.encoded(export.FORMATS[opts["format"]].render(each()))
        if not opts["output"]:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        # Written beside the file and renamed when complete: a failed export leaves no file
        # that looks whole.
        output = Path(opts["output"])
        partial = output.with_name(output.name + ".partial")
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        partial.replace(output)
        self.stderr.write(f"{counted[0]} ARKs written to {opts['output']}")
