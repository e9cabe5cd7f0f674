"""Reminder steps fire exactly once: a month replayed day by day, missed ticks, done duties (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PLANS, weekly_report

from commplan.ledger import EvidenceInput
from commplan.ledger.reminders import end_of_day
from commplan.plan import load_catalog
from commplan.schedule.reminders import Step, steps_until, urgent

VN = dt.timezone(dt.timedelta(hours=7))

PLAN = weekly_report(extra="  reminders: {before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}\n")


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


def ticks(ledger, catalog, set_now, start: str, days: int, hour: int = 9):
    """A tick a day at `hour`, each with the clock set to it (a tick far from the clock queues nothing)."""
    day = dt.date.fromisoformat(start)
    for offset in range(days):
        moment = set_now(dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(hour), tzinfo=VN))
        yield moment, ledger.queue_reminders(catalog, as_of=moment, now=moment)


@pytest.mark.slow  # a month of the seed plans, day by day
def test_a_month_of_the_seed_plans_replayed_day_by_day_fires_each_step_once(ledger, set_now):
    catalog, _ = load_catalog([PLANS])
    ledger.sync(catalog, now=at("2021-12-01T00:00"), horizon=dt.date(2022, 1, 31))
    moments = [m for m, _ in ticks(ledger, catalog, set_now, "2021-12-01", 31)]
    rows = ledger.reminders()
    keys = [(r["occurrence_id"], r["step"], r["recipient"]) for r in rows]
    assert len(keys) == len(set(keys)) > 1000
    # every step planned after the first tick was queued by the first tick that could say it: a sub-day step at or
    # after its time, any other in the first tick of its day (the morning digest): never lost, never late
    for row in rows:
        if row["planned_at"] > moments[0] and row["status"] == "queued":
            step = Step(row["planned_at"], row["step"], "")
            first_tick = next(m for m in moments if (m >= row["planned_at"] if urgent(step, row["due_at"])
                                                     else m.date() >= row["planned_at"].astimezone(VN).date()))
            assert row["created_at"] == first_tick
    skipped_after_start = [r for r in rows if r["status"] == "skipped" and r["planned_at"] > moments[0]]
    # daily ticks see at most one new step per chain, except when two fall between the same two ticks
    assert len(skipped_after_start) < len(rows) / 10
    # the same month replayed again changes nothing
    again = [report for _, report in ticks(ledger, catalog, set_now, "2021-12-01", 31)]
    assert sum(r.queued + r.skipped for r in again) == 0
    # the 2980 weekly report of Thanh Hóa's Sở for the week of 6/12: every step of the plan's policy up to
    # the last tick, to the Sở itself, and the escalation to the coordinator and the Sở's parent
    plan = catalog.plans["bo-tttt-2980-2021"]
    policy = plan.reminders_for(plan.obligation("bao-cao-tuan-kh1034"))
    expected = steps_until(policy, at("2021-12-06T00:00"), at("2021-12-09T14:00"), moments[-1], end_of_day(moments[-1]))
    parent = catalog.directory.units["so-tttt-thanh-hoa"].parent
    recipients = {"holder": ["so-tttt-thanh-hoa"], "escalation": sorted({u for u in (plan.header.coordinator, parent) if u is not None})}
    steps = {(r["step"], r["recipient"]) for r in rows
             if r["code"] == "bao-cao-tuan-kh1034" and r["unit_id"] == "so-tttt-thanh-hoa"
             and r["due_at"] == at("2021-12-09T14:00")}
    assert steps == {(s.name, who) for s in expected for who in recipients[s.chain]}
    assert {"before-3d", "before-1d", "due", "overdue-1", "escalate"} <= {name for name, _ in steps}


def test_a_missed_week_sends_the_latest_step_late_and_records_the_others(ledger, write_plan, set_now):
    catalog = write_plan(PLAN)
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    report = ledger.queue_reminders(catalog, as_of=set_now(at("2022-03-16T09:00")), now=at("2022-03-16T09:00"))
    rows = [r for r in ledger.reminders() if r["unit_id"] == "buu-dien" and r["due_at"] == at("2022-03-10T14:00")]
    by_step = {(r["step"], r["recipient"]): r["status"] for r in rows}
    assert by_step == {
        ("before-1d", "buu-dien"): "skipped", ("due", "buu-dien"): "skipped", ("overdue-1", "buu-dien"): "skipped",
        ("overdue-2", "buu-dien"): "skipped",
        ("overdue-3", "buu-dien"): "queued",  # 16/03 14:00: said in the morning digest of 16/03
        ("escalate", "so-tttt"): "queued",  # 15/03 14:00, to the coordinator (buu-dien has no parent)
    }
    assert report.queued == sum(1 for r in ledger.reminders() if r["status"] == "queued")


def test_no_step_for_a_duty_already_done_or_excused(ledger, write_plan, set_now):
    catalog = write_plan(PLAN)
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    done = ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="bc.pdf"),
                                  on=at("2022-03-08T10:00"), now=at("2022-03-08T10:00"))
    excused = next(r.id for r in ledger.statuses(as_of=at("2022-03-08T12:00")) if r.unit == "viettel-post")
    ledger.excuse(excused, "Đơn vị gửi bản giấy", now=at("2022-03-08T11:00"))
    list(ticks(ledger, catalog, set_now, "2022-03-08", 10))
    touched = {done.occurrence_id, excused}
    assert [r for r in ledger.reminders() if r["occurrence_id"] in touched and r["planned_at"] > at("2022-03-08T11:00")] == []


def test_steps_follow_the_policy(write_plan):
    catalog = write_plan(PLAN)
    policy = catalog.plans["ke-hoach-thu"].reminders_for(catalog.plans["ke-hoach-thu"].obligation("bao-cao-tuan"))
    steps = steps_until(policy, at("2022-03-07T00:00"), at("2022-03-10T14:00"), at("2022-03-31T00:00"))
    assert [(s.name, s.planned_at.strftime("%d/%m %H:%M")) for s in steps] == [
        ("before-1d", "09/03 14:00"), ("due", "10/03 14:00"), ("overdue-1", "12/03 14:00"),
        ("overdue-2", "14/03 14:00"), ("escalate", "15/03 14:00"), ("overdue-3", "16/03 14:00"),
        ("overdue-4", "18/03 14:00"), ("overdue-5", "20/03 14:00"), ("overdue-6", "22/03 14:00"),
        ("overdue-7", "24/03 14:00"), ("overdue-8", "26/03 14:00"), ("overdue-9", "28/03 14:00"),
        ("overdue-10", "30/03 14:00"),
    ]


def test_day_scale_steps_join_the_morning_digest_and_sub_day_steps_wait_for_their_time(write_plan):
    catalog = write_plan(weekly_report(extra="  reminders: {before: [1d, 2h], on_due: true}\n"))
    policy = catalog.plans["ke-hoach-thu"].reminders_for(catalog.plans["ke-hoach-thu"].obligation("bao-cao-tuan"))
    opens, due = at("2022-03-07T00:00"), at("2022-03-10T14:00")
    morning = at("2022-03-10T08:00")
    names = [s.name for s in steps_until(policy, opens, due, morning, end_of_day(morning))]
    # "due" at 14:00 is said at 08:00 ("đến hạn hôm nay"); "2h before" (12:00) is not yet
    assert names == ["before-1d", "due"]
    noon = at("2022-03-10T12:00")
    assert [s.name for s in steps_until(policy, opens, due, noon, end_of_day(noon))] == ["before-1d", "before-2h", "due"]
