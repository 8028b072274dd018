"""Prometheus metrics through the real multi-worker gunicorn (tests/live.py, 2 sync workers):
what a scrape reports is the sum over the workers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from arks import services
from tests import factories


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def status_of(url: str) -> int:
    try:
        with _OPENER.open(url, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    with _OPENER.open(f"{base}metrics", timeout=30) as answer:
        assert answer.status == 200
        text = answer.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


REDIRECTS = ("pidsvc_http_requests_total", frozenset({"view": "resolve", "status": "3xx"}.items()))
FAST = ("pidsvc_resolution_seconds_count", frozenset({"handler": "fastpath"}.items()))


def redirects_per_worker(folder: Path) -> Counter:
    """Resolver redirects each worker has counted, read from its own file."""
    per_pid: Counter = Counter()
    for path in folder.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if name == "pidsvc_http_requests_total" and labels == {
                "view": "resolve",
                "status": "3xx",
            }:
                per_pid[path.stem] += value
    return per_pid


@pytest.mark.django_db(transaction=True)
def test_a_scrape_sums_the_resolutions_of_every_worker(live_service, live_metrics_dir) -> None:
    shoulder = factories.shoulder("fk4")
    data = services.ArkData(target="https://example.org/item", state="public")
    arks = services.mint(shoulder=shoulder, actor="test", data=data, count=20)
    before = scrape(live_service)
    sent = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        # Until both workers have answered some (a bounded number of rounds).
        for _ in range(20):
            urls = [f"{live_service}{a.ark}" for a in arks]
            assert set(pool.map(status_of, urls)) == {302}
            sent += len(urls)
            if len([n for n in redirects_per_worker(live_metrics_dir).values() if n]) >= 2:
                break
    assert len([n for n in redirects_per_worker(live_metrics_dir).values() if n]) == 2
    after = scrape(live_service)
    assert after[REDIRECTS] - before.get(REDIRECTS, 0) == sent
    # Plain redirects are answered by the fast path, and timed there.
    assert after[FAST] - before.get(FAST, 0) == sent
    assert after[("pidsvc_progress_up", frozenset())] == 1


def test_metrics_are_refused_through_a_proxy(live_service) -> None:
    request = urllib.request.Request(
        f"{live_service}metrics", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    try:
        _OPENER.open(request, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 403
