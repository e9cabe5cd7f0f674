"""Undated feed items (intake.feed_run, SQLite and PostgreSQL): one already in a feed when the feed is read for the
first time may be years old, so it is only recorded as seen, never credited; one that appears later counts on the
day it was first seen. Sightings of items gone from the feed for 90 days are forgotten."""

from __future__ import annotations

import datetime as dt

from test_feed_run import MARCH_28, ON_TIME, PORTAL, POST, article, catalog, synced  # noqa: F401  (fixtures)

from commplan.intake import feed_report
from commplan.intake.feed_fetching import read_feeds
from commplan.intake.fetch import FetchResult
from commplan.ledger import FetchStatus

OLD = article(POST, "Hướng dẫn dùng sàn Postmart", "/tin/huong-dan.html", None)
NEW = article(POST, "Sàn Postmart có thêm gian hàng OCOP", "/tin/ocop.html", None)
LATER = article(POST, "Postmart mở gian hàng vải thiều", "/tin/vai-thieu.html", None)


def serving(*items):
    """A fetch (read_feeds' `fetch`) whose feeds hold `items`, each read whole."""
    def fetch(urls, states, **_options):
        return {url: FetchResult(url, FetchStatus.OK, items=tuple(i for i in items if i.feed_url == url)) for url in urls}
    return fetch


def test_an_undated_item_at_a_feeds_first_read_is_seen_not_credited(synced, catalog):
    first = read_feeds(catalog, synced, now=MARCH_28, fetch=serving(OLD))
    assert first.as_dict()["not_counted"] == 1 and first.matches == [] and synced.evidence() == []
    assert ("Bài không ghi ngày đã có sẵn khi nguồn tin được đọc lần đầu (chỉ ghi nhận đã thấy, không tính): 1"
            in feed_report.summary_lines(first))
    # an hour later a new undated article appears: it counts, on the day it was first seen; the old one never does
    later = MARCH_28 + dt.timedelta(hours=1)
    second = read_feeds(catalog, synced, now=later, fetch=serving(OLD, NEW))
    assert second.as_dict()["not_counted"] == 1 and second.as_dict()["recorded"] == 1
    [item] = synced.evidence()
    assert (item.link, item.occurred_at) == (NEW.link, later)
    # a preview shows the same
    preview = read_feeds(catalog, synced, dry_run=True, now=later, fetch=serving(OLD, NEW))
    assert preview.as_dict()["not_counted"] == 1 and preview.as_dict()["already"] == 1


def test_a_dated_item_at_a_feeds_first_read_still_counts_on_its_date(synced, catalog):
    report = read_feeds(catalog, synced, now=MARCH_28, fetch=serving(ON_TIME))
    assert report.as_dict()["recorded"] == 1 and report.as_dict()["not_counted"] == 0


def test_a_feed_unread_for_90_days_is_read_as_for_the_first_time(synced, catalog):
    read_feeds(catalog, synced, now=MARCH_28, fetch=serving())
    back = read_feeds(catalog, synced, now=MARCH_28 + dt.timedelta(days=91), fetch=serving(LATER))
    assert back.as_dict()["not_counted"] == 1 and synced.evidence() == []


def test_sightings_of_items_gone_for_90_days_are_pruned(synced, catalog):
    day = dt.timedelta(days=1)
    read_feeds(catalog, synced, now=MARCH_28, fetch=serving(OLD, NEW))  # first read: both seen
    read_feeds(catalog, synced, now=MARCH_28 + day, fetch=serving(NEW, LATER))  # OLD gone, LATER new
    read_feeds(catalog, synced, now=MARCH_28 + 80 * day, fetch=serving(NEW))  # LATER gone
    assert set(synced.feed_items_seen([OLD.link, NEW.link, LATER.link], keep=False)) == {OLD.link, NEW.link, LATER.link}
    last = read_feeds(catalog, synced, now=MARCH_28 + 92 * day, fetch=serving(NEW))
    assert last.pruned == 2  # OLD (last seen 92 days ago) and LATER (91 days ago)
    moment = MARCH_28 + 93 * day
    seen = synced.feed_items_seen([OLD.link, NEW.link, LATER.link], moment, keep=False)
    assert seen[NEW.link].first_seen_at == MARCH_28 and not seen[NEW.link].counts  # kept: still in the feed
    assert seen[OLD.link].first_seen_at == moment and seen[LATER.link].first_seen_at == moment  # forgotten
    assert PORTAL  # the portal's feed is read too, empty
