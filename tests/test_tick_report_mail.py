"""The tick's summary of the built reports' mail (SQLite and PostgreSQL): mail that failed, or that is not
known to have been sent, is listed by name and address in the tick's markdown, in Vietnamese, and
counted in the log line; a failed step says so."""

from __future__ import annotations

import datetime as dt

from test_form_delivery import at, synced  # noqa: F401  (a fixture)

from commplan.ledger.report_builds import BuiltFile
from commplan.tick import forms_log, forms_markdown, report_mail_problems

NO_FORMS = {"built": [], "unchanged": 0, "no_address": 0, "skipped": []}
NOTHING_SENT = {"sent": 0, "retried": 0, "failed": 0, "written": 0, "waiting": 0, "problems": []}


def test_failed_and_unknown_report_mail_is_shown_and_counted(synced):
    ledger, _catalog = synced
    now = at("2021-11-24T14:00")
    build, _new = ledger.save_report_build(
        kind="weekly", plan="thu-bieu-mau", scope="so-a", period="2021-W47", fingerprint="f1",
        title="Báo cáo tuần 47/2021", summary=None, as_of=now, now=now,
        files=[BuiltFile("bao-cao.csv", b"a,b\n", "text/csv")],
        recipients=[("so-a", "bcvt@so-a.example.gov.vn"), ("vu-qldn", "qldn@bo.example.gov.vn")])
    first, _second = ledger.claim_report_mails("w1", now=now)
    assert ledger.confirm_report_mail(first.id, "w1", outcome="failed", error="550 mailbox unavailable", now=now)
    # the tick of `now` says the failure; the next, an hour later, the claim gone stale meanwhile: each once
    assert [p["status"] for p in report_mail_problems(ledger, now - dt.timedelta(hours=1), now)] == ["failed"]
    ledger.claim_report_mails("w2", now=now + dt.timedelta(hours=1))  # the second's claim went stale: unknown
    later = report_mail_problems(ledger, now, now + dt.timedelta(hours=1))
    assert [(p["name"], p["status"]) for p in later] == [("Vụ Quản lý doanh nghiệp", "unknown")]
    problems = report_mail_problems(ledger, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert [(p["name"], p["status"]) for p in problems] == [("Sở Thông tin và Truyền thông tỉnh A", "failed"),
                                                            ("Vụ Quản lý doanh nghiệp", "unknown")]
    mail = {**NOTHING_SENT, "undelivered": problems}
    markdown = forms_markdown(NO_FORMS, mail)
    assert "## Báo cáo đã lập chưa gửi được" in markdown
    assert ("- **Sở Thông tin và Truyền thông tỉnh A** (bcvt@so-a.example.gov.vn), «Báo cáo tuần 47/2021»: "
            "không gửi được (chi tiết kỹ thuật: 550 mailbox unavailable)") in markdown
    assert "- **Vụ Quản lý doanh nghiệp** (qldn@bo.example.gov.vn), «Báo cáo tuần 47/2021»: không rõ đã gửi" in markdown
    assert forms_log(NO_FORMS, mail).endswith(
        "; 2 thư báo cáo đã lập chưa đến người nhận (gửi lỗi, hoặc không rõ đã gửi hay chưa)")
    assert first.build.id == build.id


def test_the_mail_section_is_of_the_built_reports_and_a_failed_step_says_so():
    mail = {**NOTHING_SENT, "sent": 2, "undelivered": []}
    markdown = forms_markdown({**NO_FORMS, "error": "OSError: đĩa đầy"}, mail)
    assert "## Thư gửi báo cáo đã lập" in markdown and "Thư gửi biểu mẫu" not in markdown
    assert "## Không lập được biểu mẫu báo cáo" in markdown and "(chi tiết kỹ thuật: OSError: đĩa đầy)" in markdown
    assert "thư gửi báo cáo đã lập: đã gửi 2" in forms_log(NO_FORMS, mail)
    assert forms_log({**NO_FORMS, "error": "OSError: đĩa đầy"}, mail).endswith("; lỗi: OSError: đĩa đầy")
