"""The compliance report's parts as tables (title, headings, rows of plain values, each column's kind):
the XLSX, CSV and HTML writers lay these out, so the three say the same thing in the same words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..i18n import _
from .compliance_report import ComplianceReport, Tally, channel_label, kind_label

# how a column's values are written: text, an occurrence's number (#123), a count, a share (0..1) as a percent, VND, a date, a date and time
Kind = Literal["text", "id", "count", "share", "vnd", "datetime"]
Value = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str  # a stable English name (files, anchors)
    title: str  # the sheet's name: at most 31 characters (Excel's limit)
    headings: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: list[tuple[object, ...]]
    note: str = ""


def _counts() -> tuple[str, ...]:
    return (_("Owed"), _("Done on time"), _("Done late"), _("Open"), _("Overdue"), _("Excused"),
            _("Share done on time"))


COUNT_KINDS: tuple[Kind, ...] = ("count",) * 6 + ("share",)
TEXT: tuple[Kind, ...] = ("text",)
SHARE: tuple[Kind, ...] = ("share",)


def _values(tally: Tally) -> tuple[object, ...]:
    return (tally.owed, tally.on_time, tally.late, tally.open, tally.overdue, tally.excused, tally.share_on_time)


def vnd(value: Decimal | int | None) -> str:
    """An amount as Vietnamese write it: 12.500.000 (a fraction after a comma: 12.500.000,50)."""
    if value is None:
        return "—"
    grouped = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return grouped.replace(",", " ").replace(".", ",").replace(" ", ".")


def period_text(report: ComplianceReport) -> str:
    return _("{number}, deadlines from {start} to {end}, status at {moment}").format(
        number=report.shown_number, start=f"{report.start:%d/%m/%Y}", end=f"{report.end:%d/%m/%Y}",
        moment=f"{report.as_of:%H:%M %d/%m/%Y}")


def tables(report: ComplianceReport) -> list[Table]:
    share_note = _("The share done on time counts the occurrences done on time among those done or overdue; "
                   "open ones (deadline not passed) are not counted in it; excused ones are apart.")
    by_duty = Table(
        "by-duty", _("Summary by duty"), (_("Duty code"), _("Duty"), _("Kind"), _("Channel"), *_counts()),
        TEXT * 4 + COUNT_KINDS,
        [(d.code, d.title, kind_label(d.kind), channel_label(d.channel) if d.channel else "", *_values(d.tally))
         for d in report.by_duty] + [("", _("Total"), "", "", *_values(report.total))],
        share_note)
    by_unit = Table(
        "by-unit", _("By unit"), (_("Unit code"), _("Unit"), *_counts()), TEXT * 2 + COUNT_KINDS,
        [(u.unit, u.name, *_values(u.tally)) for u in report.by_unit], share_note)
    overdue = Table(
        "overdue", _("Overdue"),
        (_("Occurrence ID"), _("Duty code"), _("Duty"), _("Unit"), _("Deadline (Vietnam time)"), _("Days late"),
         _("Delivered"), _("Required")),
        ("id", "text", "text", "text", "datetime", "count", "count", "count"),
        [(o.id, o.code, o.title, o.name, o.due, o.days_late, o.delivered, o.at_least) for o in report.overdue],
        _("Days late are counted from the deadline's day to {day}.").format(day=f"{report.as_of:%d/%m/%Y}"))
    silent = Table(
        "not-reported", _("Not reported"),
        (_("Unit code"), _("Unit"), _("Report duty"), _("Reports missed"), _("Latest deadline (Vietnam time)")),
        ("text", "text", "text", "count", "datetime"),
        [(s.unit, s.name, s.title, s.missed, s.last_due) for s in report.silent],
        _("Units that owed a report in the period and sent nothing for it."))
    by_channel = Table(
        "by-channel", _("By channel"), (_("Channel"), *_counts()), TEXT + COUNT_KINDS,
        [(c.label, *_values(c.tally)) for c in report.by_channel], share_note)
    months = [f"{m:%m/%Y}" for m in report.months]
    matrix = Table(
        "month-matrix", _("Month matrix"), (_("Unit code"), _("Unit"), *months, _("Whole period")),
        TEXT * 2 + SHARE * (len(months) + 1),
        [(m.unit, m.name, *(cell.share_on_time for cell in m.months), m.total.share_on_time) for m in report.matrix],
        _("Share done on time per unit and month (by the deadline's month); empty: nothing decided that month."))
    budget = Table(
        "budget", _("Budget"),
        (_("Duty code"), _("Duty"), _("Managed by"), _("Source"), _("Planned (VND)"), _("Spent (VND)"),
         _("Remaining (VND)"), _("Share spent"), _("Owed"), _("Done on time"), _("Note")),
        ("text", "text", "text", "text", "vnd", "vnd", "vnd", "share", "count", "count", "text"),
        [(b.code, b.title, b.lead_name or "", b.source or "", b.planned, b.spent, b.remaining, b.share_spent,
          b.tally.owed, b.tally.on_time, b.note or "") for b in report.budget],
        (_("Planned: the plan's budget lines; spent: the expenses recorded up to {day}.") if report.budget else
         _("This plan has no budget line and no expense was recorded for it.")).format(day=f"{report.end:%d/%m/%Y}"))
    return [by_duty, by_unit, overdue, silent, by_channel, matrix, budget]
