"""dedup [--source NAME] [--full]: match changed records and give them their Works, in the
foreground with a progress bar. Exit status 1 (with the reason) when it cannot run."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from aggregation import identity, selectors, stage
from aggregation.management.base import ServiceCommand

BAR = 30


class Command(ServiceCommand):
    help = (
        "Deduplicate the harvested records that changed since the last run (all records with "
        "--full) and keep each Work's ARK stable: new works get ARKs, merged works resolve "
        "through their survivor, withdrawn works become tombstones."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--source", help="match only this source's records (by name)")
        parser.add_argument(
            "--full", action="store_true", help="match every record again, not only the changed"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        source = selectors.find_source(opts["source"]) if opts["source"] else None
        self.tty = sys.stdout.isatty()
        self.stage = ""
        report = identity.run_dedup(
            source=source, full=opts["full"], actor=self.actor(), progress=self.show
        )
        if self.tty and self.stage:
            self.stdout.write("")
        self.stdout.write(
            f"{report.matched_records:,} records matched ({report.compared:,} comparisons, "
            f"{report.matches:,} matching pairs); {report.grouped_records:,} records grouped: "
            + stage.work_counts(report.as_dict())
        )

    def show(self, stage: str, done: int, total: int) -> None:
        if self.tty and self.stage and stage != self.stage:
            self.stdout.write("")
        self.stage = stage
        share = done / total if total else 1.0
        filled = round(share * BAR)
        line = f"{stage:9} [{'#' * filled}{'-' * (BAR - filled)}] {share:4.0%} {done:,}/{total:,}"
        self.stdout.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.stdout.flush()
