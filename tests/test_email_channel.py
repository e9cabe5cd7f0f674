"""Email through a real SMTP server (aiosmtpd on loopback): headers, UTF-8 subject, HTML, the .ics
attachment, once."""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.policy
import mimetypes
import socket

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from test_outbox import CONTACTS, PLAN, at, prepared

from commplan.calendar import DeadlineEvent, calendar_of, stable_uid
from commplan.ledger.outbox import Claimed
from commplan.notify.channels import TemporaryError
from commplan.notify.email import EmailChannel, calendar_attachment
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.settings import Settings

pytestmark = pytest.mark.server  # aiosmtpd on loopback


class Inbox:
    def __init__(self):
        self.messages = []
        self.raw = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content or envelope.content)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def catalog(write_plan, tmp_path):
    from conftest import UNITS_YAML

    from commplan.plan import load_catalog

    write_plan(PLAN)
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS.lstrip("\n"))
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    return load_catalog([tmp_path])[0]


def test_reminders_arrive_by_email_with_vietnamese_subject_and_html(ledger, catalog, smtp, tmp_path, clock_at):
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn&name=Nh%E1%BA%AFc%20vi%E1%BB%87c")
    prepared(ledger, catalog, clock_at)
    channels = configured_channels(settings)
    assert isinstance(channels["email"], EmailChannel)
    report = Notifier(ledger, catalog, channels).run(at("2022-03-10T15:00"))
    # two emails; with a channel configured there are no file stand-ins: Zalo and SMS are not planned at all
    assert report.sent == 2 and len(inbox.messages) == 2 and {d["channel"] for d in ledger.deliveries()} == {"email"}
    by_rcpt = {tuple(rcpt): message for rcpt, message in inbox.messages}
    message = by_rcpt[("bd@example.gov.vn",)]
    assert str(message["Subject"]) == "[Nhắc việc] Đến hạn hôm nay: Báo cáo tuần"
    assert "nhacviec@example.gov.vn" in str(message["From"]) and str(message["To"]) == "bd@example.gov.vn"
    delivery = next(d for d in ledger.deliveries() if d["address"] == "bd@example.gov.vn")
    assert str(message["X-Commplan-Delivery"]) == str(delivery["id"]) and delivery["status"] == "sent"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>Bưu điện tỉnh Thử Nghiệm</strong>" in html and "Đến hạn hôm nay" in html
    assert Notifier(ledger, catalog, channels).run(clock_at("2022-03-10T15:30")).sent == 0 and len(inbox.messages) == 2


def test_a_stopped_smtp_server_is_a_temporary_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here
    channel = EmailChannel(f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    delivery = Claimed(id=1, recipient="u", channel="email", address="a@example.gov.vn", subject="S", body_text="t",
                       body_html="<p>t</p>", body_sms="t", attempts=1)
    with pytest.raises(TemporaryError):
        channel.send(delivery)
    with pytest.raises(ValueError, match="COMMPLAN_SMTP_URL cần có from=<địa chỉ người gửi>"):
        EmailChannel("mailto://127.0.0.1:25")


def test_the_calendar_travels_as_nhac_viec_ics_in_text_calendar(smtp):
    port, inbox = smtp
    vn = dt.timezone(dt.timedelta(hours=7))
    event = DeadlineEvent(
        uid=stable_uid("thanh-hoa-241-2021", "bao-cao-tuan", "buu-dien", dt.date(2022, 3, 7)),
        plan_number="241/KH-UBND", plan_title="Kế hoạch truyền thông", title="Báo cáo tuần, có số liệu",
        holder="Bưu điện tỉnh Thử Nghiệm", due_at=dt.datetime(2022, 3, 10, 14, 0, tzinfo=vn), end_of_day=False,
        alarms=(dt.timedelta(days=1),),
    )
    ics = calendar_of([event], name="Nhắc việc", now=dt.datetime(2022, 3, 9, 8, 0, tzinfo=vn)).decode("utf-8")
    subject = "[Nhắc việc] Sắp đến hạn: Báo cáo tuần, có số liệu"
    delivery = Claimed(id=42, recipient="buu-dien", channel="email", address="bd@example.gov.vn", subject=subject,
                       body_text="t", body_html="<p>Hạn <strong>14:00 ngày 10/03/2022</strong></p>", body_sms="t",
                       attachment=ics, attempts=1)
    channel = EmailChannel(f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    assert channel.send(delivery) == "email:42"

    ((rcpt, message),) = inbox.messages
    assert rcpt == ["bd@example.gov.vn"] and str(message["X-Commplan-Delivery"]) == "42"
    raw_subject = next(line for line in inbox.raw[0].split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in raw_subject.lower()  # sent as an RFC 2047 encoded word ...
    assert str(message["Subject"]) == subject  # ... that decodes back to the Vietnamese subject
    assert "14:00 ngày 10/03/2022" in message.get_body(preferencelist=("html",)).get_content()

    (part,) = message.iter_attachments()
    assert part.get_content_type() == "text/calendar" and part.get_filename() == "nhac-viec.ics"
    assert part.get_content_disposition() == "attachment"
    data = part.get_payload(decode=True)
    assert data == ics.encode("utf-8") and b"\r\n" in data  # byte for byte, CRLF kept (base64)
    (received,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(received["UID"]) == event.uid == "thanh-hoa-241-2021.bao-cao-tuan.buu-dien.20220307@commplan"
    assert received.decoded("DTEND") == event.due_at and str(received["SUMMARY"]).startswith("Báo cáo tuần, có số liệu")


def test_the_attachment_does_not_need_the_system_mime_table(monkeypatch):
    # Python's own table has no text/calendar (it comes from /etc/mime.types): apprise would refuse it.
    monkeypatch.setattr(mimetypes, "knownfiles", [])
    monkeypatch.setattr(mimetypes, "_db", None)
    mimetypes.init()
    try:
        assert ".ics" not in mimetypes.types_map
        attachment = calendar_attachment("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        assert attachment.mimetype == "text/calendar" and attachment.name == "nhac-viec.ics"
        assert attachment.open().read() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    finally:
        monkeypatch.undo()
        mimetypes.init()  # the full table again, for the tests that follow
