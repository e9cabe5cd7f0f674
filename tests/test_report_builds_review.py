"""Built reports, from the review of their delivery: a failing mail never strands the others, content
that returns to an earlier state is built again, a late rebuild of last week never hides this week's, a
province never sees another's units through a plan's compliance report, and a form built ahead of its
window never blocks the sync that drops the occurrence."""

from __future__ import annotations

import datetime as dt

import pytest
from test_form_delivery import at, built, put, synced  # noqa: F401  (fixture)
from test_web_built_reports import FEBRUARY, TYPES, signed_in
from test_web_dashboard import NOW as WEB_NOW
from test_web_dashboard import PLAN_A, PLAN_B
from two_provinces import MINISTRY, PROVINCE_A, PROVINCE_B, plan_file, web_app
from two_provinces import synced as synced_files

from commplan.ledger.report_builds import BuiltFile
from commplan.notify.report_mail import send_report_mails
from commplan.reports.compliance_files import write_all
from commplan.reports.compliance_report import compliance_report
from commplan.reports.form_delivery import build_due_forms
from commplan.settings import Settings

NOW = dt.datetime(2021, 11, 24, 7, 0, tzinfo=dt.UTC)


def save(ledger, plan: str, fingerprint: str, *, now=NOW, address: str = "a@so.gov.vn"):
    return ledger.save_report_build(
        kind="weekly", plan=plan, scope="so-a", period="2021-W47", fingerprint=fingerprint,
        title=f"Báo cáo tuần 47/2021 {plan}", summary=fingerprint, as_of=now, now=now,
        files=[BuiltFile(f"{plan}-{fingerprint}.xlsx", f"{plan}{fingerprint}".encode(), "application/octet-stream")],
        recipients=[("so-a", address)])


# ---------------------------------------------------------------- mail


def test_an_error_on_one_mail_does_not_strand_the_rest_of_the_batch(ledger, tmp_path):
    """An error before anything went out (the outbox file cannot be written, a document cannot be read)
    gives the claim back: no mail waits in a claim that would end 'unknown' and never be sent."""
    data = tmp_path / "data"
    (data / "outbox.jsonl").mkdir(parents=True)  # the outbox file cannot be written: an OSError
    settings = Settings(data_dir=data, file_channels=True)
    first, _ = save(ledger, "p1", "f1")
    second, _ = save(ledger, "p2", "f1")
    with pytest.raises(OSError):  # the task fails; Prefect retries it
        send_report_mails(ledger, settings, now=NOW)
    assert ledger.claim_report_mails("w-next", now=NOW + dt.timedelta(hours=1), limit=0) == []  # recovers stale claims
    for build in (first, second):
        mail = ledger.report_mails(build.id)[0]
        assert (mail["status"], mail["attempts"]) == ("pending", 0), mail
    settings = Settings(data_dir=tmp_path / "fixed", file_channels=True)
    assert send_report_mails(ledger, settings, now=NOW + dt.timedelta(hours=2)).written == 2


# ---------------------------------------------------------------- builds


def test_content_that_returns_to_an_earlier_builds_is_the_one_in_force(ledger):
    """report_builds.save looks the fingerprint up among *all* builds of the report: content that goes
    back to an earlier state (evidence withdrawn, an excusal revoked, a plan's wording reverted) finds
    the old build, adds nothing and mails nothing; the dashboard's newest build (max id) and the last
    mail the recipient got still show the intermediate content."""
    a, _ = save(ledger, "p", "f1")
    b, _ = save(ledger, "p", "f2", now=NOW + dt.timedelta(hours=1))
    again, new = save(ledger, "p", "f1", now=NOW + dt.timedelta(hours=2))
    newest = ledger.latest_report_builds(plans=["p"])
    assert new and again.id not in (a.id, b.id) and [x.id for x in newest] == [again.id]
    assert ledger.report_mails(b.id)[0]["status"] == "superseded"
    assert ledger.report_mails(again.id)[0]["status"] == "pending"  # the content in force is mailed again


# ---------------------------------------------------------------- visibility


def test_a_province_coordinator_does_not_see_another_provinces_units_through_a_plans_compliance_report(
        ledger_url, ledger, tmp_path):
    """built_reports.visible shows a compliance report to whoever `sees_plan` it, but a province's
    coordinator sees a plan it coordinates only through its own province's units (Scope.sees): the
    report of a plan it coordinates that province B's units hold lists B's units by name."""
    plans = tmp_path / "plans"
    plans.mkdir()
    shared = plan_file("ke-hoach-chung", "ubnd-tinh", "so-tttt", """\
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
    lead: [buu-dien, buu-dien-lg]
    every: week
    from: 2026-01-05
    until: 2026-06-28
    due: {weekday: thu, time: "14:00"}
""", number="300/KH-STTTT", effective="2026-01-01")
    synced_files(ledger, plans, {"a.units.yaml": PROVINCE_A, "b.units.yaml": PROVINCE_B, "bo.units.yaml": MINISTRY,
                                 "plan-a.yaml": PLAN_A, "plan-b.yaml": PLAN_B, "chung.yaml": shared}, WEB_NOW)
    report = compliance_report(ledger, "ke-hoach-chung", *FEBRUARY, as_of=WEB_NOW)
    files = [BuiltFile(p.name, p.read_bytes(), TYPES[p.suffix]) for p in write_all(report, tmp_path / "out")]
    build, _ = ledger.save_report_build(
        kind="compliance-monthly", plan="ke-hoach-chung", scope="", period="2026-02", fingerprint="x", title="t",
        summary=None, files=files, recipients=(), as_of=WEB_NOW, now=WEB_NOW, provinces=["thu-nghiem", "lang-gieng"])
    html = next(f for f in build.files if f.name.endswith(".html"))
    site = web_app(ledger_url, plans, WEB_NOW)
    with signed_in(site, "sotttt") as browser:
        reply = browser.get(f"/bao-cao-da-lap/{build.id}/{html.name}")
    assert "Láng Giềng" in html_text(ledger, html)  # the report does name B's unit
    assert reply.status_code == 404 and "Láng Giềng" not in reply.text


def test_a_late_rebuild_of_last_week_does_not_hide_this_weeks_form_from_the_overview(ledger):
    """report_builds.latest keeps max(id) per (kind, plan, scope) across periods: week 47's form, rebuilt
    on a late figure (up to 7 days after its deadline) after week 48's was built, becomes "the newest" and
    week 48's form disappears from /tong-quan. Likewise a plan's weekly and monthly compliance reports
    (same kind, scope "") hide each other."""
    def form(period: str, fingerprint: str, hours: int):
        return ledger.save_report_build(
            kind="weekly", plan="p", scope="so-a", period=period, fingerprint=fingerprint, title=period,
            summary=None, files=[], recipients=(), as_of=NOW + dt.timedelta(hours=hours),
            now=NOW + dt.timedelta(hours=hours))[0]

    form("2021-W47", "a", 0)
    w48 = form("2021-W48", "b", 24 * 7)
    form("2021-W47", "c", 24 * 7 + 1)  # a late figure for week 47
    shown = {b.period for b in ledger.latest_report_builds(plans=["p"])}
    assert shown == {w48.period}


def test_a_form_built_ahead_of_its_window_does_not_block_the_sync_that_drops_it(ledger, tmp_path):
    """report_build.occurrence_id is a foreign key to occurrence, but sync deletes an untouched occurrence
    whose window is still in the future when the plan drops it (sync._retire_missing; `_untouched` lists
    evidence, excusals, extensions and acknowledgements, not builds). A form built a working day ahead of
    a deadline that opens its week (due Monday 10:00: built Friday, before the window) then makes every
    later sync fail on the foreign key: the tick stops at `sync plans`, reminders included."""
    from test_form_delivery import make_catalog

    def duty(until: str) -> str:
        return f"""\
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
    lead: so-a
    every: week
    due: {{weekday: mon, time: "10:00"}}
    from: 2021-11-22
    until: {until}
    indicators: [ho-dao-tao]
"""
    catalog = make_catalog(tmp_path / "plans", duty("2021-12-05"))
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    result = build_due_forms(ledger, catalog, now=at("2021-11-26T10:00"))  # Friday: week 48's form, due Mon 29/11
    assert ("so-a", "weekly", "2021-W48") in built(result)
    shorter = make_catalog(tmp_path / "plans2", duty("2021-11-28"))  # the plan now ends with week 47
    ledger.sync(shorter, now=at("2021-11-27T08:00"), horizon=dt.date(2021, 12, 31))  # no IntegrityError
    kept = ledger.latest_report_builds(plans=[catalog.plans[next(iter(catalog.plans))].id])
    assert [(b.period, b.occurrence_id) for b in kept] == [("2021-W48", None)]  # kept, unlinked


def html_text(ledger, stored) -> str:
    return ledger.document_content(stored.sha256).decode("utf-8")
