"""The ceiling for resolving over HTTP on this machine: a bare WSGI app, no Django, no database.

    gunicorn bench.ceiling:app          (with BENCH_CEILING_NAMES=<file>)

It answers ``GET /ark:99999/<name>`` with ``302 Found`` and the ``Location`` held for ``<name>`` in
an in-memory dict, and anything else with ``404``. ``bench/resolve.py`` serves it with the same
gunicorn and the same worker settings as the service, so the difference between the two is what
the service's own code costs.

The dict is loaded once per worker from ``BENCH_CEILING_NAMES``: one ``<name>\\t<target>`` line per
ARK (the bench writes it from the seeded database, so both apps serve the same million names).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PREFIX = "/ark:99999/"
NOT_FOUND = b"not found\n"


def load(path: str) -> dict[str, str]:
    with Path(path).open(encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f)


TARGETS: dict[str, str] = (
    load(os.environ["BENCH_CEILING_NAMES"]) if os.environ.get("BENCH_CEILING_NAMES") else {}
)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith(PREFIX):
        target = TARGETS.get(path[len(PREFIX) :])
        if target is not None:
            start_response(
                "302 Found",
                [
                    ("Location", target),
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", "0"),
                ],
            )
            return [b""]
    start_response(
        "404 Not Found",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(NOT_FOUND)))],
    )
    return [NOT_FOUND]


application = app
