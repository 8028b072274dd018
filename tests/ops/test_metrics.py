"""/metrics in-process: who may read it, what the middleware counts, and the pipeline's progress
read from the database at scrape time."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from aggregation.models import HarvestRun, Membership, RawRecord, Source, Work
from arks import services
from tests import factories
from tests.test_settings import settings_in_child


def scrape(client: Client, **meta: str) -> dict[tuple[str, frozenset], float]:
    answer = client.get("/metrics", **meta)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.content.decode())
        for s in family.samples
    }


def requests_counted(view: str, status: str) -> float:
    labels = {"view": view, "status": status}
    return REGISTRY.get_sample_value("pidsvc_http_requests_total", labels) or 0.0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "remote", ["10.1.2.3", "192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1", "not-an-address"]
)
def test_other_addresses_are_refused(client: Client, remote: str) -> None:
    answer = client.get("/metrics", REMOTE_ADDR=remote)
    assert answer.status_code == 403
    assert b"PIDSVC_METRICS_ALLOW" in answer.content


@pytest.mark.django_db
@pytest.mark.parametrize("remote", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_may_read_them_by_default(client: Client, remote: str) -> None:
    scrape(client, REMOTE_ADDR=remote)


@pytest.mark.django_db
def test_a_relayed_request_is_refused_even_from_loopback(client: Client) -> None:
    # A proxy on the same machine connects from loopback whoever its client is.
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"):
        assert client.get("/metrics", **{header: "203.0.113.9"}).status_code == 403


@pytest.mark.django_db
def test_the_allowed_networks_are_a_setting(client: Client, settings) -> None:
    settings.PIDSVC_METRICS_ALLOW = (ip_network("10.0.0.0/8"),)
    scrape(client, REMOTE_ADDR="10.1.2.3")
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed


def test_the_setting_is_parsed_strictly() -> None:
    good = settings_in_child(DEBUG="true", PIDSVC_METRICS_ALLOW="10.0.0.0/8, 192.0.2.7,::1")
    assert good.returncode == 0, good.stderr
    bad = settings_in_child(DEBUG="true", PIDSVC_METRICS_ALLOW="10.0.0.0/33")
    assert bad.returncode != 0
    assert "PIDSVC_METRICS_ALLOW" in bad.stderr


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status_class(client: Client) -> None:
    health, missing = requests_counted("health", "2xx"), requests_counted("unmatched", "4xx")
    client.get("/health")
    client.get("/health")
    client.get("/no-such-page")
    assert requests_counted("health", "2xx") == health + 2
    assert requests_counted("unmatched", "4xx") == missing + 1


@pytest.mark.django_db
def test_the_resolver_view_is_timed(client: Client) -> None:
    (ark,) = services.mint(
        shoulder=factories.shoulder("fk4"),
        actor="test",
        data=services.ArkData(target="https://example.org/", state="public"),
    )
    labels = {"handler": "django"}
    before = REGISTRY.get_sample_value("pidsvc_resolution_seconds_count", labels) or 0
    assert client.get(f"/{ark.ark}?info").status_code == 200
    assert client.get(f"/{ark.ark}").status_code == 302  # the test client is not the fast path
    assert REGISTRY.get_sample_value("pidsvc_resolution_seconds_count", labels) == before + 2
    assert requests_counted("resolve", "3xx") >= 1


@pytest.mark.django_db
def test_harvest_and_dedup_progress_are_read_at_scrape_time(client: Client) -> None:
    source = Source.objects.create(name="Repository", url="https://repo.example.org/oai")
    for status in ("succeeded", "succeeded", "failed", "held"):
        HarvestRun.objects.create(source=source, mode="full", status=status)
    HarvestRun.objects.create(source=source, mode="incremental", status="running")

    def raw(n: int, *, deleted: bool = False) -> RawRecord:
        return RawRecord.objects.create(
            source=source, oai_identifier=f"oai:repo:{n}", datestamp="2024-01-01",
            deleted=deleted, xml="<record/>", content_hash=f"{n:064x}",
        )  # fmt: skip

    records = [raw(n) for n in range(5)] + [raw(5, deleted=True)]
    (ark,) = services.mint(shoulder=factories.shoulder("x8"), actor="test")
    work = Work.objects.create(ark=ark)
    # Seen as it is and given its work; seen but changed since; seen, still without its work.
    Membership.objects.create(raw=records[0], work=work, content_hash=records[0].content_hash,
                              pending=False)  # fmt: skip
    Membership.objects.create(raw=records[1], work=work, content_hash="0" * 64, pending=False)
    Membership.objects.create(raw=records[2], content_hash=records[2].content_hash, pending=True)

    metrics = scrape(client)
    assert metrics[("pidsvc_progress_up", frozenset())] == 1
    runs = {dict(labels)["status"]: v for (name, labels), v in metrics.items()
            if name == "pidsvc_harvest_runs"}  # fmt: skip
    assert runs == {"queued": 0, "running": 1, "succeeded": 2, "failed": 1, "held": 1,
                    "discarded": 0}  # fmt: skip
    assert metrics[("pidsvc_harvested_records", frozenset({("state", "live")}))] == 5
    assert metrics[("pidsvc_harvested_records", frozenset({("state", "deleted")}))] == 1
    # 1 changed, 1 pending, 3 never seen (two live, one deleted).
    assert metrics[("pidsvc_dedup_pending_records", frozenset())] == 5
    assert metrics[("pidsvc_works", frozenset({("status", "live")}))] == 1
    assert metrics[("pidsvc_works", frozenset({("status", "merged")}))] == 0
