"""Ledger listings: per-occurrence status rows and the Government Office's summary buckets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from ..i18n import N_, _, ngettext
from ..ledger.status import OccurrenceStatus, SummaryRow
from ..status import APART, COLUMNS, STATUSES, Status
from ..vi_order import folded
from .occurrences import vietnamese_deadline
from .tables import render, width

STATUS_FIELDS = ("id", "plan", "obligation", "unit", "window_start", "window_end", "due", "at_least", "delivered", "status", "orphaned")
TOTAL = N_("Total")


def bucket_headers() -> tuple[str, ...]:
    """The four buckets, then excused and untracked occurrences (outside the total), then the total."""
    return (*(s.heading or "" for s in COLUMNS), _(TOTAL))


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
        return _("No duties.") + "\n"
    headers = ("#", _("Deadline"), _("Unit"), _("Duty"), _("Window"), _("Delivered"), _("Status"))
    body = [
        (
            str(r.id), vietnamese_deadline(r.due), unit_names.get(r.unit, r.unit), r.title,
            f"{r.window_start:%d/%m}–{r.window_end:%d/%m/%Y}", f"{r.delivered}/{r.at_least}",
            Status(r.status).label + (_(" (orphaned)") if r.orphaned else ""),
        )
        for r in rows
    ]
    return render(headers, body, (8, 26, 34, 50, 17, 7, 28), middle=(2,), right=(0, 5)) + "\n" + duties(len(rows)) + "\n"


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


def summary_table(title: str, rows: Sequence[SummaryRow]) -> str:
    """The four buckets, excusals and untracked occurrences (due before the plan's tracking_from); rows
    with nothing yet due are left out of the table (not the JSON)."""
    rows = sorted((r for r in rows if r.total or any(r.counts[s] for s in APART)), key=lambda r: folded(r.name))
    if not rows:
        return _("{title}: no duties.").format(title=title) + "\n"
    body = [(r.name, *(str(r.counts[s]) for s in COLUMNS), str(r.total)) for r in rows]
    totals = (_("Sum"), *(str(sum(r.counts[s] for r in rows)) for s in COLUMNS), str(sum(r.total for r in rows)))
    # a count column is as wide as its heading, and never cuts a count of up to 9 digits
    headers = bucket_headers()
    limits = (44, *(max(width(h), 9) for h in headers))
    return f"{title}\n" + render((_("Name"), *headers), [*body, totals], limits, middle=(0,),
                                 right=range(1, len(limits)))


def duties(count: int) -> str:
    """`3 nhiệm vụ.`: the footer of a listing."""
    return ngettext("{count} duty.", "{count} duties.", count).format(count=count)


def __getattr__(name: str) -> tuple[str, ...]:
    # BUCKET_HEADERS stays a module attribute, in the reader's language at each use
    if name == "BUCKET_HEADERS":
        return bucket_headers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
