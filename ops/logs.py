"""Log lines as JSON objects (``PIDSVC_LOG_FORMAT=json``), one per line, for log collectors.

Pure Python, importing nothing of Django, so that gunicorn's own configuration can use it too.
Every line has ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; Django's
request log records (4xx and 5xx answers) and gunicorn's access log add ``method``, ``path``
and ``status``; a record with an exception adds ``exception`` (the traceback as text).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request", None)
        if request is not None:  # django.request and django.security records carry the request
            line["method"] = getattr(request, "method", None)
            line["path"] = getattr(request, "path", None)
        status = getattr(record, "status_code", None)
        if status is not None:
            line["status"] = status
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            # gunicorn's access record: its arguments are the access-log atoms.
            atoms = record.args
            line["method"], line["path"] = atoms["m"], atoms["U"]
            line["status"] = int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)
