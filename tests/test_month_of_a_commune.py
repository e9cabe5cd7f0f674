"""A month of a commune's reality, end to end, on SQLite and PostgreSQL: every part real but the calendar.

UBND xã A owes, each week of March 2026 (02/03 to 29/03), three duties of the Kế hoạch 12/KH-UBND:
a news item on digital transformation on its own site (a link, found on its RSS feed by the keyword
"chuyển đổi số", due Friday 17:00), the weekly report (a document, due Thursday 17:00) and two
broadcasts on the loudspeakers (a count, due Friday 17:00). Its culture officer gets reminders by
the Zalo OA (the loopback Zalo), its clerk by email (a real SMTP server); the Sở TTTT coordinates.

The tick runs hourly; the duties' only reminder step is "due today", said at the 07:30 digest of each
Thursday and Friday.

- Thu 05/03. The feed is read for the first time: an article of 04/03 ("chuyển đổi số in administrative
  reform") does week 1's news on time; one of February falls in no window and is history (kept in the
  triage list already closed, never waiting there). Read again at once: a 304, nothing new.
- Wed 11/03 10:00. The officer answers on Zalo with a link to this week's article: week 2's news on
  time; Zalo re-delivers the same event (its retry): recorded once, answered once.
- Thu 19/03. The report's reminder goes out, by Zalo and by email. The officer answers "Đã phát 2 lần
  trên loa truyền thanh": week 3's broadcasts. The clerk replies to the reminder email with the report
  as a PDF; the reply lands in the mailbox (dovecot) and is taken in by one poll: week 3's report on
  time. The feed now repeats the 04/03 article re-published as of 18/03, and carries the article the
  officer sent on Zalo: neither counts again.
- Wed 25/03 08:00. The feed has a week-3 article of Saturday 21/03 (after Friday's deadline: done late)
  and a football tournament "sponsored by a chuyển đổi số company" of 24/03, which the keyword wrongly
  credits to week 4. At 09:00 the coordinator, logged in to the web app, withdraws it with a reason.
- Thu 26/03. The feed changes again, still carrying the football article: it does not come back. The
  mailbox is polled again: nothing new. The Zalo events posted again, days later, are a replay: refused.
- Tue 31/03. The ledger holds exactly the evidence below; week 4's news is overdue, as are the reports
  and broadcasts nobody sent; nothing waits in the triage list (February's article is there, closed as
  history by the first read, so that the feed's later full reads never put it there).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_in_process import run_cli
from fastapi.testclient import TestClient
from feed_server import FeedServer
from imap_server import Imap, dovecot
from test_calendar_feeds import SECRET
from test_email_channel import Inbox
from test_mail_in import PDF, deliver, mail_settings, reply
from test_mail_in import smtp as smtp  # a fixture: aiosmtpd on loopback, what it received
from test_web_auth import PASSWORD, log_in
from test_web_unit_pages import post
from test_zalo_webhook import weekly
from two_provinces import plan_file, synced
from zalo_fake import ZaloFake

from commplan import clock
from commplan.intake.imap_poll import poll
from commplan.intake.mail_run import handler
from commplan.ledger import Ledger
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.notify.zalo import ZaloOAChannel
from commplan.plan import Catalog
from commplan.settings import Settings
from commplan.web.app import create_app

pytestmark = pytest.mark.server  # the loopback feed server, Zalo, SMTP and IMAP servers

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICER = "8400000002"  # the culture officer's Zalo id
CLERK = "vanthu@xa-a.gov.vn"
SITE = "https://xa-a.thunghiem.gov.vn/tin"
FEED = "/xa-a/rss.xml"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def units(feed_url: str) -> str:
    return f"""\
commplan: 1
province: thu-nghiem
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm
    parent: ubnd-tinh
  - id: ubnd-xa-a
    name: UBND xã A
    parent: ubnd-tinh
    feeds: ["{feed_url}"]
    contacts:
      - {{name: Cán bộ văn hóa xã A, zalo: "{OFFICER}"}}
      - {{name: Văn thư xã A, email: {CLERK}}}
"""


def month(ident: str, title: str, due: str, *lines: str) -> str:
    """A weekly duty of xã A for the four weeks of March 2026."""
    return weekly(ident, title, "ubnd-xa-a", due, *lines).replace("until: 2026-06-28", "until: 2026-03-29")


PLAN = plan_file("ke-hoach-cds", "ubnd-tinh", "so-tttt", "".join([
    month("tin-cds", "Đăng tin về chuyển đổi số", "fri", "kind: publish", "evidence: link", "match: [chuyển đổi số]"),
    month("bao-cao-tuan", "Báo cáo tuần", "thu", "kind: report", "evidence: document"),
    month("phat-thanh", "Phát thanh tuyên truyền", "fri", "kind: broadcast", "evidence: count", "at_least: 2"),
]), number="12/KH-UBND", effective="2026-01-01")


# ---------------------------------------------------------------- the feed: articles as they appear

@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    published: str  # Vietnam time, ISO
    nfd: bool = False  # its title written decomposed (NFD), as some editors save it

    @property
    def link(self) -> str:
        return f"{SITE}/{self.slug}"


OLD = Article("hoi-nghi-thang-2", "Hội nghị triển khai chuyển đổi số năm 2026", "2026-02-20T08:00")
WEEK_1 = Article("cds-cai-cach-hanh-chinh", "Xã A đẩy mạnh chuyển đổi số trong cải cách hành chính", "2026-03-04T15:00")
WEEK_1_AGAIN = Article(WEEK_1.slug, WEEK_1.title + " (cập nhật)", "2026-03-18T08:00")  # re-published, new date
ON_ZALO = Article("so-hoa-ho-so", "Số hóa hồ sơ một cửa: bước tiến chuyển đổi số của xã A", "2026-03-11T09:00")
WEEK_3_LATE = Article("cds-nong-nghiep", "Nông dân xã A bán hàng trên sàn: chuyển đổi số nông nghiệp",
                      "2026-03-21T10:00", nfd=True)  # Saturday: after Friday's deadline, in week 3's window
FOOTBALL = Article("giai-bong-da", "Khai mạc giải bóng đá thanh niên, nhà tài trợ Công ty Chuyển đổi số Sao Mai",
                   "2026-03-24T16:00")  # the keyword, another topic
SCHEDULE = Article("lich-tiep-dan", "Lịch tiếp công dân tháng 4", "2026-03-25T14:00")  # no keyword


def rss(*articles: Article) -> str:
    """xã A's feed, the newest first, its dates as RSS writes them (RFC 822, +0700)."""
    items = "".join(f"<item><title>{unicodedata.normalize('NFD' if a.nfd else 'NFC', a.title)}</title><link>{a.link}</link>"
                    f"<pubDate>{format_datetime(at(a.published))}</pubDate></item>" for a in articles)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Cổng thông tin xã A</title>'
            f"<link>{SITE}</link>{items}</channel></rss>")


# ---------------------------------------------------------------- the month's actors

@dataclass
class Calendar:
    """The web app's clock, moved on by the story."""

    now: dt.datetime = dt.datetime(2026, 3, 1, 8, 0, tzinfo=VN)

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Month:
    """The commune, its servers and the coordinator's web app, with a calendar that moves."""

    ledger: Ledger
    ledger_url: str
    folder: Path
    catalog: Catalog
    feeds: FeedServer
    zalo: ZaloFake
    smtp_port: int
    inbox: Inbox
    imap: Imap
    web: TestClient
    calendar: Calendar
    clock_at: Callable[[str], dt.datetime]
    delivered_events: list[tuple[bytes, dict]] = field(default_factory=list)

    @property
    def now(self) -> dt.datetime:
        return self.calendar.now

    def day(self, text: str) -> None:
        """The calendar moves on: the process clock (COMMPLAN_NOW) and the web app's."""
        self.calendar.now = self.clock_at(text)

    # the commune publishes on its site, whose RSS feed the feeds run reads (`commplan feeds run`)
    def site_publishes(self, *articles: Article, version: str) -> None:
        self.feeds.feed(FEED, rss(*articles), etag=f'"{version}"')

    def feeds_run(self) -> str:
        result = run_cli("feeds", "run", "--plans", str(self.folder), "--database", self.ledger_url,
                         env={"COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS": "true", "COMMPLAN_NOW": self.now.isoformat()})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    # the tick: the reminder steps due now, sent by the real notifier to Zalo and the SMTP server
    def morning_reminders(self, day: str) -> None:
        """The tick runs hourly; the duties' only step is "due today", said at the 07:30 digest."""
        self.day(f"{day}T07:30")
        self.reminders_go_out()

    def reminders_go_out(self) -> None:
        self.ledger.queue_reminders(self.catalog, as_of=self.now, now=self.now)
        channels = {**configured_channels(Settings(data_dir=self.folder / "data",
                                                   smtp_url=f"mailto://127.0.0.1:{self.smtp_port}"
                                                            "?from=nhacviec@thunghiem.gov.vn")),
                    "zalo": ZaloOAChannel(self.zalo.tokens(), self.zalo.base)}
        report = Notifier(self.ledger, self.catalog, channels, public_url="http://127.0.0.1:8000",
                          link_secret=SECRET).run(self.now)
        assert report.sent >= 1 and report.failed == 0

    # the officer answers on Zalo: Zalo signs the event and posts it to the web app's webhook
    def officer_says(self, text: str, *, link: str | None = None, msg_id: str) -> str:
        attachments = [{"type": "link", "payload": {"url": link}}] if link else None
        body, headers = self.zalo.event("user_send_link" if link else "user_send_text", OFFICER, text=text,
                                        attachments=attachments, timestamp=self.now.timestamp(), msg_id=msg_id)
        self.delivered_events.append((body, headers))
        answer = self.web.post("/zalo/webhook", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.text

    def zalo_redelivers_everything(self) -> list[tuple[int, str]]:
        """Zalo's retries (or someone's replay) of every event it posted: the app's answers."""
        answers = [self.web.post("/zalo/webhook", content=body, headers=headers)
                   for body, headers in self.delivered_events]
        return [(a.status_code, a.text) for a in answers]

    def oa_answers(self, since: int) -> list[str]:
        return [m["text"] for m in self.zalo.oa_messages[since:] if m["user_id"] == OFFICER]

    # the clerk replies to the reminder email; the mail server puts the reply in the mailbox
    def reminder_email(self, subject_has: str):
        [*_, original] = [m for rcpt, m in self.inbox.messages if rcpt == [CLERK] and subject_has in str(m["Subject"])]
        return original

    def clerk_replies(self, original, text: str, pdf: bytes, arrives: dt.datetime) -> None:
        deliver(self.imap, reply(original, sender=f"Văn thư xã A <{CLERK}>", text=text, pdf=pdf, when=arrives,
                                filename="Báo cáo tuần 19-3.pdf"), arrives)

    def mailbox_polled(self) -> list[str]:
        settings, target = mail_settings(self.imap)
        report = poll(target, handler(self.ledger, self.catalog, settings, public_url="http://127.0.0.1:8000"),
                      max_bytes=settings.max_bytes, now=clock.now)
        return [o.outcome for o in report.outcomes]

    # the coordinator, logged in to the dashboard, withdraws what recorded itself wrongly
    def coordinator_withdraws(self, link: str, reason: str) -> None:
        [item] = [e for e in self.ledger.evidence(units=["ubnd-xa-a"]) if e.link == link]
        with TestClient(self.web.app, raise_server_exceptions=False, follow_redirects=False) as browser:
            assert log_in(browser, "so-tttt").status_code == 303
            answer = post(browser, f"/ky/{item.occurrence_id}/rut/{item.id}", "/tong-quan", reason=reason,
                          quay_lai="/tong-quan")
            assert answer.status_code == 303, answer.text
            assert "Đã thu hồi minh chứng" in browser.get(answer.headers["location"]).text

    # what the ledger ends with
    def week_of(self, occurrence_id: int) -> str:
        [found] = [s for s in self.statuses() if s.id == occurrence_id]
        return f"{found.window_start:%d/%m}–{found.window_end:%d/%m}"

    def statuses(self):
        return self.ledger.statuses(as_of=self.now, units=["ubnd-xa-a"], include_scheduled=True)

    def evidence(self) -> list[tuple]:
        return sorted((e.obligation, self.week_of(e.occurrence_id), e.source, e.kind, e.link or e.document,
                       e.quantity, e.withdrawn) for e in self.ledger.evidence(units=["ubnd-xa-a"]))


@pytest.fixture
def commune(ledger_url, ledger, tmp_path, smtp, clock_at):  # smtp: the imported fixture
    port, inbox = smtp
    with FeedServer() as feeds, ZaloFake(followers={OFFICER}) as zalo, dovecot() as imap:
        catalog = synced(ledger, tmp_path, {"units.yaml": units(feeds.url(FEED)), "plan.yaml": PLAN},
                         at("2026-03-01T08:00"))
        ledger.add_user("so-tttt", PASSWORD, role="coordinator", unit="so-tttt")
        calendar = Calendar()
        app = create_app(Settings(database_url=ledger_url, link_secret=SECRET, public_url="http://127.0.0.1:8000",
                                  zalo_app_id=zalo.app_id, zalo_oa_secret_key=zalo.oa_secret_key,
                                  zalo_access_token=zalo.access_token, zalo_api_base=zalo.base, zalo_oa_id=zalo.oa_id),
                         plans=[tmp_path], clock=calendar)
        with TestClient(app, raise_server_exceptions=False) as web:
            yield Month(ledger, ledger_url, tmp_path, catalog, feeds, zalo, port, inbox, imap, web, calendar, clock_at)


def test_a_month_of_a_commune_ends_with_exactly_the_right_evidence(commune: Month):
    # Thu 05/03: the report's reminder, and the feed's first read (twice: the second gets a 304)
    commune.morning_reminders("2026-03-05")
    commune.day("2026-03-05T09:00")
    commune.site_publishes(WEEK_1, OLD, version="v1")
    commune.feeds_run()
    commune.feeds_run()
    assert [r["if-none-match"] for r in commune.feeds.requests_to(FEED)] == [None, '"v1"']
    commune.morning_reminders("2026-03-06")

    # Wed 11/03: the officer sends this week's article on Zalo; Zalo delivers the event twice
    commune.day("2026-03-11T10:00")
    before = len(commune.zalo.oa_messages)
    assert commune.officer_says("Tin chuyển đổi số tuần này của xã A", link=ON_ZALO.link, msg_id="zalo-msg-1") == "ok"
    assert commune.zalo_redelivers_everything() == [(200, "duplicate")]
    assert commune.oa_answers(before) == ["Đã ghi nhận: Đăng tin về chuyển đổi số — hoàn thành đúng hạn"]
    commune.morning_reminders("2026-03-12")
    commune.morning_reminders("2026-03-13")

    # Thu 19/03: the report's reminder; the broadcasts said on Zalo; the report replied by email, with its PDF
    commune.morning_reminders("2026-03-19")
    commune.day("2026-03-19T10:00")
    before = len(commune.zalo.oa_messages)
    assert commune.officer_says("Đã phát 2 lần trên loa truyền thanh xã", msg_id="zalo-msg-2") == "ok"
    assert commune.oa_answers(before) == ["Đã ghi nhận: Phát thanh tuyên truyền — hoàn thành đúng hạn"]
    reminder = commune.reminder_email("Đến hạn hôm nay: Báo cáo tuần")
    commune.clerk_replies(reminder, "Xã A gửi Báo cáo tuần này (tệp đính kèm).", PDF, at("2026-03-19T11:00"))
    commune.day("2026-03-19T11:05")
    assert commune.mailbox_polled() == ["recorded"]
    # the feed repeats week 1's article re-dated, and carries the one sent on Zalo: nothing new
    commune.day("2026-03-19T12:00")
    commune.site_publishes(WEEK_1_AGAIN, ON_ZALO, WEEK_1, OLD, version="v2")
    commune.feeds_run()
    commune.morning_reminders("2026-03-20")

    # Wed 25/03: a late article of week 3, and a football tournament matched by the keyword
    commune.day("2026-03-25T08:00")
    commune.site_publishes(FOOTBALL, WEEK_3_LATE, WEEK_1_AGAIN, ON_ZALO, version="v3")
    commune.feeds_run()
    commune.feeds_run()
    commune.day("2026-03-25T09:00")
    commune.coordinator_withdraws(FOOTBALL.link, "Bài về giải bóng đá, không phải tin chuyển đổi số")

    # Thu 26/03: the feed changes, the football article still in it; everything read again
    commune.morning_reminders("2026-03-26")
    commune.day("2026-03-26T07:45")
    commune.site_publishes(SCHEDULE, FOOTBALL, WEEK_3_LATE, WEEK_1_AGAIN, version="v4")
    output = commune.feeds_run()
    # read in full (v3's validators, but the feed changed): the football article seen again, not recorded
    assert commune.feeds.requests_to(FEED)[-1]["if-none-match"] == '"v3"'
    assert output.splitlines()[0] == "Nguồn tin: 1 (1 đọc được, 0 không có gì mới, 0 lỗi)"
    assert commune.mailbox_polled() == []
    before = len(commune.zalo.oa_messages)
    # days later, the same signed events are a replay: refused as stale, nothing recorded or answered
    assert [status for status, _text in commune.zalo_redelivers_everything()] == [401, 401]
    assert commune.oa_answers(before) == []
    commune.morning_reminders("2026-03-27")

    # Tue 31/03. The reminders: a duty done in time is not reminded (week 1's and 2's news); the
    # officer's Zalo conversation is the same reminders, and the OA's two answers
    commune.day("2026-03-31T10:00")
    due = [("05/03", "Báo cáo tuần"), ("06/03", "Phát thanh tuyên truyền"), ("12/03", "Báo cáo tuần"),
           ("13/03", "Phát thanh tuyên truyền"), ("19/03", "Báo cáo tuần"), ("20/03", "Đăng tin về chuyển đổi số"),
           ("26/03", "Báo cáo tuần")]
    assert [(rcpt, str(m["Subject"])) for rcpt, m in commune.inbox.messages] == [
        *[([CLERK], f"[Nhắc việc] Đến hạn hôm nay: {title}") for _day, title in due],
        ([CLERK], "[Nhắc việc] 2 nhiệm vụ cần chú ý")]  # 27/03: the news and the broadcasts
    conversation = [[re.split(r"\. (?:Đã nộp|Báo cáo:)", line)[0] for line in m["text"].splitlines()[:2]]
                    for m in commune.zalo.oa_messages]  # the headline and first duty, without progress or link
    reminded = [["UBND xã A: đến hạn hôm nay.", f"{title} (hạn 17:00 {day}/2026, KH 12/KH-UBND)"] for day, title in due]
    assert conversation == [
        *reminded[:2], ["Đã ghi nhận: Đăng tin về chuyển đổi số — hoàn thành đúng hạn"], *reminded[2:5],
        ["Đã ghi nhận: Phát thanh tuyên truyền — hoàn thành đúng hạn"], *reminded[5:],
        ["UBND xã A: 2 nhiệm vụ cần chú ý.",
         "1. Đến hạn hôm nay: Đăng tin về chuyển đổi số (hạn 17:00 27/03/2026, KH 12/KH-UBND)"]]
    assert all(m["user_id"] == OFFICER for m in commune.zalo.oa_messages)


    # the evidence: exactly this, each once
    assert commune.evidence() == sorted([
        ("tin-cds", "02/03–08/03", "feed", "link", WEEK_1.link, 1, False),
        ("tin-cds", "09/03–15/03", "zalo", "link", ON_ZALO.link, 1, False),
        ("tin-cds", "16/03–22/03", "feed", "link", WEEK_3_LATE.link, 1, False),
        ("tin-cds", "23/03–29/03", "feed", "link", FOOTBALL.link, 1, True),
        ("bao-cao-tuan", "16/03–22/03", "email", "document", "Báo cáo tuần 19-3.pdf", 1, False),
        ("phat-thanh", "16/03–22/03", "zalo", "count", None, 2, False),
    ])
    statuses = {(s.obligation, f"{s.window_start:%d/%m}"): str(s.status) for s in commune.statuses()}
    assert statuses == {
        ("tin-cds", "02/03"): "done-on-time", ("tin-cds", "09/03"): "done-on-time",
        ("tin-cds", "16/03"): "done-late", ("tin-cds", "23/03"): "overdue",
        ("bao-cao-tuan", "02/03"): "overdue", ("bao-cao-tuan", "09/03"): "overdue",
        ("bao-cao-tuan", "16/03"): "done-on-time", ("bao-cao-tuan", "23/03"): "overdue",
        ("phat-thanh", "02/03"): "overdue", ("phat-thanh", "09/03"): "overdue",
        ("phat-thanh", "16/03"): "done-on-time", ("phat-thanh", "23/03"): "overdue",
    }
    # the report is the PDF sent, threaded on the real reminder's Message-ID
    [document] = [e for e in commune.ledger.evidence(units=["ubnd-xa-a"]) if e.kind == "document"]
    assert document.document_sha256 is not None and commune.ledger.document_content(document.document_sha256) == PDF
    assert json.loads(document.match_reason or "{}")["reply_to"].endswith(f"Message-ID {reminder['Message-ID']}")
    # nothing waits for the coordinator, nor ever did: February's article was history at the feed's first read
    assert commune.ledger.triage_items(open_only=False) == []
    # the withdrawal kept who and why
    [football] = [e for e in commune.ledger.evidence(units=["ubnd-xa-a"]) if e.link == FOOTBALL.link]
    assert (football.withdrawn_by, football.withdraw_reason) == (
        "web:so-tttt", "Bài về giải bóng đá, không phải tin chuyển đổi số")
