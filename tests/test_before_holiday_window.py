"""A deadline can fall before its own window: the report "trước thứ 5" of the Tết week 16–22/02/2026
(every day off) is moved back to Friday 13/02, and "trước thứ 2" (the week's plan) is always due the
Friday before its week. Such an occurrence opens as long before its deadline as its window is long,
so it is open and reminded before it is due, and overdue after: never "not yet open" while past due."""

from __future__ import annotations

import datetime as dt

import pytest

VN = dt.timezone(dt.timedelta(hours=7))


def weekly(due: str) -> str:
    return f"""\
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  lead: buu-dien
  every: week
  from: 2026-02-02
  until: 2026-03-15
  due: {due}
  reminders: {{before: [1d], on_due: true, overdue_every: 2d}}
"""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def week_starting(ledger, day: str, as_of: str):
    rows = ledger.statuses(as_of=at(as_of), include_scheduled=True)
    return {row.window_start: row for row in rows}[dt.date.fromisoformat(day)]


@pytest.mark.parametrize(("due", "week", "deadline"), [
    ("{weekday: thu, before: true}", "2026-02-16", "2026-02-13T23:59:59"),  # Tết: Mon 16 – Sun 22 all off
    ("{weekday: mon, before: true}", "2026-03-09", "2026-03-06T23:59:59"),  # Sunday 8/3 is off: Friday 6/3
])
def test_a_deadline_before_its_window_is_open_then_reminded_then_overdue(ledger, write_plan, set_now, due, week,
                                                                       deadline):
    catalog = write_plan(weekly(due))
    ledger.sync(catalog, now=at("2026-02-01T08:00"))
    due_at = at(deadline)
    occurrence = week_starting(ledger, week, deadline)
    assert occurrence.due == due_at
    day_before = due_at - dt.timedelta(days=1)
    assert week_starting(ledger, week, (due_at - dt.timedelta(days=8)).isoformat()[:19]).status == "scheduled"
    assert week_starting(ledger, week, day_before.isoformat()[:19]).status == "open"
    assert week_starting(ledger, week, (due_at + dt.timedelta(hours=10)).isoformat()[:19]).status == "overdue"
    for moment in (day_before.replace(hour=9, minute=0, second=0), due_at.replace(hour=9, minute=0, second=0)):
        set_now(moment)
        ledger.queue_reminders(catalog, as_of=moment)
    steps = {r["step"] for r in ledger.reminders() if r["occurrence_id"] == occurrence.id}
    assert {"before-1d", "due"} <= steps
