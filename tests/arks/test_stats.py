"""Resolution counts: buffered recording, batched upserts, the statistics pages and the API.

Tests whose threads touch the database use ``transaction=True``: the flusher thread has its own
connection, which cannot see (or wait for) a test's open transaction.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import OperationalError
from django.test import Client

from arks import services, stats
from arks.models import Ark, DailyResolutions
from tests import factories, support

pytestmark = pytest.mark.urls("tests.arks.stats_test_urls")

TODAY_NOON = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def clean_buffer(settings):
    """A quiet flusher by default, and no counts left behind for the exit-time flush (which
    would write them to the development database once the test database is gone)."""
    settings.PIDSVC_STATS_FLUSH_SECONDS = 3600
    stats.reset()
    yield
    stats.reset()


def make_arks(n: int, *, prefix: str = "fk4", state: str = "public") -> list[Ark]:
    shoulder = factories.shoulder(prefix)
    target = "https://example.org/" if state == "public" else ""
    data = services.ArkData(target=target, state=state, what="A thing worth resolving")
    return services.mint(shoulder=shoulder, actor="test", data=data, count=n)


def on_day(monkeypatch, day: date) -> None:
    """Make record() count on ``day`` (noon UTC)."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
    monkeypatch.setattr(stats, "_clock", lambda: moment)


def stored() -> dict[tuple[int, date], int]:
    return {(r.ark_id, r.day): r.count for r in DailyResolutions.objects.all()}


def wait_for(condition, *, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- recording and flushing -------------------------------------------------------------------


@pytest.mark.django_db
def test_flush_writes_one_row_per_ark_and_day_with_summed_counts(monkeypatch):
    a, b = make_arks(2)
    today = TODAY_NOON.date()
    yesterday = today - timedelta(days=1)
    on_day(monkeypatch, yesterday)
    stats.record(a.pk)
    on_day(monkeypatch, today)
    for _ in range(3):
        stats.record(a.pk)
    stats.record(b.pk)
    assert stats.pending() == {(a.pk, yesterday): 1, (a.pk, today): 3, (b.pk, today): 1}

    assert stats.flush() == 3
    assert stored() == {(a.pk, yesterday): 1, (a.pk, today): 3, (b.pk, today): 1}
    assert stats.pending() == {}


@pytest.mark.django_db
def test_second_flush_adds_to_the_stored_rows(monkeypatch):
    (ark,) = make_arks(1)
    on_day(monkeypatch, TODAY_NOON.date())
    stats.record(ark.pk)
    stats.record(ark.pk)
    stats.flush()
    for _ in range(5):
        stats.record(ark.pk)
    assert stats.flush() == 1
    assert stored() == {(ark.pk, TODAY_NOON.date()): 7}
    assert DailyResolutions.objects.count() == 1


@pytest.mark.django_db
def test_flush_with_nothing_pending_does_not_touch_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert stats.flush() == 0


@pytest.mark.django_db
def test_flush_writes_large_buffers_in_batches(monkeypatch):
    (ark,) = make_arks(1)
    start = TODAY_NOON.date() - timedelta(days=stats.BATCH_ROWS + 10)
    for i in range(stats.BATCH_ROWS + 10):
        on_day(monkeypatch, start + timedelta(days=i))
        stats.record(ark.pk)
    statements = []
    real_upsert = stats.upsert
    monkeypatch.setattr(
        stats, "upsert", lambda rows: statements.append(len(rows)) or real_upsert(rows)
    )
    assert stats.flush() == stats.BATCH_ROWS + 10
    assert statements == [stats.BATCH_ROWS, 10]
    assert DailyResolutions.objects.filter(ark=ark).count() == stats.BATCH_ROWS + 10


@pytest.mark.django_db
def test_records_from_many_threads_at_once_sum_exactly():
    a, b = make_arks(2)
    threads, per_thread = 8, 1000
    barrier = threading.Barrier(threads)

    def work(ark_id: int) -> None:
        barrier.wait()
        for _ in range(per_thread):
            stats.record(ark_id)

    workers = [threading.Thread(target=work, args=((a, b)[i % 2].pk,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    today = datetime.now(UTC).date()
    assert stats.pending() == {(a.pk, today): 4000, (b.pk, today): 4000}
    stats.flush()
    assert stats.totals([a.pk, b.pk]) == {a.pk: 4000, b.pk: 4000}


@pytest.mark.django_db(transaction=True)
def test_background_thread_flushes_by_itself(settings):
    settings.PIDSVC_STATS_FLUSH_SECONDS = 0.05
    (ark,) = make_arks(1)
    for _ in range(4):
        stats.record(ark.pk)
    assert wait_for(lambda: stats.totals([ark.pk])[ark.pk] == 4), "nothing flushed in 5 s"
    stats.record(ark.pk)
    assert wait_for(lambda: stats.totals([ark.pk])[ark.pk] == 5)
    assert stats.pending() == {}


@pytest.mark.django_db(transaction=True)
def test_background_thread_flushes_early_when_the_buffer_is_full(monkeypatch):
    (ark,) = make_arks(1)  # the interval is an hour: only the buffer's size can wake the thread
    first = TODAY_NOON.date() - timedelta(days=stats.MAX_PENDING_KEYS)
    for i in range(stats.MAX_PENDING_KEYS + 1):
        on_day(monkeypatch, first + timedelta(days=i))
        stats.record(ark.pk)
    assert wait_for(lambda: DailyResolutions.objects.count() == stats.MAX_PENDING_KEYS + 1)


@pytest.mark.django_db(transaction=True)
def test_shutdown_stops_the_thread_and_writes_what_is_left():
    (ark,) = make_arks(1)
    stats.record(ark.pk)
    flusher = stats._state.flusher
    assert flusher is not None and flusher.is_alive()
    assert stats.shutdown() == 1
    assert not flusher.is_alive()
    assert stats.totals([ark.pk]) == {ark.pk: 1}


@pytest.mark.django_db(transaction=True)
def test_counts_are_written_when_the_process_exits():
    (ark,) = make_arks(1)
    code = (
        "import django; django.setup()\n"
        "from arks import stats\n"
        f"for _ in range(3): stats.record({ark.pk})\n"
    )  # the flusher would wait 5 s: only the exit-time flush can write these
    child = subprocess.run(
        [sys.executable, "-c", code],
        env=support.child_env(PYTHONPATH=str(support.ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert stats.totals([ark.pk]) == {ark.pk: 3}


@pytest.mark.django_db
def test_a_failed_flush_keeps_the_counts_for_the_next_one(monkeypatch, caplog):
    (ark,) = make_arks(1)
    stats.record(ark.pk)
    stats.record(ark.pk)
    real_upsert = stats.upsert
    calls = []

    def failing_once(rows):
        calls.append(rows)
        if len(calls) == 1:
            stats.record(ark.pk)  # a resolution that arrives while the write is failing
            raise OperationalError("server closed the connection unexpectedly")
        return real_upsert(rows)

    monkeypatch.setattr(stats, "upsert", failing_once)
    with caplog.at_level(logging.WARNING, logger="arks.stats"):
        assert stats.flush() == 0
    assert "server closed the connection" in caplog.text
    assert DailyResolutions.objects.count() == 0
    assert stats.pending() == {(ark.pk, datetime.now(UTC).date()): 3}

    assert stats.flush() == 1
    assert stats.totals([ark.pk]) == {ark.pk: 3}


@pytest.mark.django_db(transaction=True)
def test_counts_for_unknown_ark_ids_are_dropped_and_the_rest_written(caplog):
    (ark,) = make_arks(1)
    missing = ark.pk + 1000
    stats.record(ark.pk)
    stats.record(missing)
    with caplog.at_level(logging.ERROR, logger="arks.stats"):
        assert stats.flush() == 1
    assert str(missing) in caplog.text
    assert stats.totals([ark.pk]) == {ark.pk: 1}
    assert stats.pending() == {}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_an_empty_buffer_and_no_thread():
    stats.record(1)  # the parent's own count, and its flusher (idle: the interval is an hour)
    assert stats._state.flusher is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        ok = stats.pending() == {} and stats._state.flusher is None
        stats.record(2)  # the child's lock is usable, and only its own counts are there
        ok = ok and list(stats.pending()) == [(2, datetime.now(UTC).date())]
        stats.reset()
        os.write(write, b"ok" if ok else b"no")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 2)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    assert list(stats.pending()) == [(1, datetime.now(UTC).date())]


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_series_fills_in_days_without_resolutions(monkeypatch):
    (ark,) = make_arks(1)
    today = datetime.now(UTC).date()
    on_day(monkeypatch, today - timedelta(days=2))
    stats.record(ark.pk)
    on_day(monkeypatch, today)
    stats.record(ark.pk)
    stats.record(ark.pk)
    on_day(monkeypatch, today - timedelta(days=10))  # outside the window asked for
    stats.record(ark.pk)
    stats.flush()
    assert stats.series(ark.pk, days=4) == [
        (today - timedelta(days=3), 0),
        (today - timedelta(days=2), 1),
        (today - timedelta(days=1), 0),
        (today, 2),
    ]
    assert len(stats.series(ark.pk)) == 90
    assert stats.totals([ark.pk, ark.pk + 1000]) == {ark.pk: 4, ark.pk + 1000: 0}


@pytest.mark.django_db
def test_site_series_and_top_sum_over_arks(monkeypatch):
    a, b, c = make_arks(3)
    today = datetime.now(UTC).date()
    on_day(monkeypatch, today)
    for ark, n in ((a, 2), (b, 5), (c, 1)):
        for _ in range(n):
            stats.record(ark.pk)
    on_day(monkeypatch, today - timedelta(days=40))  # counts for the site, not for the top 30 days
    for _ in range(9):
        stats.record(c.pk)
    stats.flush()
    assert stats.site_series(days=1) == [(today, 8)]
    assert sum(n for _, n in stats.site_series(days=90)) == 17
    assert stats.top(days=30, limit=2) == [(b, 5), (a, 2)]
    assert stats.top(days=60) == [(c, 10), (b, 5), (a, 2)]


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_site_page_shows_counts_chart_and_most_resolved(client):
    a, b = make_arks(2)
    for _ in range(3):
        stats.record(a.pk)
    stats.record(b.pk)
    stats.flush()
    response = client.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and '<title id="chart-title">' in html and "<desc" in html
    assert "4 resolutions of ARKs" in html
    assert f'href="/stats/{a.ark}"' in html
    assert html.index(a.ark) < html.index(b.ark)  # most resolved first
    assert "<script" not in html


@pytest.mark.django_db
def test_site_page_renders_with_no_counts_at_all(client):
    response = client.get("/stats/")
    assert response.status_code == 200
    assert b"<svg" in response.content
    assert b"No ARK was resolved" in response.content


@pytest.mark.django_db
def test_ark_page_accepts_equivalent_forms(client):
    (ark,) = make_arks(1)
    for _ in range(6):
        stats.record(ark.pk)
    stats.flush()
    naan, name = ark.ark.removeprefix("ark:").split("/")
    for form in (ark.ark, f"ark:/{naan}/{name}", f"ARK:{naan}/{name[:3]}-{name[3:]}"):
        response = client.get(f"/stats/{form}")
        assert response.status_code == 200, form
        html = response.content.decode()
        assert "<svg" in html
        assert f"{datetime.now(UTC).date().isoformat()}: 6 resolutions" in html
        assert "<dd>6</dd>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/stats/ark:99999/fk4nothere", 404),
        ("/stats/not-an-ark", 400),
        ("/stats/ark:99999/a..b", 400),
    ],
)
def test_ark_page_errors(client, path, status):
    factories.shoulder("fk4")
    response = client.get(path)
    assert response.status_code == status
    assert b"<svg" not in response.content


@pytest.mark.django_db
def test_reserved_arks_have_no_public_statistics(client):
    (ark,) = make_arks(1, state="reserved")
    assert client.get(f"/stats/{ark.ark}").status_code == 404
    assert client.get(f"/api/v1/stats/{ark.ark}").status_code == 404


# --- the API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_returns_the_total_and_the_days(client, monkeypatch):
    (ark,) = make_arks(1)
    today = datetime.now(UTC).date()
    on_day(monkeypatch, today - timedelta(days=100))  # in the total, outside the days asked for
    stats.record(ark.pk)
    on_day(monkeypatch, today - timedelta(days=1))
    stats.record(ark.pk)
    on_day(monkeypatch, today)
    stats.record(ark.pk)
    stats.record(ark.pk)
    stats.flush()

    response = client.get(f"/api/v1/stats/{ark.ark}", {"days": "3"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "ark": ark.ark,
        "total": 4,
        "days": [
            {"date": (today - timedelta(days=2)).isoformat(), "count": 0},
            {"date": (today - timedelta(days=1)).isoformat(), "count": 1},
            {"date": today.isoformat(), "count": 2},
        ],
    }
    default = client.get(f"/api/v1/stats/ark:/{ark.ark.removeprefix('ark:')}").json()
    assert len(default["days"]) == 90 and default["total"] == 4
    assert len(client.get(f"/api/v1/stats/{ark.ark}?days=366").json()["days"]) == 366


@pytest.mark.django_db
def test_api_unknown_and_malformed_arks(client):
    factories.shoulder("fk4")
    unknown = client.get("/api/v1/stats/ark:99999/fk4nothere")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "errors": [
            {
                "code": "not_found",
                "field": "ark",
                "message": "ark:99999/fk4nothere is not known here",
            }
        ]
    }
    (reserved,) = make_arks(1, prefix="b5", state="reserved")
    hidden = client.get(f"/api/v1/stats/{reserved.ark}")
    assert hidden.status_code == 404 and hidden.json()["errors"][0]["code"] == "not_found"
    malformed = client.get("/api/v1/stats/ark:99999/a%20b%ZZ")
    assert malformed.status_code == 400
    (problem,) = malformed.json()["errors"]
    assert (problem["code"], problem["field"]) == ("invalid_ark", "ark")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "367", "abc", "", "1.5", "-3", "99999"])
def test_api_rejects_bad_days(client, value):
    (ark,) = make_arks(1)
    response = client.get(f"/api/v1/stats/{ark.ark}", {"days": value})
    assert response.status_code == 400
    (problem,) = response.json()["errors"]
    assert problem["code"] in ("invalid", "min_value", "max_value"), problem
    assert problem["field"] == "days"
    assert problem["message"] == "days must be a whole number from 1 to 366"


@pytest.mark.django_db
def test_api_is_read_only(client):
    (ark,) = make_arks(1)
    browser = Client(enforce_csrf_checks=True)  # as a real client: no CSRF exemption
    response = browser.post(f"/api/v1/stats/{ark.ark}")
    assert response.status_code == 405 and "POST" not in response["Allow"]
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
    assert browser.post("/stats/").status_code == 405


@pytest.mark.django_db
def test_counts_are_never_written_to_another_database_than_they_were_recorded_for(
    monkeypatch, caplog
):
    (ark,) = make_arks(1)
    stats.record(ark.pk)
    monkeypatch.setattr(stats, "_database", lambda: "the-development-database")
    with caplog.at_level(logging.WARNING, logger="arks.stats"):
        assert stats.flush() == 0
    assert "recorded against database" in caplog.text
    assert stats.pending() == {}
    assert DailyResolutions.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.urls("pidsvc.urls")  # the resolver's own routes
def test_descriptions_are_not_counted_as_resolutions_redirects_and_tombstones_are(monkeypatch):
    today = TODAY_NOON.date()
    on_day(monkeypatch, today)
    public, withdrawn = make_arks(2)
    services.tombstone(ark=withdrawn, actor="test", reason="gone")
    resolver = Client()
    for inflection in ("info", "", "?", "INFO"):
        for accept in ("text/html", "application/json", "application/ld+json", "text/plain"):
            for ark in (public, withdrawn):
                raw = f"/{ark.ark}?{inflection}"
                answer = resolver.get(f"/{ark.ark}", RAW_URI=raw, headers={"accept": accept})
                assert answer.status_code == 200, raw
    assert stats.pending() == {}
    assert resolver.get(f"/{public.ark}", RAW_URI=f"/{public.ark}").status_code == 302
    assert resolver.get(f"/{public.ark}/c3", RAW_URI=f"/{public.ark}/c3?x=1").status_code == 302
    assert resolver.get(f"/{withdrawn.ark}").status_code == 410
    assert stats.pending() == {(public.pk, today): 2, (withdrawn.pk, today): 1}
