"""The interactive API documentation works offline: Swagger UI renders every operation from this
site's own files, and nothing is fetched from another host."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARIES = ("Mint an ARK", "Mint many ARKs at once", "Withdraw an ARK", "List your ARKs")


def test_the_api_docs_render_from_this_site_alone(browser, live_service):
    browser.get(f"{live_service}api/docs/")
    WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary"))
    )
    page = browser.find_element(By.ID, "swagger-ui").text
    for summary in SUMMARIES:
        assert summary in page
    assert "Rate limits per key" in page  # from the schema's description
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "Swagger UI loaded nothing?"
    elsewhere = [url for url in loaded if not url.startswith(live_service)]
    assert elsewhere == [], f"the docs fetched from other hosts: {elsewhere}"
    screenshot(browser, "api-docs")
