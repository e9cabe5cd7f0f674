"""Built reports mailed through a real SMTP server (aiosmtpd on loopback): the .xlsx and .png attached,
once per address, a newer build superseding unsent mail; on the embedded default with no SMTP, a line in
the outbox file; on a shared ledger with no SMTP, kept waiting, never dropped."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket

import pytest
from openpyxl import Workbook, load_workbook
from test_email_channel import smtp  # noqa: F401  (a fixture: aiosmtpd on loopback)

from commplan.ledger.report_builds import BuiltFile
from commplan.notify.report_mail import send_report_mails
from commplan.settings import Settings

pytestmark = pytest.mark.server  # aiosmtpd on loopback
NOW = dt.datetime(2021, 11, 24, 7, 0, tzinfo=dt.UTC)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def workbook(value: int) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet["A1"] = "Tên đơn vị"
    sheet["B2"] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build(ledger, fingerprint: str, value: int, *, now=NOW):
    return ledger.save_report_build(
        kind="compliance-monthly", plan="p", scope="", period="2021-11-01/2021-11-30", fingerprint=fingerprint,
        title="Báo cáo tình hình thực hiện 241/KH-UBND, tháng 11/2021", summary="Phải thực hiện 12, quá hạn 3",
        as_of=now, now=now, recipients=[("so-a", "so@example.gov.vn"), ("so-a", "ttbc@example.gov.vn")],
        files=[BuiltFile("tuan-thu.xlsx", workbook(value), XLSX_TYPE), BuiltFile("tuan-thu.csv", b"\xef\xbb\xbfa", "text/csv"),
               BuiltFile("tuan-thu.png", PNG, "image/png")])[0]


def test_a_build_reaches_each_address_once_with_its_files(ledger, smtp, tmp_path):
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn",
                        public_url="https://theodoi.example.gov.vn")
    made = build(ledger, "f1", 7)
    result = send_report_mails(ledger, settings, now=NOW)
    assert (result.sent, result.failed, result.retried) == (2, 0, 0)
    assert sorted(tuple(rcpt) for rcpt, _message in inbox.messages) == [("so@example.gov.vn",), ("ttbc@example.gov.vn",)]
    message = inbox.messages[0][1]
    assert str(message["Subject"]) == "Báo cáo tình hình thực hiện 241/KH-UBND, tháng 11/2021"
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(parts) == ["tuan-thu.png", "tuan-thu.xlsx"]  # the CSV stays on the dashboard
    assert load_workbook(io.BytesIO(parts["tuan-thu.xlsx"].get_content()))["Sheet"]["B2"].value == 7
    assert parts["tuan-thu.png"].get_content() == PNG
    html = message.get_body(("html",)).get_content()
    assert "Phải thực hiện 12, quá hạn 3" in html and "https://theodoi.example.gov.vn/tong-quan" in html
    assert {m["status"] for m in ledger.report_mails(made.id)} == {"sent"}
    # a second run sends nothing more
    assert send_report_mails(ledger, settings, now=NOW + dt.timedelta(hours=1)).sent == 0
    assert len(inbox.messages) == 2


def test_a_rebuild_before_sending_sends_only_the_newest(ledger, smtp, tmp_path):
    port, inbox = smtp
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    build(ledger, "f1", 7)
    build(ledger, "f2", 9, now=NOW + dt.timedelta(minutes=5))
    assert send_report_mails(ledger, settings, now=NOW + dt.timedelta(minutes=10)).sent == 2
    values = {load_workbook(io.BytesIO(next(p for p in m.iter_attachments() if p.get_filename().endswith(".xlsx"))
                                       .get_content()))["Sheet"]["B2"].value for _rcpt, m in inbox.messages}
    assert values == {9}


def test_an_unreachable_server_is_retried_not_dropped(ledger, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "data", smtp_url=f"mailto://127.0.0.1:{port}?from=nhacviec@example.gov.vn")
    made = build(ledger, "f1", 7)
    result = send_report_mails(ledger, settings, now=NOW)
    assert (result.sent, result.retried) == (0, 2)
    assert {(m["status"], m["attempts"]) for m in ledger.report_mails(made.id)} == {("pending", 1)}


def test_on_the_embedded_default_the_mail_goes_to_the_outbox_file(tmp_path):
    from commplan.ledger import Ledger

    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        build(ledger, "f1", 7)
        assert send_report_mails(ledger, settings, now=NOW).written == 2
    lines = [json.loads(line) for line in (data / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["to"] for line in lines} == {"so@example.gov.vn", "ttbc@example.gov.vn"}
    assert lines[0]["attachments"] == ["tuan-thu.xlsx", "tuan-thu.png"]
    assert "Phải thực hiện 12, quá hạn 3" in lines[0]["html"]


@pytest.mark.postgres
def test_on_a_shared_ledger_with_no_smtp_the_mail_waits(tmp_path):
    from conftest import postgres_schema, require_postgres

    from commplan.ledger import Ledger

    require_postgres()
    with postgres_schema() as url, Ledger(url) as ledger:
        made = build(ledger, "f1", 7)
        result = send_report_mails(ledger, Settings(data_dir=tmp_path / "data", database_url=url), now=NOW)
        assert (result.sent, result.written, result.waiting) == (0, 0, 2)
        assert {m["status"] for m in ledger.report_mails(made.id)} == {"pending"}
