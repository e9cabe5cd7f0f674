"""Judging a reply (pure): who sent it, which reminder it answers, and which of a digest's duties it is about.
A wrong "done" is worse than a missed one: every doubt goes to triage."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import SecretStr

from commplan.intake.mail_match import judge, units_of_sender
from commplan.intake.mail_parse import InboundMail
from commplan.intake.mail_settings import ImapTarget, MailInSettings, imap_target
from commplan.ledger.status import OccurrenceStatus
from commplan.settings import SettingsError, get_settings
from commplan.status import Status

OBLIGATIONS = """
- id: tin-chuyen-doi-so
  title: Tin bài về chuyển đổi số
  lead: [so-tttt]
  every: month
  due: {day: 25}
  match: [chuyển đổi số, nền tảng số]
- id: bao-cao-thang
  title: Báo cáo tháng
  lead: [so-tttt]
  every: month
  due: {day: 25}
"""
VN = dt.timezone(dt.timedelta(hours=7))


def duty(occurrence: int, obligation: str, title: str, status: Status = Status.OPEN) -> OccurrenceStatus:
    return OccurrenceStatus(id=occurrence, plan="ke-hoach-thu", obligation=obligation, title=title, unit="so-tttt",
                            window_start=dt.date(2026, 3, 1), window_end=dt.date(2026, 3, 31),
                            due=dt.datetime(2026, 3, 25, 23, 59, tzinfo=VN), at_least=1, delivered=0, status=status,
                            orphaned=False)


def mail(text: str, *, sender: str = "ttbc@example.gov.vn", subject: str = "Re: [Nhắc việc] 2 nhiệm vụ cần chú ý"):
    return InboundMail(message_id="<r@x>", replied_to=("<commplan.1.a@example.gov.vn>",), sender=sender,
                       subject=subject, sent_at=None, text=text, links=("https://a.vn/x",), attachments=())


@pytest.fixture
def catalog(write_plan):
    return write_plan(OBLIGATIONS)


DIGEST = [duty(1, "tin-chuyen-doi-so", "Tin bài về chuyển đổi số"), duty(2, "bao-cao-thang", "Báo cáo tháng")]


def test_a_digest_reply_picks_the_duty_its_words_name(catalog):
    by_keyword = judge(mail("Bài về nền tảng số đã đăng: https://a.vn/x"), catalog, "so-tttt", DIGEST)
    assert [d.id for d in by_keyword.targets] == [1] and by_keyword.keyword == "nền tảng số"
    unaccented = judge(mail("Bai ve nen tang so da dang"), catalog, "so-tttt", DIGEST)
    assert [d.id for d in unaccented.targets] == [1]  # typed without accents: the folded words decide
    by_title = judge(mail("Gửi báo cáo tháng 3", subject="Re: Báo cáo tháng"), catalog, "so-tttt", DIGEST)
    assert [d.id for d in by_title.targets] == [2]
    reason = json.loads(by_keyword.reason(7, "<commplan.7.a@example.gov.vn>"))
    assert reason["reply_to"] == "reply to delivery 7, Message-ID <commplan.7.a@example.gov.vn>"
    assert reason["keyword"] == "nền tảng số"


def test_a_digest_reply_naming_none_or_both_is_ambiguous(catalog):
    for text in ("Đã xong: https://a.vn/x", "Chuyển đổi số và báo cáo tháng: https://a.vn/x"):
        verdict = judge(mail(text), catalog, "so-tttt", DIGEST)
        assert verdict.targets == () and verdict.why == "ambiguous" and verdict.candidates == (1, 2)
    # "số" alone is not "sổ": a word with other tone marks names nothing
    assert judge(mail("Sổ tay chuyển đổi sổ"), catalog, "so-tttt", DIGEST).why == "ambiguous"


def test_only_open_or_overdue_duties_take_evidence(catalog):
    assert [d.id for d in judge(mail("x"), catalog, "so-tttt", [duty(2, "bao-cao-thang", "Báo cáo tháng",
                                                                     Status.OVERDUE)]).targets] == [2]
    closed = [duty(1, "tin-chuyen-doi-so", "Tin", Status.EXCUSED)]
    verdict = judge(mail("x"), catalog, "so-tttt", closed)
    assert verdict.why == "no-open-duty" and verdict.candidates == (1,) and verdict.unit_id == "so-tttt"
    # a digest whose one duty was done since: a reply naming neither is still ambiguous (it may be about the
    # one just done), a reply naming the done one finds no open duty
    digest = [duty(1, "tin-chuyen-doi-so", "Tin bài về chuyển đổi số", Status.DONE_ON_TIME),
              duty(2, "bao-cao-thang", "Báo cáo tháng", Status.OVERDUE)]
    unnamed = judge(mail("Thêm một bài: https://a.vn/y"), catalog, "so-tttt", digest)
    assert (unnamed.targets, unnamed.why, unnamed.candidates) == ((), "ambiguous", (2,))
    named = judge(mail("Thêm tin chuyển đổi số"), catalog, "so-tttt", digest)
    assert (named.targets, named.why, named.candidates) == ((), "no-open-duty", (1,))
    assert [d.id for d in judge(mail("Báo cáo tháng"), catalog, "so-tttt", digest).targets] == [2]


def test_a_sender_who_is_not_a_contact_of_the_thread_unit_goes_to_triage(catalog):
    assert units_of_sender(catalog, "ttbc@example.gov.vn") == ("so-tttt",)
    for sender in ("someone@gmail.com", "", "TTBC@example.gov.vn.evil.com"):
        verdict = judge(mail("x", sender=sender), catalog, "so-tttt", DIGEST[:1])
        assert verdict.targets == () and verdict.why == "unknown-sender" and verdict.unit_id == "so-tttt"
    # a known contact replying to another unit's reminder is no contact of that unit
    assert judge(mail("x"), catalog, "buu-dien", DIGEST[:1]).why == "unknown-sender"
    # no thread: a known sender's message waits under its unit, a stranger's for the administrators
    assert (judge(mail("x"), catalog, None, []).why, judge(mail("x"), catalog, None, []).unit_id) == ("no-match", "so-tttt")
    stranger = judge(mail("x", sender="a@b.vn"), catalog, None, [])
    assert (stranger.why, stranger.unit_id) == ("unknown-sender", None)


def test_the_mailbox_password_is_never_shown(monkeypatch):
    secret = "p%40ss-w0rd-bi-mat"
    settings = MailInSettings(imap_url=SecretStr(f"imaps://nhacviec%40example.gov.vn:{secret}@mail.example.gov.vn/Hop%20thu"))
    target = settings.imap
    assert isinstance(target, ImapTarget)
    assert (target.user, target.password, target.folder, target.port) == (
        "nhacviec@example.gov.vn", "p@ss-w0rd-bi-mat", "Hop thu", 993)
    for shown in (repr(settings), str(settings), repr(target), str(target), settings.model_dump_json()):
        assert "p@ss" not in shown and secret not in shown
    assert imap_target("imap://u:p@127.0.0.1/").loopback and not imap_target("imap://u:p@mail.vn/").loopback
    with pytest.raises(ValueError, match="imaps://"):
        imap_target("https://u:p@mail.vn/")
    monkeypatch.setenv("COMMPLAN_IMAP_URL", "imaps://mail.example.gov.vn/INBOX")  # no user, no password
    monkeypatch.setenv("COMMPLAN_MAIL_IN_LISTEN", "2525")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="COMMPLAN_IMAP_URL"):
            get_settings().channel(MailInSettings)
        monkeypatch.setenv("COMMPLAN_IMAP_URL", "imaps://u:p@mail.example.gov.vn/INBOX")
        with pytest.raises(SettingsError, match="COMMPLAN_MAIL_IN_LISTEN"):
            get_settings().channel(MailInSettings)
    finally:
        get_settings.cache_clear()
