"""robots.txt, the sitemap of public landing pages, and the favicon."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aggregation import xmlsafe
from arks import services
from arks.models import Ark
from tests import factories

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_robots_allows_landing_pages_and_keeps_crawlers_out_of_admin_and_api(
    client: Client, settings
) -> None:
    answer = client.get("/robots.txt")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    robots = RobotFileParser()
    robots.parse(answer.content.decode().splitlines())
    base = settings.PIDSVC_PUBLIC_URL
    assert robots.can_fetch("*", f"{base}ark:99999/fk4000q?info")
    assert robots.can_fetch("*", f"{base}ark:99999/fk4000q")
    assert not robots.can_fetch("*", f"{base}admin/")
    assert not robots.can_fetch("*", f"{base}api/v1/arks")
    assert robots.site_maps() == [f"{base}sitemap.xml"]


def real_shoulder(prefix: str = "b2", **kw):
    """A shoulder of a real NAAN: those of the test NAAN 99999 are test shoulders."""
    return factories.shoulder(prefix, naan_code="12345", **kw)


def public(shoulder, n: int, **data) -> list[Ark]:
    fields = services.ArkData(target="https://example.org/x", state="public", **data)
    return services.mint(shoulder=shoulder, actor="test", data=fields, count=n)


def sitemap_urls(client: Client, settings) -> list[list[str]]:
    """Every sitemap of the index, in order, as the list of its URLs."""
    base = settings.PIDSVC_PUBLIC_URL
    answer = client.get("/sitemap.xml")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/xml")
    index = xmlsafe.parse(b"".join(answer.streaming_content))
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    pages = []
    for loc in index.findall("sm:sitemap/sm:loc", NS):
        assert loc.text.startswith(base)
        page = client.get("/" + loc.text.removeprefix(base))
        assert page.status_code == 200
        urlset = xmlsafe.parse(b"".join(page.streaming_content))
        assert all(u.find("sm:lastmod", NS) is not None for u in urlset.findall("sm:url", NS))
        pages.append([u.text for u in urlset.findall("sm:url/sm:loc", NS)])
    return pages


@pytest.mark.django_db
def test_the_sitemap_pages_through_every_public_landing_page_once(client, settings) -> None:
    settings.PIDSVC_SITEMAP_URLS = 3
    shoulder = real_shoulder()
    listed = public(shoulder, 8)
    services.mint(shoulder=shoulder, actor="test", count=2)  # reserved: not public
    withdrawn, merged = public(shoulder, 2)
    services.tombstone(ark=withdrawn, actor="test", reason="gone")
    services.merge(ark=merged, into=listed[0], actor="test")
    test_shoulder = real_shoulder("t9", org=shoulder.organization)
    test_shoulder.is_test = True
    test_shoulder.save()
    public(test_shoulder, 2)
    public(factories.shoulder("fk4"), 2)  # the test NAAN 99999: test shoulders only
    listed += public(shoulder, 1)  # after the others: ids need not be contiguous

    pages = sitemap_urls(client, settings)
    base = settings.PIDSVC_PUBLIC_URL
    assert [len(p) for p in pages] == [3, 3, 3]
    assert [url for page in pages for url in page] == [f"{base}{a.ark}?info" for a in listed]


@pytest.mark.django_db
def test_a_full_last_page_is_not_followed_by_an_empty_one(client, settings) -> None:
    settings.PIDSVC_SITEMAP_URLS = 3
    public(real_shoulder(), 6)
    assert [len(p) for p in sitemap_urls(client, settings)] == [3, 3]


@pytest.mark.django_db
def test_no_public_arks_is_one_empty_sitemap(client, settings) -> None:
    assert sitemap_urls(client, settings) == [[]]


@pytest.mark.django_db
def test_a_sitemap_page_is_one_keyset_query(client, settings) -> None:
    settings.PIDSVC_SITEMAP_URLS = 4
    arks = public(real_shoulder(), 10)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/sitemaps/arks-{arks[3].pk}.xml")
        body = b"".join(page.streaming_content)
    assert len(xmlsafe.parse(body).findall("sm:url", NS)) == 4
    (sql,) = [q["sql"] for q in queries.captured_queries if "arks_ark" in q["sql"]]
    assert f'"id" > {arks[3].pk}' in sql and "LIMIT 4" in sql and "OFFSET" not in sql


@pytest.mark.django_db
def test_a_sitemap_beyond_any_id_is_404(client) -> None:
    assert client.get(f"/sitemaps/arks-{2**64}.xml").status_code == 404


def test_the_favicon_is_an_icon_not_a_404(client) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/vnd.microsoft.icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert "max-age" in answer["Cache-Control"]


@pytest.mark.django_db
def test_pages_name_the_icons(client) -> None:
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'rel="icon" href="/favicon.svg" type="image/svg+xml"' in page
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")
