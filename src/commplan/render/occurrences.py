"""Occurrence listings: a table for people (Vietnamese by default), JSON and CSV for programs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable

from ..i18n import N_, _, ngettext
from ..plan.catalog import Catalog
from ..schedule.occurrences import Occurrence
from .tables import render

FIELDS = ("plan", "obligation", "unit", "window_start", "window_end", "due", "at_least")
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


def vietnamese_day(day: dt.date) -> str:
    """`Thứ Năm 19/02/2026`."""
    return f"{_(WEEKDAYS[day.weekday()])} {day:%d/%m/%Y}"


def vietnamese_deadline(moment: dt.datetime) -> str:
    """`Thứ Năm 19/02/2026 14:00`, or the day alone for end-of-day deadlines."""
    text = vietnamese_day(moment.date())
    if (moment.hour, moment.minute) != (23, 59):
        text += f" {moment:%H:%M}"
    return text


def as_json(occurrences: Iterable[Occurrence]) -> str:
    return json.dumps([o.as_dict() for o in occurrences], ensure_ascii=False, indent=2)


def as_csv(occurrences: Iterable[Occurrence]) -> str:
    occurrences = list(occurrences)
    # a column for the instance only when two instances of a repeating event fall on one day
    fields = FIELDS + (("instance",) if any(o.instance for o in occurrences) else ())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, restval=0, lineterminator="\n")
    writer.writeheader()
    for occurrence in occurrences:
        writer.writerow(occurrence.as_dict())
    return out.getvalue()


def as_table(occurrences: list[Occurrence], catalog: Catalog) -> str:
    """A table a clerk reads in a terminal: deadline, unit, duty, window, count."""
    if not occurrences:
        return _("No duty falls due in this period.") + "\n"
    directory = catalog.directory
    headers = (_("Deadline"), _("Unit"), _("Plan"), _("Duty"), _("Window"), _("Qty"))
    rows = []
    for o in occurrences:
        plan = catalog.plans[o.plan]
        title = plan.obligation(o.obligation).title
        number = plan.header.number or plan.id
        window = f"{o.window_start:%d/%m}–{o.window_end:%d/%m/%Y}"
        if o.instance:  # the second (third…) instance of a repeating event on one day
            window += _(" (time {n})").format(n=o.instance + 1)
        rows.append((vietnamese_deadline(o.due), directory.short_name(o.unit), number, title, window, str(o.at_least)))
    table = render(headers, rows, (26, 34, 16, 56, 25, 4), middle=(1,))
    return table + "\n" + ngettext("{count} duty.", "{count} duties.", len(rows)).format(count=len(rows)) + "\n"
