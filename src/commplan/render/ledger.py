"""Ledger listings: per-occurrence status rows and the Government Office's summary buckets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from ..ledger.status import OccurrenceStatus, SummaryRow
from ..status import APART, COLUMNS, STATUSES, Status
from .occurrences import vietnamese_deadline
from .tables import render, width

STATUS_FIELDS = ("id", "plan", "obligation", "unit", "window_start", "window_end", "due", "at_least", "delivered", "status", "orphaned")
# the four buckets, then excused and untracked occurrences (outside the total), then the total
BUCKET_HEADERS = (*(s.heading or "" for s in COLUMNS), "Tổng")  # a column always has a heading


def statuses_json(rows: Sequence[OccurrenceStatus]) -> str:
    return json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2) + "\n"


def statuses_csv(rows: Sequence[OccurrenceStatus]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=STATUS_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.as_dict() for r in rows)
    return out.getvalue()


def statuses_table(rows: Sequence[OccurrenceStatus], unit_names: dict[str, str]) -> str:
    if not rows:
        return "Không có nhiệm vụ nào.\n"
    headers = ("#", "Hạn", "Đơn vị", "Nhiệm vụ", "Kỳ", "Đã nộp", "Trạng thái")
    body = [
        (
            str(r.id), vietnamese_deadline(r.due), unit_names.get(r.unit, r.unit), r.title,
            f"{r.window_start:%d/%m}–{r.window_end:%d/%m/%Y}", f"{r.delivered}/{r.at_least}",
            Status(r.status).label + (" (mồ côi)" if r.orphaned else ""),
        )
        for r in rows
    ]
    return render(headers, body, (8, 26, 34, 50, 17, 7, 28), middle=(2,), right=(0, 5)) + f"\n{len(rows)} nhiệm vụ.\n"


def summary_json(as_of: str, by_plan: Sequence[SummaryRow], by_unit: Sequence[SummaryRow]) -> str:
    return json.dumps(
        {"as_of": as_of, "by_plan": [r.as_dict() for r in by_plan], "by_unit": [r.as_dict() for r in by_unit]},
        ensure_ascii=False, indent=2,
    ) + "\n"


def summary_csv(by_plan: Sequence[SummaryRow], by_unit: Sequence[SummaryRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "id", "name", *STATUSES])
    for group, rows in (("plan", by_plan), ("unit", by_unit)):
        for r in rows:
            writer.writerow([group, r.key, r.name, *(r.counts[s] for s in STATUSES)])
    return out.getvalue()


def _folded(text: str) -> str:
    """Sort key that orders Vietnamese names as a reader expects (Đ with D, accents ignored first)."""
    import unicodedata

    base = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in base if not unicodedata.combining(c)).casefold()


def summary_table(title: str, rows: Sequence[SummaryRow]) -> str:
    """The four buckets, excusals and untracked occurrences (due before the plan's tracking_from); rows
    with nothing yet due are left out of the table (not the JSON)."""
    rows = sorted((r for r in rows if r.total or any(r.counts[s] for s in APART)), key=lambda r: _folded(r.name))
    if not rows:
        return f"{title}: không có nhiệm vụ nào.\n"
    body = [(r.name, *(str(r.counts[s]) for s in COLUMNS), str(r.total)) for r in rows]
    totals = ("Cộng", *(str(sum(r.counts[s] for r in rows)) for s in COLUMNS), str(sum(r.total for r in rows)))
    # a count column is as wide as its heading, and never cuts a count of up to 9 digits
    limits = (44, *(max(width(h), 9) for h in BUCKET_HEADERS))
    return f"{title}\n" + render(("Tên", *BUCKET_HEADERS), [*body, totals], limits, middle=(0,),
                                 right=range(1, len(limits)))
