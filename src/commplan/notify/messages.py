"""Reminder messages in Vietnamese: one short text per step, or a daily digest per recipient.

Each message has four forms: `subject` (email), `text` (accented: Zalo and
email), `html` (email), and `sms`: unaccented GSM-7 text that fits one SMS
segment (160 characters), because accented Vietnamese is sent as UCS-2 at 70
characters a segment and costs two or three messages.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from ..vi_order import name_key

SMS_LIMIT = 160
TEXT_LIMIT = 2000  # a Zalo OA text message
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Whitespace is written explicitly in the templates ({%- -%}), so that plain text keeps its lines.
TEMPLATES = Environment(
    loader=PackageLoader("commplan.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
)


def sentence(text: str) -> str:
    """First letter up, the rest as written (str.capitalize would lower "Bưu điện" to "bưu điện")."""
    return text[:1].upper() + text[1:]


TEMPLATES.filters["sentence"] = sentence


@dataclass(frozen=True)
class Item:
    """One reminder step, as a message shows it."""

    step: str  # before-3d | due | overdue-2 | escalate
    title: str
    due: dt.datetime
    at_least: int = 1
    delivered: int = 0
    plan: str | None = None  # the plan's number, e.g. 241/KH-UBND
    unit: str | None = None  # for escalations: the unit that is late
    link: str | None = None  # the one-click report link, when the web app is configured
    to: str | None = None  # a report's recipients (`to:`), their names
    to_short: str | None = None  # the same in short names, for an SMS
    indicators: tuple[str, ...] = ()  # the figures the report carries: `name (measure)`

    def headline(self, now: dt.datetime) -> str:
        if self.step.startswith("before-") or self.step == "due":
            # said by the clock, not by the step's name: a step sent on a later day (ticks missed, the
            # catch-up sends the latest step due) must not call a deadline days gone "due today"
            today, due_day = now.astimezone(VN).date(), self.due.astimezone(VN).date()
            if today > due_day:
                return f"quá hạn {self.days_late(now)} ngày"
            return "đến hạn hôm nay" if self.step == "due" else "sắp đến hạn"
        if self.step == "escalate":  # told to the coordinator or the holder's superior, to follow it up
            return f"thông báo lên cấp trên: {self.unit or 'đơn vị'} quá hạn {self.days_late(now)} ngày"
        return f"quá hạn {self.days_late(now)} ngày"

    def days_late(self, now: dt.datetime) -> int:
        # calendar days in Vietnam: a deadline of 25/11 23:59 is "1 day late" all through 26/11
        return max((now.astimezone(VN).date() - self.due.astimezone(VN).date()).days, 1)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    sms: str
    zns: dict[str, str]  # the parameters of the registered ZNS template (README: "ZNS template")


# The ZNS template's parameters and their length limits as registered in the Zalo Cloud console
# (customer-name type 30, time type 20, table cells 90): Zalo rejects a longer value.
ZNS_LIMITS = {"don_vi": 30, "tinh_trang": 30, "nhiem_vu": 90, "han_chot": 20, "so_nhiem_vu": 5, "ma_bao_cao": 90}


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def deadline_text(moment: dt.datetime) -> str:
    local = moment.astimezone(VN)
    if (local.hour, local.minute) == (23, 59):
        return f"{local:%d/%m/%Y}"
    return f"{local:%H:%M %d/%m/%Y}"


def unaccented(text: str) -> str:
    """`Báo cáo tuần` -> `Bao cao tuan` (đ -> d), for GSM-7 SMS."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()


def render(recipient: str, items: list[Item], *, now: dt.datetime, sender: str = "commplan – nhắc việc kế hoạch truyền thông",
           full_list_by_email: bool = False) -> Message:
    """One message for one recipient: a single step, or a digest when there are several."""
    if not items:
        raise ValueError("a message needs at least one item")
    rows: list[dict[str, Any]] = [
        {
            "headline": item.headline(now), "title": item.title, "due": deadline_text(item.due), "plan": item.plan,
            "delivered": item.delivered, "at_least": item.at_least, "link": item.link,
            # ZNS has 30 characters for the status: an escalation's unit name goes with the task instead
            "short": f"Quá hạn {item.days_late(now)} ngày" if item.step == "escalate" else sentence(item.headline(now)),
            "task": f"{item.unit}: {item.title}" if item.step == "escalate" and item.unit else item.title,
            "to": item.to, "to_short": item.to_short, "indicators": list(item.indicators),
        }
        # by deadline, then title: duties due at the same time read in one order whatever order the
        # database returned them in (SQLite and PostgreSQL differ)
        for item in sorted(items, key=lambda i: (i.due, name_key(i.title)))
    ]
    context = {"recipient": recipient, "items": rows, "digest": len(rows) > 1, "sender": sender, "more": 0,
               "by_email": full_list_by_email}
    html = TEMPLATES.get_template("reminder.html.j2").render(context).strip()
    text = _text(context)
    if len(rows) == 1:
        subject = f"[Nhắc việc] {sentence(rows[0]['headline'])}: {rows[0]['title']}"
    else:
        subject = f"[Nhắc việc] {len(rows)} nhiệm vụ cần chú ý"
    return Message(subject=subject, text=text, html=html, sms=_sms(rows), zns=_zns(recipient, rows))


def _zns(recipient: str, rows: list[dict]) -> dict[str, str]:
    """ZNS parameters: the earliest item, and how many there are (a ZNS text cannot carry a list,
    nor a link: the report link goes in the template's button, through its token)."""
    first = rows[0]
    data = {
        "don_vi": recipient, "tinh_trang": first["short"], "nhiem_vu": first["task"],
        "han_chot": first["due"], "so_nhiem_vu": str(len(rows)),
    }
    if first["link"] and len(token := first["link"].rsplit("/", 1)[-1]) <= ZNS_LIMITS["ma_bao_cao"]:
        data["ma_bao_cao"] = token
    return {key: _fit(value, ZNS_LIMITS[key]) for key, value in data.items()}


def _text(context: dict) -> str:
    """The accented text (Zalo; email's plain part), within Zalo's 2000 characters. What gives way, in
    order: the indicators listed (the last first; then only their count), then the latest items of a long
    digest, said as how many more there are (the email lists everything)."""
    rows = context["items"]
    template = TEMPLATES.get_template("reminder.txt.j2")
    text = ""
    most = max(len(r["indicators"]) for r in rows)
    tries = [(len(rows), listed) for listed in range(most, -1, -1)] + [(shown, 0) for shown in range(len(rows) - 1, 0, -1)]
    for shown, listed in tries:
        items = [{**row, "carried": _carried_lines(row, listed, indent="   " if context["digest"] else "")}
                 for row in rows[:shown]]
        text = template.render({**context, "items": items, "more": len(rows) - shown}).strip()
        if len(text) <= TEXT_LIMIT:
            break
    return text[:TEXT_LIMIT]


def _carried_lines(row: dict, listed: int, *, indent: str) -> list[str]:
    """`Gửi đến: …` and the indicators, at most `listed` of them (0: only how many there are)."""
    lines = [f"Gửi đến: {row['to']}."] if row["to"] else []
    indicators = row["indicators"]
    if indicators and listed:
        lines.append(f"Các chỉ tiêu cần báo cáo ({len(indicators)}):")
        lines += [f"{n}. {label}" for n, label in enumerate(indicators[:listed], 1)]
        if len(indicators) > listed:
            lines.append(f"… và {len(indicators) - listed} chỉ tiêu khác.")
    elif indicators:
        lines.append(f"Số chỉ tiêu cần báo cáo: {len(indicators)}.")
    return [indent + line for line in lines]


def _sms(rows: list[dict]) -> str:
    """One GSM-7 segment: headline, title cut to fit, deadline, where the report goes and how many
    indicators it carries (never the list), and the one-click link. What gives way, in order: the title
    (down to a few words), the link (the report's page has everything), the recipient (the count stays),
    then the count."""
    first = rows[0]
    more = f" (+{len(rows) - 1} viec khac)" if len(rows) > 1 else ""
    head = unaccented(f"{sentence(first['headline'])}: ")
    tail = unaccented(f" - Han {first['due']}{more}")
    count = f"{len(first['indicators'])} chi tieu" if first["indicators"] else ""
    to = unaccented(f"Gui {first['to_short']}") if first["to_short"] else ""
    fixed = len(head) + len(tail) + 12  # 12: a few words of the title
    choices = [" - " + "; ".join(filter(None, (to, count))) if to or count else "", f" - {count}" if count else "", ""]
    carried = next((c for c in choices if fixed + len(c) <= SMS_LIMIT), "")
    link = f" {first['link']}" if first["link"] else ""
    if fixed + len(carried) + len(link) > SMS_LIMIT:
        link = ""  # the deadline and where the report goes matter more than the link
    room = SMS_LIMIT - len(head) - len(tail) - len(carried) - len(link)
    title = unaccented(first["title"])
    if len(title) > room:
        title = title[: max(room - 3, 0)].rstrip() + "..."
    return (head + title + tail + carried + link)[:SMS_LIMIT]


REPLY_INVITATION = ("Đã thực hiện? Chỉ cần trả lời thư này, kèm đường dẫn bài đã đăng hoặc tệp báo cáo: "
                    "kết quả được ghi nhận tự động.")


def with_reply_invitation(message: Message) -> Message:
    """An email that says a reply is enough: the reminder mailbox is read (`commplan mail-in`), and a reply with
    the link or the file records it on the duty."""
    return replace(message, text=f"{message.text}\n\n{REPLY_INVITATION}",
                   html=f"{message.html}\n<p>{escape(REPLY_INVITATION)}</p>")


def with_zalo_offer(message: Message, code: str, oa_url: str | None) -> Message:
    """An email with "Nhận nhắc việc qua Zalo" added: how its contact can have the reminders come by the OA
    (follow it, then send it `code`: `links.follow_code`)."""
    follow = f"quan tâm Official Account {oa_url}" if oa_url else "quan tâm Official Account trên Zalo"
    line = f"Nhận nhắc việc qua Zalo: {follow}, rồi gửi tin nhắn có mã {code} (mã có hiệu lực 30 ngày)."
    return replace(message, text=f"{message.text}\n\n{line}", html=f"{message.html}\n<p>{escape(line)}</p>")
