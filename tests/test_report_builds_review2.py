"""Built reports, from the second review: two report duties of one unit share one form that a tick does
not rebuild every hour; one mail that cannot be read never blocks the others; each mail given up is said
by exactly one run."""
from __future__ import annotations

import datetime as dt

from test_form_delivery import WEEKLY, at, built, make_catalog, put

from commplan.ledger import Ledger, documents
from commplan.ledger.report_builds import BuiltFile
from commplan.notify.report_mail import send_report_mails
from commplan.reports.form_delivery import build_due_forms
from commplan.settings import Settings

NOW = dt.datetime(2021, 11, 24, 7, 0, tzinfo=dt.UTC)

SECOND = WEEKLY.replace("bao-cao-tuan", "bao-cao-tuan-ubnd").replace("to: vu-qldn", "to: so-b").replace(
    'time: "14:00"', 'time: "16:00"')


def test_two_weekly_duties_of_one_unit_do_not_rebuild_every_tick(ledger, tmp_path):
    catalog = make_catalog(tmp_path / "plans", WEEKLY + SECOND)
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-23T09:00")
    first = build_due_forms(ledger, catalog, now=at("2021-11-24T17:00"))
    # one form per Sở and week, whichever duties ask for it, both deadlines in its summary
    assert sorted(b.unit for b in first.built) == ["so-a", "so-b"]
    assert all(b.summary.count("Hạn gửi:") == 2 for b in first.built)
    again = build_due_forms(ledger, catalog, now=at("2021-11-24T18:00"))
    third = build_due_forms(ledger, catalog, now=at("2021-11-24T19:00"))
    assert again.built == [] and third.built == [], (built(again), built(third))


def save(ledger, plan, fingerprint, *, now=NOW):
    return ledger.save_report_build(
        kind="weekly", plan=plan, scope="so-a", period="2021-W47", fingerprint=fingerprint, title=plan,
        summary=None, as_of=now, now=now,
        files=[BuiltFile(f"{plan}.xlsx", f"{plan}{fingerprint}".encode(), "application/octet-stream")],
        recipients=[("so-a", "a@so.gov.vn")])


def test_one_unreadable_mail_does_not_block_the_others_forever(tmp_path):
    """A stored file that cannot be read (here a folder where the file was: an OSError that is not "missing")
    is this mail's problem: counted and backed off, while the next mail goes. (SQLite: its documents are
    files in the data folder.)"""
    with Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        unreadable_mail_case(ledger, tmp_path)


def unreadable_mail_case(ledger, tmp_path):
    first, _ = save(ledger, "p1", "f1")
    second, _ = save(ledger, "p2", "f1")
    folder = documents.folder_of(ledger.engine.url.database)
    assert folder is not None  # SQLite: documents are files
    path = documents._path(folder, first.files[0].sha256)
    path.unlink()
    path.mkdir()  # an unreadable file: IsADirectoryError, an OSError that is not FileNotFoundError
    settings = Settings(data_dir=tmp_path / "data", file_channels=True)
    for hour in range(3):
        send_report_mails(ledger, settings, now=NOW + dt.timedelta(hours=hour))  # never raises for one bad mail
    unreadable = ledger.report_mails(first.id)[0]
    assert unreadable["status"] == "pending" and unreadable["attempts"] >= 1 and "IsADirectoryError" in unreadable["last_error"]
    assert ledger.report_mails(second.id)[0]["status"] == "written", ledger.report_mails(second.id)


def test_report_mail_problems_once_each(ledger):
    T = dt.datetime(2021, 11, 24, 1, 0, tzinfo=dt.UTC)  # 08:00 in Vietnam: a tick
    save(ledger, "p1", "f1", now=T - dt.timedelta(hours=1))
    save(ledger, "p2", "f1", now=T - dt.timedelta(hours=1))
    (mail,) = ledger.claim_report_mails("tick", now=T, limit=1)
    ledger.confirm_report_mail(mail.id, "tick", outcome="failed", error="550", now=T)
    # the compliance run at 07:55 of the same hour... here: a sender that died 5 minutes before the tick
    (dead,) = ledger.claim_report_mails("flow", now=T - dt.timedelta(minutes=5), limit=1)
    assert [p["id"] for p in ledger.report_mail_problems(T - dt.timedelta(hours=1))] == [mail.id]  # tick at 08:00
    ledger.claim_report_mails("tick", now=T + dt.timedelta(hours=1), limit=0)  # 09:00: the dead claim -> unknown
    listed = [p["id"] for p in ledger.report_mail_problems(T)]  # tick at 09:00: since = 08:00
    assert listed == [dead.id], listed  # the failure said at 08:00 is not said again; the unknown one is said
