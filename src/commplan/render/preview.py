"""What a dry run or a replay would send, as people read it (Vietnamese, Vietnam time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..notify.channels import CHANNEL_NAMES

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def moment(value: dt.datetime) -> str:
    """09:00 ngày 10/12/2021, in Vietnam time."""
    local = value.astimezone(VN)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def headline(as_of: dt.datetime, messages: int, *, replay: bool) -> str:
    """The first line: a replay (or a dry run) says so, and that it sends nothing."""
    what = f"sẽ gửi {messages} tin:" if messages else "không có tin nào để gửi."
    if replay:
        return f"Chạy lại {moment(as_of)} (mô phỏng): không gửi nhắc việc nào; {what}"
    return f"Chạy thử {moment(as_of)}: không ghi, không gửi gì; {what}"


QUIET_NOTE = ("Ngoài khung giờ gửi: tin Zalo và SMS chờ đến khung giờ của từng nhiệm vụ "
              "(mặc định 07:30–20:00 ngày làm việc).")


def message_line(name: str, channel: str, address: str, subject: str) -> str:
    return f"  → {name} qua {CHANNEL_NAMES.get(channel, channel)} ({address}): {subject}"


def message_lines(messages: list[dict], limit: int | None = None) -> list[str]:
    """One line per message (`name`, `channel`, `address`, `subject`), the first `limit` of them."""
    shown = messages if limit is None else messages[:limit]
    lines = [message_line(m["name"], m["channel"], m["address"], m["subject"]) for m in shown]
    if len(messages) > len(shown):
        lines.append(f"  … và {len(messages) - len(shown)} tin khác.")
    return lines


def without_address(names: list[str]) -> list[str]:
    return [f"  Chưa có địa chỉ liên hệ: {', '.join(names)} (thêm contacts vào danh mục đơn vị)."] if names else []
