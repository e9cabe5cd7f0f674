"""The scheduled compliance report (issue 13, part 4) without Prefect, on SQLite and PostgreSQL: a build
per plan that owes something in the week or month, its four files, kept once per content and addressed
to the coordinator's contacts; a re-run with nothing changed adds nothing, new evidence makes a new build."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from browser import png_size
from conftest import UNITS_YAML, plan_yaml, weekly_report

from commplan.ledger import EvidenceInput
from commplan.plan import load_catalog
from commplan.reports import heat_map
from commplan.reports.compliance_files import XLSX
from commplan.reports.scheduled_compliance import fingerprint, period_of, period_words, recipients_of, run

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONTHLY_PLAN = """\
commplan: 1
plan:
  id: ke-hoach-thang
  number: 7/KH-STTTT
  title: Kế hoạch báo cáo tháng
  issuer: so-tttt
  coordinator: so-tttt
  effective: {from: 2020-01-01}
obligations:
  - id: bao-cao-thang
    title: Báo cáo tháng
    kind: report
    lead: [ubnd-huyen-a]
    every: month
    due: {day: 25}
    from: 2022-03-01
    until: 2022-04-30
"""
THURSDAY = dt.datetime(2022, 3, 17, 15, 0, tzinfo=VN)  # an hour after the weekly report's deadline


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def write_plans(folder):
    """The weekly report of both postal operators (plan 1/KH-UBND) and a district's monthly report (7/KH-STTTT),
    both coordinated by the Sở TTTT, whose contact is ttbc@example.gov.vn."""
    folder.mkdir(exist_ok=True)
    (folder / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (folder / "plan.yaml").write_text(plan_yaml(weekly_report()), encoding="utf-8")
    (folder / "monthly.yaml").write_text(MONTHLY_PLAN, encoding="utf-8")
    return load_catalog([folder], strict=True)[0]


@pytest.fixture
def synced(ledger, tmp_path):
    catalog = write_plans(tmp_path / "plans")
    ledger.sync(catalog, now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
    return ledger, catalog


def test_the_periods_and_their_words():
    assert period_of("weekly", THURSDAY) == (dt.date(2022, 3, 14), dt.date(2022, 3, 20))
    assert period_of("monthly", THURSDAY) == (dt.date(2022, 3, 1), dt.date(2022, 3, 31))
    # a Sunday evening in Vietnam is still that week, whatever the UTC date
    assert period_of("weekly", at("2022-03-20T23:30").astimezone(dt.UTC))[1] == dt.date(2022, 3, 20)
    assert period_words("weekly", dt.date(2022, 3, 14), dt.date(2022, 3, 20)) == "tuần 14/03–20/03/2022"
    assert period_words("weekly", dt.date(2021, 12, 27), dt.date(2022, 1, 2)) == "tuần 27/12/2021–02/01/2022"
    assert period_words("monthly", dt.date(2021, 11, 1), dt.date(2021, 11, 30)) == "tháng 11/2021"
    with pytest.raises(ValueError, match="quarterly"):
        period_of("quarterly", THURSDAY)


def test_the_coordinators_contacts_and_its_successor_after_a_merger(tmp_path):
    catalog = write_plans(tmp_path / "plans")
    plan = catalog.plans["ke-hoach-thu"]
    assert recipients_of(plan, catalog.directory, dt.date(2022, 3, 17)) == [("so-tttt", "ttbc@example.gov.vn")]
    # from 15/3/2025 the Sở KH&CN answers for the Sở TTTT: its contacts (here none), not the old Sở's
    assert recipients_of(plan, catalog.directory, dt.date(2025, 4, 1)) == []


def test_a_province_coordinator_gets_only_a_report_of_its_own_provinces_units(tmp_path):
    """The dashboard's rule (a province never sees another province's units) holds for the mail too."""
    folder = tmp_path / "plans"
    write_plans(folder)
    (folder / "units.yaml").write_text(UNITS_YAML.replace("commplan: 1\n", "commplan: 1\nprovince: thu-nghiem\n", 1),
                                       encoding="utf-8")
    catalog = load_catalog([folder], strict=True)[0]
    plan, day = catalog.plans["ke-hoach-thu"], dt.date(2022, 3, 17)
    assert recipients_of(plan, catalog.directory, day, {"thu-nghiem"}) == [("so-tttt", "ttbc@example.gov.vn")]
    assert recipients_of(plan, catalog.directory, day, {"thu-nghiem", "lang-gieng"}) == []
    assert recipients_of(plan, catalog.directory, day, {"thu-nghiem", ""}) == []  # a unit of no province (a ministry's)


def test_a_build_per_plan_that_owes_something_with_its_four_files(synced, tmp_path):
    from openpyxl import load_workbook
    from PIL import Image

    ledger, catalog = synced
    done = run(ledger, catalog, "weekly", THURSDAY, folder=tmp_path / "reports", now=THURSDAY)
    # the monthly plan owes nothing this week (its report is due on the 25th): no files, no build, no mail
    assert [r.plan for r in done.reports] == ["ke-hoach-thu"] and done.idle == ["ke-hoach-thang"] and done.unknown == []
    (report,) = done.reports
    assert report.title == "Báo cáo tình hình thực hiện 1/KH-UBND, tuần 14/03–20/03/2022"
    assert report.summary == ("Phải thực hiện 2: 0 hoàn thành đúng hạn, 0 hoàn thành quá hạn, 0 đang thực hiện trong hạn, "
                              "2 quá hạn chưa hoàn thành; số đơn vị còn quá hạn: 2")
    assert report.new and report.recipients == ("ttbc@example.gov.vn",)
    build = ledger.report_build(report.build)
    assert (build.kind, build.plan, build.scope, build.period) == ("compliance-weekly", "ke-hoach-thu", "", "2022-03-14/2022-03-20")
    assert (build.title, build.summary, build.as_of) == (report.title, report.summary, THURSDAY)
    stem = "tuan-thu-1-KH-UBND-20220314-20220320"
    assert [(f.name, f.media_type) for f in build.files] == [
        (f"{stem}.xlsx", XLSX), (f"{stem}.csv", "text/csv"), (f"{stem}.png", "image/png"), (f"{stem}.html", "text/html")]
    content = {f.name: ledger.document_content(f.sha256) for f in build.files}
    book = load_workbook(io.BytesIO(content[f"{stem}.xlsx"]))
    assert book.sheetnames[:2] == ["Tổng hợp theo nhiệm vụ", "Theo đơn vị"]
    assert book["Theo đơn vị"]["A1"].value == "Báo cáo tình hình thực hiện Kế hoạch 1/KH-UBND"
    png = tmp_path / "reports" / "ke-hoach-thu" / f"{stem}.png"
    assert png_size(png) == heat_map.figure_size(2)  # two units, one row each
    with Image.open(png) as image:
        image.verify()  # a whole PNG, not only its header
    # the files written under the folder, one per plan, are the bytes kept and mailed
    assert sorted(p.name for p in (tmp_path / "reports" / "ke-hoach-thu").iterdir()) == sorted(content)
    assert [str(p) for p in report.files] == [str(tmp_path / "reports" / "ke-hoach-thu" / name) for name in content]
    assert all(p.read_bytes() == content[p.name] for p in report.files if p.suffix != ".xlsx")
    assert [(m["recipient"], m["address"], m["status"]) for m in ledger.report_mails(build.id)] == [
        ("so-tttt", "ttbc@example.gov.vn", "pending")]
    # the artifact's table: by unit, the most behind first, in the report's own words
    assert list(report.rows[0])[:3] == ["Mã đơn vị", "Đơn vị", "Phải thực hiện"]
    assert {row["Mã đơn vị"] for row in report.rows} == {"buu-dien", "viettel-post"}


def test_a_rerun_with_nothing_changed_adds_nothing_and_evidence_makes_a_new_build(synced, tmp_path):
    ledger, catalog = synced
    folder = tmp_path / "reports"
    first = run(ledger, catalog, "weekly", THURSDAY, folder=folder, now=THURSDAY).reports[0]
    # the next morning, nothing recorded: the same report (its days late moved on, which is no news)
    morning = at("2022-03-18T08:00")
    again = run(ledger, catalog, "weekly", morning, folder=folder, now=morning).reports[0]
    assert (again.build, again.new, again.recipients) == (first.build, False, ())
    assert [b.id for b in ledger.latest_report_builds()] == [first.build]
    assert len(ledger.report_mails(first.build)) == 1
    # Bưu điện sends its report late: a new build, whose mail replaces the one not sent yet
    ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="bc-tuan.pdf"),
                           on=at("2022-03-18T09:00"), now=at("2022-03-18T09:00"))
    later = at("2022-03-18T10:00")
    fresh = run(ledger, catalog, "weekly", later, folder=folder, now=later).reports[0]
    assert fresh.new and fresh.build != first.build and fresh.recipients == ("ttbc@example.gov.vn",)
    assert "1 hoàn thành quá hạn" in fresh.summary and fresh.summary.endswith("số đơn vị còn quá hạn: 1")
    assert [(row["Mã đơn vị"], row["Quá hạn"]) for row in fresh.rows] == [("viettel-post", "1"), ("buu-dien", "0")]
    assert [m["status"] for m in ledger.report_mails(first.build)] == ["superseded"]
    assert [m["status"] for m in ledger.report_mails(fresh.build)] == ["pending"]
    assert [b.id for b in ledger.latest_report_builds()] == [fresh.build]


def test_the_monthly_run_reports_both_plans_and_a_replay_keeps_nothing(synced, tmp_path):
    ledger, catalog = synced
    done = run(ledger, catalog, "monthly", THURSDAY, folder=tmp_path / "reports", now=THURSDAY)
    assert [r.plan for r in done.reports] == ["ke-hoach-thang", "ke-hoach-thu"] and done.idle == []
    assert [r.title for r in done.reports] == ["Báo cáo tình hình thực hiện 7/KH-STTTT, tháng 03/2022",
                                               "Báo cáo tình hình thực hiện 1/KH-UBND, tháng 03/2022"]
    assert {ledger.report_build(r.build).period for r in done.reports} == {"2022-03-01/2022-03-31"}
    assert {ledger.report_build(r.build).kind for r in done.reports} == {"compliance-monthly"}
    # a replay of April: the files only, no build and no mail
    replay = run(ledger, catalog, "monthly", at("2022-04-20T07:30"), folder=tmp_path / "reports", replay=True)
    assert replay.reports and all(r.build is None and not r.new and not r.recipients for r in replay.reports)
    assert all(len(r.files) == 4 and all(p.is_file() for p in r.files) for r in replay.reports)
    assert all(p.parent == tmp_path / "reports" / "replay" / r.plan for r in replay.reports for p in r.files)
    assert len(ledger.latest_report_builds()) == 2


def test_a_replay_of_the_same_period_writes_apart_from_the_real_runs_files(synced, tmp_path):
    """A replay of the very period of a real run (same file names) leaves the real run's files as they were."""
    ledger, catalog = synced
    folder = tmp_path / "reports"
    (real,) = run(ledger, catalog, "weekly", THURSDAY, folder=folder, now=THURSDAY).reports
    before = {p: p.read_bytes() for p in real.files}
    earlier = at("2022-03-15T09:00")  # the same week, before its deadline: other content, the same names
    (replay,) = run(ledger, catalog, "weekly", earlier, folder=folder, replay=True).reports
    assert sorted(p.name for p in replay.files) == sorted(p.name for p in real.files)
    assert {p.parent for p in replay.files} == {folder / "replay" / "ke-hoach-thu"}
    assert {p: p.read_bytes() for p in real.files} == before


def test_one_plans_failing_report_does_not_stop_the_others(synced, tmp_path, monkeypatch, caplog):
    from commplan.reports.compliance_report import compliance_report

    ledger, catalog = synced
    real = compliance_report

    def broken_for_one_plan(ledger, plan_id, *args, **kwargs):
        if plan_id == "ke-hoach-thang":  # sorted first
            raise OSError("đĩa đầy")
        return real(ledger, plan_id, *args, **kwargs)

    monkeypatch.setattr("commplan.reports.scheduled_compliance.compliance_report", broken_for_one_plan)
    done = run(ledger, catalog, "monthly", THURSDAY, folder=tmp_path / "reports", now=THURSDAY)
    assert [r.plan for r in done.reports] == ["ke-hoach-thu"] and done.reports[0].new
    assert done.failed == [{"plan": "ke-hoach-thang", "error": "OSError: đĩa đầy"}]
    assert "không lập được báo cáo tình hình thực hiện của kế hoạch" in caplog.text


def test_the_fingerprint_is_of_the_content_not_of_the_moment(synced):
    from commplan.reports.compliance_report import compliance_report

    ledger, _catalog = synced
    week = period_of("weekly", THURSDAY)
    one = compliance_report(ledger, "ke-hoach-thu", *week, as_of=THURSDAY)
    next_day = compliance_report(ledger, "ke-hoach-thu", *week, as_of=at("2022-03-18T08:00"))
    assert next_day.overdue[0].days_late == one.overdue[0].days_late + 1
    assert fingerprint(one) == fingerprint(next_day)
    before_deadline = compliance_report(ledger, "ke-hoach-thu", *week, as_of=at("2022-03-17T13:00"))
    assert fingerprint(before_deadline) != fingerprint(one)  # open then, overdue now


def test_a_plan_the_ledger_does_not_hold_yet_is_listed_not_built(ledger, tmp_path):
    catalog = write_plans(tmp_path / "plans")
    done = run(ledger, catalog, "weekly", THURSDAY, folder=tmp_path / "reports", now=THURSDAY)
    assert done.reports == [] and done.unknown == ["ke-hoach-thang", "ke-hoach-thu"]


def test_the_monthly_run_of_the_seed_plans_in_november_2021(ledger, tmp_path):
    """A sanity check on the seed plans: the run of 20/11/2021 07:30 reports the three plans in force, 241/KH-UBND
    to the three contacts of the Sở TTTT Thanh Hóa, and stays silent on the two issued later."""
    from conftest import PLANS

    from commplan.reports.compliance_report import compliance_report

    catalog = load_catalog([PLANS])[0]
    as_of = at("2021-11-20T07:30")
    ledger.sync(catalog, now=as_of)
    done = run(ledger, catalog, "monthly", as_of, folder=tmp_path / "reports", now=as_of)
    assert [r.plan for r in done.reports] == ["bo-tttt-2980-2021", "ha-tinh-cam-ocop-2021", "thanh-hoa-241-2021"]
    assert done.idle == ["hau-giang-211-2021", "thanh-hoa-nq06-truyen-thong-2022"]  # issued in 12/2021 and 1/2022
    plan = next(r for r in done.reports if r.plan == "thanh-hoa-241-2021")
    assert plan.title == "Báo cáo tình hình thực hiện 241/KH-UBND, tháng 11/2021"
    assert plan.recipients == ("bcvt.so-tttt-thanh-hoa@example.gov.vn", "cntt.so-tttt-thanh-hoa@example.gov.vn",
                               "ttbcxb.so-tttt-thanh-hoa@example.gov.vn")
    assert ledger.report_build(plan.build).provinces == ("thanh-hoa",)  # so Thanh Hóa's accounts may read it
    ministry = next(r for r in done.reports if r.plan == "bo-tttt-2980-2021")
    assert len(ledger.report_build(ministry.build).provinces) > 1 and ministry.recipients  # the ministry reads all
    report = compliance_report(ledger, "thanh-hoa-241-2021", dt.date(2021, 11, 1), dt.date(2021, 11, 30), as_of=as_of,
                               budget=catalog.plans["thanh-hoa-241-2021"].budget)
    total = report.total
    assert total.owed == total.open + total.overdue > 0 and total.on_time == total.late == 0  # nothing recorded yet
    assert plan.summary.startswith(f"Phải thực hiện {total.owed}: ")
    assert len(plan.rows) == len(report.by_unit)
    png = next(p for p in plan.files if p.suffix == ".png")
    assert png_size(png) == heat_map.figure_size(min(len(report.matrix), heat_map.MAX_ROWS))
    assert [r.new for r in run(ledger, catalog, "monthly", as_of, folder=tmp_path / "reports", now=as_of).reports] == [
        False, False, False]
