"""A feed article that matches a duty but finds no open occurrence (the duty done or excused, or no window for
its date) waits in the triage list, once per link (intake.feed_run over Ledger.add_triage; SQLite and
PostgreSQL). An article matching no duty, a preview and a feed's first read add nothing."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from test_feed_run import MARCH_28, ON_TIME, OTHER_TOPIC, PORTAL, POST, article, catalog, feeds, read_before, synced  # noqa: F401

from commplan.intake import feed_report
from commplan.intake.feed_run import run_feeds

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SECOND = article(POST, "Thêm một bài về sàn Postmart", "/tin/bai-2.html", dt.datetime(2026, 3, 15, 9, 0, tzinfo=VN))


def test_an_article_with_no_open_duty_waits_in_triage_once(synced, catalog):
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)  # March done
    report = run_feeds(catalog, synced, feeds(ON_TIME, SECOND, OTHER_TOPIC), now=MARCH_28 + dt.timedelta(hours=1))
    assert report.as_dict()["no_open_duty"] == 1 and report.as_dict()["triaged"] == 1
    assert "Đưa vào hàng chờ xác nhận: 1" in feed_report.summary_lines(report)
    [waiting] = synced.triage_items()
    assert (waiting.source, waiting.why, waiting.external_id, waiting.link) == ("feed", "no-open-duty", f"{SECOND.link}#buu-dien",
                                                                                 SECOND.link)
    assert (waiting.unit_id, waiting.sender, waiting.kind) == ("buu-dien", POST, "link")
    assert waiting.text == "Thêm một bài về sàn Postmart"
    assert waiting.received_at == dt.datetime(2026, 3, 15, 9, 0, tzinfo=VN)
    assert json.loads(waiting.match_reason or "")["keyword"] == "postmart"
    # read again every hour: still one item; dismissed, it does not come back
    again = run_feeds(catalog, synced, feeds(SECOND), now=MARCH_28 + dt.timedelta(hours=2))
    assert again.as_dict()["triaged"] == 0 and len(synced.triage_items()) == 1
    synced.dismiss_triage(waiting.id, "Bài thứ hai trong tháng", actor="dieu-phoi")
    run_feeds(catalog, synced, feeds(SECOND), now=MARCH_28 + dt.timedelta(hours=3))
    assert synced.triage_items() == [] and len(synced.triage_items(open_only=False)) == 1
    assert len(synced.evidence()) == 1  # triage records nothing by itself


def test_an_article_before_any_window_waits_in_triage(synced, catalog):
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    old = article(POST, "Postmart năm ngoái", "/tin/cu.html", dt.datetime(2025, 12, 10, tzinfo=VN))
    report = run_feeds(catalog, synced, feeds(old), now=MARCH_28)
    assert report.as_dict()["triaged"] == 1 and [i.link for i in synced.triage_items()] == [old.link]


def test_no_triage_for_no_match_a_preview_or_a_feeds_first_read(synced, catalog):
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)  # the first read: March done
    first = run_feeds(catalog, synced, feeds(SECOND), now=MARCH_28)  # no feed state kept yet: still a first read
    assert first.as_dict()["no_open_duty"] == 1 and first.as_dict()["triaged"] == 0
    read_before(synced, MARCH_28)
    preview = run_feeds(catalog, synced, feeds(SECOND, OTHER_TOPIC), dry_run=True, now=MARCH_28 + dt.timedelta(hours=1))
    assert preview.as_dict()["no_open_duty"] == 1 and preview.as_dict()["triaged"] == 0
    unmatched = run_feeds(catalog, synced, feeds(OTHER_TOPIC), now=MARCH_28 + dt.timedelta(hours=1))
    assert unmatched.as_dict()["unmatched"] == 1 and unmatched.as_dict()["triaged"] == 0
    assert synced.triage_items(open_only=False) == []


def test_an_article_naming_two_holders_with_no_open_duty_waits_for_each(synced, catalog):
    """The portal's article names the post office and Viettel Post: two credits, neither with an open duty. Each
    holder's coordinator must find it in triage (the holders may be seen by different accounts), not only the
    first credit's."""
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    both = article(PORTAL, "Bưu điện tỉnh Thử Nghiệm và Chi nhánh Viettel Post tỉnh Thử Nghiệm lên sàn Postmart",
                   "/tin/hai-don-vi.html", dt.datetime(2025, 12, 10, 9, 0, tzinfo=VN))
    report = run_feeds(catalog, synced, feeds(both), now=MARCH_28)
    assert {m.credit.holder for m in report.no_open_duty} == {"buu-dien", "viettel-post"}
    assert {i.unit_id for i in synced.triage_items()} == {"buu-dien", "viettel-post"}
    again = run_feeds(catalog, synced, feeds(both), now=MARCH_28 + dt.timedelta(hours=1))
    assert again.as_dict()["triaged"] == 0 and len(synced.triage_items()) == 2


def test_a_feeds_history_stays_out_of_triage_after_its_first_read_too(catalog, synced):
    """The first read's old articles are history, not work to sort: the next reads (every day a full one, and
    every hour for a site without validators) carry the same articles and must not put them in triage either.
    An article new since then, with no open duty, still waits there."""
    from test_feed_first_read import serving

    from commplan.intake.feed_fetching import read_feeds

    history = article(POST, "Postmart năm ngoái", "/tin/postmart-2025.html", dt.datetime(2025, 11, 10, tzinfo=VN))
    first = read_feeds(catalog, synced, now=MARCH_28, fetch=serving(ON_TIME, history))
    assert first.as_dict()["recorded"] == 1 and first.as_dict()["no_open_duty"] == 1 and first.as_dict()["triaged"] == 0
    fresh = article(POST, "Thêm gian hàng Postmart", "/tin/postmart-moi.html", MARCH_28 + dt.timedelta(hours=20))
    for hours in (1, 24):  # a site that ignores validators answers whole; the daily full read
        read_feeds(catalog, synced, now=MARCH_28 + dt.timedelta(hours=hours),
                   fetch=serving(ON_TIME, history, *([fresh] if hours == 24 else [])))
    assert [i.link for i in synced.triage_items()] == [fresh.link]


def test_an_article_a_coordinator_dismissed_is_not_recorded_when_its_duty_opens_again(synced, catalog):
    """A dismissal is a person's decision on that article ("an advertisement, not an article"), as a withdrawal
    is: when the duty opens again (the article that met it withdrawn), the next read must not record the
    dismissed one by itself."""
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)  # March done
    run_feeds(catalog, synced, feeds(ON_TIME, SECOND), now=MARCH_28 + dt.timedelta(hours=1))
    [waiting] = synced.triage_items()
    synced.dismiss_triage(waiting.id, "Tin quảng cáo, không phải bài", actor="dieu-phoi",
                          now=MARCH_28 + dt.timedelta(hours=2))
    [met] = synced.evidence()
    synced.withdraw_evidence(met.id, "Bài không đúng chủ đề", actor="dieu-phoi", now=MARCH_28 + dt.timedelta(hours=2))
    report = run_feeds(catalog, synced, feeds(ON_TIME, SECOND), now=MARCH_28 + dt.timedelta(hours=3))
    assert report.as_dict()["recorded"] == 0, [(m.item.link, m.record) for m in report.matches]
    assert report.as_dict()["dismissed"] == 1 and [i.link for i in synced.evidence() if i.withdrawn_at is None] == []
    assert "Đã bị bỏ qua trong hàng chờ xác nhận trước đó (không ghi nhận): 1" in feed_report.summary_lines(report)
    preview = run_feeds(catalog, synced, feeds(SECOND), dry_run=True, now=MARCH_28 + dt.timedelta(hours=4))
    assert "  → đã bị bỏ qua trong hàng chờ xác nhận trước đó" in feed_report.match_lines(preview, {})
