"""Figures in the ledger, on the seed plans 2980 (Bộ TTTT) and 211 (Hậu Giang), both databases: recorded,
corrected (the latest counts, every version kept and audited), read as they stood at a moment, and each
figure the plans do not ask for refused in Vietnamese."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import text

from commplan.figures import NotANumber, parse_period, parse_value
from commplan.ledger import FigureEntry, FigureError
from commplan.plan import load_catalog

PLAN, HG = "bo-tttt-2980-2021", "hau-giang-211-2021"
SO_HG, SO_HT = "so-tttt-hau-giang", "so-tttt-ha-tinh"
TRAINED = "ho-dao-tao-ky-nang-so"
UNITS = ["plans/units/bo-tttt.yaml", "plans/units/hau-giang.yaml", "plans/units/ha-tinh.yaml",
         "plans/units/thanh-hoa.yaml"]
MONDAY = dt.datetime(2021, 11, 29, 9, tzinfo=dt.UTC)  # after week 47 (22–28/11/2021)
W47 = parse_period("2021-W47")


@pytest.fixture
def synced(ledger):
    catalog, errors = load_catalog(["plans/bo-tttt", "plans/hau-giang"], units=UNITS, strict=False)
    assert errors == []
    ledger.sync(catalog, now=MONDAY, horizon=dt.date(2022, 12, 31))
    return ledger


def test_sync_mirrors_each_plans_indicators_with_who_reports_them(synced):
    mirrored = {(i.plan, i.id): i for i in synced.indicators()}
    assert sum(1 for plan, _id in mirrored if plan == PLAN) == 17  # 16 rows of Phụ lục 01 and the baseline
    trained = mirrored[(PLAN, TRAINED)]
    assert (trained.reported_by, trained.report, trained.aggregate, trained.baseline) == (
        ("so-tttt-cac-tinh",), ("weekly", "monthly"), "sum", False)
    assert mirrored[(HG, "tong-ho-sxnn")].baseline


def test_a_correction_is_a_new_version_the_latest_counts_and_each_is_audited(synced):
    first = synced.record_figure(PLAN, TRAINED, SO_HG, W47, Decimal(120), note="tuần 47", actor="chuyen-vien",
                                 now=MONDAY)
    assert (first.value, first.version, first.unchanged, first.source) == (Decimal(120), 1, False, "cli")
    later = MONDAY + dt.timedelta(hours=3)
    second = synced.record_figure(PLAN, TRAINED, SO_HG, W47, Decimal("125.5"), actor="Trần B", source="web", now=later)
    assert (second.value, second.version, second.note) == (Decimal("125.5"), 2, None)

    [now_counts] = synced.figures(PLAN)
    assert (now_counts.value, now_counts.version, now_counts.recorded_by, now_counts.source) == (
        Decimal("125.5"), 2, "Trần B", "web")
    history = synced.figure_history(PLAN, TRAINED, SO_HG, "2021-w47")
    assert [(h.value, h.version, h.note) for h in history] == [(Decimal(120), 1, "tuần 47"), (Decimal("125.5"), 2, None)]
    with synced.transaction() as connection:
        audit = connection.execute(text("SELECT action, actor, subject, details FROM audit_log"
                                        " WHERE subject LIKE 'figure/%' ORDER BY id")).all()
    assert [(a, who, s) for a, who, s, _d in audit] == [
        ("figure", "chuyen-vien", f"figure/{PLAN}/{TRAINED}/{SO_HG}/2021-W47"),
        ("figure-correct", "Trần B", f"figure/{PLAN}/{TRAINED}/{SO_HG}/2021-W47")]
    assert json.loads(audit[1][3]) == {"value": "125.5", "previous": "120", "version": 2, "source": "web"}


def test_the_same_figure_again_writes_nothing(synced):
    synced.record_figure(PLAN, TRAINED, SO_HG, W47, Decimal(120), now=MONDAY)
    again = synced.record_figure(PLAN, TRAINED, SO_HG, W47, 120, now=MONDAY + dt.timedelta(hours=1))
    assert (again.unchanged, again.version) == (True, 1)
    assert len(synced.figure_history(PLAN, TRAINED, SO_HG, W47)) == 1


def test_figures_until_a_moment_are_those_recorded_by_then(synced):
    thursday = dt.datetime(2021, 12, 2, 7, tzinfo=dt.UTC)  # 14:00 in Vietnam: the weekly form is built
    synced.record_figure(PLAN, TRAINED, SO_HG, W47, Decimal(120), now=MONDAY)
    synced.record_figure(PLAN, TRAINED, SO_HT, W47, Decimal(30), now=MONDAY)
    synced.record_figure(PLAN, TRAINED, SO_HG, W47, Decimal(130), now=thursday + dt.timedelta(hours=1))
    synced.record_figure(PLAN, TRAINED, SO_HT, parse_period("2021-11"), Decimal(80), now=thursday + dt.timedelta(hours=2))

    at_thursday = synced.figures(PLAN, until=thursday)
    assert [(f.unit, f.period.label, f.value, f.version) for f in at_thursday] == [
        (SO_HT, "2021-W47", Decimal(30), 1), (SO_HG, "2021-W47", Decimal(120), 1)]
    now = synced.figures(PLAN)
    assert [(f.unit, f.period.label, f.value) for f in now] == [
        (SO_HT, "2021-11", Decimal(80)), (SO_HT, "2021-W47", Decimal(30)), (SO_HG, "2021-W47", Decimal(130))]
    assert [f.unit for f in synced.figures(PLAN, units=[SO_HT], periods=[W47])] == [SO_HT]
    assert len(synced.figures(PLAN, units=["so-tttt-cac-tinh"], indicators=[TRAINED], periods=["2021-W47"])) == 2
    assert synced.figures(PLAN, indicators=["ho-co-gian-hang-tren-san"]) == []


def test_an_indicator_in_two_plans_is_found_by_the_unit_that_reports_it(synced):
    row = synced.record_figure(None, TRAINED, "buu-dien-hau-giang", parse_period("2022-W02"), Decimal(7),
                               now=dt.datetime(2022, 1, 20, tzinfo=dt.UTC))
    assert row.plan == HG
    assert synced.record_figure(None, TRAINED, SO_HG, W47, Decimal(1), now=MONDAY).plan == PLAN


def test_a_baseline_is_a_year_entered_once_per_province(synced):
    # 2980's is each province's, entered by its Sở TTTT (a unit that reports the plan's figures)
    row = synced.record_figure(PLAN, "tong-ho-sxnn", SO_HG, parse_period("2021"), Decimal(72500), now=MONDAY)
    assert row.period.label == "2021"
    # 211's by its coordinator (the Sở TTTT) or a reporting unit, but only one of them per year
    assert synced.record_figure(HG, "tong-ho-sxnn", SO_HG, parse_period("2022"), Decimal(73000), now=MONDAY).version == 1
    with pytest.raises(FigureError, match="số liệu gốc tong-ho-sxnn của hau-giang năm 2022 đã do so-tttt-hau-giang nhập"):
        synced.record_figure(HG, "tong-ho-sxnn", "buu-dien-hau-giang", parse_period("2022"), Decimal(1), now=MONDAY)
    assert synced.record_figure(HG, "tong-ho-sxnn", "buu-dien-hau-giang", parse_period("2023"), Decimal(74000),
                                now=MONDAY).unit == "buu-dien-hau-giang"  # a year still to come: known ahead


@pytest.mark.parametrize(("plan", "indicator", "unit", "period", "value", "field", "message"), [
    ("bo-tttt-2980", TRAINED, SO_HG, "2021-W47", 1, "plan",
     "không có kế hoạch 'bo-tttt-2980' (có phải 'bo-tttt-2980-2021'?)"),
    (PLAN, "ho-dao-tao-ky-nang", SO_HG, "2021-W47", 1, "indicator",
     f"kế hoạch {PLAN} không có chỉ tiêu 'ho-dao-tao-ky-nang' (có phải 'ho-dao-tao-ky-nang-so'?)"),
    (None, "ho-dao-tao", SO_HG, "2021-W47", 1, "indicator", "không có chỉ tiêu 'ho-dao-tao'"),
    (None, TRAINED, "so-nnptnt-hau-giang", "2021-W47", 1, "plan",
     f"chỉ tiêu '{TRAINED}' có trong nhiều kế hoạch: hãy ghi rõ kế hoạch ({PLAN}, {HG})"),
    (PLAN, TRAINED, "so-tttt-cac-tinh", "2021-W47", 1, "unit", "'so-tttt-cac-tinh' là một nhóm: hãy nhập số liệu"),
    (PLAN, TRAINED, "so-tttt-hau-gian", "2021-W47", 1, "unit",
     "không có đơn vị 'so-tttt-hau-gian' (có phải 'so-tttt-hau-giang'"),
    (PLAN, TRAINED, "buu-dien-hau-giang", "2021-W47", 1, "unit",
     (f"buu-dien-hau-giang không báo cáo chỉ tiêu {TRAINED} trong kế hoạch {PLAN} (đơn vị báo cáo: so-tttt-thanh-hoa, "
      "so-tttt-hau-giang, so-tttt-ha-tinh, so-vhttdl-bac-lieu)")),
    (PLAN, "tong-ho-sxnn", "buu-dien-hau-giang", "2021", 1, "unit", "buu-dien-hau-giang không nhập số liệu gốc"),
    (PLAN, TRAINED, SO_HG, "2021-Q4", 1, "period", f"{TRAINED} được báo cáo theo tuần, tháng: 2021-Q4 là kỳ quý"),
    (PLAN, "tong-ho-sxnn", SO_HG, "2021-11", 1, "period",
     "tong-ho-sxnn là số liệu gốc, nhập theo năm: hãy ghi năm (2021), không phải 2021-11"),
    (PLAN, TRAINED, SO_HG, "2022-W01", 1, "period",
     f"kỳ 2022-W01 (03/01/2022–09/01/2022) nằm ngoài thời gian của kế hoạch {PLAN} (06/08/2021–31/12/2021)"),
    (PLAN, TRAINED, SO_HG, "2021-W30", 1, "period", "kỳ 2021-W30 (26/07/2021–01/08/2021) nằm ngoài"),
    (PLAN, TRAINED, SO_HG, "2021-W49", 1, "period", "kỳ 2021-W49 chưa bắt đầu (bắt đầu ngày 06/12/2021)"),
    (PLAN, TRAINED, SO_HG, "2021-W47", -5, "value", "số liệu không được âm (-5)"),
    (PLAN, TRAINED, SO_HG, "2021-W47", "120", "value", "'120' không phải là số"),
    (PLAN, TRAINED, SO_HG, "2021-W47", Decimal("1.23456"), "value", "1.23456 có quá nhiều chữ số thập phân (tối đa 4)"),
    (PLAN, TRAINED, SO_HG, "2021-W47", Decimal("1e11"), "value", "100000000000 quá lớn (tối đa 11 chữ số phần nguyên)"),
    (PLAN, TRAINED, SO_HG, "2021-W47", Decimal("NaN"), "value", "'NaN' không phải là số"),
])
def test_a_figure_the_plan_does_not_ask_for_is_refused_saying_why(synced, plan, indicator, unit, period, value,
                                                                  field, message):
    with pytest.raises(FigureError) as refused:
        synced.record_figure(plan, indicator, unit, parse_period(period), value, now=MONDAY)
    assert refused.value.field == field
    assert str(refused.value).startswith(message)
    assert synced.figures(PLAN) == []


def test_an_import_writes_all_or_nothing_unless_bad_rows_are_skipped(synced):
    good = FigureEntry(TRAINED, SO_HG, W47, Decimal(120), plan=PLAN, row=2)
    bad = FigureEntry(TRAINED, "buu-dien-hau-giang", W47, Decimal(3), plan=PLAN, row=3)
    refused = synced.import_figures([good, bad], now=MONDAY)
    assert (refused.written, [p.row for p in refused.problems], [p.field for p in refused.problems]) == (
        False, [3], ["unit"])
    assert synced.figures(PLAN) == []
    assert not synced.import_figures([good], dry_run=True, now=MONDAY).written
    assert synced.figures(PLAN) == []
    skipped = synced.import_figures([good, bad], skip_bad_rows=True, now=MONDAY)
    assert skipped.written and [r.unit for r in skipped.recorded] == [SO_HG]
    assert [(f.unit, f.source) for f in synced.figures(PLAN)] == [(SO_HG, "import")]


@pytest.mark.parametrize(("typed", "value"), [
    ("120", Decimal(120)), ("12,5", Decimal("12.5")), ("12.5", Decimal("12.5")), ("1.234,5", Decimal("1234.5")),
    ("1,234.5", Decimal("1234.5")), ("1 234", Decimal(1234)), ("1.234.567", Decimal(1234567)), ("0,125", Decimal("0.125")),
])
def test_a_figure_reads_as_a_clerk_types_it(typed, value):
    assert parse_value(typed) == value


@pytest.mark.parametrize(("typed", "message"), [
    ("1.234", "'1.234' không rõ là 1234 hay 1,234"), ("abc", "'abc' không phải là số"), ("1,2,3", "không phải là số"),
    ("", "không phải là số"), ("12a", "không phải là số"), ("1.23.4", "không phải là số"),
])
def test_a_text_or_an_ambiguous_number_is_refused(typed, message):
    with pytest.raises(NotANumber, match=message):
        parse_value(typed)
