"""What a dry run or a replay would send, as people read it (Vietnamese by default, Vietnam time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..i18n import _, ngettext
from ..notify.channels import CHANNEL_NAMES

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def moment(value: dt.datetime) -> str:
    """09:00 ngày 10/12/2021, in Vietnam time."""
    local = value.astimezone(VN)
    return _("{time} on {date}").format(time=f"{local:%H:%M}", date=f"{local:%d/%m/%Y}")


def headline(as_of: dt.datetime, messages: int, *, replay: bool) -> str:
    """The first line: a replay (or a dry run) says so, and that it sends nothing."""
    what = (ngettext("would send {count} message:", "would send {count} messages:", messages).format(count=messages)
            if messages else _("no message to send."))
    if replay:
        return _("Replay of {moment} (simulated): no reminder is sent; {what}").format(moment=moment(as_of), what=what)
    return _("Dry run at {moment}: nothing written, nothing sent; {what}").format(moment=moment(as_of), what=what)


def quiet_note() -> str:
    return _("Outside sending hours: Zalo and SMS messages wait for each duty's sending hours "
             "(by default 07:30–20:00 on working days).")


def message_line(name: str, channel: str, address: str, subject: str) -> str:
    return "  → " + _("{name} by {channel} ({address}): {subject}").format(
        name=name, channel=CHANNEL_NAMES.get(channel, channel), address=address, subject=subject)


def message_lines(messages: list[dict], limit: int | None = None) -> list[str]:
    """One line per message (`name`, `channel`, `address`, `subject`), the first `limit` of them."""
    shown = messages if limit is None else messages[:limit]
    lines = [message_line(m["name"], m["channel"], m["address"], m["subject"]) for m in shown]
    if len(messages) > len(shown):
        lines.append("  … " + _("and {count} more messages.").format(count=len(messages) - len(shown)))
    return lines


def without_address(names: list[str]) -> list[str]:
    return ["  " + _("No contact address yet: {names} (add contacts to the unit directory).").format(
        names=", ".join(names))] if names else []


def __getattr__(name: str) -> str:
    # QUIET_NOTE stays a module attribute for the shells, in the reader's language at each use
    if name == "QUIET_NOTE":
        return quiet_note()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
