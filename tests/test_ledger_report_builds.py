"""Built reports in the ledger (SQLite and PostgreSQL): one build per content, files stored by SHA-256,
mail planned once per address, claimed by compare-and-set, superseded by a newer build, never re-sent
after a crash."""

from __future__ import annotations

import datetime as dt

from commplan.ledger.report_builds import BuiltFile

NOW = dt.datetime(2021, 11, 24, 7, 0, tzinfo=dt.UTC)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def save(ledger, fingerprint: str, content: bytes, *, now=NOW, recipients=(("so-a", "a@so.gov.vn"),)):
    return ledger.save_report_build(
        kind="weekly", plan="p", scope="so-a", period="2021-W47", fingerprint=fingerprint,
        title="Biểu mẫu báo cáo tuần 2021-W47", summary="11 chỉ tiêu", as_of=now, now=now,
        files=[BuiltFile("bao-cao-tuan.xlsx", content, XLSX_TYPE), BuiltFile("bao-cao-tuan.html", b"<p>x</p>", "text/html")],
        recipients=[*recipients, ("so-a", "a@so.gov.vn")])  # the same address twice: one mail


def test_same_content_is_kept_once_and_mailed_once(ledger):
    first, new = save(ledger, "f1", b"one")
    again, new_again = save(ledger, "f1", b"one", now=NOW + dt.timedelta(hours=1))
    assert new and not new_again and again.id == first.id
    assert [f.name for f in first.files] == ["bao-cao-tuan.xlsx", "bao-cao-tuan.html"]
    assert ledger.document_content(first.file("bao-cao-tuan.xlsx").sha256) == b"one"
    assert [m["address"] for m in ledger.report_mails(first.id)] == ["a@so.gov.vn"]
    claimed = ledger.claim_report_mails("w1", now=NOW)
    assert [(c.build.id, c.address) for c in claimed] == [(first.id, "a@so.gov.vn")]
    assert ledger.claim_report_mails("w2", now=NOW) == []  # taken: nobody else sends it
    assert not ledger.confirm_report_mail(claimed[0].id, "w2", outcome="sent", now=NOW)  # not w2's claim
    assert ledger.confirm_report_mail(claimed[0].id, "w1", outcome="sent", now=NOW)
    assert ledger.report_mails(first.id)[0]["status"] == "sent"
    assert ledger.claim_report_mails("w1", now=NOW + dt.timedelta(days=1)) == []


def test_a_newer_build_supersedes_the_unsent_mail(ledger):
    old, _ = save(ledger, "f1", b"one")
    new, _ = save(ledger, "f2", b"two", now=NOW + dt.timedelta(hours=1))
    assert ledger.report_mails(old.id)[0]["status"] == "superseded"
    claimed = ledger.claim_report_mails("w1", now=NOW + dt.timedelta(hours=1))
    assert [c.build.id for c in claimed] == [new.id]
    assert [b.id for b in ledger.latest_report_builds()] == [new.id]
    assert ledger.latest_report_builds(plans=["other"]) == []


def test_a_crash_between_send_and_confirmation_is_never_resent(ledger):
    build, _ = save(ledger, "f1", b"one")
    assert len(ledger.claim_report_mails("w1", now=NOW)) == 1
    # the worker died: after the lease the mail is unknown, reported, not claimed again
    assert ledger.claim_report_mails("w2", now=NOW + dt.timedelta(hours=1)) == []
    mail = ledger.report_mails(build.id)[0]
    assert mail["status"] == "unknown"
    assert [p["address"] for p in ledger.report_mail_problems(NOW - dt.timedelta(days=1))] == ["a@so.gov.vn"]


def test_a_temporary_failure_retries_with_a_backoff_then_fails(ledger):
    build, _ = save(ledger, "f1", b"one")
    moment = NOW
    for attempt in range(1, 7):
        claimed = ledger.claim_report_mails("w1", now=moment)
        assert [c.attempts for c in claimed] == [attempt]
        ledger.confirm_report_mail(claimed[0].id, "w1", outcome="retry", error="421 busy", now=moment)
        assert ledger.claim_report_mails("w1", now=moment + dt.timedelta(minutes=1)) == []  # backing off
        moment += dt.timedelta(hours=3)
    mail = ledger.report_mails(build.id)[0]
    assert (mail["status"], mail["last_error"]) == ("failed", "421 busy")


def form_of(ledger, plan: str, unit: str, period: str, fingerprint: str, now=NOW):
    return ledger.save_report_build(
        kind="weekly", plan=plan, scope=unit, period=period, fingerprint=fingerprint, title=f"{unit} {period}",
        as_of=now, now=now, files=[BuiltFile("f.csv", fingerprint.encode(), "text/csv")],
        recipients=[(unit, f"{unit}@so.gov.vn")])[0]


def test_the_newest_builds_of_a_readers_plans_or_units(ledger):
    mine = form_of(ledger, "bo", "so-a", "2021-W47", "a1")
    theirs = form_of(ledger, "bo", "so-b", "2021-W47", "b1", now=NOW + dt.timedelta(minutes=1))
    report = ledger.save_report_build(kind="compliance-monthly", plan="p", scope="", period="2021-11", fingerprint="c",
                                      title="c", as_of=NOW, now=NOW + dt.timedelta(minutes=2), files=[])[0]
    assert [b.id for b in ledger.latest_report_builds()] == [report.id, theirs.id, mine.id]
    assert [b.id for b in ledger.latest_report_builds(units=["so-a"])] == [mine.id]
    assert [b.id for b in ledger.latest_report_builds(plans=["p"], units=["so-a"])] == [report.id, mine.id]
    assert [b.id for b in ledger.latest_report_builds(plans=["bo"])] == [theirs.id, mine.id]
    assert ledger.latest_report_builds(plans=[], units=[]) == []
    assert [b.id for b in ledger.latest_report_builds(limit=1)] == [report.id]


def test_a_builds_history_is_every_build_of_its_report_newest_first(ledger):
    first = form_of(ledger, "bo", "so-a", "2021-W47", "a1")
    rebuilt = form_of(ledger, "bo", "so-a", "2021-W47", "a2", now=NOW + dt.timedelta(hours=1))
    next_week = form_of(ledger, "bo", "so-a", "2021-W48", "a3", now=NOW + dt.timedelta(days=7))
    form_of(ledger, "bo", "so-b", "2021-W47", "b1")  # another unit's report
    assert [b.id for b in ledger.report_build_history(first.id)] == [next_week.id, rebuilt.id, first.id]
    assert [b.id for b in ledger.report_build_history(first.id, limit=2)] == [next_week.id, rebuilt.id]
    assert ledger.report_build_history(10_000) == []
    mails = ledger.report_mails_by_build([first.id, rebuilt.id, 10_000])
    assert sorted(mails) == [first.id, rebuilt.id]
    assert [(m["address"], m["status"]) for m in mails[first.id]] == [("so-a@so.gov.vn", "superseded")]
    assert [(m["address"], m["status"]) for m in mails[rebuilt.id]] == [("so-a@so.gov.vn", "pending")]
