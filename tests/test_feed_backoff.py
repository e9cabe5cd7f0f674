"""A feed failing run after run (an address the guard refuses, a site gone) is tried at most once a day after
BACKOFF_AFTER failures in a row, and the run's summary and the tick's say so, in Vietnamese
(intake.feed_fetching, feed_report, feed_health; SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from feed_server import FeedServer
from test_feed_run import MARCH_28, POST, catalog, synced  # noqa: F401  (fixtures)

from commplan.intake import feed_report
from commplan.intake.feed_fetching import BACKOFF_AFTER, read_feeds
from commplan.intake.feed_health import failing_feeds, failing_feeds_markdown
from commplan.intake.fetch import FetchResult
from commplan.ledger import FetchStatus

HOUR = dt.timedelta(hours=1)


def failing(calls: list[str]):
    """A fetch whose post-office feed always fails (the portal reads, empty); `calls` gets each address fetched."""
    def fetch(urls, states, **_options):
        calls.extend(urls)
        return {url: FetchResult(url, FetchStatus.FAILED, reason="máy chủ nguồn tin trả lời lỗi (HTTP 500)",
                                 detail="HTTP 500", transient=True) if url == POST else FetchResult(url, FetchStatus.OK)
                for url in urls}
    return fetch


def test_a_feed_failing_six_runs_in_a_row_is_tried_once_a_day(synced, catalog):
    calls: list[str] = []
    for hour in range(BACKOFF_AFTER):
        read_feeds(catalog, synced, now=MARCH_28 + hour * HOUR, fetch=failing(calls))
    assert calls.count(POST) == BACKOFF_AFTER
    last_try = MARCH_28 + (BACKOFF_AFTER - 1) * HOUR
    resting = read_feeds(catalog, synced, now=last_try + HOUR, fetch=failing(calls))
    assert calls.count(POST) == BACKOFF_AFTER  # not asked this hour
    assert resting.feeds[POST] == "backed_off" and resting.backed_off[POST].failures == BACKOFF_AFTER
    assert resting.backed_off[POST].until == last_try + dt.timedelta(days=1)
    assert synced.feed_source_state(POST).failures == BACKOFF_AFTER  # a skipped run is not another failure
    lines = feed_report.summary_lines(resting)
    assert "Nguồn tin chưa thử lại lần này: 1" in lines
    assert any(line.startswith(f"  chưa thử lại: {POST}: lỗi 6 lần liên tiếp nên chỉ thử mỗi ngày một lần; "
                               "lần thử tới sau 15:00 29/03/2026") for line in lines)
    # the tick says it too
    [problem] = failing_feeds(synced, catalog)
    assert "; từ nay chỉ thử mỗi ngày một lần, lần tới sau 15:00 29/03/2026" in failing_feeds_markdown([problem])
    # a day after the last try it is tried again; a preview always tries
    read_feeds(catalog, synced, dry_run=True, now=last_try + 2 * HOUR, fetch=failing(calls))
    assert calls.count(POST) == BACKOFF_AFTER + 1
    read_feeds(catalog, synced, now=last_try + dt.timedelta(days=1), fetch=failing(calls))
    assert calls.count(POST) == BACKOFF_AFTER + 2 and synced.feed_source_state(POST).failures == BACKOFF_AFTER + 1


def test_a_feed_that_reads_again_is_tried_hourly_again(synced, catalog):
    calls: list[str] = []
    for hour in range(BACKOFF_AFTER):
        read_feeds(catalog, synced, now=MARCH_28 + hour * HOUR, fetch=failing(calls))
    day_later = MARCH_28 + dt.timedelta(days=1, hours=BACKOFF_AFTER)
    read_feeds(catalog, synced, now=day_later, fetch=lambda urls, states, **o: {
        url: FetchResult(url, FetchStatus.OK) for url in urls})
    again = read_feeds(catalog, synced, now=day_later + HOUR, fetch=failing(calls))
    assert again.feeds[POST] == "failed" and not again.backed_off


def test_a_refused_address_reads_in_vietnamese_in_both_summaries(synced, catalog, tmp_path):
    """The real fetcher, a loopback feed without COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS: every word people read is
    Vietnamese (the exception's English stays in the log)."""
    from conftest import UNITS_YAML, plan_yaml
    from test_feed_run import OBLIGATIONS

    from commplan.plan import load_catalog

    with FeedServer() as server:
        url = server.url("/rss.xml")
        (tmp_path / "loop").mkdir()
        (tmp_path / "loop" / "units.yaml").write_text(UNITS_YAML.replace(
            "    name: Bưu điện tỉnh Thử Nghiệm\n", f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{url}\"]\n"),
            encoding="utf-8")
        (tmp_path / "loop" / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
        loop, _ = load_catalog([tmp_path / "loop"], strict=True)
        report = read_feeds(loop, synced, now=MARCH_28)
    assert report.failures == {url: "địa chỉ nguồn tin dẫn đến một địa chỉ nội bộ (127.0.0.1): chỉ đọc nguồn tin từ "
                                     "địa chỉ công khai"}
    [problem] = failing_feeds(synced, loop)
    assert problem["last_error"] == (
        "địa chỉ nguồn tin dẫn đến một địa chỉ nội bộ (127.0.0.1): chỉ đọc nguồn tin từ địa chỉ công khai "
        "(127.0.0.1 → 127.0.0.1 (địa chỉ loopback (chính máy này)); đặt COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS=true "
        "để cho phép đọc từ loopback và mạng nội bộ)")
    assert server.requests == []
