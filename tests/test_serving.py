"""The ways of serving pidsvc answer as production does: ``make run``'s serving path
(``scripts/serve-dev``: gunicorn with a Celery worker beside it) and ``manage.py runserver`` are
compared, request by request, with the production gunicorn of ``tests/live.py``; and the links
the service writes follow the address it is bound to.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from arks.demo import create_demo_setup
from pidsvc.env import env_bound_url
from tests import support
from tests.live import _answers, _free_port, _log_tail

_NO_REDIRECTS = urllib.request.build_opener(
    urllib.request.ProxyHandler({}),
    type(
        "NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a: None}
    ),
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def fetch(url: str, *, method: str = "GET", key: str = "", body: object = None) -> Answer:
    """One request, redirects not followed; the raw target is sent as written in ``url``."""
    headers = {"Authorization": f"Token {key}"} if key else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _NO_REDIRECTS.open(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers), exc.read().decode())


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def _start(cmd: list[str], env: dict[str, str], log: Path, url: str) -> Server:
    with log.open("wb") as out:
        # In a process group of its own, as a command a terminal runs in the foreground.
        proc = subprocess.Popen(
            cmd, env=env, cwd=support.ROOT, stdout=out, stderr=subprocess.STDOUT, process_group=0
        )
    deadline = time.monotonic() + 90
    while not _answers(f"{url}admin/login/"):
        if proc.poll() is not None or time.monotonic() > deadline:
            support.stop(proc)
            pytest.fail(f"{cmd} did not serve on {url}:\n{_log_tail(log)}", pytrace=False)
        time.sleep(0.2)
    return Server(url, proc, log)


def _dev_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """As `make run` has it (DEBUG on), on the test database, with a var/ of its own, and no
    PIDSVC_PUBLIC_URL: the service must work out its own."""
    env = support.child_env(DEBUG="true", PIDSVC_VAR_DIR=str(tmp_path / "var"))
    for name in ("PIDSVC_PUBLIC_URL", "ALLOWED_HOSTS", "PIDSVC_BIND"):
        env.pop(name, None)
    return {**env, **extra}


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Server]:
    """``scripts/serve-dev``, which `make run` starts, bound with PIDSVC_BIND to a free port."""
    port = _free_port()
    env = _dev_env(tmp_path, PIDSVC_BIND=f"127.0.0.1:{port}")
    cmd = [sys.executable, str(support.ROOT / "scripts" / "serve-dev")]
    server = _start(cmd, env, tmp_path / "serve-dev.log", f"http://127.0.0.1:{port}/")
    try:
        yield server
    finally:
        support.stop(server.proc)


@pytest.fixture
def runserver(tmp_path: Path) -> Iterator[Server]:
    port = _free_port()
    cmd = support.manage("runserver", "--noreload", f"127.0.0.1:{port}")
    server = _start(
        cmd, _dev_env(tmp_path), tmp_path / "runserver.log", f"http://127.0.0.1:{port}/"
    )
    try:
        yield server
    finally:
        support.stop(server.proc)


def _demo_arks(base_url: str) -> tuple[str, str, str]:
    """The demo set-up, a public ARK and a withdrawn one, made through the API of ``base_url``;
    returns the key and the two ARKs."""
    demo = create_demo_setup()
    assert demo is not None
    key = demo.api_key
    mint = {"shoulder": "ark:99999/fk4", "target": "https://example.org/item/1"}
    public = fetch(f"{base_url}api/v1/arks", method="POST", key=key, body=mint)
    gone = fetch(f"{base_url}api/v1/arks", method="POST", key=key, body=mint)
    assert (public.status, gone.status) == (201, 201), (public.body, gone.body)
    public_ark, gone_ark = json.loads(public.body)["ark"], json.loads(gone.body)["ark"]
    withdrawn = fetch(f"{base_url}api/v1/arks/{gone_ark}?reason=Gone", method="DELETE", key=key)
    assert withdrawn.status == 200, withdrawn.body
    return key, public_ark, gone_ark


def _requests(public_ark: str, gone_ark: str) -> dict[str, str]:
    naan, name = public_ark.removeprefix("ark:").split("/", 1)
    return {
        "bare inflection": f"{public_ark}?",  # a description, not a redirect
        "double inflection": f"{public_ark}??",
        "info": f"{public_ark}?info",
        "plain": public_ark,
        "encoded whole": f"ark%3A{naan}%2F{name}",  # decoded once, as N2T does
        "encoded label": f"ark%3A{naan}/{name}",
        "encoded slash in the name": f"{public_ark}%2Fextra",  # part of the name, not a '/'
        "tombstone described": f"{gone_ark}?",
        "tombstone": gone_ark,
    }


def _assert_answers_as_production(server: Server, production: str, arks: tuple[str, str]) -> None:
    requests = _requests(*arks)
    answers = {}
    for case, target in requests.items():
        here, there = fetch(server.url + target), fetch(production + target)
        assert (here.status, here.headers.get("Location")) == (
            there.status,
            there.headers.get("Location"),
        ), f"{case} /{target}: {here.status} here, {there.status} under gunicorn\n" + _log_tail(
            server.log
        )
        answers[case] = here
    # What production answers, stated: inflections describe, escapes reach the resolver as sent,
    # a tombstone described is its landing page.
    public_ark = arks[0]
    for case in ("bare inflection", "double inflection", "info", "tombstone described"):
        assert answers[case].status == 200, case
    assert public_ark in answers["bare inflection"].body
    assert answers["tombstone"].status == 410
    plain = answers["plain"]
    assert plain.status == 302
    for case in ("encoded whole", "encoded label"):
        assert (answers[case].status, answers[case].headers["Location"]) == (
            302,
            plain.headers["Location"],
        ), case
    # Decoded by the server, the %2F would be a '/' and pass "/extra" on to the target.
    assert answers["encoded slash in the name"].status == 404


@pytest.mark.django_db(transaction=True)
def test_make_run_answers_as_production_and_links_name_its_port(
    make_run: Server, live_service: str
) -> None:
    key, public_ark, gone_ark = _demo_arks(make_run.url)
    _assert_answers_as_production(make_run, live_service, (public_ark, gone_ark))

    # Links follow PIDSVC_BIND, with no PIDSVC_PUBLIC_URL set.
    port = make_run.url.rsplit(":", 1)[1].rstrip("/")
    here = f"http://127.0.0.1:{port}/{public_ark}"
    minted = fetch(f"{make_run.url}api/v1/arks/{public_ark}", key=key)
    assert json.loads(minted.body)["url"] == here
    redirect = fetch(make_run.url + public_ark)
    assert redirect.headers["Link"] == f'<{here}>; rel="cite-as"'
    landing = fetch(f"{make_run.url}{public_ark}?info")
    assert f'<a class="ark" href="{here}">' in landing.body, landing.body
    assert "127.0.0.1:8000" not in landing.body + redirect.headers["Link"] + minted.body
    assert here in landing.headers["Link"]


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_make_run_web_server_and_worker(make_run: Server) -> None:
    first = make_run.log.read_text().splitlines()[0]
    pids = [int(p) for p in re.findall(r"(?:web|worker) pid (\d+)", first)]
    assert len(pids) == 2, first
    # The worker must have started before it is asked to stop: a worker interrupted during its
    # start-up exits without a warm shutdown, which is not what this test is about.
    deadline = time.monotonic() + 120
    while " ready." not in make_run.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert " ready." in make_run.log.read_text(), _log_tail(make_run.log)
    # A terminal's Ctrl-C: SIGINT to the foreground process group (the web server and the worker
    # have groups of their own, so that they hear it once, from serve-dev).
    os.killpg(make_run.proc.pid, signal.SIGINT)
    assert make_run.proc.wait(timeout=120) == 0, _log_tail(make_run.log)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    log = make_run.log.read_text()
    assert "Shutting down: Master" in log  # gunicorn stopped itself
    assert "Warm shutdown" in log  # and Celery too, not killed


@pytest.mark.django_db(transaction=True)
def test_runserver_answers_as_production(runserver: Server, live_service: str) -> None:
    _key, public_ark, gone_ark = _demo_arks(live_service)
    _assert_answers_as_production(runserver, live_service, (public_ark, gone_ark))


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8100", "http://127.0.0.1:8100/"),
        ("localhost", "http://localhost:8000/"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000/"),
        ("[::]:8100", "http://[::1]:8100/"),
        ("[2001:db8::1]:80", "http://[2001:db8::1]:80/"),
    ],
)
def test_the_public_url_defaults_to_the_bound_address(monkeypatch, bind, url) -> None:
    monkeypatch.setenv("PIDSVC_BIND", bind)
    assert env_bound_url("PIDSVC_BIND", "127.0.0.1:8000") == url


@pytest.mark.parametrize("bind", ["unix:/run/pidsvc.sock", "fd://3", "host:port", "h:8000/x"])
def test_a_bind_without_an_http_address_asks_for_the_public_url(monkeypatch, bind) -> None:
    monkeypatch.setenv("PIDSVC_BIND", bind)
    with pytest.raises(ImproperlyConfigured, match="PIDSVC_BIND"):
        env_bound_url("PIDSVC_BIND", "127.0.0.1:8000")
