"""Email through a real SMTP server (aiosmtpd on loopback): headers, UTF-8 subject, HTML, once."""

from __future__ import annotations

import email
import email.header
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from commplan.notify.channels import TemporaryError
from commplan.notify.email import EmailChannel
from commplan.notify.notifier import Notifier
from commplan.notify.setup import configured_channels
from commplan.settings import Settings
from test_outbox import CONTACTS, PLAN, at, prepared  # noqa: F401 - shared plan and contacts


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
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


def test_reminders_arrive_by_email_with_vietnamese_subject_and_html(ledger, catalog, smtp, tmp_path):
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn&name=Nh%E1%BA%AFc%20vi%E1%BB%87c")
    prepared(ledger, catalog)
    channels = configured_channels(settings)
    assert isinstance(channels["email"], EmailChannel)
    report = Notifier(ledger, catalog, channels).run(at("2022-03-10T15:00"))
    assert report.sent == 4 and len(inbox.messages) == 2  # two emails; zalo and sms went to the file channel
    by_rcpt = {tuple(rcpt): message for rcpt, message in inbox.messages}
    message = by_rcpt[("bd@example.gov.vn",)]
    assert str(message["Subject"]) == "[Nhắc việc] Đến hạn hôm nay: Báo cáo tuần"
    assert "nhacviec@example.gov.vn" in str(message["From"]) and str(message["To"]) == "bd@example.gov.vn"
    delivery = next(d for d in ledger.deliveries() if d["address"] == "bd@example.gov.vn")
    assert str(message["X-Commplan-Delivery"]) == str(delivery["id"]) and delivery["status"] == "sent"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>Bưu điện tỉnh Thử Nghiệm</strong>" in html and "Đến hạn hôm nay" in html
    assert Notifier(ledger, catalog, channels).run(at("2022-03-10T15:30")).sent == 0 and len(inbox.messages) == 2


def test_a_stopped_smtp_server_is_a_temporary_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here
    channel = EmailChannel(f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    from commplan.ledger.outbox import Claimed

    delivery = Claimed(id=1, recipient="u", channel="email", address="a@example.gov.vn", subject="S", body_text="t",
                       body_html="<p>t</p>", body_sms="t", attempts=1)
    with pytest.raises(TemporaryError):
        channel.send(delivery)
    with pytest.raises(ValueError, match="needs from="):
        EmailChannel("mailto://127.0.0.1:25")
