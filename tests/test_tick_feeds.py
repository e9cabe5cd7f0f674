"""The tick's summary lists the directory's feeds whose last fetch failed (SQLite and PostgreSQL), with the
unit that owns each, in Vietnamese: failures in a row, when it last read, the error; a feed that reads again,
or that left the directory, is not listed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conftest import UNITS_YAML, plan_yaml

from commplan.intake.feed_health import failing_feeds, failing_feeds_markdown
from commplan.ledger import FetchStatus
from commplan.plan import load_catalog

VN = dt.timezone(dt.timedelta(hours=7))
PORTAL = "https://cong.example.gov.vn/rss.xml"
POST = "https://buudien.example.vn/feed"
OBLIGATION = """
- id: bao-cao
  title: Báo cáo tháng
  kind: report
  lead: [buu-dien]
  every: month
  from: 2026-01-01
  until: 2026-12-31
  due: {day: 20}
"""


@dataclass(frozen=True)
class Outcome:
    status: FetchStatus
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    item_count: int = 0


def catalog(tmp_path, *feeds: tuple[str, str]):
    """The test directory with `feeds` as (unit, feed line) pairs."""
    units = UNITS_YAML
    for unit, line in feeds:
        anchor = {"ubnd-tinh": "    name: UBND tỉnh Thử Nghiệm\n", "buu-dien": "    name: Bưu điện tỉnh Thử Nghiệm\n"}[unit]
        units = units.replace(anchor, f"{anchor}    feeds: [{line}]\n")
    plans = tmp_path / "plans"
    plans.mkdir(exist_ok=True)
    (plans / "units.yaml").write_text(units, encoding="utf-8")
    (plans / "plan.yaml").write_text(plan_yaml(OBLIGATION), encoding="utf-8")
    return load_catalog([plans])[0]


def test_failing_feeds_are_listed_with_their_owner_and_a_recovered_or_removed_one_is_not(ledger, tmp_path):
    both = catalog(tmp_path, ("ubnd-tinh", f'{{url: "{PORTAL}", name: Cổng thông tin điện tử tỉnh}}'),
                   ("buu-dien", f'"{POST}"'))
    ledger.sync(both)
    monday = dt.datetime(2026, 3, 23, 9, 0, tzinfo=VN)
    ledger.record_feed_fetch(PORTAL, Outcome(FetchStatus.OK, item_count=5), monday)
    for hours in (1, 2, 3):
        ledger.record_feed_fetch(PORTAL, Outcome(FetchStatus.FAILED, error="HTTP 500: Lỗi máy chủ"),
                                 monday + dt.timedelta(hours=hours))
    ledger.record_feed_fetch(POST, Outcome(FetchStatus.FAILED, error="quá thời gian chờ"), monday)
    ledger.record_feed_fetch(POST, Outcome(FetchStatus.NOT_MODIFIED), monday + dt.timedelta(hours=1))  # reads again

    [portal] = failing_feeds(ledger, both)
    assert portal == {"url": PORTAL, "name": "Cổng thông tin điện tử tỉnh", "owners": ["UBND tỉnh Thử Nghiệm"],
                      "failures": 3, "last_error": "HTTP 500: Lỗi máy chủ", "next_try_at": None, "last_ok_at": "2026-03-23T09:00:00+07:00",
                      "last_checked_at": "2026-03-23T12:00:00+07:00"}
    markdown = failing_feeds_markdown([portal])
    assert markdown.startswith("\n## Nguồn tin không đọc được\n")
    assert (f"- **UBND tỉnh Thử Nghiệm**, Cổng thông tin điện tử tỉnh ({PORTAL}): lỗi 3 lần liên tiếp, "
            "đọc được lần cuối lúc 09:00 23/03/2026 (chi tiết kỹ thuật: HTTP 500: Lỗi máy chủ)") in markdown
    # the post office fails again, never having read since; the portal left the directory
    ledger.record_feed_fetch(POST, Outcome(FetchStatus.FAILED, error="quá thời gian chờ"), monday + dt.timedelta(hours=4))
    only_post = catalog(tmp_path, ("buu-dien", f'"{POST}"'))
    assert [(p["url"], p["owners"], p["failures"]) for p in failing_feeds(ledger, only_post)] == [
        (POST, ["Bưu điện tỉnh Thử Nghiệm"], 1)]


def test_the_section_is_short_and_absent_when_every_feed_reads():
    assert failing_feeds_markdown([]) == ""
    problem = {"url": POST, "name": None, "owners": ["Bưu điện tỉnh", "Chi nhánh Viettel Post"], "failures": 7,
               "last_error": "HTTP 500:\n<html>" + "x" * 1000, "last_ok_at": None,
               "last_checked_at": "2026-03-23T12:00:00+07:00"}
    markdown = failing_feeds_markdown([problem])
    [line] = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert line.startswith(f"- **Bưu điện tỉnh, Chi nhánh Viettel Post**, {POST}: lỗi 7 lần liên tiếp, "
                           "chưa đọc được lần nào (chi tiết kỹ thuật: HTTP 500: <html>xxx")
    assert line.endswith("x…)") and len(line) < 400  # one line, the error cut
    assert "Việc đọc nguồn tin thử lại mỗi giờ, riêng nguồn tin lỗi 6 lần liên tiếp thì mỗi ngày một lần" in markdown
