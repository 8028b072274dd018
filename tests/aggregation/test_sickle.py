"""What bare sickle 0.7.0 does with what real servers send: why ``aggregation.oai`` replaces its
transport, parser and iterators (README, "Dependency notes"). If an upgrade fixes one of these,
its test fails: then the replacement can be reconsidered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from sickle import Sickle

from tests.oaipmh_server import DSPACE_58, Reply, fixture, page_with, records_of, without_metadata


def listed(server, **kwargs):
    return list(Sickle(server.url, **kwargs).ListRecords(metadataPrefix="oai_dc"))


def test_sickle_sets_no_timeout():
    assert "timeout" not in Sickle("http://127.0.0.1/oai").request_args


def test_sickle_crashes_on_retry_after_given_as_an_http_date(oai_server):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    oai_server.route([Reply(b"", status=503, headers={"Retry-After": when}),
                      Reply(fixture(DSPACE_58))])  # fmt: skip
    with pytest.raises(ValueError, match="invalid literal for int"):
        listed(oai_server, max_retries=2)


def test_sickle_reads_an_oai_error_sent_with_422_as_an_http_error(oai_server):
    body = fixture("sickle-synthetic/cannotDisseminateFormat.xml")
    oai_server.route(Reply(body, status=422))
    with pytest.raises(requests.HTTPError):
        listed(oai_server)


def test_sickle_takes_an_html_page_for_an_empty_list(oai_server):
    html = b"<html><head><title>Maintenance</title></head><body><p>soon</p></body></html>"
    oai_server.route(Reply(html, content_type="text/html"))
    assert listed(oai_server) == []


def test_sickle_silently_repairs_a_truncated_page(oai_server):
    body = fixture(DSPACE_58)
    oai_server.route(Reply(body[: len(body) // 2]))
    assert 0 < len(listed(oai_server)) < 58


def test_sickle_follows_a_repeated_resumption_token_for_ever(oai_server):
    looping = fixture("sickle-synthetic/ListRecords4.xml").replace(
        b"</ListRecords>", b"<resumptionToken>again</resumptionToken></ListRecords>"
    )
    oai_server.route(Reply(looping))
    records = Sickle(oai_server.url).ListRecords(metadataPrefix="oai_dc")
    for n, _ in enumerate(records, start=1):
        if n == 100:
            break
    assert len(oai_server.requests) >= 50


def test_sickle_fails_on_a_record_without_metadata(oai_server):
    real = records_of(fixture(DSPACE_58))
    oai_server.route(Reply(page_with(fixture(DSPACE_58), [without_metadata(real[0])])))
    with pytest.raises(AttributeError):
        listed(oai_server)
