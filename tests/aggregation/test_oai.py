"""The OAI-PMH client against a real HTTP server on loopback: what real servers do to harvesters.

No database: these tests drive ``aggregation.oai`` directly; ``test_harvest.py`` runs the same
behaviours through whole harvest runs.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from aggregation.errors import (
    BadResumptionToken,
    HttpError,
    MalformedPage,
    NotOaiResponse,
    OaiError,
    ResumptionLoop,
    TransientHarvestError,
)
from aggregation.folder import FolderClient
from aggregation.oai import (
    DAY,
    SECONDS,
    HttpClient,
    HttpPolicy,
    TokenGuard,
    oai_datestamp,
    retry_after_seconds,
)
from tests.oaipmh_server import (
    DSPACE_58,
    Reply,
    fixture,
    identify,
    marked_deleted,
    page_with,
    paginate,
    records_of,
    serve_pages,
    without_metadata,
)

POLICY = HttpPolicy(connect_timeout=2, read_timeout=1, attempts=3, backoff=2, max_wait=120)


def client(server, sleeps, policy=POLICY):
    return HttpClient(server.url, policy=policy, sleep=sleeps)


def list_first(c):
    return c.list_records(prefix="oai_dc")


# --- answers --------------------------------------------------------------------------------


def test_a_real_dspace_page_is_read_record_by_record(oai_server, sleeps):
    oai_server.route(Reply(fixture(DSPACE_58)), verb="ListRecords")
    page = list_first(client(oai_server, sleeps))
    assert len(page.records) == 58
    assert page.token == ""
    assert page.response_date == "2024-06-03T19:51:07Z"
    first = page.records[0]
    assert first.identifier == "oai:dspace.mit.edu:1721.1/140717"
    assert first.datestamp == "2022-02-24T20:08:43Z"
    assert not first.deleted and first.has_metadata
    assert b"<dc:title>Doubles" in first.xml
    assert len(first.content_hash) == 64
    assert oai_server.requests == [{"verb": "ListRecords", "metadataPrefix": "oai_dc"}]


def test_identify_gives_granularity_earliest_datestamp_and_deleted_policy(oai_server, sleeps):
    oai_server.route(Reply(identify(SECONDS, "transient")), verb="Identify")
    found = client(oai_server, sleeps).identify()
    assert found.granularity == SECONDS
    assert found.deleted_record == "transient"
    assert found.earliest_datestamp == "1970-01-01T00:00:00Z"
    assert found.repository_name == "A Test Repository"


def test_set_and_window_are_sent_and_tokens_alone_follow(oai_server, sleeps):
    serve_pages(oai_server, paginate(fixture(DSPACE_58), 30))
    c = client(oai_server, sleeps)
    first = c.list_records(prefix="oai_dc", set_spec="com_1", from_="2024-01-01", until="2024-02")
    assert first.token == "page2" and first.complete_list_size == 58
    second = c.list_records(prefix="oai_dc", token=first.token)
    assert len(first.records) + len(second.records) == 58 and second.token == ""
    assert oai_server.requests == [
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "com_1",
         "from": "2024-01-01", "until": "2024-02"},
        {"verb": "ListRecords", "resumptionToken": "page2"},
    ]  # fmt: skip


def test_no_records_match_is_an_empty_list_not_an_error(oai_server, sleeps):
    body = fixture("dspace-mit/ListRecords_error_noRecordsMatch.xml")
    oai_server.route(Reply(body), verb="ListRecords")
    page = list_first(client(oai_server, sleeps))
    assert page.records == () and page.token == ""


def test_oai_errors_sent_with_422_are_oai_errors_like_zenodo_sends_them(oai_server, sleeps):
    body = fixture("sickle-synthetic/cannotDisseminateFormat.xml")
    oai_server.route(Reply(body, status=422), verb="ListRecords")
    with pytest.raises(OaiError) as caught:
        list_first(client(oai_server, sleeps))
    assert caught.value.oai_code == "cannotDisseminateFormat"
    assert "HTTP 422" in caught.value.message
    assert sleeps.calls == []  # a deliberate answer is not retried


def test_no_records_match_sent_with_422_is_still_empty(oai_server, sleeps):
    body = fixture("dspace-mit/ListRecords_error_noRecordsMatch.xml")
    oai_server.route(Reply(body, status=422), verb="ListRecords")
    assert list_first(client(oai_server, sleeps)).records == ()


def test_bad_resumption_token_has_its_own_error(oai_server, sleeps):
    oai_server.route(Reply(fixture("sickle-synthetic/badResumptionToken.xml")), verb="ListRecords")
    with pytest.raises(BadResumptionToken):
        client(oai_server, sleeps).list_records(prefix="oai_dc", token="expired")


def test_an_html_page_is_a_clear_failure(oai_server, sleeps):
    html = b"<!DOCTYPE html><html><head><title>Repository login</title></head><body/></html>"
    oai_server.route(Reply(html, content_type="text/html; charset=utf-8"), verb="ListRecords")
    with pytest.raises(NotOaiResponse, match="HTML page titled 'Repository login'"):
        list_first(client(oai_server, sleeps))


def test_an_html_404_names_the_status(oai_server, sleeps):
    html = b"<html><head><title>Not Found</title></head></html>"
    oai_server.route(Reply(html, status=404, content_type="text/html"), verb="ListRecords")
    with pytest.raises(HttpError, match="HTTP 404"):
        list_first(client(oai_server, sleeps))


def test_other_xml_is_not_oai_pmh(oai_server, sleeps):
    oai_server.route(Reply(b"<?xml version='1.0'?><rss><channel/></rss>"), verb="ListRecords")
    with pytest.raises(NotOaiResponse, match="not OAI-PMH"):
        list_first(client(oai_server, sleeps))


def test_malformed_xml_fails_the_page_and_is_never_repaired(oai_server, sleeps):
    oai_server.route(Reply(fixture("sickle-synthetic/ListRecordsBroken.xml")), verb="ListRecords")
    with pytest.raises(MalformedPage, match="not repaired"):
        list_first(client(oai_server, sleeps))


def test_a_truncated_page_is_malformed_not_shorter(oai_server, sleeps):
    body = fixture(DSPACE_58)
    oai_server.route(Reply(body[: len(body) // 2]), verb="ListRecords")
    with pytest.raises(MalformedPage):
        list_first(client(oai_server, sleeps))


def test_entities_are_never_expanded(oai_server, sleeps):
    evil = (b'<?xml version="1.0"?><!DOCTYPE OAI-PMH [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">&x;</OAI-PMH>')  # fmt: skip
    oai_server.route(Reply(evil), verb="ListRecords")
    with pytest.raises(MalformedPage, match="DTD"):
        list_first(client(oai_server, sleeps))


def test_deleted_headers_with_or_without_metadata_read_as_deleted(oai_server, sleeps):
    real = records_of(fixture(DSPACE_58))
    deleted_alone = records_of(fixture("dspace-mit/ListRecords_oai_dc_one_deleted_record.xml"))
    body = page_with(fixture(DSPACE_58), [deleted_alone[0], marked_deleted(real[1]), real[2]])
    oai_server.route(Reply(body), verb="ListRecords")
    records = list_first(client(oai_server, sleeps)).records
    assert [(r.deleted, r.has_metadata) for r in records] == [
        (True, False),
        (True, True),
        (False, True),
    ]


def test_a_record_without_metadata_is_read_and_flagged_not_fatal(oai_server, sleeps):
    real = records_of(fixture(DSPACE_58))
    body = page_with(fixture(DSPACE_58), [real[0], without_metadata(real[1]), real[2]])
    oai_server.route(Reply(body), verb="ListRecords")
    records = list_first(client(oai_server, sleeps)).records
    assert [r.has_metadata for r in records] == [True, False, True]
    assert not records[1].deleted


# --- timeouts and retries -------------------------------------------------------------------


def test_every_request_has_a_timeout(oai_server, sleeps):
    oai_server.route(Reply(fixture(DSPACE_58), delay=3), verb="ListRecords")
    with pytest.raises(TransientHarvestError, match=r"Timeout.*after 3 attempts"):
        list_first(client(oai_server, sleeps))
    assert len(oai_server.requests) == 3
    assert sleeps.calls == [2, 4]  # backoff, doubled


def test_connection_errors_are_retried_with_backoff(oai_server, sleeps):
    oai_server.route([Reply(drop=True), Reply(drop=True), Reply(fixture(DSPACE_58))])
    assert len(list_first(client(oai_server, sleeps)).records) == 58
    assert sleeps.calls == [2, 4]


def test_a_connection_broken_mid_page_is_retried(oai_server, sleeps):
    body = fixture(DSPACE_58)
    oai_server.route([Reply(body, cut=len(body) // 3), Reply(body)])
    assert len(list_first(client(oai_server, sleeps)).records) == 58
    assert sleeps.calls == [2]


def test_an_endless_response_is_refused(oai_server, sleeps, monkeypatch):
    monkeypatch.setattr("aggregation.xmlsafe.MAX_BYTES", 10_000)
    oai_server.route(Reply(fixture(DSPACE_58)))
    with pytest.raises(MalformedPage, match="larger than 10,000 bytes"):
        list_first(client(oai_server, sleeps))


def test_a_response_that_trickles_past_its_deadline_is_cut_off_and_retried(oai_server, sleeps):
    # 200 bytes every 50 ms: each read returns well within the read timeout, but the whole
    # page would take about 25 s; each attempt is cut off at its 1 s deadline.
    body = fixture(DSPACE_58)
    oai_server.route(Reply(body, trickle=0.05, trickle_bytes=200))
    policy = HttpPolicy(connect_timeout=2, read_timeout=1, response_deadline=1, attempts=3,
                        backoff=2, max_wait=120)  # fmt: skip
    with pytest.raises(TransientHarvestError, match=r"took longer than 1 s .* 3 attempts"):
        list_first(client(oai_server, sleeps, policy))
    assert sleeps.calls == [2, 4]
    trickled = oai_server.trickles_ended(3)
    assert len(trickled) == 3 and all(0 < sent < len(body) for sent in trickled), trickled


def test_a_response_that_trickles_within_its_deadline_is_read_whole(oai_server, sleeps):
    records = records_of(fixture(DSPACE_58))[:3]
    oai_server.route(Reply(page_with(fixture(DSPACE_58), records), trickle=0.001,
                           trickle_bytes=512))  # fmt: skip
    assert len(list_first(client(oai_server, sleeps)).records) == 3
    assert sleeps.calls == []


def test_a_refused_connection_is_transient(sleeps):
    c = HttpClient("http://127.0.0.1:9/oai", policy=POLICY, sleep=sleeps)
    with pytest.raises(TransientHarvestError, match="ConnectionError"):
        list_first(c)
    assert sleeps.calls == [2, 4]


@pytest.mark.parametrize("status", [500, 502, 504, 429])
def test_server_errors_and_rate_limits_are_retried(oai_server, sleeps, status):
    oai_server.route([Reply(b"busy", status=status, content_type="text/plain"),
                      Reply(fixture(DSPACE_58))])  # fmt: skip
    assert len(list_first(client(oai_server, sleeps)).records) == 58
    assert sleeps.calls == [2]


def test_retry_after_in_seconds_is_honoured(oai_server, sleeps):
    oai_server.route([Reply(b"", status=503, headers={"Retry-After": "17"}),
                      Reply(fixture(DSPACE_58))])  # fmt: skip
    list_first(client(oai_server, sleeps))
    assert sleeps.calls == [17]


def test_retry_after_as_an_http_date_is_honoured(oai_server, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=40), usegmt=True)
    oai_server.route([Reply(b"", status=429, headers={"Retry-After": when}),
                      Reply(fixture(DSPACE_58))])  # fmt: skip
    list_first(client(oai_server, sleeps))
    assert len(sleeps.calls) == 1 and 35 <= sleeps.calls[0] <= 40


def test_a_long_retry_after_is_capped(oai_server, sleeps):
    oai_server.route([Reply(b"", status=503, headers={"Retry-After": "86400"}),
                      Reply(fixture(DSPACE_58))])  # fmt: skip
    list_first(client(oai_server, sleeps))
    assert sleeps.calls == [120]


def test_persistent_503_ends_transient_with_what_happened(oai_server, sleeps):
    oai_server.route(Reply(b"", status=503, headers={"Retry-After": "5"}))
    with pytest.raises(TransientHarvestError, match=r"HTTP 503 .*after 3 attempts"):
        list_first(client(oai_server, sleeps))
    assert sleeps.calls == [5, 5]


def test_an_oai_error_behind_a_persistent_500_is_the_answer(oai_server, sleeps):
    oai_server.route(Reply(fixture("sickle-synthetic/badArgument.xml"), status=500))
    with pytest.raises(OaiError, match=r"badArgument.*HTTP 500"):
        list_first(client(oai_server, sleeps))


def test_retries_wait_through_the_callback(oai_server, sleeps):
    waits = []
    oai_server.route([Reply(b"", status=503), Reply(fixture(DSPACE_58))])
    c = HttpClient(oai_server.url, policy=POLICY, sleep=sleeps,
                   on_wait=lambda note, wait: waits.append((note, wait)))  # fmt: skip
    list_first(c)
    assert waits == [("HTTP 503 Service Unavailable; attempt 1 of 3", 2)]


def test_retry_after_parsing():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now=now) == 60
    assert retry_after_seconds("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


# --- tokens, dates, folders -----------------------------------------------------------------


def test_a_repeated_resumption_token_is_stopped(oai_server, sleeps):
    # sickle's synthetic pages: ListRecords3.xml names ListRecords4.xml, which names itself
    # below — the archive.org behaviour reported against sickle's successor (oaipmh-scythe#411).
    looping = fixture("sickle-synthetic/ListRecords4.xml").replace(
        b"</ListRecords>", b'<resumptionToken cursor="6">ListRecords4.xml</resumptionToken>'
        b"</ListRecords>"
    )  # fmt: skip
    oai_server.route(Reply(fixture("sickle-synthetic/ListRecords3.xml")), verb="ListRecords")
    oai_server.route(Reply(looping), resumptionToken="ListRecords4.xml")
    c, guard = client(oai_server, sleeps), TokenGuard()
    page = list_first(c)
    guard.check(page, page_number=1)
    page = c.list_records(prefix="oai_dc", token=page.token)
    with pytest.raises(ResumptionLoop, match=r"ListRecords4\.xml"):
        guard.check(page, page_number=2)


def test_endless_empty_pages_are_stopped():
    guard = TokenGuard(max_empty_pages=3)
    from aggregation.oai import Page

    for n in range(2):
        guard.check(Page((), f"t{n}", "", ""), page_number=n)
    with pytest.raises(ResumptionLoop, match="3 pages in a row"):
        guard.check(Page((), "t9", "", ""), page_number=3)


def test_from_is_written_at_the_granularity():
    moment = datetime(2024, 6, 3, 19, 51, 16, tzinfo=UTC)
    assert oai_datestamp(moment, DAY) == "2024-06-03"
    assert oai_datestamp(moment, SECONDS) == "2024-06-03T19:51:16Z"


def test_a_folder_of_pages_is_read_in_natural_name_order(tmp_path):
    pages = paginate(fixture(DSPACE_58), 25)
    for n, page in zip((2, 10, 9), pages, strict=True):  # page10 comes after page9
        (tmp_path / f"page{n}.xml").write_bytes(page)
    (tmp_path / "Identify.xml").write_bytes(identify(SECONDS))
    (tmp_path / "README.txt").write_text("saved from https://example.org/oai")
    (tmp_path / ".page1.xml").write_text("an editor's backup")
    folder = FolderClient(tmp_path)
    assert folder.identify().granularity == SECONDS
    first = folder.list_records(prefix="oai_dc")
    assert first.token == "page9.xml" and len(first.records) == 25
    last = folder.list_records(prefix="oai_dc", token="page10.xml")
    assert last.token == "" and len(last.records) == 25
    with pytest.raises(BadResumptionToken):
        folder.list_records(prefix="oai_dc", token="gone.xml")


def test_a_folder_may_hold_gzip_compressed_pages(tmp_path):
    pages = paginate(fixture(DSPACE_58), 25)
    (tmp_path / "page1.xml.gz").write_bytes(gzip.compress(pages[0]))
    (tmp_path / "page2.xml").write_bytes(pages[1])
    (tmp_path / "Identify.xml.gz").write_bytes(gzip.compress(identify(SECONDS)))
    folder = FolderClient(tmp_path)
    assert folder.identify().granularity == SECONDS
    first = folder.list_records(prefix="oai_dc")
    assert (len(first.records), first.token) == (25, "page2.xml")


@pytest.mark.parametrize(
    ("name", "body", "error", "why"),
    [
        ("page2.xml", fixture("sickle-synthetic/ListRecordsBroken.xml"), MalformedPage,
         "not well-formed|malformed|XML"),
        ("page2.xml", b"<html><title>Saved login page</title></html>", NotOaiResponse,
         "it is an HTML page titled 'Saved login page', not an OAI-PMH response$"),
        ("page2.xml", fixture("sickle-synthetic/cannotDisseminateFormat.xml"), OaiError,
         "cannotDisseminateFormat"),
        ("page2.xml.gz", b"not gzip at all", MalformedPage, "not a readable gzip file"),
        ("page2.xml.gz", gzip.compress(b"x" * 60_000_000), MalformedPage,
         r"larger than 52,428,800 bytes \(decompressed\)"),
    ],
)  # fmt: skip
def test_a_bad_page_file_is_named_with_what_is_wrong(tmp_path, monkeypatch, name, body, error, why):
    pages = paginate(fixture(DSPACE_58), 25)
    (tmp_path / "page1.xml").write_bytes(pages[0])
    (tmp_path / name).write_bytes(body)
    folder = FolderClient(tmp_path)
    folder.list_records(prefix="oai_dc")
    with pytest.raises(error, match=f"^page file {re.escape(name)}: .*({why})") as raised:
        folder.list_records(prefix="oai_dc", token=name)
    assert raised.value.url == str(tmp_path / name)
