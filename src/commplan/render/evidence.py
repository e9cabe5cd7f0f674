"""Evidence listings: a Vietnamese table for clerks, JSON (stable English keys) for programs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from ..ledger.evidence import KINDS, SOURCES, EvidenceItem
from .tables import render

HEADERS = ("#", "Ngày", "Đơn vị", "Nhiệm vụ", "Kỳ", "Loại", "Minh chứng", "Nguồn", "Người ghi nhận", "Tình trạng")
WIDTHS = (6, 16, 30, 36, 24, 10, 48, 11, 20, 60)


def when(moment: dt.datetime) -> str:
    """`02/11/2021` for a date given alone (00:00), else `02/11/2021 15:30`."""
    return f"{moment:%d/%m/%Y}" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) else f"{moment:%d/%m/%Y %H:%M}"


def spoken(moment: dt.datetime) -> str:
    """In a sentence: `ngày 02/11/2021` for a date given alone, else `lúc 15:30 ngày 02/11/2021`."""
    return f"ngày {moment:%d/%m/%Y}" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) \
        else f"lúc {moment:%H:%M} ngày {moment:%d/%m/%Y}"


def standing(item: EvidenceItem) -> str:
    """`còn hiệu lực`, or `đã thu hồi 12/11/2021 09:00 (Trần B): Nhập nhầm kỳ`."""
    if not item.withdrawn:
        return "còn hiệu lực"
    by = f" ({item.withdrawn_by})" if item.withdrawn_by else ""
    return f"đã thu hồi {item.withdrawn_at:%d/%m/%Y %H:%M}{by}: {item.withdraw_reason}"


def evidence_json(items: Sequence[EvidenceItem]) -> str:
    return json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2) + "\n"


def evidence_table(items: Sequence[EvidenceItem], unit_names: dict[str, str]) -> str:
    if not items:
        return "Không có minh chứng nào.\n"
    body = [
        (
            str(i.id), when(i.occurred_at), unit_names.get(i.unit, i.unit), i.title,
            f"#{i.occurrence_id} {i.window_start:%d/%m}–{i.window_end:%d/%m/%Y}", KINDS[i.kind], i.value,
            SOURCES[i.source], i.recorded_by or "", standing(i),
        )
        for i in items
    ]
    withdrawn = sum(i.withdrawn for i in items)
    footer = f"\n{len(items)} minh chứng" + (f", {withdrawn} đã thu hồi" if withdrawn else "") + ".\n"
    return render(HEADERS, body, WIDTHS, middle=(2, 6), right=(0,)) + footer
