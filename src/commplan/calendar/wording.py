"""The Vietnamese text of a deadline event: SUMMARY, DESCRIPTION and alarm text.

Dates are written as in the reminder messages (`notify.messages.deadline_text`):
`14:00 ngày 10/03/2022`, or `hết ngày 10/03/2022` for an end-of-day deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import DeadlineEvent

PREFIXES = {"met": "[Đã hoàn thành]", "late": "[Đã hoàn thành]", "overdue": "[Quá hạn]", "excused": "[Miễn]"}
# As the Government Office classifies tracked tasks (PLAN_FORMAT.md, "Each occurrence").
STATE_LABELS = {
    "open": "đang thực hiện, trong hạn",
    "due": "đến hạn",
    "overdue": "quá hạn, chưa hoàn thành",
    "met": "hoàn thành đúng hạn",
    "late": "hoàn thành quá hạn",
    "excused": "miễn",
}


def deadline(event: DeadlineEvent) -> str:
    local = event.local_due
    if event.end_of_day:
        return f"hết ngày {local:%d/%m/%Y}"
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def span(length: dt.timedelta) -> str:
    """`3 ngày`, `1 ngày 12 giờ`, `30 phút`."""
    minutes = int(length.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "ngày"), (hours, "giờ"), (minutes, "phút")) if n]
    return " ".join(parts) or "0 phút"


def summary(event: DeadlineEvent) -> str:
    """`[Quá hạn] Tin bài trên Cổng TTĐT (3 lần) – Bưu điện tỉnh`."""
    text = event.title
    if event.at_least > 1:
        text += f" ({event.at_least} lần)"
    text += f" – {event.holder}"
    prefix = PREFIXES.get(event.state)
    return f"{prefix} {text}" if prefix else text


def description(event: DeadlineEvent) -> str:
    lines = [f"Kế hoạch: {event.plan_number} – {event.plan_title}"]
    if event.section:
        lines.append(f"Mục: {event.section}")
    lines += [f"Nhiệm vụ: {event.title}", f"Đơn vị thực hiện: {event.holder}"]
    if event.partners:
        # "; " because unit names contain commas ("UBND các huyện, thị xã, thành phố").
        lines.append(f"Đơn vị phối hợp: {'; '.join(event.partners)}")
    lines += [
        f"Hạn: {deadline(event)}",
        f"Đã thực hiện: {event.delivered}/{event.at_least}",
        f"Tình trạng: {STATE_LABELS[event.state]}",
    ]
    if event.quote:
        lines.append(f"Trích văn bản: “{event.quote}”")
    if event.link:
        lines.append(f"Báo cáo kết quả: {event.link}")
    return "\n".join(lines)


def alarm(event: DeadlineEvent, lead: dt.timedelta) -> str:
    """`Còn 3 ngày đến hạn: Báo cáo tuần (hạn hết ngày 10/03/2022)`."""
    if lead:
        head = f"Còn {span(lead)} đến hạn"
    else:
        head = "Đến hạn hôm nay" if event.end_of_day else "Đến hạn"
    return f"{head}: {event.title} (hạn {deadline(event)})"


# ---------------------------------------------------------------- the recurring (planning) view

LISTED_DATES = 12  # a description lists this many moved dates, then says how many more


def series_description(event: DeadlineEvent, *, repeats: str, count: int, first: DeadlineEvent, last: DeadlineEvent,
                       skipped: list[dt.date] = (), added: list[dt.datetime | dt.date] = ()) -> str:
    """A repeating event's text: what, who, when it repeats, and the dates the repetition leaves out or
    adds (deadlines moved off days off). No status: the recurring view is for planning ahead."""
    lines = _heading(event)
    lines += [f"Hạn: {repeats}", f"Số kỳ: {count} (hạn đầu tiên {deadline(first)}, hạn cuối cùng {deadline(last)})"]
    if skipped:
        lines.append(f"Trừ các ngày: {_dates(skipped)}")
    if added:
        lines.append(f"Thêm các ngày: {_dates(added)}")
    return "\n".join(lines + _closing(event))


def planning_description(event: DeadlineEvent) -> str:
    """One deadline's text in the recurring view: `description` without the count delivered and the
    status, which this view does not track."""
    return "\n".join(_heading(event) + [f"Hạn: {deadline(event)}"] + _closing(event))


def series_alarm(event: DeadlineEvent, lead: dt.timedelta) -> str:
    """`Còn 1 ngày đến hạn: Báo cáo tuần (hạn 14:00)`: the alarm of every instance, so no date."""
    if lead:
        head = f"Còn {span(lead)} đến hạn"
    else:
        head = "Đến hạn hôm nay" if event.end_of_day else "Đến hạn"
    when = "hết ngày" if event.end_of_day else f"{event.local_due:%H:%M}"
    return f"{head}: {event.title} (hạn {when})"


def _heading(event: DeadlineEvent) -> list[str]:
    lines = [f"Kế hoạch: {event.plan_number} – {event.plan_title}"]
    if event.section:
        lines.append(f"Mục: {event.section}")
    lines += [f"Nhiệm vụ: {event.title}", f"Đơn vị thực hiện: {event.holder}"]
    if event.partners:
        lines.append(f"Đơn vị phối hợp: {'; '.join(event.partners)}")
    return lines


def _closing(event: DeadlineEvent) -> list[str]:
    return [f"Trích văn bản: “{event.quote}”"] if event.quote else []


def _dates(days) -> str:
    shown = [f"{d:%H:%M %d/%m/%Y}" if isinstance(d, dt.datetime) else f"{d:%d/%m/%Y}" for d in days[:LISTED_DATES]]
    more = len(days) - LISTED_DATES
    return "; ".join(shown) + (f" và {more} ngày khác" if more > 0 else "")
