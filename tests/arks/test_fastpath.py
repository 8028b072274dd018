"""The WSGI fast path answers plain redirects exactly as the resolver view would, and hands
everything else to Django."""

from __future__ import annotations

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from arks import services, stats
from arks.fastpath import FastResolver
from tests import factories

pytestmark = pytest.mark.django_db
TARGET = "https://repo.example.org/item/1"


class Spy:
    """The Django application, counting the requests the fast path handed to it."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def call(app, raw: str, *, method: str = "GET", host: str = "127.0.0.1"):
    path, _, query = raw.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.replace("%3A", ":").replace("%3a", ":"),
        "QUERY_STRING": query,
        "RAW_URI": raw,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    b"".join(app(environ, start_response))
    headers = seen["headers"]
    return int(seen["status"].split()[0]), headers.get("Location"), headers.get("Link")


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: a request's end must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def arks():
    shoulder = factories.shoulder("fk4")
    public = services.ArkData(target=TARGET, state="public")
    a, b, c, d = services.mint(shoulder=shoulder, actor="t", data=public, count=4)
    services.merge(ark=b, into=a, actor="t")
    services.tombstone(ark=c, actor="t", reason="gone")
    (reserved,) = services.mint(shoulder=shoulder, actor="t")
    return {"public": a, "merged": b, "withdrawn": c, "reserved": reserved, "other": d}


def test_fast_path_answers_plain_redirects_like_the_view(arks):
    spy = Spy()
    fast = FastResolver(spy)
    name = arks["public"].ark.removeprefix("ark:99999/")
    for raw in [
        f"/{arks['public'].ark}",
        f"/ark:/99999/{name}",
        f"/ARK:/99999/{'-'.join(name)}",
        f"/ark%3A99999/{name}",
        f"/{arks['public'].ark}/chapter-2.pdf",
        f"/{arks['merged'].ark}",
    ]:
        before = spy.calls
        assert call(fast, raw) == call(spy.django, raw), raw
        assert spy.calls == before, f"{raw} went to Django"
        assert call(fast, raw)[0] == 302


def test_everything_else_goes_to_django_unchanged(arks):
    spy = Spy()
    fast = FastResolver(spy)
    for raw, method in [
        (f"/{arks['public'].ark}?info", "GET"),
        (f"/{arks['public'].ark}?", "GET"),
        (f"/{arks['public'].ark}?x=1", "GET"),
        (f"/{arks['withdrawn'].ark}", "GET"),
        (f"/{arks['reserved'].ark}", "GET"),
        ("/ark:99999/fk4nothere", "GET"),
        ("/ark:12148/elsewhere", "GET"),
        ("/ark:99999/bad%zz", "GET"),
        (f"/{arks['public'].ark}", "POST"),
        ("/admin/", "GET"),
    ]:
        before = spy.calls
        assert call(fast, raw, method=method) == call(spy.django, raw, method=method), raw
        assert spy.calls == before + 1, f"{raw} was answered by the fast path"


def test_hosts_outside_allowed_hosts_are_refused_by_django(arks):
    spy = Spy()
    status, location, _ = call(FastResolver(spy), f"/{arks['public'].ark}", host="evil.example")
    assert (status, location, spy.calls) == (400, None, 1)


def test_fast_path_counts_resolutions(arks):
    stats.reset()
    call(FastResolver(Spy()), f"/{arks['public'].ark}")
    assert sum(stats.pending().values()) == 1
