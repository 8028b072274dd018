"""A curator decides a run held by the quality gate on its admin page, in headless Chromium at
1280 px, against the service under gunicorn and a real OAI-PMH server on loopback."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from aggregation.models import HarvestRun, RawRecord
from tests.aggregation import factories
from tests.browser.conftest import screenshot
from tests.oaipmh_server import (
    DSPACE_58,
    OaiServer,
    fixture,
    records_of,
)

USERNAME = "held-run-curator"
PASSWORD = "a-long-Browser-passphrase-42"
REAL = records_of(fixture(DSPACE_58))


def held_run() -> HarvestRun:
    """A full run that lists 3 of the 58 records of the run before it: it would withdraw 55."""
    with OaiServer() as server:
        run = factories.held_full_run(server, REAL[:3])
    assert run.status == HarvestRun.Status.HELD
    return run


def sign_in(browser, base: str) -> None:
    get_user_model().objects.create_superuser(USERNAME, "curator@example.org", PASSWORD)
    browser.get(f"{base}admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(USERNAME)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    WebDriverWait(browser, 15).until(ec.url_to_be(f"{base}admin/"))


def overflow(browser) -> list[str]:
    """Elements whose right edge is past the window's (a table wider than the screen)."""
    return browser.execute_script(
        "const w = document.documentElement.clientWidth;"
        "return Array.from(document.querySelectorAll('table, #held-decision, #held-withdrawals'))"
        ".filter(e => e.getBoundingClientRect().right > w + 1)"
        ".map(e => (e.id || e.tagName) + ' ' + Math.round(e.getBoundingClientRect().right));"
    )


@pytest.mark.django_db(transaction=True)
def test_a_held_run_is_released_from_its_page_at_1280_px(live_service, browser):
    run = held_run()
    sign_in(browser, live_service)
    browser.get(f"{live_service}admin/aggregation/harvestrun/{run.pk}/change/")
    shot = screenshot(browser, "held-run")
    assert browser.execute_script("return window.innerWidth") == 1280

    release = browser.find_element(By.ID, "held-release")
    discard = browser.find_element(By.ID, "held-discard")
    assert release.is_displayed() and discard.is_displayed()
    heading = browser.find_element(By.ID, "held-withdrawals-title").text
    assert heading == "Records releasing would withdraw (55)"
    rows = browser.find_elements(By.CSS_SELECTOR, "#withdrawal-list tr.withdrawal")
    listed = [row.find_element(By.TAG_NAME, "a").text for row in rows]
    would = sorted(RawRecord.objects.exclude(last_run=run).values_list("oai_identifier", flat=True))
    assert listed == would[:50]
    assert "page 1 of 2" in browser.find_element(By.ID, "withdrawal-pages").text
    assert overflow(browser) == [], f"wider than the screen; see {shot}"
    browser.find_element(By.CSS_SELECTOR, "#withdrawal-pages a[rel=next]").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#withdrawal-list tr.withdrawal")
    assert [row.find_element(By.TAG_NAME, "a").text for row in rows] == would[50:]

    browser.find_element(By.ID, "held-release").click()  # asks first: nothing changes yet
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "held-confirm")))
    screenshot(browser, "held-run-release-confirmation")
    assert "withdraws the 55 records" in browser.find_element(By.ID, "held-confirm-does").text
    assert not RawRecord.objects.filter(deleted=True).exists()
    browser.find_element(By.ID, "held-confirm").click()

    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                                     ".messagelist")))  # fmt: skip
    screenshot(browser, "held-run-released")
    message = browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert f"run #{run.pk} of {run.source}: succeeded (55 records withdrawn" in message
    assert browser.find_elements(By.ID, "held-release") == []
    run.refresh_from_db()
    assert run.status == HarvestRun.Status.SUCCEEDED
    withdrawn = RawRecord.objects.filter(deleted=True, deleted_by_run=run)
    assert sorted(withdrawn.values_list("oai_identifier", flat=True)) == would
