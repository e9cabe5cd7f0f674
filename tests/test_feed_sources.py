"""The ledger keeps each feed's last fetch (ledger/feed_sources.py): validators for the next conditional GET,
when it last worked, failures in a row (up with each failure, back to 0 with a success); on SQLite and
PostgreSQL, and end to end with feeds served from loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from feed_server import FeedServer

from commplan.intake.fetch import FetchResult, new_client
from commplan.intake.fetch_all import fetch_all
from commplan.intake.items import FeedItem
from commplan.ledger import FetchStatus, LedgerError
from commplan.ledger.feed_sources import LABELS

UTC = dt.UTC
URL = "https://thunghiem.gov.vn/rss/tin-tuc.rss"
T1 = dt.datetime(2025, 3, 12, 1, 0, tzinfo=UTC)


def hours(n: int) -> dt.datetime:
    return T1 + dt.timedelta(hours=n)


def ok(etag: str | None, modified: str | None = None, items: int = 0) -> FetchResult:
    found = tuple(FeedItem(URL, f"https://thunghiem.gov.vn/tin/{i}", f"Tin {i}", "", None) for i in range(items))
    return FetchResult(URL, FetchStatus.OK, items=found, etag=etag, last_modified=modified)


def failed(reason: str, detail: str) -> FetchResult:
    return FetchResult(URL, FetchStatus.FAILED, reason=reason, detail=detail, transient=True)


def test_a_feed_never_fetched_has_no_state(ledger):
    assert ledger.feed_source_state(URL) is None and ledger.feed_source_states() == {}


def test_failures_count_up_and_a_success_resets_them(ledger):
    stamp = "Wed, 12 Mar 2025 01:00:00 GMT"
    first = ledger.record_feed_fetch(URL, ok('"v1"', stamp, items=3), now=hours(0))
    assert (first.last_status, first.etag, first.last_modified, first.failures, first.items_seen) == (
        FetchStatus.OK, '"v1"', stamp, 0, 3)
    assert first.last_checked_at == first.last_ok_at == hours(0) and first.last_error is None
    ledger.record_feed_fetch(URL, failed("nguồn tin không trả lời trong 10 giây", "ReadTimeout"), now=hours(1))
    down = ledger.record_feed_fetch(URL, failed("máy chủ nguồn tin trả lời lỗi (HTTP 500)", "HTTP 500"), now=hours(2))
    assert (down.last_status, down.failures, down.last_error) == (
        FetchStatus.FAILED, 2, "máy chủ nguồn tin trả lời lỗi (HTTP 500) (HTTP 500)")
    # a failure keeps what the next conditional GET needs, and when it last worked
    assert (down.etag, down.last_modified, down.items_seen, down.last_ok_at, down.last_checked_at) == (
        '"v1"', stamp, 3, hours(0), hours(2))
    # a 304 without validators of its own keeps the stored ones, and ends the failures
    back = ledger.record_feed_fetch(URL, FetchResult(URL, FetchStatus.NOT_MODIFIED), now=hours(3))
    assert (back.last_status, back.failures, back.last_error, back.etag, back.last_modified, back.items_seen) == (
        FetchStatus.NOT_MODIFIED, 0, None, '"v1"', stamp, 3)
    assert back.last_ok_at == hours(3)
    # a 200 replaces them: a server that stopped sending an ETag gets none back
    later = ledger.record_feed_fetch(URL, ok(None, "Thu, 13 Mar 2025 01:00:00 GMT", items=1), now=hours(4))
    assert (later.etag, later.last_modified, later.items_seen) == (None, "Thu, 13 Mar 2025 01:00:00 GMT", 1)
    assert ledger.feed_source_state(URL) == later


def test_states_are_read_all_or_by_address(ledger):
    other = "https://baothunghiem.vn/rss.xml"
    ledger.record_feed_fetch(URL, ok('"a"'), now=hours(0))
    ledger.record_feed_fetch(other, FetchResult(other, FetchStatus.FAILED, reason="x", detail="y"), now=hours(0))
    assert list(ledger.feed_source_states()) == [other, URL]
    assert list(ledger.feed_source_states([URL, "https://chua-doc.vn/rss"])) == [URL]
    assert ledger.feed_source_states([]) == {}


def test_an_address_too_long_for_the_column_is_refused(ledger):
    too_long = "https://thunghiem.gov.vn/" + "a" * 2048
    with pytest.raises(LedgerError, match="địa chỉ nguồn tin phải dài từ 1 đến 2048 ký tự"):
        ledger.record_feed_fetch(too_long, ok(None), now=hours(0))
    assert ledger.feed_source_states() == {}


def test_every_fetch_status_has_a_label():
    assert set(LABELS) == set(FetchStatus)
    assert [s.label for s in FetchStatus] == ["đã đọc", "không thay đổi", "lỗi"]


@pytest.mark.server
def test_hourly_runs_fetch_conditionally_and_count_a_failing_feed(ledger):
    """Three runs as the hourly flow will make them: states read from the ledger, fetched, recorded."""
    body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Xã B</title>'
            '<item><title>Tuyên truyền bầu cử</title><link>https://xa-b.gov.vn/tin/1</link></item></channel></rss>')
    with FeedServer() as server, new_client() as client:
        server.feed("/xa-b.xml", body, etag='"1"')
        server.status("/huyen-a.xml", 500)
        urls = [server.url("/xa-b.xml"), server.url("/huyen-a.xml")]

        def run(at: dt.datetime) -> dict:
            results = fetch_all(urls, ledger.feed_source_states(urls), client=client, retries=0,
                                allow_private_hosts=True)
            return {url: ledger.record_feed_fetch(url, result, now=at) for url, result in results.items()}

        first = run(hours(0))
        second = run(hours(1))
        server.feed("/huyen-a.xml", body.replace("Xã B", "Huyện A"), last_modified="Wed, 12 Mar 2025 03:00:00 GMT")
        third = run(hours(2))
    good, bad = urls
    assert [first[good].last_status, second[good].last_status] == [FetchStatus.OK, FetchStatus.NOT_MODIFIED]
    assert [r["if-none-match"] for r in server.requests_to("/xa-b.xml")] == [None, '"1"', '"1"']
    assert second[good].items_seen == 1 and second[good].last_ok_at == hours(1)
    assert [first[bad].failures, second[bad].failures, third[bad].failures] == [1, 2, 0]
    assert second[bad].last_error == "máy chủ nguồn tin trả lời lỗi (HTTP 500) (HTTP 500)"
    assert second[bad].last_ok_at is None and third[bad].last_ok_at == hours(2)
    assert third[bad].last_modified == "Wed, 12 Mar 2025 03:00:00 GMT" and third[bad].last_error is None
