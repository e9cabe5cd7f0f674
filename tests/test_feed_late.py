"""An article after a duty's last window still makes it done late (Ledger.record_feed_item through
feed_evidence.window_of), on SQLite and PostgreSQL: a `once` duty's window ends on its deadline, so an article
of the day after contains no window; it goes to the overdue occurrence before it. A done duty stays done."""

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
POST = "https://buudien.example.vn/rss"
UNITS = UNITS_YAML.replace("    name: Bưu điện tỉnh Thử Nghiệm\n",
                           f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{POST}\"]\n")
OBLIGATIONS = """
- id: chuyen-muc
  title: Ra mắt chuyên mục chuyển đổi số
  kind: deliverable
  lead: buu-dien
  once: true
  from: 2026-03-01
  due: 2026-03-20
  match: [chuyển đổi số]
- id: tin-thang
  title: Tin tháng về Postmart
  kind: publish
  lead: buu-dien
  every: month
  from: 2026-01-01
  until: 2026-03-31
  due: {day: 20}
  match: [postmart]
"""
APRIL_5 = dt.datetime(2026, 4, 5, 10, 0, tzinfo=VN)


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    found, _ = load_catalog([tmp_path], strict=True)
    return found


def fetched(*items: FeedItem) -> dict:
    from test_feed_run import Fetched

    return {POST: Fetched(POST, "ok", items)}


def article(title: str, path: str, day: dt.datetime) -> FeedItem:
    return FeedItem(feed_url=POST, link=f"https://buudien.example.vn{path}", title=title, summary="",
                    published=day.astimezone(dt.UTC))


def test_a_late_article_makes_a_once_duty_done_late(ledger, catalog):
    ledger.sync(catalog, now=APRIL_5)
    late = article("Ra mắt chuyên mục Chuyển đổi số", "/chuyen-muc.html", dt.datetime(2026, 3, 25, 9, 0, tzinfo=VN))
    report = run_feeds(catalog, ledger, fetched(late), now=APRIL_5)
    [match] = report.matches
    assert match.record is not None and match.record.outcome is FeedOutcome.RECORDED
    assert match.record.status is Status.DONE_LATE
    assert (match.record.window_start, match.record.window_end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 20))
    # a second article after it finds the duty done: not recorded
    again = article("Chuyên mục chuyển đổi số có thêm bài", "/chuyen-muc-2.html", dt.datetime(2026, 4, 1, tzinfo=VN))
    assert run_feeds(catalog, ledger, fetched(again), now=APRIL_5).as_dict()["no_open_duty"] == 1


def test_an_article_after_a_periodic_duty_ends_completes_its_last_overdue_period(ledger, catalog):
    ledger.sync(catalog, now=APRIL_5)
    after = article("Nông sản lên sàn Postmart", "/postmart.html", dt.datetime(2026, 4, 2, 9, 0, tzinfo=VN))
    [match] = run_feeds(catalog, ledger, fetched(after), now=APRIL_5).matches
    assert match.record is not None and match.record.status is Status.DONE_LATE
    assert match.record.window_start == dt.date(2026, 3, 1)  # March's, the last one, overdue until now


def test_an_article_inside_a_later_window_goes_to_that_window_not_an_earlier_overdue_one(ledger, catalog):
    ledger.sync(catalog, now=APRIL_5)
    march = article("Postmart tháng Ba", "/postmart-3.html", dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN))
    [match] = run_feeds(catalog, ledger, fetched(march), now=APRIL_5).matches
    assert match.record is not None and match.record.window_start == dt.date(2026, 3, 1)  # February stays overdue
    assert match.record.status is Status.DONE_ON_TIME
    statuses = {r.window_start: r.status for r in ledger.statuses(as_of=APRIL_5, units=["buu-dien"])
                if r.obligation == "tin-thang"}
    assert statuses[dt.date(2026, 2, 1)] is Status.OVERDUE


SEASONAL = """
- id: vai-thieu
  title: Tin mùa vải thiều
  kind: publish
  lead: buu-dien
  every: month
  months: [5, 6, 7]
  from: 2026-01-01
  until: 2027-12-31
  due: {day: 20}
  match: [vải thiều]
"""


def test_an_article_between_two_seasons_completes_no_earlier_period(ledger, tmp_path):
    """`months:` leaves gaps between windows: an article of March 2027 (before the 2027 season) is not July 2026's
    late article (the fallback is for after a duty's last window only); it waits in triage instead."""
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(SEASONAL), encoding="utf-8")
    seasonal, _ = load_catalog([tmp_path], strict=True)
    now = dt.datetime(2027, 3, 15, 10, 0, tzinfo=VN)
    ledger.sync(seasonal, now=now)
    before = {r.window_start: r.status for r in ledger.statuses(as_of=now, units=["buu-dien"], include_scheduled=True)}
    assert before[dt.date(2026, 7, 1)] is Status.OVERDUE and dt.date(2027, 5, 1) in before
    spring = article("Chuẩn bị mùa vải thiều 2027", "/vai-thieu-2027.html", dt.datetime(2027, 3, 10, 9, 0, tzinfo=VN))
    [match] = run_feeds(seasonal, ledger, fetched(spring), now=now).matches
    assert match.record is not None and match.record.outcome is FeedOutcome.NO_OPEN_DUTY, match.record
    after = {r.window_start: r.status for r in ledger.statuses(as_of=now, units=["buu-dien"])}
    assert after[dt.date(2026, 7, 1)] is Status.OVERDUE and ledger.evidence() == []
