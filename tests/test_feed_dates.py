"""A feed's dates written without a timezone are Vietnam time (intake.fetch._published), read from a loopback
server: feedparser alone would read a naive ISO date as UTC (seven hours early: the day before, before 07:00)
and a naive RFC 822 date not at all."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from feed_server import FeedServer

from commplan.intake.fetch import fetch_feed, new_client

pytestmark = pytest.mark.server  # a loopback web server

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def rss(*dates: str) -> str:
    items = "".join(f"<item><title>Bài {i}</title><link>https://tin.example.vn/{i}.html</link>"
                    f"<pubDate>{date}</pubDate></item>" for i, date in enumerate(dates))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-03-01T06:30:00", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),  # UTC would be 13:30, the wrong hour
        ("2026-03-01 06:30:00", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("Sun, 01 Mar 2026 06:30:00", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),  # feedparser: no date at all
        ("Sun, 01 Mar 2026 06:30:00 ICT", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),  # a zone feedparser reads as UTC
        ("2026-03-01", dt.datetime(2026, 3, 1, 0, 0, tzinfo=VN)),
        # written with a zone: as written
        ("Sun, 01 Mar 2026 06:30:00 +0700", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("Sat, 28 Feb 2026 23:30:00 GMT", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("2026-02-28T23:30:00Z", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
    ],
)
def test_a_date_without_a_timezone_is_vietnam_time(written, meant):
    with FeedServer() as server, new_client() as client:
        server.feed("/rss.xml", rss(written))
        [item] = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True).items
    assert item.published == meant and item.published.tzinfo == dt.UTC
    assert item.published.astimezone(VN).date() == dt.date(2026, 3, 1)  # March's, not February's


def test_an_unreadable_date_leaves_the_item_undated():
    with FeedServer() as server, new_client() as client:
        server.feed("/rss.xml", rss("hôm qua"))
        [item] = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True).items
    assert item.published is None


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        # Vietnamese sites write the day first; feedparser reads the first as 20 March 2001 and the second as
        # 1 December, and the third not at all
        ("01-03-2026 06:30", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("2026/03/01 06:30:00", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("01/03/2026 06:30:00", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
        ("1.3.2026", dt.datetime(2026, 3, 1, 0, 0, tzinfo=VN)),
        ("01/03/2026 06:30 +0700", dt.datetime(2026, 3, 1, 6, 30, tzinfo=VN)),
    ],
)
def test_a_numeric_date_is_read_day_first_as_vietnamese_sites_write_it(written, meant):
    with FeedServer() as server, new_client() as client:
        server.feed("/rss.xml", rss(written))
        [item] = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True).items
    assert item.published == meant


def test_a_numeric_date_that_is_no_date_leaves_the_item_undated():
    with FeedServer() as server, new_client() as client:
        server.feed("/rss.xml", rss("31/02/2026 06:30", "2026-13-01 06:30"))
        items = fetch_feed(server.url("/rss.xml"), client=client, allow_private_hosts=True).items
    assert [i.published for i in items] == [None, None]
