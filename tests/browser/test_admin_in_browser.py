"""A curator signs in to the admin in a real browser, against the service under gunicorn."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot, sign_in


@pytest.mark.django_db(transaction=True)
def test_superuser_signs_in_and_sees_the_admin_index(live_service, browser):
    sign_in(browser, live_service)
    heading = browser.find_element(By.ID, "site-name")
    assert heading.is_displayed()
    assert heading.text == "pidsvc administration"
    naans = browser.find_element(By.LINK_TEXT, "NAANs")
    assert naans.is_displayed()
    assert naans.get_attribute("href") == f"{live_service}admin/arks/naan/"
    shot = screenshot(browser, "admin-index")

    # The admin's stylesheet came from collectstatic's hashed files, served with DEBUG off...
    sheets = browser.execute_script(
        "return Array.from(document.styleSheets, s => [s.href, s.cssRules.length]);"
    )
    base = [
        (href, n) for href, n in sheets if href and re.search(r"/admin/css/base\.\w+\.css$", href)
    ]
    assert base, f"admin base.css (hashed) not among the page's stylesheets: {sheets}"
    assert base[0][1] > 100, f"admin base.css loaded with only {base[0][1]} rules"
    # ...and applied: the header has the admin's coloured band, not the default transparent.
    header_bg = browser.execute_script(
        "return getComputedStyle(document.getElementById('header')).backgroundColor;"
    )
    assert header_bg not in {"rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"}, (
        f"the admin header is unstyled ({header_bg}); see {shot}"
    )
