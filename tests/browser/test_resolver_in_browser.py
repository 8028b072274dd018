"""What a person sees when they follow an ARK in a browser: the landing page (``?info``), a
tombstone, and the page for an ARK that does not exist — with JavaScript switched off, since
these pages must be readable without it."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from arks import services
from tests import factories
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shoulder():
    org = factories.organization("Universidade Federal Exemplo")
    s = factories.shoulder("b7", org=org)
    s.persistence_statement = (
        "Identifiers on this shoulder are kept for as long as the library exists."
    )
    s.save()
    return s


def mint(shoulder, **fields):
    data = services.ArkData(
        target="https://repositorio.example.br/handle/1/42", state="public", **fields
    )
    return services.mint(shoulder=shoulder, actor="test:browser", data=data)[0]


def without_javascript(browser):
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


def test_landing_page_shows_the_description_and_commitment(live_service, browser, shoulder):
    ark = mint(shoulder, who="Souza, Maria", what="Água e cidades: um estudo", when="2024")
    without_javascript(browser)
    browser.get(f"{live_service}{ark.ark}?info")
    screenshot(browser, "landing-page")

    assert browser.find_element(By.TAG_NAME, "h1").text == "Água e cidades: um estudo"
    fields = dict(
        zip(
            [e.text for e in browser.find_elements(By.CSS_SELECTOR, "dl.fields dt")],
            [e.text for e in browser.find_elements(By.CSS_SELECTOR, "dl.fields dd")],
            strict=True,
        )
    )
    assert fields["Who"] == "Souza, Maria"
    assert fields["State"] == "public"
    assert fields["Target"] == "https://repositorio.example.br/handle/1/42"
    assert fields["Shoulder"] == "ark:99999/b7, delegated to Universidade Federal Exemplo"
    assert "kept for as long as the library exists" in fields["Persistence"]
    jsonld = browser.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    data = json.loads(jsonld.get_attribute("textContent"))
    assert (data["identifier"], data["name"]) == (ark.ark, "Água e cidades: um estudo")


def test_tombstone_tells_why_and_keeps_the_last_description(live_service, browser, shoulder):
    ark = mint(shoulder, what="Um artigo retratado")
    services.tombstone(ark=ark, actor="test:browser", reason="Retracted at the authors' request")
    without_javascript(browser)
    browser.get(f"{live_service}{ark.ark}")
    screenshot(browser, "tombstone")

    assert browser.find_element(By.TAG_NAME, "h1").text == "This identifier has been withdrawn"
    notice = browser.find_element(By.CSS_SELECTOR, ".notice.warn").text
    assert notice == "Reason: Retracted at the authors' request"
    assert "Um artigo retratado" in browser.find_element(By.TAG_NAME, "main").text
    # A withdrawn ARK offers no link to the object that is gone.
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "main a")]
    assert "https://repositorio.example.br/handle/1/42" not in links


def test_unknown_ark_page_points_to_its_shoulder(live_service, browser, shoulder):
    browser.get(f"{live_service}ark:99999/b7nothere")
    screenshot(browser, "not-found")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "ark:99999/b7nothere is not known to this resolver" in main
    assert "delegated to Universidade Federal Exemplo" in main


def lines_of(browser, element) -> float:
    """How many lines of text ``element`` takes: its boxes (one per line of inline text) times
    its height in lines (an inline block that wraps inside is one box, several lines high)."""
    return browser.execute_script(
        "const e = arguments[0], line = parseFloat(getComputedStyle(e).lineHeight);"
        "return e.getClientRects().length * Math.round(e.getBoundingClientRect().height / line);",
        element,
    )


REASON = "Retracted at the authors' request after an error in the data was found"


def withdrawn(shoulder):
    """A withdrawn ARK long enough, hyphens and all, to reach the end of a line of text."""
    data = services.ArkData(target="https://repositorio.example.br/handle/1/42", what="Retratado")
    ark = services.register_ark(
        text="ark:99999/b7-2024-retracted-article-000417",
        owner=shoulder.organization,
        actor="test:browser",
        data=data,
    )
    services.tombstone(ark=ark, actor="test:browser", reason=REASON)
    return ark


@pytest.mark.parametrize("width", [1280, 1024])
def test_tombstone_says_its_reason_once_and_keeps_each_ark_on_one_line(
    live_service, browser, shoulder, width
):
    ark, reason = withdrawn(shoulder), REASON
    browser.set_window_size(width, 900)
    browser.get(f"{live_service}{ark.ark}")
    screenshot(browser, f"tombstone-{width}")

    main = browser.find_element(By.TAG_NAME, "main").text
    assert main.count(reason) == 1, main
    arks = browser.find_elements(By.CSS_SELECTOR, "main .ark")
    # The line above the heading, the sentence that cites it and the ARK field name it.
    assert sum(ark.ark in element.text for element in arks) >= 3
    for element in arks:  # those, and the shoulder and NAAN of its support statement
        assert lines_of(browser, element) == 1, f"{element.text!r} is broken across lines"


def test_on_a_phone_the_tombstone_still_fits_the_screen(live_service, browser, shoulder):
    ark = withdrawn(shoulder)
    browser.set_window_size(360, 800)
    browser.get(f"{live_service}{ark.ark}")
    screenshot(browser, "tombstone-phone")
    viewport, page = browser.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    assert page <= viewport  # nothing sticks out sideways: long ARKs wrap where they must
    for element in browser.find_elements(By.CSS_SELECTOR, "main .ark"):
        assert element.rect["x"] + element.rect["width"] <= viewport, element.text
