"""Weekly and monthly compliance summaries per plan and unit, as rows, CSV and XLSX.

A period's report counts the occurrences whose deadline falls in the period
(the week Monday..Sunday, or the calendar month, containing `as_of`), by their
status at `as_of`. The XLSX is for people: its headings are in the reader's language
(Vietnamese by default); the CSV's keys are a stable English contract.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from ..i18n import _
from ..ledger import Ledger
from ..status import COLUMNS as STATUS_COLUMNS
from ..status import Bucket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = ("weekly", "monthly")
COLUMNS = ("plan", "unit", "name", *(s.value for s in STATUS_COLUMNS), "total")  # the CSV's keys: stable English


def period_of(kind: str, as_of: dt.datetime) -> tuple[dt.date, dt.date]:
    day = as_of.astimezone(VN).date()
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == "monthly":
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    raise ValueError(_("unknown report period '{period}' ({choices})").format(period=kind, choices=", ".join(PERIODS)))


def compliance_rows(ledger: Ledger, kind: str, as_of: dt.datetime) -> list[dict]:
    start, end = period_of(kind, as_of)
    names = ledger.unit_names()
    table: dict[tuple[str, str], dict] = {}
    for row in ledger.statuses(as_of=as_of, include_scheduled=True):
        # the deadline's day in its plan's timezone (the ledger gives it so)
        if row.orphaned or not start <= row.due.date() <= end or row.status.bucket is Bucket.NONE:
            continue
        entry = table.setdefault((row.plan, row.unit), {
            "plan": row.plan, "unit": row.unit, "name": names.get(row.unit, row.unit),
            **dict.fromkeys(COLUMNS[3:], 0),
        })
        entry[row.status.value] += 1
        entry["total"] += 1
    return [table[k] for k in sorted(table)]


def write_csv(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens Vietnamese text right
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(rows: list[dict], path: Path, title: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one sheet
    sheet.title = _("Summary")
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    headers = [_("Plan"), _("Unit code"), _("Unit"), *(s.label for s in STATUS_COLUMNS), _("Total")]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    book.save(path)
    return path
