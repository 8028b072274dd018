"""harvest NAME [--full]: harvest a source in the foreground, with a progress bar.

Exit status: 0 when the run succeeded, 1 when it failed (the message says why; harvesting again
resumes it), 2 when the quality gate held it (release or discard it in the admin).
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError

from aggregation import selectors, services, stage
from aggregation.management.base import ServiceCommand
from aggregation.models import HarvestRun

BAR = 30


class Command(ServiceCommand):
    help = (
        "Harvest a source now, in this process: incremental (from the last successful harvest) "
        "unless --full. A failed run of the same mode is resumed from its checkpoint."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--full", action="store_true", help="list everything; withdraw "
                            "what is no longer listed (through the quality gate)")  # fmt: skip

    def handle(self, *args: Any, **opts: Any) -> None:
        source = selectors.find_source(opts["name"])
        self.tty = sys.stdout.isatty()
        try:
            run = services.harvest_in_foreground(
                source=source, full=opts["full"], actor=self.actor(), on_progress=self.show
            )
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted: the run of {source} stopped after its last stored page; "
                "run the same command again to resume it",
                returncode=130,  # as a shell reports SIGINT
            ) from None
        if self.tty:
            self.stdout.write("")
        self.stdout.write(f"run #{run.pk}: {run.status} — {counters(run)}")
        if run.status == HarvestRun.Status.SUCCEEDED:
            self.stdout.write(next_stage(run))
        if run.status == HarvestRun.Status.FAILED:
            last = run.errors[-1]["message"] if run.errors else "unknown error"
            raise CommandError(f"harvest of {source} failed: {last}")
        if run.status == HarvestRun.Status.HELD:
            self.stderr.write("held by the quality gate: " + "; ".join(run.gate["reasons"]))
            self.stderr.write("release or discard it in the admin (Harvest runs)")
            sys.exit(2)

    def show(self, run: HarvestRun) -> None:
        progress = selectors.progress(run)
        line = f"page {run.pages:,} · {progress.records:,} records · {progress.rate:,.0f}/s"
        if progress.share is not None:
            filled = round(progress.share * BAR)
            line = f"[{'#' * filled}{'-' * (BAR - filled)}] {progress.share:4.0%} " + line
            line += f" of {run.complete_list_size:,}"
        if progress.eta is not None:
            line += f" · ETA {timedelta(seconds=round(progress.eta))}"
        self.stdout.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.stdout.flush()


def next_stage(run: HarvestRun) -> str:
    line = "next stage (dedup and identity): " + stage.describe(run.next_stage)
    if run.next_stage.get("state") == "queued":
        line += f"; its outcome will show on run #{run.pk}'s admin page"
    return line


def counters(run: HarvestRun) -> str:
    return (
        f"{run.records_new:,} new, {run.records_updated:,} updated, "
        f"{run.records_deleted:,} deleted, {run.records_unchanged:,} unchanged, "
        f"{run.records_failed:,} failed in {run.pages:,} page{'' if run.pages == 1 else 's'}"
    )
