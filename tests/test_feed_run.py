"""Feed items recorded as evidence (intake.feed_run over Ledger.record_feed_item), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.intake.feed_fetching import keep_states
from commplan.intake.feed_run import run_feeds, title_note
from commplan.intake.fetch import FetchResult
from commplan.intake.items import FeedItem, normalise_link
from commplan.ledger import FeedOutcome, FetchStatus, LedgerUnavailable, Status
from commplan.ledger.evidence import identity
from commplan.plan import load_catalog

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL, POST = "https://tinh.example.vn/rss", "https://buudien.example.vn/rss"
UNITS = UNITS_YAML.replace(
    "    name: Bưu điện tỉnh Thử Nghiệm\n",
    f"    name: Bưu điện tỉnh Thử Nghiệm\n    feeds: [\"{POST}\"]\n",
).replace(
    "    name: UBND tỉnh Thử Nghiệm\n",
    f"    name: UBND tỉnh Thử Nghiệm\n    feeds: [\"{PORTAL}\"]\n",
)
OBLIGATIONS = """
- id: tin-san
  title: Tin về sàn TMĐT
  kind: publish
  lead: [buu-dien, viettel-post]
  every: month
  from: 2026-01-01
  until: 2026-12-31
  due: {day: 20}
  match:
    keywords: [sàn thương mại điện tử, postmart]
    watch: [ubnd-tinh, buu-dien]
"""
MARCH_28 = dt.datetime(2026, 3, 28, 10, 0, tzinfo=VN)
APRIL_15 = dt.datetime(2026, 4, 15, 10, 0, tzinfo=VN)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: str
    items: tuple[FeedItem, ...] = ()
    reason: str | None = None


def article(feed: str, title: str, path: str, day: dt.datetime | None, summary: str = "") -> FeedItem:
    return FeedItem(feed_url=feed, link=normalise_link(feed.replace("/rss", path)), title=title, summary=summary,
                    published=day.astimezone(dt.UTC) if day else None)


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    found, _errors = load_catalog([tmp_path], strict=True)
    return found


@pytest.fixture
def synced(ledger, catalog):
    ledger.sync(catalog, now=MARCH_28)
    return ledger


def feeds(*items: FeedItem, failed: str | None = None) -> dict[str, Fetched]:
    out = {url: Fetched(url, "ok", tuple(i for i in items if i.feed_url == url)) for url in (PORTAL, POST)}
    if failed:
        out[failed] = Fetched(failed, "failed", reason="Máy chủ trả lỗi 500")
    return out


ON_TIME = article(POST, "Bưu điện đưa nông sản lên sàn Postmart", "/tin/postmart.html?utm_source=zalo",
                  dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN))
LATE = article(PORTAL, "Chi nhánh Viettel Post tỉnh Thử Nghiệm hướng dẫn bán hàng trên sàn thương mại điện tử",
               "/tin/viettel.html", dt.datetime(2026, 3, 25, 8, 0, tzinfo=VN))
OTHER_TOPIC = article(POST, "Chi trả lương hưu tháng 3", "/tin/luong-huu.html", dt.datetime(2026, 3, 11, tzinfo=VN))
OTHER_UNIT = article(PORTAL, "Bưu điện tỉnh Nghệ An đưa nông sản lên Postmart", "/tin/nghe-an.html",
                     dt.datetime(2026, 3, 12, tzinfo=VN))


def test_it_records_a_watched_article_once_with_source_feed_and_why(synced, catalog):
    first = run_feeds(catalog, synced, feeds(ON_TIME, OTHER_TOPIC, OTHER_UNIT), now=MARCH_28)
    again = run_feeds(catalog, synced, feeds(ON_TIME, OTHER_TOPIC, OTHER_UNIT), now=MARCH_28 + dt.timedelta(hours=1))
    assert first.as_dict()["recorded"] == 1 and first.as_dict()["unmatched"] == 2
    assert again.as_dict()["recorded"] == 0 and again.as_dict()["already"] == 1
    [item] = synced.evidence()
    assert (item.unit, item.obligation, item.source, item.kind) == ("buu-dien", "tin-san", "feed", "link")
    assert item.link == "https://buudien.example.vn/tin/postmart.html"  # tracking parameter dropped
    assert item.note == "Bưu điện đưa nông sản lên sàn Postmart"
    assert item.occurred_at == dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN)
    assert json.loads(item.match_reason or "") == {"feed": POST, "keyword": "postmart", "source": "buu-dien",
                                                    "via": "own-feed"}
    march = [r for r in synced.statuses(as_of=MARCH_28, units=["buu-dien"]) if r.window_start == dt.date(2026, 3, 1)]
    assert [r.status for r in march] == [Status.DONE_ON_TIME]


def test_an_article_after_the_deadline_makes_it_done_late(synced, catalog):
    report = run_feeds(catalog, synced, feeds(LATE), now=MARCH_28)
    [match] = report.matches
    assert match.record is not None and match.record.outcome is FeedOutcome.RECORDED
    assert match.record.status is Status.DONE_LATE
    assert (match.credit.holder, match.credit.via) == ("viettel-post", "named")


def test_a_link_re_published_in_a_later_period_does_not_count_again(synced, catalog):
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)
    synced.sync(catalog, now=APRIL_15)
    republished = article(POST, "Bưu điện đưa nông sản lên sàn Postmart (cập nhật)", "/tin/postmart.html",
                          dt.datetime(2026, 4, 14, 9, 0, tzinfo=VN))
    report = run_feeds(catalog, synced, feeds(republished), now=APRIL_15)
    [match] = report.matches
    assert match.record is not None and match.record.outcome is FeedOutcome.ALREADY
    assert match.record.window_start == dt.date(2026, 3, 1)  # the period that has it
    assert len(synced.evidence()) == 1


def test_a_withdrawn_match_does_not_come_back(synced, catalog):
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)
    [item] = synced.evidence()
    synced.withdraw_evidence(item.id, "Bài không đúng chủ đề", actor="dieu-phoi", now=MARCH_28 + dt.timedelta(minutes=5))
    report = run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28 + dt.timedelta(hours=1))
    assert report.as_dict()["already"] == 1 and len(synced.evidence()) == 1


def read_before(ledger, moment: dt.datetime) -> None:
    """The feeds were read before (an undated item new since counts; see test_feed_first_read.py)."""
    keep_states(ledger, {url: FetchResult(url, FetchStatus.OK) for url in (PORTAL, POST)}, moment)


def test_an_undated_item_counts_on_the_day_it_is_first_seen(synced, catalog):
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    undated = article(POST, "Hướng dẫn dùng sàn Postmart", "/tin/khong-ngay.html", None)
    run_feeds(catalog, synced, feeds(undated), now=MARCH_28)
    [item] = synced.evidence()
    assert item.occurred_at == MARCH_28


def test_an_undated_item_keeps_the_day_it_was_first_seen_in_later_runs(synced, catalog):
    """Seen in March when March's article was already counted, seen again in April: still March's, so it does
    not meet April's duty. A preview keeps no first sighting."""
    undated = article(POST, "Hướng dẫn dùng sàn Postmart", "/tin/khong-ngay.html", None)
    fresh = article(POST, "Sàn Postmart có thêm gian hàng OCOP", "/tin/ocop.html", None)
    read_before(synced, MARCH_28 - dt.timedelta(days=1))
    run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)
    run_feeds(catalog, synced, feeds(undated, fresh), dry_run=True, now=MARCH_28)
    march = run_feeds(catalog, synced, feeds(undated), now=MARCH_28 + dt.timedelta(hours=1))
    assert march.as_dict()["no_open_duty"] == 1
    april = run_feeds(catalog, synced, feeds(undated, fresh), now=APRIL_15)
    assert april.as_dict()["no_open_duty"] == 1 and april.as_dict()["recorded"] == 1
    assert synced.feed_items_first_seen([undated.link, fresh.link], keep=False) == {
        undated.link: MARCH_28 + dt.timedelta(hours=1), fresh.link: APRIL_15}
    assert {i.link: i.occurred_at for i in synced.evidence()}[fresh.link] == APRIL_15


def test_an_article_with_no_open_duty_is_counted_not_recorded(synced, catalog):
    before = article(POST, "Postmart năm ngoái", "/tin/cu.html", dt.datetime(2025, 12, 10, tzinfo=VN))
    report = run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)  # March done
    second = article(POST, "Thêm một bài về sàn Postmart", "/tin/bai-2.html", dt.datetime(2026, 3, 15, tzinfo=VN))
    report = run_feeds(catalog, synced, feeds(before, second), now=MARCH_28)
    assert report.as_dict()["no_open_duty"] == 2 and report.as_dict()["recorded"] == 0
    assert len(synced.evidence()) == 1


def test_a_preview_records_nothing_and_a_failing_feed_blocks_nothing(synced, catalog):
    report = run_feeds(catalog, synced, feeds(ON_TIME, LATE, failed="https://hong.example.vn/rss"), dry_run=True,
                       now=MARCH_28)
    assert report.as_dict()["recorded"] == 2 and report.failures == {"https://hong.example.vn/rss": "Máy chủ trả lỗi 500"}
    assert all(m.record and m.record.evidence_id is None for m in report.matches)
    assert synced.evidence() == []


def test_a_credit_the_ledger_refuses_is_reported_not_raised(ledger, catalog):
    report = run_feeds(catalog, ledger, feeds(ON_TIME), now=MARCH_28)  # plans never synced
    assert report.as_dict()["errors"] == 1 and report.errors[0].error


def test_a_title_becomes_one_clean_line():
    assert title_note("  Tin\x00 mới\n\tvề   sàn ") == "Tin mới về sàn"
    assert len(title_note("a" * 900) or "") == 500


def test_the_summary_reads_in_vietnamese(synced, catalog):
    from commplan.intake import feed_report

    report = run_feeds(catalog, synced, feeds(ON_TIME, LATE, OTHER_TOPIC, failed="https://hong.example.vn/rss"),
                       dry_run=True, now=MARCH_28)
    lines = feed_report.summary_lines(report)
    assert lines[:2] == ["Nguồn tin: 3 (2 đọc được, 0 không có gì mới, 1 lỗi)",
                         "  lỗi: https://hong.example.vn/rss: Máy chủ trả lỗi 500"]
    assert "Sẽ được ghi nhận: 2" in lines and "Không khớp nhiệm vụ nào: 1" in lines
    shown = "\n".join(feed_report.match_lines(report, synced.unit_names()))
    assert "lý do khớp: từ khóa \"postmart\" trên nguồn tin của chính đơn vị" in shown
    assert "→ sẽ được ghi nhận (nhiệm vụ kỳ #" in shown


def test_an_unreachable_ledger_ends_the_run(synced, catalog, monkeypatch):
    def down(*args, **kwargs):
        raise LedgerUnavailable("busy")

    monkeypatch.setattr(synced, "record_feed_item", down)
    with pytest.raises(LedgerUnavailable):
        run_feeds(catalog, synced, feeds(ON_TIME), now=MARCH_28)


def test_a_feed_with_a_refused_credit_keeps_no_validators(ledger, catalog):
    report = run_feeds(catalog, ledger, feeds(ON_TIME), now=MARCH_28)  # plans never synced: refused
    assert report.refused_feeds == {POST}
    fetched = {url: FetchResult(url, FetchStatus.OK, etag='"v1"', last_modified="Tue, 10 Mar 2026 02:00:00 GMT")
               for url in (PORTAL, POST)}
    keep_states(ledger, fetched, MARCH_28, report.refused_feeds)
    states = ledger.feed_source_states()
    assert (states[POST].etag, states[POST].last_modified) == (None, None)
    assert states[PORTAL].etag == '"v1"'


def test_a_link_with_tracking_parameters_is_the_same_item():
    assert identity("link", "https://a.vn/x?utm_source=zalo&id=7&fbclid=q", None) == identity(
        "link", "https://a.vn/x?id=7", None) == ("link", "https://a.vn/x?id=7")
