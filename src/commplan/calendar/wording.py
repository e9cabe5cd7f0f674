"""The Vietnamese text of a deadline event: SUMMARY, DESCRIPTION and alarm text.

Dates are written as in the reminder messages (`notify.messages.deadline_text`):
`14:00 ngày 10/03/2022`, or `hết ngày 10/03/2022` for an end-of-day deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..status import Status

if TYPE_CHECKING:
    from .events import DeadlineEvent

# A state's prefix and label are its status's (commplan.status); "due" is the calendar's own.
PREFIXES = {s.calendar: s.prefix for s in Status if s.calendar and s.prefix}
# As the Government Office classifies tracked tasks (PLAN_FORMAT.md, "Each occurrence").
STATE_LABELS = {**{s.calendar: s.vietnamese for s in Status if s.calendar}, "due": "đến hạn"}  # for agencies: always Vietnamese


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
    lines = _heading(event) + [
        f"Hạn: {deadline(event)}",
        f"Đã thực hiện: {event.delivered}/{event.at_least}",
        f"Tình trạng: {STATE_LABELS[event.state]}",
    ] + _carried(event)
    if event.quote:
        lines.append(f"Trích văn bản: “{event.quote}”")
    if event.link:
        lines.append(f"Báo cáo kết quả: {event.link}")
    return "\n".join(lines)


def alarm(event: DeadlineEvent, lead: dt.timedelta) -> str:
    """`Còn 3 ngày đến hạn: Báo cáo tuần (hạn hết ngày 10/03/2022)`."""
    return f"{_alarm_head(event, lead)}: {event.title} (hạn {deadline(event)})"


def _alarm_head(event: DeadlineEvent, lead: dt.timedelta) -> str:
    if lead:
        return f"Còn {span(lead)} đến hạn"
    return "Đến hạn hôm nay" if event.end_of_day else "Đến hạn"


# ---------------------------------------------------------------- the recurring (planning) view

LISTED_DATES = 12  # a description lists this many moved dates, then says how many more


def series_description(event: DeadlineEvent, *, repeats: str, count: int, first: DeadlineEvent, last: DeadlineEvent,
                       skipped: Sequence[dt.date | dt.datetime] = (),
                       added: Sequence[dt.date | dt.datetime] = ()) -> str:
    """A repeating event's text: what, who, when it repeats, and the dates the repetition leaves out or
    adds (deadlines moved off days off). No status: the recurring view is for planning ahead."""
    lines = _heading(event)
    lines += [f"Hạn: {repeats}", f"Số kỳ: {count} (hạn đầu tiên {deadline(first)}, hạn cuối cùng {deadline(last)})"]
    if skipped:
        lines.append(f"Trừ các ngày: {_dates(skipped)}")
    if added:
        lines.append(f"Thêm các ngày: {_dates(added)}")
    return "\n".join(lines + _carried(event) + _closing(event))


def planning_description(event: DeadlineEvent) -> str:
    """One deadline's text in the recurring view: `description` without the count delivered and the
    status, which this view does not track."""
    return "\n".join(_heading(event) + [f"Hạn: {deadline(event)}"] + _carried(event) + _closing(event))


WEEKDAY_NAMES = {"MO": "thứ Hai", "TU": "thứ Ba", "WE": "thứ Tư", "TH": "thứ Năm", "FR": "thứ Sáu", "SA": "thứ Bảy",
                 "SU": "Chủ nhật"}
EVERY = {"DAILY": ("hằng ngày", "ngày"), "WEEKLY": ("hằng tuần", "tuần"), "MONTHLY": ("hằng tháng", "tháng"),
         "YEARLY": ("hằng năm", "năm")}


def repeats(rule: dict[str, str], at: dt.time | None, *, own: bool = False) -> str:
    """How a rule repeats, for the reader: `hằng tuần, hạn 14:00 thứ Năm`, `3 tháng một lần, hạn hết ngày 24`,
    `hằng ngày (các tháng 2, 3, 6, 7), hạn hết ngày`. `rule`: RRULE parts; `at`: None for end-of-day deadlines.
    `own`: the plan's own `rrule`, told as such rather than paraphrased."""
    freq, interval = rule["FREQ"], int(rule.get("INTERVAL", 1))
    every, unit = EVERY[freq]
    if own:
        text = f"theo lịch lặp của kế hoạch ({';'.join(f'{k}={v}' for k, v in rule.items())})"
    elif freq == "DAILY" and rule.get("BYDAY") == "MO,TU,WE,TH,FR":
        text = "các ngày từ thứ Hai đến thứ Sáu"
    else:
        text = every if interval == 1 else f"{interval} {unit} một lần"
    if "BYMONTH" in rule and freq != "YEARLY" and not own:
        text += f" (các tháng {rule['BYMONTH'].replace(',', ', ')})"
    day = "" if own else _day_phrase(freq, rule)
    when = (f"{at:%H:%M} {day}" if at else f"hết {day or 'ngày'}").strip()
    return f"{text}, hạn {when}"


def _day_phrase(freq: str, rule: dict[str, str]) -> str:
    if freq == "WEEKLY":
        return WEEKDAY_NAMES[rule["BYDAY"]]
    if rule.get("BYDAY") == "MO,TU,WE,TH,FR" and "BYMONTHDAY" not in rule:  # the n-th working day
        nth = int(rule.get("BYSETPOS", "1"))
        if nth == -1:
            return "ngày làm việc cuối cùng của tháng"
        return f"ngày làm việc thứ {nth} của tháng" if nth > 0 else f"ngày làm việc thứ {-nth} tính từ cuối tháng"
    days = rule.get("BYMONTHDAY", "").split(",")
    # BYSETPOS: the first (last) Monday-to-Friday among the days listed, i.e. a day moved off a weekend
    moved = {"1": (days[0], " (trùng thứ Bảy, Chủ nhật thì ngày làm việc kế tiếp)"),
             "-1": (days[-1], " (trùng thứ Bảy, Chủ nhật thì ngày làm việc liền trước)")}.get(rule.get("BYSETPOS", ""))
    day, note = moved or (days[0], "")
    if freq == "MONTHLY" and "BYMONTHDAY" in rule:
        return ("ngày cuối tháng" if day == "-1" else f"ngày {day}") + note
    if freq == "MONTHLY" and "BYDAY" in rule:
        which, weekday = rule["BYDAY"][:-2], WEEKDAY_NAMES[rule["BYDAY"][-2:]]
        return {"1": f"{weekday} đầu tiên", "-1": f"{weekday} cuối cùng"}.get(which, f"{weekday} tuần thứ {which}")
    if freq == "YEARLY":
        return f"ngày {int(day):02d}/{int(rule['BYMONTH']):02d}{note}"
    return ""


def series_alarm(event: DeadlineEvent, lead: dt.timedelta) -> str:
    """`Còn 1 ngày đến hạn: Báo cáo tuần (hạn 14:00)`: the alarm of every instance, so no date."""
    head = _alarm_head(event, lead)
    when = "hết ngày" if event.end_of_day else f"{event.local_due:%H:%M}"
    return f"{head}: {event.title} (hạn {when})"


def _heading(event: DeadlineEvent) -> list[str]:
    lines = [f"Kế hoạch: {event.plan_number} – {event.plan_title}"]
    if event.section:
        lines.append(f"Mục: {event.section}")
    lines += [f"Nhiệm vụ: {event.title}", f"Đơn vị thực hiện: {event.holder}"]
    if event.partners:
        # "; " because unit names contain commas ("UBND các huyện, thị xã, thành phố").
        lines.append(f"Đơn vị phối hợp: {'; '.join(event.partners)}")
    if event.recipients:
        lines.append(f"Gửi đến: {'; '.join(event.recipients)}")
    return lines


def _carried(event: DeadlineEvent) -> list[str]:
    """`Các chỉ tiêu cần báo cáo:` then `1. Số hộ … (Hộ)`, one a line: names are long (and hold commas)."""
    if not event.indicators:
        return []
    return ["Các chỉ tiêu cần báo cáo:", *(f"{n}. {label}" for n, label in enumerate(event.indicators, 1))]


def _closing(event: DeadlineEvent) -> list[str]:
    return [f"Trích văn bản: “{event.quote}”"] if event.quote else []


def _dates(days: Sequence[dt.date]) -> str:
    shown = [f"{d:%H:%M} ngày {d:%d/%m/%Y}" if isinstance(d, dt.datetime) else f"{d:%d/%m/%Y}"
             for d in days[:LISTED_DATES]]
    more = len(days) - LISTED_DATES
    return "; ".join(shown) + (f" và {more} ngày khác" if more > 0 else "")
