"""Reporting periods as the ministry's forms name them: reading, following, rolling up."""

from __future__ import annotations

import datetime as dt

import pytest

from commplan.figures import Period, PeriodError, PeriodKind, parse_period, period_containing


@pytest.mark.parametrize(("text", "start", "end", "kind"), [
    ("2021-W47", dt.date(2021, 11, 22), dt.date(2021, 11, 28), PeriodKind.WEEK),
    ("2021-w01", dt.date(2021, 1, 4), dt.date(2021, 1, 10), PeriodKind.WEEK),
    ("2020-W53", dt.date(2020, 12, 28), dt.date(2021, 1, 3), PeriodKind.WEEK),
    ("2021-11", dt.date(2021, 11, 1), dt.date(2021, 11, 30), PeriodKind.MONTH),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), PeriodKind.MONTH),
    ("2021-Q4", dt.date(2021, 10, 1), dt.date(2021, 12, 31), PeriodKind.QUARTER),
    ("2021-H1", dt.date(2021, 1, 1), dt.date(2021, 6, 30), PeriodKind.HALF),
    (" 2022 ", dt.date(2022, 1, 1), dt.date(2022, 12, 31), PeriodKind.YEAR),
])
def test_a_period_reads_as_the_forms_write_it_and_writes_back_the_same(text, start, end, kind):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert parse_period(period.label) == period and period.label == text.strip().upper()


@pytest.mark.parametrize("text", ["2021-W54", "2021-W00", "2021-13", "2021-00", "2021-Q5", "2021-H3", "21-11",
                                  "1800", "2021/11", "", "tháng 11", "2021-11-01"])
def test_anything_else_is_refused_in_vietnamese_with_the_forms_that_work(text):
    with pytest.raises(PeriodError) as refused:
        parse_period(text)
    assert "không phải là một kỳ" in str(refused.value) and "2021-W47" in str(refused.value)


def test_periods_follow_each_other_across_years():
    assert parse_period("2021-W01").previous().label == "2020-W53"
    assert parse_period("2022-01").previous().label == "2021-12"
    assert parse_period("2022-Q1").previous().label == "2021-Q4"
    assert parse_period("2022").previous().label == "2021"


def test_a_week_belongs_to_the_month_and_year_of_its_thursday():
    week = parse_period("2021-W48")  # 29/11 – 05/12/2021: its Thursday is 02/12
    assert week.within(parse_period("2021-12")) and not week.within(parse_period("2021-11"))
    assert parse_period("2020-W53").year == 2020 and parse_period("2020-W53").within(parse_period("2020"))
    assert parse_period("2021-11").within(parse_period("2021-Q4")) and not parse_period("2021-Q4").within(parse_period("2021-11"))
    assert period_containing(PeriodKind.MONTH, dt.date(2021, 11, 30)) == Period(dt.date(2021, 11, 1), dt.date(2021, 11, 30), PeriodKind.MONTH)
