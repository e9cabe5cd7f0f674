"""Plan format 1.1 in the ledger (SQLite and PostgreSQL): retired pre-issue rows, rows moved to a successor in
place, dissolved units out of reminders, repeating events' instances and their withdrawal, tracking_from."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col
from test_format_11_schedule import AROUND_THE_ELECTION, ELECTION, ON_REQUEST, REQUEST, UNITS, plan

from commplan.calendar.export import Selection, deadline_events
from commplan.ledger import EvidenceInput, Ledger, LedgerError
from commplan.ledger import tables as t
from commplan.ledger.engine import create_ledger_engine, current_revision, upgrade
from commplan.plan import load_catalog
from commplan.render import ledger as render
from commplan.tick import evaluate

VN = dt.timezone(dt.timedelta(hours=7))


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


@pytest.fixture
def catalog_of(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()

    def load(obligations: str, *, units: str = UNITS, **kwargs):
        (folder / "units.yaml").write_text(units, encoding="utf-8")
        (folder / "plan.yaml").write_text(plan(obligations, **kwargs), encoding="utf-8")
        catalog, _ = load_catalog([folder], strict=True)
        return catalog

    return load


def occurrence_rows(ledger, code: str) -> list[tuple]:
    """(id, unit, window start, instance, orphaned, uid_unit) of one obligation's rows, by window and instance."""
    with ledger.transaction() as connection:
        rows = connection.execute(
            select(col(t.OccurrenceRow.id), col(t.OccurrenceRow.unit_id), col(t.OccurrenceRow.window_start), col(t.OccurrenceRow.instance),
                   col(t.OccurrenceRow.orphaned_at), col(t.OccurrenceRow.uid_unit))
            .join(t.ObligationRow, col(t.ObligationRow.id) == col(t.OccurrenceRow.obligation_id))
            .where(col(t.ObligationRow.code) == code)
            .order_by(col(t.OccurrenceRow.window_start), col(t.OccurrenceRow.instance), col(t.OccurrenceRow.unit_id))
        ).all()
    return [(i, u, w.isoformat(), n, o is not None, uid) for i, u, w, n, o, uid in rows]


def evidence_count(ledger) -> int:
    with ledger.transaction() as connection:
        return connection.execute(select(func.count()).select_from(t.EvidenceRow)).scalar_one()


# ------------------------------------------------------------ nothing owed before the plan exists

WEEKLY = """
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  lead: buu-dien
  every: week
  from: 2022-02-28
  until: 2022-04-03
  due: {weekday: wed}
"""


def test_a_resync_retires_what_was_due_before_the_plan_was_issued(ledger, catalog_of):
    now = at("2022-03-16T09:00")
    ledger.sync(catalog_of(WEEKLY), now=now)
    assert [w for _, _, w, *_ in occurrence_rows(ledger, "bao-cao-tuan")][:2] == ["2022-02-28", "2022-03-07"]
    ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="BC tuần 9.pdf"),
                           on=dt.date(2022, 3, 1), now=now)
    report = ledger.sync(catalog_of(WEEKLY, header="issued: 2022-03-10\n"), now=now)
    # both weeks were due (2/3, 9/3) before 10/3: no longer owed; their windows have passed, so by the sync's
    # rules they are kept, orphaned (left out of every count), and the evidence stays
    assert (report.deleted, report.orphaned) == (0, 2)
    rows = occurrence_rows(ledger, "bao-cao-tuan")
    assert [(w, orphaned) for _, _, w, _, orphaned, _ in rows][:3] == [
        ("2022-02-28", True), ("2022-03-07", True), ("2022-03-14", False)]
    assert evidence_count(ledger) == 1
    by_plan, _ = ledger.summary(as_of=now)
    assert by_plan[0].counts["done-on-time"] == 0 and by_plan[0].counts["overdue"] == 0


# ------------------------------------------------------------ succession: moved in place

MONTHLY = """
- id: bao-cao-thang
  title: Báo cáo tháng của Sở
  kind: report
  lead: so-tttt
  every: month
  from: 2025-01-01
  until: 2025-06-30
"""
NO_SUCCESSION = UNITS.replace("    succeeded_by: {unit: so-khcn, from: 2025-03-01}\n", "")


def uids(ledger, catalog, unit: str) -> dict[str, str]:
    events, _ = deadline_events(ledger, catalog, Selection(units=(unit,)), as_of=at("2025-02-10T09:00"))
    return {e.due_at.astimezone(VN).strftime("%m"): e.uid for e in events}


def test_a_sync_moves_untouched_rows_to_the_successor_in_place(ledger, catalog_of):
    now = at("2025-02-10T09:00")
    before = catalog_of(MONTHLY, units=NO_SUCCESSION)
    ledger.sync(before, now=now)
    rows = occurrence_rows(ledger, "bao-cao-thang")
    ids = {w: i for i, _, w, *_ in rows}
    old_uids = uids(ledger, before, "so-tttt")
    assert len(rows) == 6 and {u for _, u, *_ in rows} == {"so-tttt"}
    # January has its report; February is excused: both are touched, they never move
    ledger.record_evidence("bao-cao-thang", "so-tttt", EvidenceInput(kind="document", document="BC tháng 1.pdf"),
                           on=dt.date(2025, 1, 30), now=now)
    ledger.excuse(ids["2025-02-01"], "Sở đang sáp nhập", now=now)

    # the merger is added to the directory: Sở KH&CN takes over what is due from 15/01/2025
    after = catalog_of(MONTHLY, units=NO_SUCCESSION.replace(
        "    parent: ubnd-tinh\n  - id: so-khcn", "    parent: ubnd-tinh\n    succeeded_by: {unit: so-khcn, from: 2025-01-15}\n"
        "  - id: so-khcn", 1))
    report = ledger.sync(after, now=now)
    assert (report.moved, report.inserted, report.deleted, report.orphaned) == (4, 0, 0, 0)
    rows = occurrence_rows(ledger, "bao-cao-thang")
    assert [(i, u, w, orphaned, uid) for i, u, w, _, orphaned, uid in rows] == [
        (ids["2025-01-01"], "so-tttt", "2025-01-01", False, None),  # with evidence: stays, still owed
        (ids["2025-02-01"], "so-tttt", "2025-02-01", False, None),  # excused: stays
        *((ids[w], "so-khcn", w, False, "so-tttt") for w in ("2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01")),
    ]  # same rows (ids), no duplicate for the successor
    moved_uids = uids(ledger, after, "so-khcn")
    assert moved_uids == {m: old_uids[m] for m in ("03", "04", "05", "06")}  # a moved row keeps its calendar UID
    assert uids(ledger, after, "so-tttt") == {m: old_uids[m] for m in ("01", "02")}
    statuses = {s.window_start.month: s.status for s in ledger.statuses(as_of=now, plans=["ke-hoach"])}
    assert statuses[1] == "done-on-time" and statuses[2] == "excused"

    again = ledger.sync(after, now=now)
    assert (again.moved, again.inserted, again.updated, again.deleted, again.orphaned) == (0, 0, 0, 0, 0)
    # a longer horizon adds rows for the successor under its own UID; moving back restores the old holder
    longer = catalog_of(MONTHLY.replace("until: 2025-06-30", "until: 2025-07-31"), units=after_units(after))
    ledger.sync(longer, now=now)
    assert uids(ledger, longer, "so-khcn")["07"] == "ke-hoach.bao-cao-thang.so-khcn.20250701@commplan"
    back = ledger.sync(catalog_of(MONTHLY, units=NO_SUCCESSION), now=now)
    assert back.moved == 4 and back.deleted == 1  # July: untouched, in the future, no longer in the plan
    assert uids(ledger, before, "so-tttt") == old_uids
    assert {u for _, u, *_ in occurrence_rows(ledger, "bao-cao-thang")} == {"so-tttt"}


def after_units(catalog) -> str:
    return NO_SUCCESSION.replace("    parent: ubnd-tinh\n  - id: so-khcn", "    parent: ubnd-tinh\n"
                                 "    succeeded_by: {unit: so-khcn, from: 2025-01-15}\n  - id: so-khcn", 1)


# ------------------------------------------------------------ dissolved units and reminders

DISTRICTS = """
- id: tin-xa
  title: Tin trên đài truyền thanh xã
  lead: ubnd-xa-a1
  every: week
  from: 2025-06-23
  until: 2025-07-13
  reminders: {on_due: true, overdue_every: 1d, escalate_after: 1d}
- id: tin-huyen
  title: Tin trên đài truyền thanh huyện
  lead: ubnd-huyen-b
  every: week
  from: 2025-06-16
  until: 2025-07-13
  reminders: {on_due: true, overdue_every: 1d, escalate_after: 1d}
"""


def test_reminders_and_escalations_never_go_to_a_dissolved_unit(ledger, catalog_of, set_now):
    catalog = catalog_of(DISTRICTS)
    ledger.sync(catalog, now=at("2025-06-20T09:00"))
    assert [w for _, _, w, *_ in occurrence_rows(ledger, "tin-huyen")] == ["2025-06-16", "2025-06-23"]  # none after 1/7
    ledger.queue_reminders(catalog, as_of=set_now(at("2025-07-08T09:00")), now=at("2025-07-08T09:00"))
    recipients = {(r["code"], r["step"].split("-")[0], r["recipient"]) for r in ledger.reminders()}
    # the district was dissolved on 1/7: its overdue week of 23/6 escalates to the province (and to the
    # coordinator's successor), but no step goes to the district itself any more
    assert ("tin-huyen", "escalate", "ubnd-tinh") in recipients and ("tin-huyen", "escalate", "so-khcn") in recipients
    assert not any(who == "ubnd-huyen-b" for *_, who in recipients)
    # the commune still exists: reminded itself; its parent district is gone, so escalation goes up to the province
    assert ("tin-xa", "overdue", "ubnd-xa-a1") in recipients
    escalated = {who for code, step, who in recipients if code == "tin-xa" and step == "escalate"}
    assert escalated == {"ubnd-tinh", "so-khcn"}


# ------------------------------------------------------------ repeating events

def test_repeating_event_instances_open_and_withdraw_their_own_occurrences(ledger, catalog_of):
    catalog = catalog_of(ON_REQUEST, events=REQUEST)
    now = at("2024-05-08T09:00")
    assert ledger.sync(catalog, now=now).waiting == ("ke-hoach/bao-cao-dot-xuat", "ke-hoach/cap-nhat-tuan")
    monday = dt.date(2024, 5, 6)
    first = ledger.event("yeu-cau-bao-cao", monday, actor="chuyen-vien", now=now, resync=catalog)
    second = ledger.event("yeu-cau-bao-cao", monday, actor="chuyen-vien", now=now, resync=catalog)
    assert (first.instance, first.standing, second.instance, second.standing) == (0, 1, 1, 2)
    rows = occurrence_rows(ledger, "bao-cao-dot-xuat")
    assert [(u, w, n, o) for _, u, w, n, o, _ in rows] == [("buu-dien", "2024-05-06", 0, False),
                                                          ("buu-dien", "2024-05-06", 1, False)]
    weekly = occurrence_rows(ledger, "cap-nhat-tuan")
    assert weekly[0][2] == "2024-05-06" and {n for *_, n, _, _ in weekly} == {0}  # starts at the first instance
    events, _ = deadline_events(ledger, catalog, Selection(units=("buu-dien",)), as_of=now)
    assert {e.uid for e in events} >= {"ke-hoach.bao-cao-dot-xuat.buu-dien.20240506@commplan",
                                       "ke-hoach.bao-cao-dot-xuat.buu-dien.20240506-1@commplan"}
    ledger.record_evidence("bao-cao-dot-xuat", "buu-dien", EvidenceInput(kind="document", document="BC đột xuất.pdf"),
                           occurrence_id=rows[0][0], now=now)

    undone = ledger.event("yeu-cau-bao-cao", monday, undo=True, actor="chuyen-vien", now=now, resync=catalog)
    assert (undone.instance, undone.standing, undone.removed, undone.kept) == (1, 1, 1, ())  # the latest, untouched
    assert [n for *_, n, _, _ in occurrence_rows(ledger, "bao-cao-dot-xuat")] == [0]
    last = ledger.event("yeu-cau-bao-cao", monday, undo=True, actor="chuyen-vien", now=now, resync=catalog)
    # the first instance started the weekly duty (8 weeks to 30/6, untouched: removed); its one-off has
    # evidence: kept, orphaned
    assert (last.instance, last.removed, last.kept) == (0, 8, (rows[0][0],))
    assert occurrence_rows(ledger, "bao-cao-dot-xuat")[0][4] is True and evidence_count(ledger) == 1
    assert occurrence_rows(ledger, "cap-nhat-tuan") == [] and last.report.waiting == ("ke-hoach/bao-cao-dot-xuat",
                                                                                      "ke-hoach/cap-nhat-tuan")
    with pytest.raises(LedgerError, match="không có lần nào ngày 06/05/2024 để rút lại"):
        ledger.event("yeu-cau-bao-cao", monday, undo=True, now=now, resync=catalog)
    # a new instance of the same day never takes over what a withdrawn one left: a number of its own
    again = ledger.event("yeu-cau-bao-cao", monday, now=now, resync=catalog)
    assert again.instance == 2
    assert [(n, o) for *_, n, o, _ in occurrence_rows(ledger, "bao-cao-dot-xuat")] == [(0, True), (2, False)]


def test_undoing_a_one_time_event_forgets_its_date_and_what_it_opened(ledger, catalog_of):
    catalog = catalog_of(AROUND_THE_ELECTION, events=ELECTION)
    now = at("2026-03-02T09:00")
    ledger.sync(catalog, now=now)
    change = ledger.event("bau-cu", dt.date(2026, 3, 15), now=now, resync=catalog)
    assert not change.repeats and change.previous is None and change.report.inserted == 1 + 5 + 1
    with pytest.raises(LedgerError, match="được ghi nhận ngày 15/03/2026, không phải 16/03/2026"):
        ledger.event("bau-cu", dt.date(2026, 3, 16), undo=True, now=now, resync=catalog)
    undone = ledger.event("bau-cu", dt.date(2026, 3, 15), undo=True, now=now, resync=catalog)
    assert (undone.removed, undone.kept) == (7, ())
    assert set(undone.report.waiting) == {"ke-hoach/tuyen-truyen-truoc-bau-cu", "ke-hoach/tin-hang-ngay",
                                          "ke-hoach/bao-cao-ket-qua"}
    with pytest.raises(LedgerError, match="chưa được ghi nhận ngày nào"):
        ledger.event("bau-cu", dt.date(2026, 3, 15), undo=True, now=now, resync=catalog)


# ------------------------------------------------------------ tracking_from and `untracked`

TRACKED = WEEKLY.replace("due: {weekday: wed}", "due: {weekday: thu, time: \"14:00\"}") + \
    "  reminders: {before: [1d], on_due: true, overdue_every: 2d, escalate_after: 5d}\n"


def test_tracking_from_counts_earlier_occurrences_as_untracked(ledger, catalog_of, set_now):
    now = at("2022-03-30T09:00")
    catalog = catalog_of(TRACKED, header="tracking_from: 2022-03-14\n")
    ledger.sync(catalog, now=now)
    ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="BC tuần 9.pdf"),
                           on=dt.date(2022, 3, 2), now=now)
    statuses = [(s.window_start.isoformat(), s.status) for s in ledger.statuses(as_of=now)]
    assert statuses == [
        ("2022-02-28", "done-on-time"),  # done stays done, even before tracking_from
        ("2022-03-07", "untracked"),  # due 10/3, before 14/3: not overdue
        ("2022-03-14", "overdue"), ("2022-03-21", "overdue"), ("2022-03-28", "open"),
    ]
    # as of a day before its window opened, it was still only scheduled
    assert ledger.statuses(as_of=at("2022-03-01T09:00"), include_scheduled=True)[1].status == "scheduled"
    assert [s.window_start.day for s in ledger.statuses(as_of=now, only="overdue")] == [14, 21]
    by_plan, by_unit = ledger.summary(as_of=now)
    assert by_plan[0].counts == {"scheduled": 0, "open": 1, "done-on-time": 1, "done-late": 0, "overdue": 2,
                                 "excused": 0, "untracked": 1}
    assert by_plan[0].total == 4  # the four buckets; untracked has a column of its own
    table = render.summary_table("Theo kế hoạch", by_plan)
    assert "Ngoài theo dõi" in table.splitlines()[1] and table.splitlines()[-1].split()[-2:] == ["1", "4"]
    assert render.summary_csv(by_plan, by_unit).splitlines()[0].endswith(",excused,untracked")
    assert evaluate(ledger, now).by_plan == [{"plan": "ke-hoach", "open": 1, "due_this_week": 1, "overdue": 2,
                                              "untracked": 1}]  # the tick's summary, as `commplan run` prints it
    # no reminder is ever queued for it
    ledger.queue_reminders(catalog, as_of=set_now(now), now=now)
    reminded = {r["occurrence_id"] for r in ledger.reminders()}
    untracked_id = ledger.statuses(as_of=now)[1].id
    assert reminded and untracked_id not in reminded
    # tracking from earlier: it is overdue like the others (the flag follows the plan on every sync)
    ledger.sync(catalog_of(TRACKED), now=now)
    assert ledger.statuses(as_of=now)[1].status == "overdue"


# ------------------------------------------------------------ migration 0008 on a ledger in use

def test_a_0006_ledger_with_evidence_upgrades_to_instances(ledger_url):
    engine = create_ledger_engine(ledger_url)
    upgrade(engine, "0006")
    stamp = dt.datetime(2022, 1, 1)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO plan (id, title, file, timezone, synced_at) VALUES ('p', 'Kế hoạch', 'p.yaml', 'Asia/Ho_Chi_Minh', :s)"), {"s": stamp})
        connection.execute(text("INSERT INTO obligation (id, plan_id, code, title, evidence_kind, at_least) VALUES (1, 'p', 'o', 'Tin', 'link', 1)"))
        connection.execute(
            text("INSERT INTO occurrence (id, obligation_id, unit_id, holders, window_start, window_end, opens_at, due_at, at_least,"
                 " evidence_total, met_at, created_at, updated_at) VALUES (7, 1, 'u', 'u', '2022-01-01', '2022-01-31', :s, :d, 1, 1, :s, :s, :s)"),
            {"s": stamp, "d": dt.datetime(2022, 1, 31, 16, 59, 59)},
        )
        connection.execute(text("INSERT INTO evidence (occurrence_id, kind, link, quantity, occurred_at, recorded_at, source)"
                                " VALUES (7, 'link', 'https://a.example.gov.vn/1', 1, :s, :s, 'manual')"), {"s": stamp})
        connection.execute(text("INSERT INTO reminder (occurrence_id, step, recipient, planned_at, status, created_at)"
                                " VALUES (7, 'due', 'u', :s, 'queued', :s)"), {"s": stamp})
    engine.dispose()
    with Ledger(ledger_url) as ledger:  # the rebuilt occurrence table keeps the rows that refer to it
        assert current_revision(ledger.engine) == "0022"  # the head: 0022 follows 0024
        with ledger.transaction() as connection:
            row = connection.execute(select(col(t.OccurrenceRow.id), col(t.OccurrenceRow.instance), col(t.OccurrenceRow.untracked),
                                            col(t.OccurrenceRow.uid_unit))).one()
            assert tuple(row) == (7, 0, False, None)
            assert connection.execute(select(func.count()).select_from(t.EvidenceRow)).scalar_one() == 1
            assert connection.execute(select(col(t.ReminderRow.occurrence_id))).scalar_one() == 7
        assert [s.status for s in ledger.statuses(as_of=at("2022-02-01T00:00"))] == ["done-on-time"]


def test_every_status_mapping_covers_untracked():
    from commplan.calendar import events, export, wording
    from commplan.ledger import STATUSES, VIETNAMESE
    from commplan.reports.compliance_report import Tally
    from commplan.status import Status

    assert "untracked" in STATUSES and VIETNAMESE["untracked"] == "ngoài thời gian theo dõi"
    for status in STATUSES:
        state = export.STATES[status]
        assert state in events.STATES and state in wording.STATE_LABELS
    assert export.STATES["untracked"] in events.SILENT  # no alarm for what is not tracked
    assert wording.PREFIXES["untracked"] == "[Ngoài theo dõi]"
    tally = Tally()
    tally.add(Status.UNTRACKED)
    assert tally.untracked == 1 and tally.owed == 0  # the compliance report counts it apart
