"""Occurrence listings: a Vietnamese table for people, JSON and CSV for programs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from typing import Iterable

from ..plan.catalog import Catalog
from ..schedule.occurrences import Occurrence

FIELDS = ("plan", "obligation", "unit", "window_start", "window_end", "due", "at_least")
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def vietnamese_day(day: dt.date) -> str:
    """`Thứ Năm 19/02/2026`."""
    return f"{WEEKDAYS_VI[day.weekday()]} {day:%d/%m/%Y}"


def vietnamese_deadline(moment: dt.datetime) -> str:
    """`Thứ Năm 19/02/2026 14:00`, or the day alone for end-of-day deadlines."""
    text = vietnamese_day(moment.date())
    if (moment.hour, moment.minute) != (23, 59):
        text += f" {moment:%H:%M}"
    return text


def as_json(occurrences: Iterable[Occurrence]) -> str:
    return json.dumps([o.as_dict() for o in occurrences], ensure_ascii=False, indent=2)


def as_csv(occurrences: Iterable[Occurrence]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for occurrence in occurrences:
        writer.writerow(occurrence.as_dict())
    return out.getvalue()


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _fit(text: str, width: int, *, middle: bool = False) -> str:
    """Pad or cut to `width`; `middle` cuts inside, keeping the end (where unit names differ)."""
    text = unicodedata.normalize("NFC", text)
    if _width(text) > width:
        if middle:
            head = (width - 1) // 2
            text = text[:head] + "…" + text[-(width - 1 - head):]
        else:
            text = text[: width - 1] + "…"
    return text + " " * (width - _width(text))


def as_table(occurrences: list[Occurrence], catalog: Catalog) -> str:
    """A table a clerk reads in a terminal: deadline, unit, duty, window, count."""
    if not occurrences:
        return "Không có nhiệm vụ nào đến hạn trong khoảng thời gian này.\n"
    directory = catalog.directory
    headers = ("Hạn", "Đơn vị", "Kế hoạch", "Nhiệm vụ", "Kỳ", "SL")
    rows = []
    for o in occurrences:
        plan = catalog.plans[o.plan]
        title = plan.obligation(o.obligation).title
        number = plan.header.number or plan.id
        window = f"{o.window_start:%d/%m}–{o.window_end:%d/%m/%Y}"
        rows.append((vietnamese_deadline(o.due), directory.short_name(o.unit), number, title, window, str(o.at_least)))
    limits = (26, 34, 16, 56, 17, 4)
    widths = [min(max(_width(r[i]) for r in [headers, *rows]), limits[i]) for i in range(len(headers))]
    lines = ["  ".join(_fit(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_fit(c, w, middle=i == 1) for i, (c, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
    lines.append(f"\n{len(rows)} nhiệm vụ.")
    return "\n".join(lines) + "\n"
