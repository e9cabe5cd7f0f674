"""Holders as rows, provinces as facts (SQLite and PostgreSQL): `occurrence_holder` finds a unit's, a
group's and a province's rows as the old `holders` text did, follows shared duties, moves and deletions,
is back-filled by migration 0010, and the queries use its indexes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from conftest import plan_yaml
from sqlalchemy import event, func, select, text
from sqlmodel import col
from two_provinces import PROVINCE_B  # another province's file: its units hold duties of the same plan

from commplan.ledger import EvidenceInput, Ledger, LedgerError, Status
from commplan.ledger import tables as t
from commplan.ledger.engine import create_ledger_engine, upgrade
from commplan.plan import load_catalog

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 4, 20, 9, 0, tzinfo=VN)

UNITS = """\
commplan: 1
province: thu-nghiem
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông
    parent: ubnd-tinh
  - id: so-khcn
    name: Sở Khoa học và Công nghệ
    parent: ubnd-tinh
  - id: buu-dien
    name: Bưu điện tỉnh
  - id: bao-tinh
    name: Báo tỉnh
  - id: ubnd-huyen-a
    name: UBND huyện A
    parent: ubnd-tinh
  - id: ubnd-huyen-b
    name: UBND huyện B
    parent: ubnd-tinh
  - id: ubnd-xa_a1
    name: UBND xã A1
    parent: ubnd-huyen-a
groups:
  ubnd-cap-huyen:
    name: UBND các huyện
    members: [ubnd-huyen-a, ubnd-huyen-b]
  bao-chi:
    name: Cơ quan báo chí và bưu chính
    members: [buu-dien, bao-tinh]
"""
OBLIGATIONS = """
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  lead: [buu-dien, viettel-post-none, ubnd-xa_a1, buu-dien-lg]
  every: week
  from: 2022-03-07
  until: 2022-05-01
  due: {weekday: thu, time: "14:00"}
- id: phat-lai
  title: Phát lại chương trình
  kind: broadcast
  lead: ubnd-cap-huyen
  every: month
  from: 2022-03-01
  until: 2022-05-31
- id: chuyen-muc
  title: Chuyên mục chung của báo chí
  kind: publish
  lead: bao-chi
  shared: true
  every: month
  from: 2022-03-01
  until: 2022-05-31
""".replace("viettel-post-none, ", "")


@pytest.fixture
def catalog_of(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()

    def load(units: str = UNITS, obligations: str = OBLIGATIONS):
        (folder / "units.yaml").write_text(units, encoding="utf-8")
        (folder / "other.yaml").write_text(PROVINCE_B, encoding="utf-8")
        (folder / "plan.yaml").write_text(plan_yaml(obligations), encoding="utf-8")
        catalog, _ = load_catalog([folder], strict=True)
        return catalog

    return load


@pytest.fixture
def synced(ledger, catalog_of):
    catalog = catalog_of()
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    return ledger, catalog


def holder_rows(ledger) -> dict[int, set[str]]:
    with ledger.transaction() as connection:
        rows = connection.execute(select(col(t.OccurrenceHolderRow.occurrence_id), col(t.OccurrenceHolderRow.unit_id))).all()
    out: dict[int, set[str]] = {}
    for occurrence_id, unit in rows:
        out.setdefault(occurrence_id, set()).add(unit)
    return out


def owners_by_text(ledger) -> dict[int, set[str]]:
    """What the old `LIKE '% id %'` filter matched: the occurrence's unit_id and its `holders` words."""
    with ledger.transaction() as connection:
        rows = connection.execute(select(col(t.OccurrenceRow.id), col(t.OccurrenceRow.unit_id), col(t.OccurrenceRow.holders))).all()
    return {i: {unit, *holders.split()} for i, unit, holders in rows}


def test_holder_rows_mirror_the_holders_text_and_a_shared_duty_has_one_per_holder(synced):
    ledger, _ = synced
    by_text = owners_by_text(ledger)
    assert holder_rows(ledger) == by_text
    shared = [owners for owners in by_text.values() if "bao-chi" in owners]
    assert len(shared) == 3 and all(owners == {"bao-chi", "buu-dien", "bao-tinh"} for owners in shared)


@pytest.mark.parametrize("selection", [["buu-dien"], ["bao-tinh"], ["ubnd-cap-huyen"], ["bao-chi"],
                                       ["ubnd-xa_a1"], ["ubnd-huyen-a", "bao-chi"]])
def test_unit_and_group_filters_give_the_rows_the_text_match_gave(synced, selection):
    ledger, catalog = synced
    wanted = {u for ident in selection for u in (ident, *catalog.directory.members(ident))}
    expected = {i for i, owners in owners_by_text(ledger).items() if owners & wanted}
    rows = ledger.statuses(as_of=NOW, units=selection, include_scheduled=True)
    assert expected and {r.id for r in rows} == expected
    _, by_unit = ledger.summary(as_of=NOW, units=selection)
    assert sum(sum(r.counts.values()) for r in by_unit) == len(expected)


def test_a_shared_occurrence_is_found_by_each_of_its_holders(synced):
    ledger, _ = synced
    found = [{r.id for r in ledger.statuses(as_of=NOW, units=[u], include_scheduled=True) if r.obligation == "chuyen-muc"}
             for u in ("buu-dien", "bao-tinh", "bao-chi")]
    assert len(found[0]) == 3 and found[0] == found[1] == found[2]
    # either holder records the shared duty's evidence in the same occurrence
    result = ledger.record_evidence("chuyen-muc", "bao-tinh", EvidenceInput(kind="link", link="https://bao.example.vn/1"),
                                    on=dt.date(2022, 4, 5), now=NOW)
    assert result.occurrence_id in found[0] and result.status == "done-on-time"


def test_a_province_is_every_unit_of_its_files_parents_or_not(synced):
    ledger, catalog = synced
    with ledger.transaction() as connection:
        provinces = dict(connection.execute(select(col(t.UnitRow.id), col(t.UnitRow.province))).all())
    assert provinces["buu-dien"] == provinces["bao-tinh"] == "thu-nghiem"  # no parent: the file's province
    assert provinces["ubnd-xa_a1"] == "thu-nghiem" and provinces["buu-dien-lg"] == "lang-gieng"
    assert provinces == {u: catalog.directory.province_of(u) for u in catalog.directory.units}
    assert ledger.provinces() == ["lang-gieng", "thu-nghiem"]
    owners = owners_by_text(ledger)
    for province in ("thu-nghiem", "lang-gieng"):
        units = {u for u, p in provinces.items() if p == province}
        expected = {i for i, found in owners.items() if found & units}
        rows = ledger.statuses(as_of=NOW, province=province, include_scheduled=True)
        assert expected and {r.id for r in rows} == expected
        _, by_unit = ledger.summary(as_of=NOW, province=province)
        assert sum(sum(r.counts.values()) for r in by_unit) == len(expected)
    overdue = ledger.statuses(as_of=NOW, province="thu-nghiem", only="overdue")
    assert overdue and ledger.statuses(as_of=NOW, province="thu-nghiem", only="overdue", limit=2) == overdue[:2]
    with pytest.raises(LedgerError, match=r"không có tỉnh, thành phố 'thu-nghiem-x'.*có phải 'thu-nghiem'"):
        ledger.statuses(province="thu-nghiem-x")


def test_a_moved_rows_holder_rows_follow_it_and_deleted_rows_take_theirs_along(ledger, catalog_of):
    monthly = """
- id: bao-cao-thang
  title: Báo cáo tháng của Sở
  kind: report
  lead: so-tttt
  every: month
  from: 2022-01-01
  until: 2022-12-31
"""
    ledger.sync(catalog_of(obligations=monthly), now=NOW, horizon=dt.date(2022, 12, 31))
    ids = {r.window_start.month: r.id for r in ledger.statuses(as_of=NOW, units=["so-tttt"], include_scheduled=True)}
    assert len(ids) == 12
    merged = UNITS.replace("    parent: ubnd-tinh\n  - id: so-khcn",
                           "    parent: ubnd-tinh\n    succeeded_by: {unit: so-khcn, from: 2022-06-15}\n  - id: so-khcn", 1)
    report = ledger.sync(catalog_of(merged, monthly), now=NOW, horizon=dt.date(2022, 12, 31))
    assert report.moved == 7  # June (due 30/6) to December: the same rows, now the successor's
    moved = {m: i for m, i in ids.items() if m >= 6}
    assert all(holder_rows(ledger)[i] == {"so-khcn"} for i in moved.values())
    assert {r.id for r in ledger.statuses(as_of=NOW, units=["so-khcn"], include_scheduled=True)} == set(moved.values())
    assert {r.id for r in ledger.statuses(as_of=NOW, units=["so-tttt"], include_scheduled=True)} == set(ids.values()) - set(moved.values())
    # the plan ends in September: the untouched future rows go, their holder rows with them
    shorter = ledger.sync(catalog_of(merged, monthly.replace("until: 2022-12-31", "until: 2022-09-30")),
                          now=NOW, horizon=dt.date(2022, 12, 31))
    assert shorter.deleted == 3
    with ledger.transaction() as connection:
        dangling = connection.execute(text(
            "SELECT COUNT(*) FROM occurrence_holder h WHERE NOT EXISTS (SELECT 1 FROM occurrence o WHERE o.id = h.occurrence_id)"
        )).scalar_one()
    assert dangling == 0 and holder_rows(ledger) == owners_by_text(ledger)


def test_migration_0010_back_fills_holder_rows_from_the_holders_text(ledger_url):
    engine = create_ledger_engine(ledger_url)
    upgrade(engine, "0009")
    stamp = dt.datetime(2022, 1, 1)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO plan (id, title, file, timezone, synced_at) VALUES ('p', 'Kế hoạch', 'p.yaml', 'Asia/Ho_Chi_Minh', :s)"), {"s": stamp})
        connection.execute(text("INSERT INTO obligation (id, plan_id, code, title, evidence_kind, at_least) VALUES (1, 'p', 'o', 'Tin', 'link', 1)"))
        for row_id, unit, holders, start in ((1, "g", "a b", "2022-01-01"), (2, "a", "a", "2022-02-01"), (3, "c", "c", "2022-01-01")):
            connection.execute(text(
                "INSERT INTO occurrence (id, obligation_id, unit_id, holders, window_start, window_end, opens_at, due_at, at_least,"
                " evidence_total, created_at, updated_at) VALUES (:id, 1, :u, :h, :w, :w, :s, :s, 1, 0, :s, :s)"),
                {"id": row_id, "u": unit, "h": holders, "w": dt.date.fromisoformat(start), "s": stamp})
    engine.dispose()
    with Ledger(ledger_url) as ledger:
        assert holder_rows(ledger) == {1: {"g", "a", "b"}, 2: {"a"}, 3: {"c"}}


# ------------------------------------------------------------ the query plans

def many_communes(count: int) -> tuple[str, str]:
    """Two provinces' directories of `count` communes each, and a weekly report every commune owes."""
    units = []
    for province in ("thu-nghiem", "lang-gieng"):
        units.append(f"commplan: 1\nprovince: {province}\nunits:\n  - id: ubnd-{province}\n    name: UBND {province}\n"
                     + "".join(f"  - id: xa-{province}-{i}\n    name: UBND xã {i}\n    parent: ubnd-{province}\n"
                               for i in range(count)))
    # the plan's issuer and coordinator
    units[0] += "  - id: ubnd-tinh\n    name: UBND tỉnh\n  - id: so-tttt\n    name: Sở TTTT\n    parent: ubnd-tinh\n"
    return units[0], units[1]


def explain(ledger, statement: str, params) -> str:
    with ledger.transaction(read_only=True) as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            return "\n".join(str(r[-1]) for r in rows)
        connection.exec_driver_sql("ANALYZE occurrence, occurrence_holder, unit, evidence, excusal")  # this schema's, not every one
        return "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {statement}", params).all())


def captured(ledger, action) -> list[tuple[str, object]]:
    """The SELECTs on occurrence an action sends, as the driver received them."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and " occurrence o" in statement:
            seen.append((statement, parameters))

    event.listen(ledger.engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(ledger.engine, "before_cursor_execute", note)
    return seen


def test_a_units_summary_and_a_provinces_overdue_page_are_indexed_joins(ledger, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    first, second = many_communes(150)
    (folder / "a.yaml").write_text(first, encoding="utf-8")
    (folder / "b.yaml").write_text(second, encoding="utf-8")
    leads = ", ".join(f"xa-{p}-{i}" for p in ("thu-nghiem", "lang-gieng") for i in range(150))
    (folder / "plan.yaml").write_text(plan_yaml(f"""
- id: bao-cao-tuan
  title: Báo cáo tuần
  kind: report
  lead: [{leads}]
  every: week
  from: 2022-01-03
  until: 2022-12-31
  due: {{weekday: thu, time: "14:00"}}
"""), encoding="utf-8")
    catalog, _ = load_catalog([folder], strict=True)
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    with ledger.transaction() as connection:
        assert connection.execute(select(func.count()).select_from(t.OccurrenceRow)).scalar_one() > 15000
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")

    summary = captured(ledger, lambda: ledger.summary(as_of=NOW, units=["xa-thu-nghiem-7"]))
    overdue = captured(ledger, lambda: ledger.statuses(province="lang-gieng", only="overdue", limit=50))
    province = captured(ledger, lambda: ledger.summary(as_of=NOW, province="lang-gieng"))
    assert len(summary) == 1 and len(overdue) == 1 and len(province) == 1
    plans = {"summary": explain(ledger, *summary[0]), "overdue": explain(ledger, *overdue[0]),
             "province": explain(ledger, *province[0])}
    if ledger.engine.dialect.name == "sqlite":
        for name, shown in plans.items():
            # occurrence is never scanned whole (the partial index of rows held jointly is small)
            assert not re.search(r"\bSCAN o\b(?! USING (COVERING )?INDEX ix_occurrence_shared)", shown), (name, shown)
        # one unit: driven by its holder rows' index, each occurrence reached by its key
        assert "SEARCH h USING COVERING INDEX ix_occurrence_holder_unit (unit_id=?)" in plans["summary"], plans["summary"]
        assert "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)" in plans["summary"], plans["summary"]
        # a province's first page: the unmet rows in deadline order, each row's unit checked against
        # the province's units, stopping at 50
        assert "SEARCH o USING INDEX ix_occurrence_unmet_due (due_at<?)" in plans["overdue"], plans["overdue"]
        assert "SEARCH u USING COVERING INDEX ix_unit_province (province=?)" in plans["overdue"], plans["overdue"]
        # a province's summary: each of its units' rows read from the covering index in group order (no
        # sort), and the rows held jointly from their partial index
        shown = plans["province"]
        assert "SEARCH o USING COVERING INDEX ix_occurrence_summary (unit_id=?)" in shown, shown
        assert "USING INDEX ix_occurrence_shared" in shown and "TEMP B-TREE" not in shown, shown
        # excusals and withdrawn items are sets taken once, not a lookup per row
        assert "SEARCH w USING COVERING INDEX ix_evidence_withdrawn (withdrawn_at>?)" in shown, shown
        assert "ix_excusal_occurrence_id" not in shown and "SEARCH w USING INDEX ix_evidence_occurrence" not in shown, shown
    else:
        # the province's units (the directory, a few hundred rows) may be read whole, once
        for name in ("summary", "overdue", "province"):
            table = "occurrence|occurrence_holder|unit" if name == "summary" else "occurrence_holder"
            assert not re.search(rf"Seq Scan on ({table})\b", plans[name]), (name, plans[name])
        # one unit: its holder rows by index, then each occurrence by its key
        assert re.search(r"Index (Only )?Scan (on|using) ix_occurrence_holder_unit", plans["summary"]), plans["summary"]
        assert "Index Scan using occurrence_pkey on occurrence o" in plans["summary"], plans["summary"]
        # a province's first page (half the rows here): the unmet rows in deadline order, stopping at 50,
        # a row held jointly checked through its holder rows' key
        assert re.search(r"Index Scan using ix_occurrence_unmet_due on occurrence o", plans["overdue"]), plans["overdue"]
        assert not re.search(r"Seq Scan on occurrence\b", plans["overdue"]), plans["overdue"]
        assert "occurrence_holder_pkey on occurrence_holder h" in plans["overdue"], plans["overdue"]
        # a province's summary (half the table here: read whole and hashed by unit, obligation and
        # status); the rows held jointly come from their partial index
        shown = plans["province"]
        assert "HashAggregate" in shown and "Index Scan using ix_occurrence_shared on occurrence" in shown, shown
        # excusals and withdrawn items are sets taken once (hashed), not a lookup per row
        assert "hashed SubPlan" in shown and "ix_excusal_occurrence_id" not in shown, shown


# ------------------------------------------------------------ summaries equal a recount

def test_a_summary_counts_what_the_rows_statuses_say_for_every_scope_and_instant(ledger, tmp_path):
    """The summary's bulk classification (sets of excused and recounted rows, codes counted per unit
    and obligation, a province in two parts) against each row's own status, filtered here in Python by
    the holders text and the units' provinces: equal for every scope, at instants before, between and
    after evidence, a withdrawal, excusals (one revoked), untracked weeks and orphaned rows."""
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
    (folder / "other.yaml").write_text(PROVINCE_B, encoding="utf-8")

    def load(obligations: str):
        (folder / "plan.yaml").write_text(plan_yaml(obligations, header="tracking_from: 2022-03-20\n"), encoding="utf-8")
        return load_catalog([folder], strict=True)[0]

    # held jointly across the two provinces: its own unit is buu-dien, and buu-dien-lg holds it too
    across = """
- id: tin-chung
  title: Tin chung hai tỉnh
  kind: publish
  lead: [buu-dien, buu-dien-lg]
  shared: true
  every: month
  from: 2022-03-01
  until: 2022-05-31
"""
    catalog = load(across + OBLIGATIONS)
    ledger.sync(catalog, now=dt.datetime(2022, 3, 1, 9, 0, tzinfo=VN), horizon=dt.date(2022, 12, 31))

    def at(day: str, hour: int = 9) -> dt.datetime:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=VN)

    def link(n: int) -> EvidenceInput:
        return EvidenceInput(kind="link", link=f"https://example.gov.vn/{n}")

    t1, t2, t3 = at("2022-04-01"), at("2022-04-05"), at("2022-04-10")
    ledger.record_evidence("bao-cao-tuan", "buu-dien", link(1), on=dt.date(2022, 3, 29), now=t1)  # on time
    week_one = next(r for r in ledger.statuses(as_of=t1, units=["buu-dien"], include_scheduled=True)
                    if r.obligation == "bao-cao-tuan" and r.window_start == dt.date(2022, 3, 7))
    ledger.record_evidence("bao-cao-tuan", "buu-dien", link(2), on=dt.date(2022, 3, 20), occurrence_id=week_one.id,
                           now=t1)  # late, for a week due before tracking_from
    withdrawn = ledger.record_evidence("bao-cao-tuan", "ubnd-xa_a1", link(3), on=dt.date(2022, 4, 5), now=t2)
    ledger.record_evidence("chuyen-muc", "bao-tinh", link(4), on=dt.date(2022, 4, 5), now=t2)  # the shared duty
    monthly = ledger.statuses(as_of=t2, units=["ubnd-huyen-a"], include_scheduled=True)
    ledger.excuse(monthly[0].id, "Sáp nhập", now=t2)
    ledger.excuse(monthly[1].id, "Nhầm", now=t2)
    ledger.withdraw_evidence(withdrawn.evidence_id, "Nhầm kỳ", now=t3)
    ledger.unexcuse(monthly[1].id, now=t3)
    # the shared duty leaves the plan: what was touched is orphaned, the rest deleted
    ledger.sync(load(across + OBLIGATIONS[:OBLIGATIONS.index("- id: chuyen-muc")]), now=NOW, horizon=dt.date(2022, 12, 31))
    ledger.record_evidence("tin-chung", "buu-dien-lg", link(5), on=dt.date(2022, 4, 20), now=NOW)

    with ledger.transaction() as connection:
        provinces = dict(connection.execute(select(col(t.UnitRow.id), col(t.UnitRow.province))).all())
    owners = owners_by_text(ledger)
    members = {"ubnd-cap-huyen": {"ubnd-huyen-a", "ubnd-huyen-b"}, "bao-chi": {"buu-dien", "bao-tinh"}}
    scopes: list[dict[str, Any]] = [
        {}, {"plans": ["ke-hoach-thu"]},
        *({"units": [u]} for u in ("buu-dien", "bao-tinh", "ubnd-xa_a1", "ubnd-huyen-a", "ubnd-cap-huyen", "bao-chi",
                                    "buu-dien-lg")),
        {"province": "thu-nghiem"}, {"province": "lang-gieng"}]
    seen: set[str] = set()
    for instant in (at("2022-03-01"), at("2022-03-25"), at("2022-04-07"), at("2022-04-20", 15), at("2023-01-01")):
        rows = [r for r in ledger.statuses(as_of=instant, include_scheduled=True) if not r.orphaned]
        for scope in scopes:
            if "units" in scope:
                wanted = {scope["units"][0], *members.get(scope["units"][0], ())}
                chosen = [r for r in rows if owners[r.id] & wanted]
            elif "province" in scope:
                chosen = [r for r in rows if any(provinces.get(u) == scope["province"] for u in owners[r.id])]
            else:
                chosen = rows
            by_plan, by_unit = ledger.summary(as_of=instant, **scope)
            expected_units: dict[str, dict] = {}
            for r in chosen:
                counts = expected_units.setdefault(r.unit, dict.fromkeys(Status, 0))
                counts[r.status] += 1
                seen.add(r.status)
            assert {s.key: s.counts for s in by_unit} == expected_units, (instant, scope)
            assert [(s.key, sum(s.counts.values())) for s in by_plan] == ([("ke-hoach-thu", len(chosen))] if chosen else [])
    assert seen == set(Status)  # every status was met somewhere
    assert any(r.obligation == "tin-chung" and r.unit == "buu-dien" and r.status is Status.DONE_ON_TIME
               for r in ledger.statuses(as_of=NOW, province="lang-gieng"))  # the joint part was counted
    with ledger.transaction() as connection:  # the orphan was there, and left out
        assert connection.execute(select(func.count()).where(col(t.OccurrenceRow.orphaned_at).is_not(None))).scalar_one() > 0
