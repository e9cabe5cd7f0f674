"""Email replies taken in for real: a reminder sent through the email channel to an SMTP server (aiosmtpd),
the reply delivered into a real IMAP mailbox (dovecot, APPEND) or to the inbound SMTP service, then read
by a poll, a watch woken by IDLE, or the service; on SQLite and PostgreSQL.

One poll records the reply's link and PDF as evidence (source email) and the duty is done; nothing counts
twice (a second poll, the same message delivered again); the report link quoted from our reminder never
counts; an unknown sender's reply goes to triage, never to the ledger."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import json
import re
import smtplib
import socket
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from aiosmtpd.controller import Controller
from cli_in_process import run_cli
from imap_server import dovecot
from imapclient import IMAPClient
from pydantic import SecretStr
from test_email_channel import Inbox
from test_outbox import CONTACTS, PLAN, at, prepared

from commplan import clock
from commplan.intake.imap_poll import PollReport, poll, watch
from commplan.intake.mail_parse import html_reply_text
from commplan.intake.mail_run import handler
from commplan.intake.mail_settings import ImapTarget, MailInSettings, imap_target
from commplan.intake.smtp_inbound import controller
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.settings import Settings
from commplan.status import Status

pytestmark = pytest.mark.server  # dovecot, aiosmtpd on loopback

PUBLIC = "https://nhacviec.example.gov.vn"
SECRET = "Vx8-kq2Lr7TzN4wPb6Ys1Hd9Jf3Gm5Qc0Ua_e"
ARTICLE = "https://baothanhhoa.vn/chuyen-doi-so/buu-dien-dua-nong-san-len-san.html"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + b" " * 2000 + b"\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    port = free_port()
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield port, inbox
    server.stop()


@pytest.fixture
def imap():
    with dovecot() as server:
        yield server


@pytest.fixture
def plans(write_plan, tmp_path):
    from conftest import UNITS_YAML

    write_plan(PLAN)
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS.lstrip("\n"))
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    return tmp_path


@pytest.fixture
def catalog(plans):
    from commplan.plan import load_catalog

    return load_catalog([plans])[0]


@pytest.fixture
def reminders(ledger, catalog, smtp, tmp_path, clock_at):
    """The reminders of Thursday 10/03/2022 09:00 (the weekly report due at 14:00) sent by email: the message
    each address received, by address."""
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    prepared(ledger, catalog, clock_at, "2022-03-10T09:00")
    report = Notifier(ledger, catalog, configured_channels(settings), public_url=PUBLIC,
                      link_secret=SECRET).run(at("2022-03-10T09:00"))
    assert report.sent == 2
    return {next(iter(rcpt)): (message, raw) for (rcpt, message), raw in zip(inbox.messages, inbox.raw, strict=True)}


def reply(original: EmailMessage, *, sender: str, text: str, pdf: bytes | None = None,
          when: dt.datetime | None = None, filename: str = "Báo cáo tuần 10-3.pdf") -> bytes:
    """A reply as Gmail writes it (written `when`, default 10/03/2022 11:00): In-Reply-To and References
    naming the reminder, the reminder quoted."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(original["From"])
    message["Subject"] = f"Re: {original['Subject']}"
    message["Date"] = format_datetime(when or at("2022-03-10T11:00"))
    message["Message-ID"] = make_msgid(domain="mail.example.gov.vn")
    message["In-Reply-To"] = str(original["Message-ID"])
    message["References"] = str(original["Message-ID"])
    body = original.get_body(preferencelist=("html",))
    assert body is not None
    quoted = "\n".join(f"> {line}" for line in html_reply_text(body.get_content()).splitlines())
    message.set_content(f"{text}\n\nVào Th 5, 10 thg 3, 2022 vào lúc 09:00 Nhắc việc <nhacviec@example.gov.vn> "
                        f"đã viết:\n{quoted}\n")
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


def deliver(server, raw: bytes, when: dt.datetime) -> None:
    """Into the mailbox, as the mail server would (APPEND, with the arrival time)."""
    client = IMAPClient(server.host, port=server.port, ssl=False)
    client.login(server.user, server.password)
    client.append("INBOX", raw, msg_time=when)
    client.logout()


def mail_settings(server) -> tuple[MailInSettings, ImapTarget]:
    settings = MailInSettings(imap_url=SecretStr(server.url()))
    assert settings.imap is not None
    return settings, settings.imap


def occurrence_of(ledger, unit: str):
    (row,) = [s for s in ledger.statuses(as_of=clock.now()) if s.unit == unit and s.window_start == dt.date(2022, 3, 7)]
    return row


def test_a_reply_to_a_real_reminder_records_its_link_and_pdf_once(ledger, catalog, reminders, imap, clock_at):
    original, raw = reminders["bd@example.gov.vn"]
    delivery = next(d for d in ledger.deliveries() if d["address"] == "bd@example.gov.vn")
    # our own Message-ID, stored on the delivery, and exactly one Message-ID header on the wire
    headers = [line for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n") if line.lower().startswith(b"message-id:")]
    assert len(headers) == 1 and str(original["Message-ID"]) == delivery["message_id"]
    assert re.fullmatch(rf"<commplan\.{delivery['id']}\.[0-9a-f]{{32}}@example\.gov\.vn>", delivery["message_id"])
    assert ledger.stamp_message_id(delivery["id"], "<another@x>") == delivery["message_id"]  # a retry keeps it

    answer = reply(original, sender="Bưu điện <BD@example.gov.vn>", text=f"Đã đăng bài: {ARTICLE}", pdf=PDF)
    body = email.message_from_bytes(answer, policy=email.policy.default).get_body(("plain",))
    assert body is not None
    quoted = body.get_content()
    assert re.search(rf"^> .*{re.escape(PUBLIC)}/\S+", quoted, re.MULTILINE)  # the quote carries our report link
    deliver(imap, answer, at("2022-03-10T11:00"))
    clock_at("2022-03-10T11:05")
    settings, target = mail_settings(imap)
    report = poll(target, handler(ledger, catalog, settings, public_url=None), max_bytes=settings.max_bytes,
                  now=clock.now)
    assert [o.outcome for o in report.outcomes] == ["recorded"]

    duty = occurrence_of(ledger, "buu-dien")
    items = ledger.evidence(occurrence_id=duty.id)
    assert sorted((i.kind, i.source) for i in items) == [("document", "email"), ("link", "email")]
    link = next(i for i in items if i.kind == "link")
    document = next(i for i in items if i.kind == "document")
    assert link.link == ARTICLE and document.document == "Báo cáo tuần 10-3.pdf"
    assert ledger.document_content(document.document_sha256) == PDF
    reason = json.loads(link.match_reason)
    assert reason["reply_to"] == f"reply to delivery {delivery['id']}, Message-ID {delivery['message_id']}"
    assert link.occurred_at == at("2022-03-10T11:00")  # the arrival time, before the 14:00 deadline
    assert duty.status is Status.DONE_ON_TIME
    assert not any(PUBLIC in (i.link or "") for i in ledger.evidence())  # the quoted report link did not count
    assert occurrence_of(ledger, "viettel-post").status is Status.OPEN  # the other holder's duty untouched

    # a second poll finds nothing new; the same message delivered again is recognised by its Message-ID
    again = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert again.outcomes == []
    deliver(imap, answer, at("2022-03-10T11:30"))
    twice = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert [o.outcome for o in twice.outcomes] == ["already"] and len(ledger.evidence()) == 2


def test_unknown_senders_no_thread_and_quoted_links_reach_no_ledger(ledger, catalog, reminders, imap, plans, clock_at,
                                                                     ledger_url):
    original, _raw = reminders["vtp@example.gov.vn"]
    # someone outside the directory answers the Viettel Post reminder (forwarded to them, say)
    deliver(imap, reply(original, sender="someone@gmail.com", text=f"Bài đây: {ARTICLE}"), at("2022-03-10T10:00"))
    # the unit's own contact answers with nothing but the quoted reminder (its report link)
    deliver(imap, reply(original, sender="vtp@example.gov.vn", text="Đã nhận, cảm ơn."), at("2022-03-10T10:05"))
    # a contact writes a new message, answering no reminder
    fresh = EmailMessage()
    fresh["From"], fresh["To"], fresh["Subject"] = "vtp@example.gov.vn", "nhacviec@example.gov.vn", "Bài viết"
    fresh["Message-ID"] = make_msgid(domain="vtp.example.gov.vn")
    fresh.set_content(f"Gửi bài: {ARTICLE}")
    deliver(imap, fresh.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:10"))

    clock_at("2022-03-10T10:15")
    result = run_cli("mail-in", "poll", "--plans", str(plans), "--database", ledger_url,
                     env={"COMMPLAN_IMAP_URL": imap.url(), "COMMPLAN_NOW": "2022-03-10T10:15:00+07:00"})
    assert result.returncode == 0, result.stderr
    assert imap.password not in result.stdout + result.stderr
    assert "3" in result.stdout.splitlines()[-1] and "someone@gmail.com" in result.stdout
    assert ledger.evidence() == []  # nothing reached the ledger
    items = {i.sender: i for i in ledger.triage_items(units=None, include_unowned=True)}
    assert set(items) == {"someone@gmail.com", "vtp@example.gov.vn"}
    stranger, no_thread = items["someone@gmail.com"], items["vtp@example.gov.vn"]
    duty = occurrence_of(ledger, "viettel-post")
    assert (stranger.why, stranger.unit_id, stranger.link, stranger.candidates) == (
        "unknown-sender", "viettel-post", ARTICLE, (duty.id,))
    assert (no_thread.why, no_thread.unit_id, no_thread.link) == ("no-match", "viettel-post", ARTICLE)
    assert duty.status is Status.OPEN


def test_watch_wakes_on_a_new_message_by_idle(ledger, catalog, reminders, imap, clock_at):
    original, _raw = reminders["vtp@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    settings, target = mail_settings(imap)
    stop = threading.Event()
    seen: list[PollReport] = []
    # a poll interval of an hour: only IDLE can wake it within the test
    watcher = threading.Thread(target=watch, args=(target, handler(ledger, catalog, settings)), kwargs={
        "max_bytes": settings.max_bytes, "now": clock.now, "stop": stop, "interval": 3600, "on_report": seen.append,
        "check_every": 0.2}, daemon=True)
    watcher.start()
    try:
        time.sleep(1)  # connected and idling
        deliver(imap, reply(original, sender="vtp@example.gov.vn", text=f"Link: {ARTICLE}"), at("2022-03-10T10:00"))
        deadline = time.monotonic() + 15
        while not seen and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert [o.outcome for r in seen for o in r.outcomes] == ["recorded"]
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


def test_the_inbound_smtp_service_takes_replies_and_refuses_oversize(ledger, catalog, reminders, clock_at):
    original, _raw = reminders["bd@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    settings = MailInSettings(mail_in_listen="127.0.0.1:2525", mail_in_max_mb=1)
    port = free_port()
    service = controller(handler(ledger, catalog, settings), clock.now, host="127.0.0.1", port=port,
                         max_bytes=settings.max_bytes)
    service.start()
    try:
        answer = reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}", pdf=PDF)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("bd@example.gov.vn", ["nhacviec@example.gov.vn"], answer)
            client.sendmail("bd@example.gov.vn", ["nhacviec@example.gov.vn"], answer)  # a retried forward
            oversize = reply(original, sender="bd@example.gov.vn", text="Bản lớn", pdf=PDF + b" " * 1_100_000)
            with pytest.raises(smtplib.SMTPException) as refused:
                client.sendmail("bd@example.gov.vn", ["nhacviec@example.gov.vn"], oversize)
            assert getattr(refused.value, "smtp_code", None) == 552  # over COMMPLAN_MAIL_IN_MAX_MB
    finally:
        service.stop()
    duty = occurrence_of(ledger, "buu-dien")
    assert sorted(i.kind for i in ledger.evidence(occurrence_id=duty.id)) == ["document", "link"]
    assert duty.status is Status.DONE_ON_TIME


def test_forged_threads_pasted_report_links_and_other_files_never_count(ledger, catalog, reminders, clock_at):
    """A reply naming the right delivery with a guessed token answers no reminder; our own report link pasted
    into a reply is not evidence (COMMPLAN_PUBLIC_URL); a file that is no PDF, Office document or image is
    not stored."""
    original, _raw = reminders["bd@example.gov.vn"]
    delivery = next(d for d in ledger.deliveries() if d["address"] == "bd@example.gov.vn")
    clock_at("2022-03-10T10:00")
    settings = MailInSettings(mail_in_listen="127.0.0.1:2525")
    handle = handler(ledger, catalog, settings, public_url=PUBLIC)

    forged = EmailMessage()
    forged["From"], forged["Subject"] = "bd@example.gov.vn", "Re: [Nhắc việc]"
    forged["Message-ID"] = make_msgid(domain="attacker.example")
    forged["In-Reply-To"] = f"<commplan.{delivery['id']}.{'0' * 32}@example.gov.vn>"  # the id is public, the token not
    forged.set_content(f"Xong: {ARTICLE}")
    outcome = handle(forged.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:00"))
    assert (outcome.outcome, outcome.why) == ("triage", "no-match") and ledger.evidence() == []

    report_link = next(line.split()[-1] for line in html_reply_text(
        original.get_body(preferencelist=("html",)).get_content()).splitlines() if PUBLIC in line)
    message = email.message_from_bytes(reply(original, sender="bd@example.gov.vn",
                                             text=f"Báo cáo ở đây: {report_link}\nBài: {ARTICLE}"),
                                       policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(b"<html><script>alert(1)</script></html>", maintype="text", subtype="html",
                           filename="bao-cao.html")
    outcome = handle(message.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:05"))
    assert outcome.outcome == "recorded" and len(outcome.refused) == 1 and "bao-cao.html" in outcome.refused[0]
    assert [(i.kind, i.link) for i in ledger.evidence()] == [("link", ARTICLE)]


def test_a_wrong_password_and_an_oversize_message(ledger, catalog, imap, plans, ledger_url, clock_at):
    from commplan.intake.imap_poll import MailboxError

    clock_at("2022-03-10T10:00")
    wrong = imap.url().replace(imap.password, "sai-mat-khau-9")
    result = run_cli("mail-in", "poll", "--plans", str(plans), "--database", ledger_url,
                     env={"COMMPLAN_IMAP_URL": wrong, "COMMPLAN_NOW": "2022-03-10T10:00:00+07:00"})
    assert result.returncode == 1 and "sai-mat-khau-9" not in result.stdout + result.stderr
    assert "không đọc được hộp thư" in result.stderr
    with pytest.raises(MailboxError) as refused:
        poll(imap_target(wrong), handler(ledger, catalog, MailInSettings()), max_bytes=10**6, now=clock.now)
    assert "sai-mat-khau-9" not in str(refused.value)

    big = EmailMessage()
    big["From"], big["Subject"], big["Message-ID"] = "bd@example.gov.vn", "Bản lớn", "<big@x>"
    big.set_content("x")
    big.add_attachment(PDF + b" " * 1_200_000, maintype="application", subtype="pdf", filename="lon.pdf")
    deliver(imap, big.as_bytes(policy=email.policy.SMTP), at("2022-03-10T09:00"))
    settings = MailInSettings(imap_url=SecretStr(imap.url()), mail_in_max_mb=1)
    assert settings.imap is not None
    report = poll(settings.imap, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert (report.too_large, report.outcomes) == (1, [])
    assert poll(settings.imap, handler(ledger, catalog, settings), max_bytes=settings.max_bytes,
                now=clock.now).too_large == 0  # flagged \Seen: not read again


def _wait_for_line(stream, wanted: str, timeout: float = 30) -> list[str]:
    """Lines read from a child's output until one contains `wanted` (a thread reads, so a silent child cannot
    hang the test)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line)
            if wanted in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), "".join(lines)
    return lines


@pytest.mark.parametrize("action", ["serve", "watch"])
def test_commplan_mail_in_serve_and_watch_run_until_stopped(ledger, catalog, reminders, imap, plans, ledger_url,
                                                            tmp_path, action):
    """The long-running commands as processes: a reply arrives (over SMTP, or in the mailbox while `watch`
    idles), is recorded and said on the output; SIGTERM stops them cleanly."""
    import os
    import signal
    import subprocess
    import sys

    original, _raw = reminders["vtp@example.gov.vn"]
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMPLAN_")},
           "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_NOW": "2022-03-10T10:00:00+07:00",
           "COMMPLAN_MAIL_IN_LISTEN": f"127.0.0.1:{port}", "COMMPLAN_IMAP_URL": imap.url()}
    child = subprocess.Popen([sys.executable, "-m", "commplan", "mail-in", action, "--plans", str(plans),
                              "--database", ledger_url], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, encoding="utf-8")
    try:
        assert child.stdout is not None
        lines = _wait_for_line(child.stdout, "Ctrl-C")
        answer = reply(original, sender="vtp@example.gov.vn", text=f"Đã đăng: {ARTICLE}")
        if action == "serve":
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("vtp@example.gov.vn", ["nhacviec@example.gov.vn"], answer)
        else:
            time.sleep(1)
            deliver(imap, answer, at("2022-03-10T10:00"))
        deadline = time.monotonic() + 30
        while not any("vtp@example.gov.vn" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=20) == 0, "".join(lines)
    finally:
        if child.poll() is None:
            child.kill()
    output = "".join(lines)
    assert "vtp@example.gov.vn: đã ghi nhận 1 minh chứng" in output and imap.password not in output
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


DIGEST_PLAN = PLAN + (
    "\n- id: tin-chuyen-doi-so\n  title: Tin bài về chuyển đổi số\n  lead: [buu-dien]\n  every: week\n"
    "  from: 2022-03-07\n  until: 2022-04-03\n  due: {weekday: thu, time: \"14:00\"}\n  match: [chuyển đổi số]\n"
    "  reminders: {before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}\n")


def test_a_reply_to_a_digest_goes_to_the_duty_it_names_or_waits(ledger, write_plan, smtp, tmp_path, clock_at):
    """The post office's reminder lists two duties: a reply naming one by its `match:` keyword records there;
    a reply naming neither waits in triage, even with one duty left open."""
    from conftest import UNITS_YAML

    from commplan.plan import load_catalog

    write_plan(DIGEST_PLAN)
    (tmp_path / "units.yaml").write_text(UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS.lstrip("\n")), encoding="utf-8")
    catalog = load_catalog([tmp_path])[0]
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    prepared(ledger, catalog, clock_at, "2022-03-10T09:00")
    Notifier(ledger, catalog, configured_channels(settings)).run(at("2022-03-10T09:00"))
    (original,) = [message for rcpt, message in inbox.messages if rcpt == ["bd@example.gov.vn"]]
    assert str(original["Subject"]) == "[Nhắc việc] 2 nhiệm vụ cần chú ý"
    handle = handler(ledger, catalog, MailInSettings())
    clock_at("2022-03-10T10:00")

    named = handle(reply(original, sender="bd@example.gov.vn", text=f"Tin bài về chuyển đổi số đã đăng: {ARTICLE}"),
                   at("2022-03-10T10:00"))
    assert named.outcome == "recorded"
    (item,) = ledger.evidence()
    assert (item.obligation, item.unit, item.link) == ("tin-chuyen-doi-so", "buu-dien", ARTICLE)
    assert json.loads(item.match_reason or "{}")["keyword"] == "chuyển đổi số"

    unclear = handle(reply(original, sender="bd@example.gov.vn", text="Đã xong: https://buudien.vn/bai-2"),
                     at("2022-03-10T10:05"))
    assert (unclear.outcome, unclear.why) == ("triage", "ambiguous") and len(ledger.evidence()) == 1
    (waiting,) = ledger.triage_items(units=["buu-dien"], include_unowned=False)
    duties = {s.obligation: s.id for s in ledger.statuses(as_of=clock.now()) if s.unit == "buu-dien"
              and s.window_start == dt.date(2022, 3, 7)}
    # offered: the duty still open (the other was done by the first reply; it may yet be about that one)
    assert waiting.candidates == (duties["bao-cao-tuan"],) and waiting.link == "https://buudien.vn/bai-2"


def test_a_message_that_cannot_be_taken_in_stops_no_poll_and_is_read_again(ledger, catalog, reminders, imap,
                                                                           clock_at):
    """The ledger fails on one message (a database hiccup, a bug): the messages after it are still taken in,
    and it is left unseen, not flagged \\Seen, so the next poll takes it in: no mail is lost."""
    from commplan.intake.mail_parse import parse

    first, _raw = reminders["bd@example.gov.vn"]
    second, _raw = reminders["vtp@example.gov.vn"]
    failing = reply(first, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}")
    deliver(imap, failing, at("2022-03-10T10:00"))
    deliver(imap, reply(second, sender="vtp@example.gov.vn", text=f"Đã đăng: {ARTICLE}"), at("2022-03-10T10:01"))
    clock_at("2022-03-10T10:05")
    settings, target = mail_settings(imap)
    handle = handler(ledger, catalog, settings)
    failing_id = parse(failing).message_id

    def flaky(raw: bytes, received: dt.datetime):
        if parse(raw).message_id == failing_id:
            raise RuntimeError("the ledger went away")
        return handle(raw, received)

    report = poll(target, flaky, max_bytes=settings.max_bytes, now=clock.now)
    assert [o.outcome for o in report.outcomes] == ["recorded"] and report.failed == 1
    assert occurrence_of(ledger, "viettel-post").status is Status.DONE_ON_TIME
    assert occurrence_of(ledger, "buu-dien").status is Status.OPEN

    again = poll(target, handle, max_bytes=settings.max_bytes, now=clock.now)  # the ledger is back
    assert [(o.outcome, o.sender) for o in again.outcomes] == [("recorded", "bd@example.gov.vn")]
    assert again.failed == 0 and occurrence_of(ledger, "buu-dien").status is Status.DONE_ON_TIME


def test_a_malformed_message_does_not_block_the_mailbox(ledger, catalog, reminders, imap, clock_at):
    """A message whose headers the standard library cannot parse (`From: "`) comes first in the mailbox: the
    reply after it is still recorded, on this poll and not never."""
    original, _raw = reminders["vtp@example.gov.vn"]
    deliver(imap, b'From: "\r\nSubject: broken\r\nMessage-ID: <\r\n\r\nhello\r\n', at("2022-03-10T10:00"))
    deliver(imap, reply(original, sender="vtp@example.gov.vn", text=f"Đã đăng: {ARTICLE}"), at("2022-03-10T10:01"))
    clock_at("2022-03-10T10:05")
    settings, target = mail_settings(imap)
    report = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert sorted(o.outcome for o in report.outcomes) == ["nothing", "recorded"] and report.failed == 0
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


def test_an_attachment_is_shown_under_its_senders_own_clean_name(ledger, catalog, reminders, clock_at):
    """The same PDF sent by two units: each unit's evidence shows the name it gave the file, never the other
    unit's; a name that is only a path ("../..") is not shown as given."""
    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    first, _raw = reminders["bd@example.gov.vn"]
    second, _raw = reminders["vtp@example.gov.vn"]
    assert handle(reply(first, sender="bd@example.gov.vn", text="Gửi báo cáo", pdf=PDF),
                  at("2022-03-10T10:00")).outcome == "recorded"
    message = email.message_from_bytes(reply(second, sender="vtp@example.gov.vn", text="Gửi báo cáo"),
                                       policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="VTP bao cao.pdf")
    message.add_attachment(PDF + b"\n", maintype="application", subtype="pdf", filename="../..")
    assert handle(message.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:01")).outcome == "recorded"
    names = sorted(i.document or "" for i in ledger.evidence(occurrence_id=occurrence_of(ledger, "viettel-post").id))
    assert "Báo cáo tuần 10-3.pdf" not in names and "VTP bao cao.pdf" in names
    assert ".." not in names and len(names) == 2


class CuttableProxy:
    """A loopback TCP relay to the IMAP server whose connections the test can cut, as a network fault, a
    NAT dropping an idle connection or a restarted server would."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.target = port
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.connections = 0
        self.from_client = bytearray()  # what the client said, to see what crossed the wire
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            self.connections += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, source is client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, keep: bool) -> None:
        try:
            while data := source.recv(65536):
                if keep:
                    self.from_client += data
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        for end in self.sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        self.sockets = []

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_watch_connects_again_when_the_connection_drops(ledger, catalog, reminders, imap, clock_at):
    """`mail-in watch` runs for weeks: a dropped connection (network, NAT, a restarted server) is connected
    again, and a reply arriving afterwards is still taken in."""
    original, _raw = reminders["vtp@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    proxy = CuttableProxy(imap.port)
    settings = MailInSettings(imap_url=SecretStr(imap.url().replace(f":{imap.port}/", f":{proxy.port}/")))
    target = settings.imap
    assert target is not None
    stop = threading.Event()
    seen: list[PollReport] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            watch(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now,
                  stop=stop, interval=3600, on_report=seen.append, check_every=0.2)
        except BaseException as error:
            failures.append(error)

    watcher = threading.Thread(target=run, daemon=True)
    watcher.start()
    try:
        time.sleep(1)  # connected and idling
        assert proxy.connections == 1
        proxy.cut()
        time.sleep(1)
        deliver(imap, reply(original, sender="vtp@example.gov.vn", text=f"Link: {ARTICLE}"), at("2022-03-10T10:00"))
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline and watcher.is_alive():
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(timeout=10)
        proxy.close()
    assert failures == [] and not watcher.is_alive()
    assert proxy.connections >= 2
    assert [o.outcome for r in seen for o in r.outcomes] == ["recorded"]
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


def test_one_message_cannot_flood_the_triage_list(ledger, catalog, reminders, clock_at):
    """Anyone can write to the reminder mailbox: a message with hundreds of links (spam, a pasted list) puts
    at most a few items in triage, and says how many were left out."""
    from commplan.intake.mail_intake import MAX_ITEMS

    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    spam = EmailMessage()
    spam["From"], spam["Subject"], spam["Message-ID"] = "quangcao@spam.example", "Ưu đãi", "<spam-1@spam.example>"
    spam.set_content("\n".join(f"https://spam.example/khuyen-mai/{n}" for n in range(500)))
    outcome = handle(spam.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:00"))
    items = ledger.triage_items(units=None, include_unowned=True)
    assert outcome.outcome == "triage" and 0 < len(items) <= MAX_ITEMS
    assert any("480" in refused for refused in outcome.refused)


def test_a_reply_received_after_the_deadline_makes_the_duty_done_late(ledger, catalog, reminders, clock_at):
    """The reminder said 14:00 Vietnam time; the reply reached the mailbox at 15:30 (08:30 UTC): done late,
    dated by its arrival, not by the sender's Date header (which says 11:00)."""
    original, _raw = reminders["bd@example.gov.vn"]
    clock_at("2022-03-10T16:00")
    handle = handler(ledger, catalog, MailInSettings())
    arrived = dt.datetime(2022, 3, 10, 8, 30, tzinfo=dt.UTC)
    assert handle(reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}"), arrived).outcome == "recorded"
    (item,) = ledger.evidence()
    assert item.occurred_at == at("2022-03-10T15:30")
    assert occurrence_of(ledger, "buu-dien").status is Status.DONE_LATE


def test_the_same_reply_taken_in_twice_at_once_counts_once(ledger, catalog, reminders, clock_at):
    """`mail-in watch` and the `mail-in` flow read the same mailbox: both may take one message in at the same
    moment (the second sees it claimed but not finished and takes it in again). Nothing counts twice."""
    original, _raw = reminders["bd@example.gov.vn"]
    stranger, _raw = reminders["vtp@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    answers = [reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}", pdf=PDF),
               reply(stranger, sender="someone@gmail.com", text=f"Bài: {ARTICLE}", pdf=PDF)]
    for answer in answers:
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def take(raw: bytes = answer, barrier: threading.Barrier = start, errors: list = errors) -> None:
            barrier.wait()
            try:
                handle(raw, at("2022-03-10T10:00"))
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=take) for _n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
    duty = occurrence_of(ledger, "buu-dien")
    assert sorted(i.kind for i in ledger.evidence()) == ["document", "link"]
    assert sorted(i.kind for i in ledger.evidence(occurrence_id=duty.id)) == ["document", "link"]
    assert sorted(i.kind for i in ledger.triage_items(units=None, include_unowned=True)) == ["document", "link"]


class RefusingOnce:
    """An SMTP server that answers the first message with 451 (try again later), then accepts: what each
    attempt carried is kept."""

    def __init__(self) -> None:
        self.attempts: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.attempts.append(message)
        return "451 4.3.0 try again later" if len(self.attempts) == 1 else "250 OK"


def test_a_retried_reminder_email_goes_out_with_its_first_message_id(ledger, catalog, tmp_path, clock_at):
    """The first send is refused for now: the retry is the same message, with the Message-ID stored before the
    first send, so a reply to either copy finds the delivery."""
    port = free_port()
    server = RefusingOnce()
    smtp_server = Controller(server, hostname="127.0.0.1", port=port)
    smtp_server.start()
    try:
        settings = Settings(data_dir=tmp_path / "data",
                            smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
        prepared(ledger, catalog, clock_at, "2022-03-10T09:00")
        channels = configured_channels(settings)
        first = Notifier(ledger, catalog, channels).run(at("2022-03-10T09:00"))
        clock_at("2022-03-10T09:30")
        second = Notifier(ledger, catalog, channels).run(at("2022-03-10T09:30"))
    finally:
        smtp_server.stop()
    assert first.retried >= 1 and second.sent >= 1
    ids = [message.get_all("Message-ID") for message in server.attempts]
    assert all(len(found or []) == 1 for found in ids)
    refused = server.attempts[0]
    (to,) = [str(a.addr_spec) for a in refused["To"].addresses]
    resent = [m for m in server.attempts[1:] if [str(a.addr_spec) for a in m["To"].addresses] == [to]]
    assert len(resent) == 1 and str(resent[0]["Message-ID"]) == str(refused["Message-ID"])
    delivery = next(d for d in ledger.deliveries() if d["address"] == to)
    assert delivery["message_id"] == str(refused["Message-ID"]) and delivery["status"] == "sent"


def test_no_password_goes_in_clear_to_a_mailbox_off_this_machine(imap):
    """imap:// to a host that is not loopback and offers no STARTTLS (dovecot here has no TLS, reached through
    a relay on this machine's network address): refused before the login, the password never sent."""
    from commplan.intake.imap_poll import MailboxError, connect

    address = None
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: the kernel only picks the outgoing address
        address = probe.getsockname()[0]
    if address is None or address.startswith("127."):
        pytest.skip("this machine has no network address but loopback")
    proxy = CuttableProxy(imap.port, host=address)
    try:
        target = imap_target(f"imap://{imap.user}:{imap.password}@{address}:{proxy.port}/INBOX")
        assert not target.loopback
        with pytest.raises(MailboxError) as refused:
            connect(target, timeout=10)
        time.sleep(0.3)
        assert "imaps://" in str(refused.value) and proxy.connections == 1
        assert imap.password.encode() not in bytes(proxy.from_client)
        assert b"LOGIN" not in bytes(proxy.from_client).upper()
        # the same server on loopback: plaintext allowed (the tests' own dovecot), and the relay works
        connect(imap_target(imap.url()), timeout=10).logout()
    finally:
        proxy.close()


def test_the_smtp_service_answers_451_when_taking_in_fails_and_the_forward_is_retried(ledger, catalog, reminders,
                                                                                     clock_at):
    """The ledger away: the service says "try again later" (451), the forwarding server keeps the message and
    sends it again, and then it is recorded once. A malformed message is accepted, never refused forever."""
    original, _raw = reminders["bd@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    down = threading.Event()
    down.set()

    def flaky(raw: bytes, received: dt.datetime):
        if down.is_set():
            raise RuntimeError("the database is restarting")
        return handle(raw, received)

    port = free_port()
    service = controller(flaky, clock.now, host="127.0.0.1", port=port, max_bytes=10**7)
    service.start()
    try:
        answer = reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail("bd@example.gov.vn", ["nhacviec@example.gov.vn"], answer)
            assert refused.value.smtp_code == 451
            assert ledger.evidence() == []
            down.clear()
            client.sendmail("bd@example.gov.vn", ["nhacviec@example.gov.vn"], answer)
            client.sendmail("x@example.gov.vn", ["nhacviec@example.gov.vn"], b'From: "\r\nMessage-ID: <\r\n\r\nx\r\n')
    finally:
        service.stop()
    assert [i.link for i in ledger.evidence()] == [ARTICLE]
    assert occurrence_of(ledger, "buu-dien").status is Status.DONE_ON_TIME


def test_a_busy_database_while_recording_loses_no_reply(ledger, catalog, reminders, imap, clock_at, monkeypatch):
    """The database is busy (SQLite locked past its wait, PostgreSQL restarting) just as the reply's link is
    recorded: that is no refusal of the link. The message is not marked done nor flagged \\Seen, and the next
    poll records it."""
    from commplan.ledger import LedgerUnavailable

    original, _raw = reminders["bd@example.gov.vn"]
    deliver(imap, reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}"), at("2022-03-10T10:00"))
    clock_at("2022-03-10T10:05")
    settings, target = mail_settings(imap)

    def busy(*args, **kwargs):
        raise LedgerUnavailable("the database is busy: another commplan command is writing to it. Try again.")

    with monkeypatch.context() as patched:
        patched.setattr(ledger, "record_evidence", busy)
        report = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert report.failed == 1 and report.outcomes == [] and ledger.evidence() == []

    again = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert [o.outcome for o in again.outcomes] == ["recorded"]
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


def test_a_reply_taken_in_again_after_a_crash_between_its_items_records_the_rest(ledger, catalog, reminders,
                                                                                 clock_at, monkeypatch):
    """The link is recorded (the duty is now done), then the database fails before the PDF: taken in again,
    the PDF joins the same duty. The duty being done by this very message is no reason to send the rest to
    triage, nor to put the recorded link there."""
    from commplan.ledger import LedgerUnavailable

    original, _raw = reminders["bd@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    answer = reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}", pdf=PDF)
    record = ledger.record_evidence
    calls: list[str] = []

    def fails_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise LedgerUnavailable("cannot connect to the database: the server closed the connection")
        return record(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(ledger, "record_evidence", fails_second)
        with pytest.raises(LedgerUnavailable):
            handle(answer, at("2022-03-10T10:00"))
    duty = occurrence_of(ledger, "buu-dien")
    assert [i.kind for i in ledger.evidence(occurrence_id=duty.id)] == ["link"] and duty.status is Status.DONE_ON_TIME

    again = handle(answer, at("2022-03-10T10:00"))
    assert again.outcome == "recorded"
    assert sorted(i.kind for i in ledger.evidence(occurrence_id=duty.id)) == ["document", "link"]
    assert ledger.triage_items(units=None, include_unowned=True) == []


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_a_signature_logo_is_no_evidence(ledger, catalog, reminders, clock_at):
    """Outlook, Gmail and Zimbra embed a signature's logo as an inline image the HTML names by Content-ID. A
    reply saying the article is not out yet must not make the duty done by its logo; a file truly attached
    (even as Apple Mail does, `inline` with no Content-ID) still counts."""
    original, _raw = reminders["bd@example.gov.vn"]
    clock_at("2022-03-10T10:00")
    handle = handler(ledger, catalog, MailInSettings())
    answer = email.message_from_bytes(reply(original, sender="bd@example.gov.vn",
                                            text="Tuần này đơn vị chưa đăng bài, sẽ gửi sau."),
                                      policy=email.policy.default)
    assert isinstance(answer, EmailMessage)
    answer.add_alternative('<p>Tuần này đơn vị chưa đăng bài, sẽ gửi sau.</p><p><img src="cid:image001.png@01D8"></p>',
                           subtype="html")
    html = answer.get_body(preferencelist=("html",))
    assert html is not None
    html.add_related(PNG, maintype="image", subtype="png", cid="<image001.png@01D8>", filename="image001.png",
                     disposition="inline")
    outcome = handle(answer.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:00"))
    assert outcome.outcome == "nothing" and ledger.evidence() == []
    assert occurrence_of(ledger, "buu-dien").status is Status.OPEN

    apple = email.message_from_bytes(reply(original, sender="bd@example.gov.vn", text="Gửi báo cáo"),
                                     policy=email.policy.default)
    assert isinstance(apple, EmailMessage)
    apple.add_attachment(PDF, maintype="application", subtype="pdf", filename="bao-cao.pdf", disposition="inline")
    assert handle(apple.as_bytes(policy=email.policy.SMTP), at("2022-03-10T10:05")).outcome == "recorded"
    assert [i.document for i in ledger.evidence()] == ["bao-cao.pdf"]


def test_a_reply_a_person_already_opened_is_still_taken_in(ledger, catalog, reminders, imap, clock_at):
    """The reminder mailbox is often read by a clerk too: a reply opened (\\Seen) in a mail client before the
    5-minute poll still counts, once; one opened long ago (before OPENED_WINDOW) is left alone."""
    original, _raw = reminders["bd@example.gov.vn"]
    client = IMAPClient(imap.host, port=imap.port, ssl=False)
    client.login(imap.user, imap.password)
    client.append("INBOX", reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}"),
                  flags=[b"\\Seen"], msg_time=at("2022-03-10T10:00"))
    old = EmailMessage()
    old["From"], old["Subject"], old["Message-ID"] = "vtp@example.gov.vn", "Thư cũ", "<old@vtp.example.gov.vn>"
    old.set_content(f"Bài cũ: {ARTICLE}/cu")
    client.append("INBOX", old.as_bytes(policy=email.policy.SMTP), flags=[b"\\Seen"], msg_time=at("2022-02-01T10:00"))
    client.logout()
    clock_at("2022-03-10T10:05")
    settings, target = mail_settings(imap)
    report = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
    assert [(o.outcome, o.sender) for o in report.outcomes] == [("recorded", "bd@example.gov.vn")]
    assert poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes,
                now=clock.now).outcomes == []  # marked with our keyword: not read again
    assert [i.link for i in ledger.evidence()] == [ARTICLE]


def test_reminder_emails_say_a_reply_is_enough_only_when_replies_are_read(ledger, catalog, smtp, tmp_path, clock_at,
                                                                        monkeypatch):
    from commplan.intake.mail_settings import replies_read
    from commplan.notify.messages import REPLY_INVITATION

    port, inbox = smtp
    smtp_url = f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn"
    assert replies_read(Settings(data_dir=tmp_path / "data", smtp_url=smtp_url)) is False
    monkeypatch.setenv("COMMPLAN_MAIL_IN_LISTEN", "127.0.0.1:2525")
    settings = Settings(data_dir=tmp_path / "data", smtp_url=smtp_url)
    assert replies_read(settings) is True
    prepared(ledger, catalog, clock_at, "2022-03-10T09:00")
    Notifier(ledger, catalog, configured_channels(settings), invite_replies=replies_read(settings)).run(
        at("2022-03-10T09:00"))
    assert len(inbox.messages) == 2
    for _rcpt, message in inbox.messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert REPLY_INVITATION in " ".join(text.split()) and "trả lời thư này" in html


def test_a_server_that_keeps_no_keyword_of_ours_still_has_each_reply_taken_once(ledger, catalog, reminders,
                                                                                clock_at):
    """A server refusing our `$CommplanTaken` keyword (here dovecot taking keywords of at most 5 characters):
    the message is flagged \\Seen alone, and counted once."""
    original, _raw = reminders["bd@example.gov.vn"]
    with dovecot("mail_max_keyword_length = 5") as server:
        deliver(server, reply(original, sender="bd@example.gov.vn", text=f"Đã đăng: {ARTICLE}"), at("2022-03-10T10:00"))
        clock_at("2022-03-10T10:05")
        settings, target = mail_settings(server)
        first = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
        second = poll(target, handler(ledger, catalog, settings), max_bytes=settings.max_bytes, now=clock.now)
        client = IMAPClient(server.host, port=server.port, ssl=False)
        client.login(server.user, server.password)
        client.select_folder("INBOX")
        flags = list(client.get_flags(client.search(["ALL"])).values())
        client.logout()
    assert [o.outcome for o in first.outcomes] == ["recorded"] and first.failed == 0
    assert [o.outcome for o in second.outcomes] == ["already"]  # read again (no keyword), counted once
    assert flags == [(b"\\Seen",)] and [i.link for i in ledger.evidence()] == [ARTICLE]
