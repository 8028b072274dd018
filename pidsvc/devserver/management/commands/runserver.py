"""runserver: Django's development server, handing the application the request target exactly
as the client sent it (``RAW_URI``), as gunicorn does.

Django's own server passes only the decoded path and splits the query off, so ``/ark%3A…%2F…``
arrives as ``/ark:…/…`` and a bare ``?`` (an inflection asking for a description) cannot be told
from no query at all: the resolver would answer differently from production. ``make run`` serves
through gunicorn; this keeps ``manage.py runserver`` answering the same.

The app must come before ``whitenoise.runserver_nostatic`` in ``INSTALLED_APPS`` (the first app
that defines a command wins); the command is WhiteNoise's, which leaves static files to WhiteNoise.
"""

from __future__ import annotations

from typing import Any

from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhiteNoiseRunserver,
)


class RawTargetRequestHandler(WSGIRequestHandler):
    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["RAW_URI"] = self.path  # the request line's target, not decoded
        return environ


class RawTargetWSGIServer(WSGIServer):
    def __init__(self, address: Any, handler_class: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(address, RawTargetRequestHandler, *args, **kwargs)


class Command(WhiteNoiseRunserver):
    server_cls = RawTargetWSGIServer
