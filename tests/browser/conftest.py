"""Browser tests: headless Chromium, driven by Selenium, against the real service under gunicorn.

``live_service`` is the base URL (``http://127.0.0.1:PORT/``) of ``gunicorn pidsvc.wsgi`` run in
a child process on the current test database, with DEBUG off and collected static files, as in
production. It brings ``transactional_db``, so what a test writes is committed and the service
sees it; mark such tests ``@pytest.mark.django_db(transaction=True)`` to say so.

``browser`` is a Selenium Chrome WebDriver on Debian's /usr/bin/chromium and /usr/bin/chromedriver
(``make browser`` installs them). When they are missing the test fails, naming ``make browser``;
it never skips. Nothing is downloaded: the driver's path is given, so Selenium Manager is not run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import support

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = support.ROOT / "var" / "screenshots"

# Selenium Manager must never fetch a browser or driver (only used if no driver path were given).
os.environ["SE_OFFLINE"] = "true"

# As root in a container Chromium needs --no-sandbox; the rest keep it off the (closed) network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def _answers(url: str) -> bool:
    """Whether a worker answers HTTP (any status): gunicorn's master listens before its workers
    have loaded Django, so an open port alone proves little."""
    try:
        with _NO_PROXY.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _log_tail(log: Path, limit: int = 6000) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text[-limit:] or "(nothing)"


class _Service:
    def __init__(self, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.proc, self.log = url, proc, log
        self.test_started_at = 0  # offset in the log where the current test began

    def log_since_test_started(self, limit: int = 6000) -> str:
        with self.log.open("rb") as f:
            f.seek(self.test_started_at)
            text = f.read().decode(errors="replace")
        return text[-limit:] or "(nothing)"

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(
                f"the service at {self.url} died (exit {self.proc.returncode}); its output:\n"
                f"{_log_tail(self.log)}",
                pytrace=False,
            )


@pytest.fixture(scope="session")
def _service_process(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Service]:
    """One gunicorn for the session, started after the test database exists (so ``child_env``
    names it) and stopped before it is dropped."""
    var_dir = tmp_path_factory.mktemp("live-service-var")
    log = var_dir / "service.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = support.child_env(
        DEBUG="false",
        SECRET_KEY="browser-tests-only-secret-key",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PIDSVC_PUBLIC_URL=url,
        # STATIC_ROOT is VAR_DIR/static; DATABASE_URL (from child_env) stays the test database.
        PIDSVC_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
    )
    collect = subprocess.run(
        support.manage("collectstatic", "--noinput", "-v", "0"),
        env=env,
        cwd=support.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if collect.returncode != 0:
        pytest.fail(f"collectstatic failed:\n{collect.stdout}\n{collect.stderr}", pytrace=False)

    cmd = [sys.executable, "-m", "gunicorn", "pidsvc.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", "2", "--access-logfile", "-", "--error-logfile", "-"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=support.ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    service = _Service(url, proc, log)
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}admin/login/"):
            service.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the service did not answer on {url} within 30 s; its output:\n"
                    f"{_log_tail(log)}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield service
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def live_service(_service_process: _Service, transactional_db: None) -> Iterator[str]:
    """The base URL of the running service, ending in ``/``. Rows the test creates are committed
    (``transactional_db``), so the service sees them."""
    _service_process.check_alive()
    _service_process.test_started_at = _service_process.log.stat().st_size
    yield _service_process.url
    _service_process.check_alive()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """A headless Chromium, 1280x900, with a fresh profile; quit at the end."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"browser tests need {' and '.join(missing)} (Debian's chromium and chromium-driver)."
            " Run `make browser` (as root it installs them with apt-get).",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(
        prefix="pidsvc-chromium-", ignore_cleanup_errors=True
    ) as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """When a browser test fails, the report shows what the browser showed (a screenshot) and
    what the service logged meanwhile (a 500's traceback, say)."""
    report = yield
    service = getattr(item, "funcargs", {}).get("_service_process")
    if report.when == "call" and report.failed and isinstance(service, _Service):
        report.sections.append(("service log", service.log_since_test_started()))
    driver = getattr(item, "funcargs", {}).get("browser")
    if report.when == "call" and report.failed and driver is not None:
        try:
            path = screenshot(driver, f"FAILED-{item.name}")
            report.sections.append(("browser", f"screenshot: {path}\nurl: {driver.current_url}"))
        except Exception as exc:  # the browser may be what broke
            report.sections.append(("browser", f"no screenshot: {exc}"))
    return report


def screenshot(driver: WebDriver, name: str) -> Path:
    """Saves what the browser shows as var/screenshots/NAME.png (for people reading failures)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    if not driver.save_screenshot(str(path)):
        raise AssertionError(f"could not save a screenshot to {path}")
    return path
