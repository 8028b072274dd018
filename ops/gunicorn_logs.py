"""gunicorn's own log lines (its error log, and its access log when one is asked for) as JSON
objects, like the application's: ``logger_class`` in ``gunicorn.conf.py`` with
``PIDSVC_LOG_FORMAT=json``. Only the formatter changes; where lines go, and whether there is
an access log at all, stay as gunicorn's settings say."""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from ops.logs import JsonFormatter


class JsonLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
