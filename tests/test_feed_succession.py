"""After a merger (`succeeded_by`: the Sở TTTT into the Sở KH&CN from 15/03/2025), a feed item credits the
holder of the occurrence it goes to, decided by that occurrence's deadline as reminders and the ledger decide
it, not by the article's date (intake.matching with Ledger.feed_holder); SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.intake.feed_run import run_feeds
from commplan.intake.items import FeedItem
from commplan.ledger import FeedOutcome, Status
from commplan.plan import load_catalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TTTT, KHCN = "https://stttt.example.gov.vn/rss", "https://skhcn.example.gov.vn/rss"
UNITS = UNITS_YAML.replace("    short: Sở TTTT\n", f"    short: Sở TTTT\n    feeds: [\"{TTTT}\"]\n").replace(
    "    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n",
    f"    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm\n    feeds: [\"{KHCN}\"]\n")
OBLIGATIONS = """
- id: tin-cds
  title: Tin chuyển đổi số hằng tháng
  kind: publish
  lead: so-tttt
  every: month
  from: 2025-01-01
  until: 2025-06-30
  due: {day: 20}
  match: [chuyển đổi số]
"""
MARCH_28 = dt.datetime(2025, 3, 28, 10, 0, tzinfo=VN)


@pytest.fixture
def synced(ledger, tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    ledger.sync(catalog, now=MARCH_28)
    return ledger, catalog


def run(synced, feed: str, day: dt.date):
    from test_feed_run import Fetched

    ledger, catalog = synced
    item = FeedItem(feed_url=feed, link=feed.replace("/rss", f"/tin/{day}.html"), title="Đẩy mạnh chuyển đổi số",
                    summary="", published=dt.datetime.combine(day, dt.time(9), tzinfo=VN).astimezone(dt.UTC))
    return run_feeds(catalog, ledger, {url: Fetched(url, "ok", (item,) if url == feed else ()) for url in (TTTT, KHCN)},
                     now=MARCH_28)


def march(ledger) -> list:
    return [r for r in ledger.statuses(as_of=MARCH_28) if r.window_start == dt.date(2025, 3, 1)]


def test_the_successors_article_before_the_merger_meets_the_occurrence_it_holds(synced):
    """March's occurrence is due 20/03, after the merger: the Sở KH&CN holds it (and is reminded of it), so
    its article of 10/03 meets it, though the Sở TTTT still existed that day."""
    ledger, _catalog = synced
    [row] = march(ledger)
    assert row.unit == "so-khcn"
    [match] = run(synced, KHCN, dt.date(2025, 3, 10)).matches
    assert (match.credit.holder, match.credit.via) == ("so-khcn", "own-feed")
    assert match.record is not None and match.record.outcome is FeedOutcome.RECORDED
    assert [r.status for r in march(ledger)] == [Status.DONE_ON_TIME]


def test_the_predecessors_own_article_meets_the_successors_occurrence_not_an_old_one(synced):
    """The Sở TTTT's article of 12/03 is March's, now the Sở KH&CN's duty: never February's (done late)."""
    ledger, _catalog = synced
    [match] = run(synced, TTTT, dt.date(2025, 3, 12)).matches
    assert (match.credit.holder, match.credit.via) == ("so-khcn", "own-feed")
    assert match.record is not None and match.record.window_start == dt.date(2025, 3, 1)
    assert [r.status for r in march(ledger)] == [Status.DONE_ON_TIME]
    february = [r for r in ledger.statuses(as_of=MARCH_28) if r.window_start == dt.date(2025, 2, 1)]
    assert [(r.unit, r.status) for r in february] == [("so-tttt", Status.OVERDUE)]


def test_the_successors_article_does_not_meet_the_predecessors_occurrence(synced):
    """February's occurrence (due 20/02) stays the Sở TTTT's: the Sở KH&CN's site is not its own."""
    report = run(synced, KHCN, dt.date(2025, 2, 10))
    assert report.matches == [] and len(report.unmatched) == 1
