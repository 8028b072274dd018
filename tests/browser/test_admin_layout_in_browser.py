"""The admin a NAAN administrator works in, at 1280 px, in a real browser: every page fits the
screen (no table wider than it, no table scrolled sideways inside its box), the index is ordered
for their work, and a curator's merge shows what it does before it does it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from aggregation import curation, identity
from aggregation.models import HarvestRun, Membership, RawRecord, Record, Source, Work
from arks import services as ark_services
from arks.models import Naan
from tests.aggregation.identity_support import PageSource, Rec, one_item_from_three_sources
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 1280

# What overflows: the page itself, a table wider than the window, or a box (the changelist's
# results, an inline) whose content is wider than the box, so the table scrolls inside it.
OVERFLOW = """
const width = window.innerWidth, found = [];
if (document.documentElement.scrollWidth > width)
  found.push('page ' + document.documentElement.scrollWidth);
for (const t of document.querySelectorAll('table')) {
  const box = t.getBoundingClientRect();
  if (box.right > width + 1) found.push('table #' + t.id + ' .' + t.className + ' ' + box.right);
  for (let up = t.parentElement; up && up !== document.body; up = up.parentElement)
    if (up.scrollWidth > up.clientWidth + 1 && getComputedStyle(up).overflowX !== 'visible')
      { found.push('box of table #' + t.id + ' .' + t.className + ': ' + up.scrollWidth +
                   ' in ' + up.clientWidth); break; }
}
return found;
"""

# Columns that must be on the screen, not past its right edge.
SHOWN = """
const wanted = arguments[0], width = window.innerWidth;
return wanted.filter(text => !Array.from(document.querySelectorAll('th')).some(th => {
  const box = th.getBoundingClientRect();
  return th.textContent.trim().toLowerCase() === text && box.width > 0 && box.right <= width;
}));
"""
COLUMNS = {"NAANs (one)": ["minted", "remaining"], "harvest runs": ["progress"]}

TITLE = (
    "Soil organic carbon dynamics under long-term grazing exclusion in high Andean grasslands "
    "of southern Peru and northern Bolivia: a multi-site assessment"
)


@pytest.fixture
def node(tmp_path):
    """A NAAN with the works shoulder and an institution's shoulder, a source harvested (with
    long names and titles, as real ones have), and its works."""
    sources = one_item_from_three_sources(tmp_path / "three", Rec(TITLE, ("Pérez, Ana",), 2019))
    naan = Naan.objects.get(naan="99999")
    institution = ark_services.ensure_organization(
        name="Universidad Nacional Mayor de San Marcos, Vicerrectorado de Investigación"
    )
    ark_services.delegate_shoulder(naan=naan, prefix="fk4", organization=institution)
    long = PageSource(
        tmp_path / "repositorio-institucional-de-la-universidad-nacional-agraria-la-molina",
        "Repositorio Institucional de la Universidad Nacional Agraria La Molina (UNALM)",
    )
    long.publish({str(n): Rec(f"{TITLE} ({n})", ("Quispe Mamani, Rosa Elena",) * 3, 2020 + n)
                  for n in range(3)})  # fmt: skip
    identity.run_dedup()
    return naan, sources


# (page, its list's name, the model whose first row's page is shown too)
PAGES = [
    ("NAANs", "arks_naan", Naan),
    ("harvest runs", "aggregation_harvestrun", HarvestRun),
    ("works", "aggregation_work", Work),
    ("sources", "aggregation_source", Source),
    ("harvested records", "aggregation_rawrecord", RawRecord),
    ("records", "aggregation_record", Record),
    ("ARKs", "arks_ark", None),
]


def pages() -> dict[str, str]:
    """Every page to look at: the index, each list, and the page of one of its rows (for NAANs:
    the NAAN with its shoulders inline)."""
    found = {"index": reverse("admin:index")}
    for name, url, model in PAGES:
        found[name] = reverse(f"admin:{url}_changelist")
        if model is not None:
            row = model.objects.order_by("-pk").first()
            assert row is not None, name
            found[f"{name} (one)"] = reverse(f"admin:{url}_change", args=[row.pk])
    return found


def test_every_admin_page_fits_1280_pixels(live_service, browser, node):
    sign_in(browser, live_service)
    assert browser.execute_script("return window.innerWidth") <= WIDTH
    wide = {}
    for name, path in pages().items():
        browser.get(live_service.rstrip("/") + path)
        assert browser.find_elements(By.ID, "content"), f"{name}: {browser.title}"
        found = browser.execute_script(OVERFLOW)
        found += [f"column {c} off the screen" for c in
                  browser.execute_script(SHOWN, COLUMNS.get(name, []))]  # fmt: skip
        shot = screenshot(browser, f"admin-1280-{name}")
        if found:
            wide[name] = (found, str(shot))
    assert not wide, "\n".join(
        f"{name}: {found} (see {shot})" for name, (found, shot) in wide.items()
    )


def test_the_index_is_ordered_for_a_naan_administrator(live_service, browser, node):
    sign_in(browser, live_service)
    groups = [
        e.get_attribute("textContent").strip()
        for e in browser.find_elements(By.CSS_SELECTOR, "#content-main .module caption")
    ]
    screenshot(browser, "admin-index-order")
    assert groups[:4] == ["Identifiers", "Delegation", "Harvesting", "Works"], groups
    scheduler = [i for i, g in enumerate(groups) if "periodic" in g.lower() or "beat" in g.lower()]
    assert scheduler == [len(groups) - 1], groups
    first = browser.find_elements(By.CSS_SELECTOR, "#content-main .module")[0]
    assert "ARKs" in first.text and "NAANs" in first.text


def test_the_merge_page_shows_the_outcome_and_confirming_applies_it(live_service, browser, node):
    _, sources = node
    a, b, c = (RawRecord.objects.get(source=s.source) for s in sources)
    third = Membership.objects.get(raw=a).work
    for record in (b, c):
        curation.curator_split(records=[record], actor="admin:eva", note="another edition")
    second, last = (Membership.objects.select_related("work__ark").get(raw=r).work for r in (b, c))
    sign_in(browser, live_service)
    browser.get(f"{live_service}admin/aggregation/work/")
    for work in (second, last):
        browser.find_element(
            By.CSS_SELECTOR, f"input[name=_selected_action][value='{work.pk}']"
        ).click()
    browser.find_element(By.CSS_SELECTOR, "select[name=action] option[value=merge_works]").click()
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()

    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "curation-plan")))
    shot = screenshot(browser, "merge-confirmation")
    survivor = browser.find_element(By.ID, "curation-survivor")
    assert survivor.is_displayed() and second.ark.ark in survivor.text, shot
    rows = {
        row.get_attribute("data-record"): row.find_element(By.CSS_SELECTOR, ".ends-in").text
        for row in browser.find_elements(By.CSS_SELECTOR, "#curation-plan tbody tr")
    }
    assert rows == {b.oai_identifier: second.ark.ark, c.oai_identifier: second.ark.ark}, shot
    aliases = browser.find_element(By.ID, "curation-aliases").text
    assert f"{last.ark.ark} → {second.ark.ark}" in aliases
    assert browser.execute_script(OVERFLOW) == [], shot
    # Nothing has changed yet.
    assert {Membership.objects.get(raw=r).work_id for r in (a, b, c)} == {
        third.pk,
        second.pk,
        last.pk,
    }

    browser.find_element(By.ID, "id_note").send_keys("One edition, deposited twice")
    browser.find_element(By.CSS_SELECTOR, "#content-main form [type=submit]").click()
    WebDriverWait(browser, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist"))
    )
    said = browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert f"the works are now {second.ark.ark}" in said, said
    assert {r.pk: Membership.objects.get(raw=r).work_id for r in (a, b, c)} == {
        a.pk: third.pk,
        b.pk: second.pk,
        c.pk: second.pk,
    }
    last.refresh_from_db()
    assert last.status == Work.Status.MERGED and last.merged_into_id == second.pk
