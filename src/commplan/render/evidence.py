"""Evidence listings: a table for clerks (Vietnamese by default), JSON (stable English keys) for programs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from ..i18n import N_, Labels, _, ngettext
from ..ledger import evidence as kinds
from ..ledger.evidence import EvidenceItem
from .tables import render

KINDS, SOURCES = Labels(kinds.KINDS), Labels(kinds.SOURCES)  # as the reader reads them
HEADERS = ("#", N_("Date"), N_("Unit"), N_("Duty"), N_("Window"), N_("Kind"), N_("Evidence"), N_("Source"),
           N_("Recorded by"), N_("Standing"))
WIDTHS = (6, 16, 30, 36, 24, 10, 48, 11, 20, 60)


def when(moment: dt.datetime) -> str:
    """`02/11/2021` for a date given alone (00:00), else `02/11/2021 15:30`."""
    return f"{moment:%d/%m/%Y}" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) else f"{moment:%d/%m/%Y %H:%M}"


def spoken(moment: dt.datetime) -> str:
    """In a sentence: `ngày 02/11/2021` for a date given alone, else `lúc 15:30 ngày 02/11/2021`."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return _("on {date}").format(date=f"{moment:%d/%m/%Y}")
    return _("at {time} on {date}").format(time=f"{moment:%H:%M}", date=f"{moment:%d/%m/%Y}")


def standing(item: EvidenceItem) -> str:
    """`còn hiệu lực`, or `đã thu hồi 12/11/2021 09:00 (Trần B): Nhập nhầm kỳ`."""
    if not item.withdrawn:
        return _("in force")
    by = f" ({item.withdrawn_by})" if item.withdrawn_by else ""
    return _("withdrawn {when}{by}: {reason}").format(when=f"{item.withdrawn_at:%d/%m/%Y %H:%M}", by=by,
                                                      reason=item.withdraw_reason)


def evidence_json(items: Sequence[EvidenceItem]) -> str:
    return json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2) + "\n"


def evidence_table(items: Sequence[EvidenceItem], unit_names: dict[str, str]) -> str:
    if not items:
        return _("No evidence.") + "\n"
    body = [
        (
            str(i.id), when(i.occurred_at), unit_names.get(i.unit, i.unit), i.title,
            f"#{i.occurrence_id} {i.window_start:%d/%m}–{i.window_end:%d/%m/%Y}", KINDS[i.kind], i.value,
            SOURCES[i.source], i.recorded_by or "", standing(i),
        )
        for i in items
    ]
    withdrawn = sum(i.withdrawn for i in items)
    footer = "\n" + ngettext("{count} item of evidence", "{count} items of evidence", len(items)).format(count=len(items))
    if withdrawn:
        footer += _(", {count} withdrawn").format(count=withdrawn)
    return render(tuple(_(h) for h in HEADERS), body, WIDTHS, middle=(2, 6), right=(0,)) + footer + ".\n"
