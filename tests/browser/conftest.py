"""Browser tests: headless Chromium, driven by Selenium, against the real service under gunicorn.

``live_service`` (tests/live.py) is the base URL (``http://127.0.0.1:PORT/``) of
``gunicorn pidsvc.wsgi`` run in a child process on the current test database, with DEBUG off and
collected static files, as in production. It brings ``transactional_db``, so what a test writes
is committed and the service sees it; mark such tests ``@pytest.mark.django_db(transaction=True)``
to say so.

``browser`` is a Selenium Chrome WebDriver on Debian's /usr/bin/chromium and /usr/bin/chromedriver
(``make browser`` installs them). When they are missing the test fails, naming ``make browser``;
it never skips. Nothing is downloaded: the driver's path is given, so Selenium Manager is not run.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import support
from tests.live import _Service

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


ADMIN_PASSWORD = "a-long-Browser-passphrase-42"  # a test account's


def sign_in(driver: WebDriver, base: str, username: str = "browser-curator") -> None:
    """Creates the superuser ``username`` and signs in with the admin's login form."""
    from django.contrib.auth import get_user_model
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    get_user_model().objects.create_superuser(username, f"{username}@example.org", ADMIN_PASSWORD)
    driver.get(f"{base}admin/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(driver, 15).until(ec.url_to_be(f"{base}admin/"))
