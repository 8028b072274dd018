"""What the stage after a harvest (dedup and identity) did, in words: the outcome noted on a run
(``services.run_next_stage``) as ``manage.py harvest``, ``manage.py dedup`` and the admin say it.

Pure of Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def work_counts(report: Mapping[str, Any]) -> str:
    """A dedup report's changes to works (``identity.DedupReport.as_dict()``). "Split apart
    again" counts merged works that came back because their records split away; ARKs put back
    are named only when there are some."""
    n = lambda name: int(report.get(name) or 0)  # noqa: E731
    restored = n("restored")  # works' ARKs something other than dedup had changed
    return (
        f"{n('new_works'):,} works created, {n('adopted'):,} adopted ARKs, "
        f"{n('merged'):,} merged, {n('revived'):,} split apart again, "
        f"{n('withdrawn'):,} tombstoned, {n('updated'):,} updated, "
        f"{n('held'):,} groups held for review"
    ) + (f"; {restored:,} ARKs put back after changes made outside dedup" if restored else "")


def describe(outcome: Mapping[str, Any]) -> str:
    """The next stage of a run: not sent, queued, done (and what it did), or why it did not
    run."""
    state = outcome.get("state")
    at = outcome.get("at", "")
    if state == "done":
        report = outcome.get("report") or {}
        return (
            f"done at {at}: {int(report.get('matched_records') or 0):,} records matched; "
            + work_counts(report)
        )
    if state == "queued":
        return f"queued at {at} for a Celery worker"
    if state in ("not run", "failed"):
        return f"{state} at {at}: {outcome.get('error', '')}"
    return "not sent (the run did not succeed)"
