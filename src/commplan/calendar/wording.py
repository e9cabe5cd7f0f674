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
