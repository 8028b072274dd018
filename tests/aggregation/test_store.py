"""Storing pages: the bulk statements behind ``harvest.store`` and the reading of a page's
records (``oai.read_record``)."""

from __future__ import annotations

import sys

import pytest
from django.db import IntegrityError, connection
from lxml import etree
from sickle.models import Header

from aggregation import harvest, ingest, oai, services
from aggregation.models import HarvestRun, RawRecord, Record
from tests.aggregation import factories
from tests.oaipmh_server import DSPACE_58, Q, fixture, page_with, records_of

Status = HarvestRun.Status
REAL = records_of(fixture(DSPACE_58))
DC = "{http://purl.org/dc/elements/1.1/}"


def running_run(url: str = "http://127.0.0.1:9/oai") -> HarvestRun:
    source = factories.source(url)
    run = services.start_run(source=source, full=True, actor="test")
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING)
    run.refresh_from_db()
    return run


def page_of(records: list[etree._Element], token: str = "") -> oai.Page:
    return oai.parse_page(oai.parse_oai(page_with(fixture(DSPACE_58), records, token=token)))


def renamed(record: etree._Element, identifier: str) -> etree._Element:
    record = etree.fromstring(etree.tostring(record))
    record.find(f"{Q}header/{Q}identifier").text = identifier
    return record


@pytest.mark.django_db
def test_odd_identifiers_are_found_again_when_a_page_is_stored_twice() -> None:
    odd = ['oai:x:"quoted"', "oai:x:back\\slash", "oai:x:é/ü", "oai:x:{braces},comma", "oai:x: "]
    page = page_of([renamed(r, i) for r, i in zip(REAL, odd, strict=False)])
    run = running_run()
    harvest.store(run, page)
    assert run.records_new == 5
    harvest.store(run, page)  # the same run: nothing is counted again
    assert (run.records_new, run.records_unchanged) == (5, 0)
    again = running_run_of(run)
    harvest.store(again, page)
    assert (again.records_new, again.records_unchanged) == (0, 5)
    stored = set(RawRecord.objects.values_list("oai_identifier", flat=True))
    assert stored == {i.strip() for i in odd}
    assert Record.objects.count() == 5


def running_run_of(previous: HarvestRun) -> HarvestRun:
    HarvestRun.objects.filter(pk=previous.pk).update(status=Status.SUCCEEDED)
    run = services.start_run(source=previous.source, full=True, actor="test")
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.RUNNING)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_new_record_written_meanwhile_by_another_run_means_this_one_was_taken_away(
    monkeypatch,
) -> None:
    run = running_run()
    page = page_of(REAL[:3])
    harvest.store(run, page)
    # As if the records were written by another run between this page's SELECT and its COPY.
    monkeypatch.setattr(ingest, "_stored", lambda source_id, identifiers: {})
    if connection.vendor == "postgresql":  # new records go in by COPY, with no conflict handling
        with pytest.raises(IntegrityError):  # this run is still running: a bug, not a race
            harvest.store(run, page)
    else:  # elsewhere every write is an upsert, which absorbs them
        harvest.store(run, page)
    HarvestRun.objects.filter(pk=run.pk).update(status=Status.FAILED)  # the sweeper's doing
    with pytest.raises(harvest.RunLost):
        harvest.store(run, page)
    assert RawRecord.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_staging_tables_are_emptied_by_every_commit() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY staging is PostgreSQL's")
    run = running_run()
    records = [renamed(r, f"oai:x:{i}") for i, r in enumerate(REAL[:20])]
    harvest.store(run, page_of(records))  # new records: COPY straight into the tables
    for n in range(3):  # changed ones, upserted through the staging tables, page by page
        for record in records:
            record.find(f"{Q}header/{Q}datestamp").text = f"2030-01-0{n + 1}"
        harvest.store(run, page_of(records, token=f"t{n + 1}"))
    assert (run.records_new, run.records_updated) == (20, 60)
    assert RawRecord.objects.count() == Record.objects.count() == 20
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('staging_aggregation_rawrecord'), "
            "pg_relation_size('staging_aggregation_record')"
        )
        # Rows moved out are deleted; without the truncation at commit they would stay in the
        # files (temporary tables are never vacuumed) and every page would scan them.
        assert cursor.fetchone() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_only_a_page_s_own_transaction_commits_without_waiting_for_the_disk(monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    seen: list[str] = []
    real = ingest.store_page

    def spying(**kwargs):
        seen.append(_setting("synchronous_commit"))
        return real(**kwargs)

    monkeypatch.setattr(ingest, "store_page", spying)
    run = running_run()
    harvest.store(run, page_of(REAL[:3]))
    assert seen == ["off"]
    assert _setting("synchronous_commit") == "on"  # SET LOCAL: gone with the page's transaction
    assert RawRecord.objects.count() == Record.objects.count() == 3


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_harvested_xml_and_products_are_compressed_with_lz4_where_the_server_can() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("column compression is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        lz4 = cursor.fetchone()[0]
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute "
            "WHERE (attrelid, attname) IN "
            "(('aggregation_rawrecord'::regclass, 'xml'), "
            "('aggregation_record'::regclass, 'product'))"
        )
        rows = sorted(cursor.fetchall())
    expected = "l" if lz4 else ""  # "" is the server's default (pglz)
    assert rows == [
        ("aggregation_rawrecord", "xml", expected),
        ("aggregation_record", "product", expected),
    ]
    long = renamed(REAL[0], "oai:x:long")  # values over about 2 kB are compressed
    description = long.find(f".//{DC}description")
    description.text = " ".join(f"Paragraph {n} of a long abstract." for n in range(200))
    harvest.store(running_run(), page_of([long]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(xml) FROM aggregation_rawrecord")
        assert cursor.fetchone()[0] == ("lz4" if lz4 else "pglz")


@pytest.mark.django_db
def test_a_run_gives_the_switch_interval_back(oai_server, sleeps) -> None:
    factories.dspace_server(oai_server, per_page=20)
    before = sys.getswitchinterval()
    seen: list[float] = []
    run = factories.harvest(
        factories.source(oai_server.url),
        full=True,
        sleeps=sleeps,
        on_progress=lambda run: seen.append(sys.getswitchinterval()),
    )
    assert run.status == Status.SUCCEEDED, run.errors
    assert seen and all(interval <= harvest.SWITCH_INTERVAL for interval in seen)
    assert sys.getswitchinterval() == before


# --- reading a page's records -----------------------------------------------------------------


HEADERS = [
    b"<header><identifier> oai:x:1 </identifier><datestamp>2024-01-02</datestamp></header>",
    b'<header status="deleted"><identifier>oai:x:2</identifier></header>',
    b"<header><datestamp>2024</datestamp><identifier>a</identifier><identifier>b</identifier>"
    b"<setSpec>s</setSpec><datestamp>2025</datestamp></header>",
    b"<header><identifier/><datestamp/></header>",
    b"<header><identifier>  </identifier></header>",
    b"<header><identifier>x<b>y</b>z</identifier></header>",
    b'<header status="other"><identifier>oai:x:3</identifier></header>',
]


@pytest.mark.parametrize("header", HEADERS)
def test_a_header_is_read_as_sickle_reads_it(header: bytes) -> None:
    xml = b'<record xmlns="http://www.openarchives.org/OAI/2.0/">' + header + b"</record>"
    element = oai.parse_oai(
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        + xml
        + b"</ListRecords></OAI-PMH>"
    )[0][0]
    sickle = Header(element.find(f"{Q}header"))
    read = oai.read_record(element)
    if not (sickle.identifier or "").strip():
        assert read == "a <record> whose header has no <identifier> was skipped"
        return
    assert isinstance(read, oai.OaiRecord)
    assert read.identifier == sickle.identifier.strip()
    assert read.datestamp == (sickle.datestamp or "").strip()
    assert read.deleted == sickle.deleted
    assert read.has_metadata is False


def test_every_real_record_is_read_as_sickle_reads_it() -> None:
    for element in REAL:
        sickle = Header(element.find(f"{Q}header"))
        read = oai.read_record(element)
        assert isinstance(read, oai.OaiRecord)
        assert (read.identifier, read.datestamp, read.deleted, read.has_metadata) == (
            sickle.identifier.strip(),
            sickle.datestamp.strip(),
            sickle.deleted,
            True,
        )
