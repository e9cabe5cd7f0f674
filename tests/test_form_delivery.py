"""The ministry's forms built when a plan's own report duty comes due (SQLite and PostgreSQL): from one
working day before the deadline (the lead), once per content, rebuilt when a figure changes (the older
build's unsent mail superseded), never for a done or excused occurrence, over the holder's province,
mailed to the holder's own contacts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from commplan.figures import parse_period
from commplan.ledger import EvidenceInput
from commplan.plan import load_catalog
from commplan.reports.form_delivery import build_due_forms, build_moment
from commplan.schedule import WorkCalendar
from commplan.settings import Settings, SettingsError, get_settings

VN = dt.timezone(dt.timedelta(hours=7))
PLAN = "thu-bieu-mau"

UNITS = """\
commplan: 1
units:
  - id: so-a
    name: Sở Thông tin và Truyền thông tỉnh A
    province: tinh-a
    contacts:
      - {name: Phòng Bưu chính Viễn thông, email: bcvt@so-a.example.gov.vn}
      - {name: Văn phòng Sở, phone: "+84900000001"}
  - {id: buu-dien-a, name: Bưu điện tỉnh A, province: tinh-a}
  - {id: so-b, name: Sở Thông tin và Truyền thông tỉnh B, province: tinh-b}
  - id: vu-qldn
    name: Vụ Quản lý doanh nghiệp
    contacts: [{email: qldn@bo.example.gov.vn}]
groups:
  cac-so: {name: Sở TTTT các tỉnh, members: [so-a, so-b]}
"""

WEEKLY = """\
  - id: bao-cao-tuan
    title: Báo cáo tuần (mẫu Phụ lục 02)
    kind: report
    channel: email
    lead: cac-so
    every: week
    due: {weekday: thu, time: "14:00"}
    from: 2021-11-22
    until: 2021-11-28
    to: vu-qldn
    evidence: document
    indicators: [ho-dao-tao, so-cho]
"""


def plan_text(obligations: str) -> str:
    return f"""\
commplan: 1
plan:
  id: {PLAN}
  number: 9/BTTTT-THU
  title: Công văn thử biểu mẫu
  issuer: vu-qldn
  coordinator: vu-qldn
  effective: {{from: 2021-01-01, until: 2022-12-31}}
obligations:
{obligations}
indicators:
  - id: ho-dao-tao
    section: I
    section_title: Nhóm một
    name: Số hộ được đào tạo
    measure: Hộ
    reported_by: [cac-so, buu-dien-a]
    report: [weekly, monthly]
  - id: so-cho
    section: I
    name: Số chợ lên sàn
    measure: Chợ
    aggregate: last
    reported_by: [cac-so]
    report: [weekly, monthly]
"""


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


def make_catalog(folder, obligations: str = WEEKLY):
    folder.mkdir(exist_ok=True)
    (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
    (folder / "plan.yaml").write_text(plan_text(obligations), encoding="utf-8")
    catalog, errors = load_catalog([folder], strict=True)
    assert errors == []
    return catalog


@pytest.fixture
def synced(ledger, tmp_path):
    catalog = make_catalog(tmp_path / "plans")
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    return ledger, catalog


def put(ledger, indicator: str, unit: str, value: str, when: str, period: str = "2021-W47") -> None:
    ledger.record_figure(PLAN, indicator, unit, parse_period(period), Decimal(value), actor="so", now=at(when))


def built(result) -> list[tuple[str, str, str]]:
    return sorted((b.unit, b.kind, b.period) for b in result.built)


# ---------------------------------------------------------------- when (pure)


@pytest.mark.parametrize(("due", "lead", "moment"), [
    ("2021-11-25T14:00", 1, "2021-11-24T14:00"),  # Thursday -> Wednesday, same time
    ("2021-11-29T09:00", 1, "2021-11-26T09:00"),  # Monday -> the Friday before
    ("2021-09-06T14:00", 1, "2021-09-01T14:00"),  # after National Day (2-3/9/2021) and a weekend
    ("2022-02-07T14:00", 1, "2022-01-28T14:00"),  # after Tết Nhâm Dần
    ("2021-11-25T14:00", 2, "2021-11-23T14:00"),
    ("2021-11-25T14:00", 0, "2021-11-25T00:00"),  # no lead: the deadline's day, from its first tick
    ("2021-11-25T23:59:59", 1, "2021-11-24T23:59:59"),  # a deadline without a time of day
])
def test_the_build_moment_is_the_lead_in_working_days_before_the_deadline(due, lead, moment):
    assert build_moment(at(due), lead, WorkCalendar("VN")) == at(moment)


def test_the_plans_own_days_off_count():
    calendar = WorkCalendar("VN", extra_days_off=[dt.date(2021, 11, 24)])
    assert build_moment(at("2021-11-25T14:00"), 1, calendar) == at("2021-11-23T14:00")


# ---------------------------------------------------------------- built once, rebuilt on a new figure


def test_nothing_is_built_before_the_lead_then_each_holder_once(synced):
    ledger, catalog = synced
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-23T09:00")
    assert build_due_forms(ledger, catalog, now=at("2021-11-24T13:59")).built == []
    first = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert built(first) == [("so-a", "weekly", "2021-W47"), ("so-b", "weekly", "2021-W47")]
    by_unit = {b.unit: b for b in first.built}
    assert by_unit["so-a"].addresses == ("bcvt@so-a.example.gov.vn",)  # the holder's own contact, not the ministry
    assert by_unit["so-a"].title == "Báo cáo tuần 47/2021 theo mẫu 9/BTTTT-THU – Sở Thông tin và Truyền thông tỉnh A"
    assert [b.unit for b in first.no_address] == ["so-b"]  # built all the same: the dashboard links it
    build = ledger.report_build(by_unit["so-a"].build_id)
    assert [f.name for f in build.files] == ["bao-cao-tuan-2021-W47-so-a.xlsx", "bao-cao-tuan-2021-W47-so-a.html",
                                             "bao-cao-tuan-2021-W47-so-a.csv"]
    assert build.scope == "so-a" and build.occurrence_id == by_unit["so-a"].occurrence_id
    assert [(m["recipient"], m["address"], m["status"]) for m in ledger.report_mails(build.id)] == [
        ("so-a", "bcvt@so-a.example.gov.vn", "pending")]
    assert ledger.report_mails(by_unit["so-b"].build_id) == []
    # the next ticks find the same figures: nothing new
    later = build_due_forms(ledger, catalog, now=at("2021-11-24T15:00"))
    assert later.built == [] and later.unchanged == 2


def test_a_corrected_or_new_figure_rebuilds_and_supersedes_the_unsent_mail(synced):
    ledger, catalog = synced
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-23T09:00")
    first = {b.unit: b for b in build_due_forms(ledger, catalog, now=at("2021-11-24T14:00")).built}
    put(ledger, "ho-dao-tao", "so-a", "1850", "2021-11-24T16:30")  # a correction
    again = build_due_forms(ledger, catalog, now=at("2021-11-24T17:00"))
    assert built(again) == [("so-a", "weekly", "2021-W47")] and again.unchanged == 1
    assert ledger.report_mails(first["so-a"].build_id)[0]["status"] == "superseded"
    assert ledger.report_mails(again.built[0].build_id)[0]["status"] == "pending"
    # another unit of the province reports: the province's form changes, so the Sở's is rebuilt
    put(ledger, "ho-dao-tao", "buu-dien-a", "200", "2021-11-25T08:00")
    third = build_due_forms(ledger, catalog, now=at("2021-11-25T09:00"))
    assert built(third) == [("so-a", "weekly", "2021-W47")]
    # a figure 7 days after the deadline still rebuilds; after that, the form stands as it was
    put(ledger, "so-cho", "so-b", "3", "2021-12-02T13:00")
    assert built(build_due_forms(ledger, catalog, now=at("2021-12-02T14:00"))) == [("so-b", "weekly", "2021-W47")]
    put(ledger, "so-cho", "so-b", "4", "2021-12-02T14:30")
    late = build_due_forms(ledger, catalog, now=at("2021-12-02T15:00"))
    assert late.built == [] and late.unchanged == 0


def test_a_done_or_excused_occurrence_is_not_built(synced):
    ledger, catalog = synced
    ledger.record_evidence("bao-cao-tuan", "so-a", EvidenceInput(kind="document", document="bc.pdf"),
                           on=at("2021-11-24T10:00"), now=at("2021-11-24T10:00"))
    so_b = next(r for r in ledger.statuses(as_of=at("2021-11-24T10:00"), units=["so-b"]))
    ledger.excuse(so_b.id, "Đã báo cáo bằng văn bản", now=at("2021-11-24T11:00"))
    result = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert result.built == [] and result.unchanged == 0


@pytest.mark.parametrize(("lead", "before", "first"), [
    (0, "2021-11-24T23:00", "2021-11-25T06:00"),
    (2, "2021-11-23T13:00", "2021-11-23T14:00"),
])
def test_the_lead_is_configurable(synced, lead, before, first):
    ledger, catalog = synced
    assert build_due_forms(ledger, catalog, now=at(before), lead_workdays=lead).built == []
    assert len(build_due_forms(ledger, catalog, now=at(first), lead_workdays=lead).built) == 2


def test_the_xlsx_is_the_holders_province_sum_of_the_figures_entered(synced):
    ledger, catalog = synced
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-23T09:00")
    put(ledger, "ho-dao-tao", "buu-dien-a", "200", "2021-11-23T10:00")
    put(ledger, "ho-dao-tao", "so-b", "999", "2021-11-23T10:00")  # another province: not on tỉnh A's form
    put(ledger, "so-cho", "so-a", "7", "2021-11-23T10:00")
    result = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    mine = next(b for b in result.built if b.unit == "so-a")
    assert mine.summary == ("Hạn gửi: 14:00 25/11/2021, gửi Vụ Quản lý doanh nghiệp. "
                            "2 chỉ tiêu, 2 chỉ tiêu có số liệu trong kỳ.")
    stored = ledger.report_build(mine.build_id).file("bao-cao-tuan-2021-W47-so-a.xlsx")
    sheet = load_workbook(io.BytesIO(ledger.document_content(stored.sha256))).worksheets[0]
    assert isinstance(sheet, Worksheet)
    assert sheet["A5"].value == "Tên đơn vị: Sở Thông tin và Truyền thông tỉnh A"
    assert (sheet["B9"].value, sheet["D9"].value) == ("Số hộ được đào tạo", 2000)
    assert (sheet["B10"].value, sheet["D10"].value) == ("Số chợ lên sàn", 7)
    other = next(b for b in result.built if b.unit == "so-b")
    assert other.summary == ("Hạn gửi: 14:00 25/11/2021, gửi Vụ Quản lý doanh nghiệp. "
                             "2 chỉ tiêu, 1 chỉ tiêu có số liệu trong kỳ; còn thiếu số liệu của: "
                             "Sở Thông tin và Truyền thông tỉnh B (1 dòng).")


def test_the_monthly_form_and_the_duties_without_a_form(ledger, tmp_path):
    monthly = """\
  - id: bao-cao-thang
    title: Báo cáo tháng
    kind: report
    lead: so-a
    every: month
    due: {day: 25, time: "14:00", if_holiday: previous-workday}
    from: 2021-11-01
    until: 2021-11-30
    indicators: [ho-dao-tao]
  - id: bao-cao-quy
    title: Báo cáo quý
    kind: report
    lead: so-a
    every: quarter
    indicators: [ho-dao-tao]
  - id: bao-cao-chung
    title: Báo cáo chung của các Sở
    kind: report
    lead: cac-so
    shared: true
    every: week
    from: 2021-11-01
    until: 2021-11-30
    indicators: [ho-dao-tao]
  - id: bao-cao-khong-so-lieu
    title: Báo cáo không kèm số liệu
    kind: report
    lead: so-a
    every: week
"""
    catalog = make_catalog(tmp_path / "plans", monthly)
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    put(ledger, "ho-dao-tao", "so-a", "5000", "2021-11-20T09:00", period="2021-11")
    result = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert built(result) == [("so-a", "monthly", "2021-11")]
    assert result.built[0].title == "Báo cáo tháng 11/2021 theo mẫu 9/BTTTT-THU – Sở Thông tin và Truyền thông tỉnh A"
    # a duty with no indicator is no form duty; a quarter has no ministry form, a group no address: said
    assert [(s.obligation, s.reason.split(": ")[0]) for s in result.skipped] == [
        ("bao-cao-quy", "nhịp của nhiệm vụ (every"),
        ("bao-cao-chung", "nhiệm vụ do các đơn vị cùng thực hiện (`shared")]
    assert result.skipped[0].reason.startswith("nhịp của nhiệm vụ (every: quarter) không có biểu mẫu của Bộ: ")


def test_the_lead_setting_is_checked(monkeypatch):
    assert Settings().report_lead_workdays == 1
    monkeypatch.setenv("COMMPLAN_REPORT_LEAD_WORKDAYS", "11")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"^COMMPLAN_REPORT_LEAD_WORKDAYS .* từ 0 đến 10 .* 11$"):
            get_settings()
        monkeypatch.setenv("COMMPLAN_REPORT_LEAD_WORKDAYS", "0")
        get_settings.cache_clear()
        assert get_settings().report_lead_workdays == 0
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- review of issue 13 (delivery)


def test_a_report_due_after_its_period_ends_is_built_on_its_own_periods_form(ledger, tmp_path):
    """A weekly report due "trong 02 ngày làm việc sau kỳ báo cáo" falls in the next week: its form is
    still the week it reports on (the occurrence's window), not the deadline's week."""
    weekly = """\
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
    lead: so-a
    every: week
    due: {after_end: 2 workdays}
    from: 2021-11-22
    until: 2021-11-28
    indicators: [ho-dao-tao]
"""
    catalog = make_catalog(tmp_path / "plans", weekly)
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-26T09:00")  # the week 47 figure
    result = build_due_forms(ledger, catalog, now=at("2021-11-30T08:00"))
    assert built(result) == [("so-a", "weekly", "2021-W47")]
    assert "2 chỉ tiêu, 1 chỉ tiêu có số liệu trong kỳ" in result.built[0].summary  # the week 47 figure


def test_a_month_end_deadline_moved_into_the_next_month_is_built_on_its_own_months_form(ledger, tmp_path):
    """October 2021 ends on a Sunday: `if_holiday: next-workday` moves the deadline to Monday 1/11; the
    form is October's."""
    monthly = """\
  - id: bao-cao-thang
    title: Báo cáo tháng
    kind: report
    lead: so-a
    every: month
    due: {day: last, time: "14:00", if_holiday: next-workday}
    from: 2021-10-01
    until: 2021-10-31
    indicators: [ho-dao-tao]
"""
    catalog = make_catalog(tmp_path / "plans", monthly)
    ledger.sync(catalog, now=at("2021-09-01T08:00"), horizon=dt.date(2021, 12, 31))
    (row,) = ledger.statuses(as_of=at("2021-10-29T08:00"), units=["so-a"])
    assert row.due == at("2021-11-01T14:00")
    put(ledger, "ho-dao-tao", "so-a", "5000", "2021-10-28T09:00", period="2021-10")
    result = build_due_forms(ledger, catalog, now=at("2021-10-29T14:00"))  # a working day before
    assert built(result) == [("so-a", "monthly", "2021-10")]
    assert result.built[0].title.startswith("Báo cáo tháng 10/2021 ")


def test_a_figure_of_a_later_week_does_not_rebuild_and_remail_this_weeks_form(synced):
    ledger, catalog = synced
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-23T09:00")
    first = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert len(first.built) == 2
    put(ledger, "ho-dao-tao", "so-a", "1900", "2021-11-29T09:00", period="2021-W48")  # next week's figure
    put(ledger, "ho-dao-tao", "so-a", "1800", "2021-11-29T09:30")  # this week's, re-sent unchanged
    later = build_due_forms(ledger, catalog, now=at("2021-11-29T10:00"))
    assert built(later) == [] and later.unchanged == 2
    put(ledger, "ho-dao-tao", "so-a", "1850", "2021-11-29T11:00")  # a correction of this week's: a new form
    assert built(build_due_forms(ledger, catalog, now=at("2021-11-29T12:00"))) == [("so-a", "weekly", "2021-W47")]


def test_a_moved_deadline_or_a_renamed_recipient_rebuilds_the_form(synced, tmp_path):
    """The mail's summary says the deadline and to whom the report goes: either changing makes a new build."""
    ledger, catalog = synced
    first = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert len(first.built) == 2 and build_due_forms(ledger, catalog, now=at("2021-11-24T14:30")).built == []
    renamed = tmp_path / "renamed"
    make_catalog(renamed)
    (renamed / "units.yaml").write_text(UNITS.replace("Vụ Quản lý doanh nghiệp", "Cục Bưu điện Trung ương"),
                                        encoding="utf-8")
    catalog = load_catalog([renamed], strict=True)[0]
    ledger.sync(catalog, now=at("2021-11-24T15:00"), horizon=dt.date(2021, 12, 31))
    again = build_due_forms(ledger, catalog, now=at("2021-11-24T15:00"))
    assert built(again) == [("so-a", "weekly", "2021-W47"), ("so-b", "weekly", "2021-W47")]
    assert "gửi Cục Bưu điện Trung ương." in again.built[0].summary
    (renamed / "plan.yaml").write_text(plan_text(WEEKLY.replace('time: "14:00"', 'time: "16:00"')), encoding="utf-8")
    catalog = load_catalog([renamed], strict=True)[0]
    ledger.sync(catalog, now=at("2021-11-24T16:00"), horizon=dt.date(2021, 12, 31))
    moved = build_due_forms(ledger, catalog, now=at("2021-11-24T16:00"))
    assert len(moved.built) == 2 and moved.built[0].summary.startswith("Hạn gửi: 16:00 25/11/2021")


def test_week_numbers_are_said_unpadded_as_the_dashboard_says_them():
    from commplan.reports.form_delivery import period_words

    assert period_words(parse_period("2022-W05")) == "tuần 5/2022"
    assert period_words(parse_period("2021-W47")) == "tuần 47/2021"


def test_one_plans_failing_form_does_not_stop_the_other_plans_forms(ledger, tmp_path, monkeypatch, caplog):
    """An error building one plan's form is logged and reported as a skipped duty, in Vietnamese, with its
    reason; the other plan's forms are built."""
    from commplan.reports.ledger_form import scoped_form

    folder = tmp_path / "plans"
    make_catalog(folder)
    (folder / "other.yaml").write_text(plan_text(WEEKLY).replace(f"id: {PLAN}", "id: a-ke-hoach-khac"), encoding="utf-8")
    catalog = load_catalog([folder], strict=True)[0]
    ledger.sync(catalog, now=at("2021-11-01T08:00"), horizon=dt.date(2021, 12, 31))
    real = scoped_form

    def broken_for_one_plan(catalog, plan, *args, **kwargs):
        if plan.id == "a-ke-hoach-khac":  # sorted first: its failure must not stop the next plan
            raise OSError("đĩa đầy")
        return real(catalog, plan, *args, **kwargs)

    monkeypatch.setattr("commplan.reports.form_delivery.scoped_form", broken_for_one_plan)
    result = build_due_forms(ledger, catalog, now=at("2021-11-24T14:00"))
    assert {(b.plan, b.unit) for b in result.built} == {(PLAN, "so-a"), (PLAN, "so-b")}
    assert [(s.plan, s.obligation) for s in result.skipped] == [("a-ke-hoach-khac", "bao-cao-tuan")] * 2
    assert result.skipped[0].reason == ("không lập được biểu mẫu cho Sở Thông tin và Truyền thông tỉnh A (chi tiết kỹ "
                                        "thuật: OSError: đĩa đầy); lượt chạy sau sẽ thử lại")
    assert "không lập được biểu mẫu của kế hoạch" in caplog.text
