"""Evidence as the coordinator's pages show it: what it delivered, who or what recorded it, and, for what
recorded itself (a feed article, a Zalo or an email reply), its source as a badge and why it matched in
one Vietnamese line read from `match_reason`. Also the recent self-recorded items a reader may see (the
overview's and a unit page's review list).

`match_reason` is JSON written by each intake (`intake.matching.Credit.reason` for feeds, the Zalo and
email readers' own, and `Ledger.assign_triage`'s "triage"/"assigned_by"). A reason this module cannot
read still gives the source's plain line: the page never fails on it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from ..i18n import Labels, _
from ..ledger import Ledger
from ..ledger import evidence as evidence_labels
from ..ledger.evidence import EvidenceItem
from .auth import VIETNAM, Viewer

AUTOMATIC = ("feed", "zalo", "email")  # the sources that record without a person
RECENT_DAYS = 14  # the overview's review list: what recorded itself lately
RECENT_SHOWN = 30  # at most this many there (the newest)
KINDS, SOURCES = Labels(evidence_labels.KINDS), Labels(evidence_labels.SOURCES)


def vn(moment: dt.datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%H:%M %d/%m/%Y}"


def safe_href(link: str | None) -> str | None:
    """A link becomes an <a> only when it is http(s): never `javascript:` or `data:`."""
    return link if link and link.strip().lower().startswith(("http://", "https://")) else None


def _quoted(words: Any) -> str:
    listed = words if isinstance(words, list) else [words]
    return ", ".join(f"«{w}»" for w in listed if isinstance(w, str | int) and str(w).strip())


def _actor(actor: Any) -> str:
    """`web:login` as the login: the audit log's prefix says nothing to a clerk."""
    text = str(actor or "").strip()
    return text.removeprefix("web:") or _("a coordinator")


def why_matched(source: str, match_reason: str | None, names: Mapping[str, str]) -> str | None:
    """Why an item recorded itself, in one line ("từ khóa «…» trên nguồn tin của đơn vị"); None for an item
    a person recorded."""
    if source not in AUTOMATIC and not match_reason:
        return None
    try:
        reason = json.loads(match_reason) if match_reason else {}
    except ValueError:
        reason = {}
    if not isinstance(reason, dict):
        reason = {}
    parts: list[str] = []
    keyword = _quoted(reason.get("keyword") or reason.get("keywords") or [])
    delivery = reason.get("delivery", reason.get("reply_to_delivery"))
    delivery = delivery if isinstance(delivery, int) and not isinstance(delivery, bool) else None
    if source == "feed":
        via, origin = reason.get("via"), reason.get("source")
        if via == "named" and keyword:
            parts.append(_("keyword {keyword} and the name {name} on the feed of {source}").format(
                keyword=keyword, name=_quoted(reason.get("name") or "") or "?",
                source=names.get(str(origin), str(origin or "?"))))
        elif keyword:
            parts.append(_("keyword {keyword} on the unit's own feed").format(keyword=keyword))
        else:
            parts.append(_("an article on a watched feed"))
    elif source == "email":
        parts.append(_("reply to reminder email no. {delivery}").format(delivery=delivery) if delivery is not None
                     else _("reply to a reminder email"))
        if keyword:
            parts.append(_("keyword {keyword}").format(keyword=keyword))
    elif source == "zalo":
        parts.append(_("Zalo reply to reminder no. {delivery}").format(delivery=delivery) if delivery is not None
                     else _("Zalo reply"))
        if keyword:
            parts.append(_("keyword {keyword}").format(keyword=keyword))
    if "triage" in reason:
        parts.append(_("assigned from the triage list by {person}").format(person=_actor(reason.get("assigned_by"))))
    return "; ".join(parts) or None


def evidence_row(item: EvidenceItem, names: Mapping[str, str]) -> dict[str, Any]:
    """One item for the templates' `evidence_item` macro (occurrence page, overview, unit page)."""
    automatic = item.source in AUTOMATIC
    return {
        "id": item.id, "occurrence_id": item.occurrence_id, "kind": KINDS.get(item.kind, item.kind),
        "value": item.value, "href": safe_href(item.link) if item.kind == "link" else None,
        # an uploaded document: /tai-lieu checks the reader's scope again
        "file": f"/tai-lieu/{item.document_sha256}" if item.document_sha256 else None,
        "count": item.kind == "count", "quantity": item.quantity, "when": vn(item.occurred_at),
        "recorded": vn(item.recorded_at), "note": item.note, "source": SOURCES.get(item.source, item.source),
        "source_key": item.source, "automatic": automatic,
        "why": why_matched(item.source, item.match_reason, names),
        # a machine's actor ("feed") says nothing more than its badge
        "by": None if automatic and item.recorded_by in AUTOMATIC else item.recorded_by,
        "withdrawn": item.withdrawn, "withdrawn_when": vn(item.withdrawn_at) if item.withdrawn_at else None,
        "withdrawn_by": item.withdrawn_by, "withdraw_reason": item.withdraw_reason,
        "title": item.title, "unit": names.get(item.unit, item.unit), "unit_id": item.unit,
        "period": f"{item.window_start:%d/%m/%Y}" if item.window_start == item.window_end
        else f"{item.window_start:%d/%m/%Y} – {item.window_end:%d/%m/%Y}",
    }


def recent_automatic(ledger: Ledger, who: Viewer, now: dt.datetime, *, unit: str | None = None,
                     limit: int = RECENT_SHOWN) -> list[EvidenceItem]:
    """What recorded itself in the last RECENT_DAYS that `who` may see (all of it, or `unit`'s), newest first.
    The ledger is asked within the reader's scope; `Scope.sees_occurrence` has the last word, as on every page."""
    if who.sees_nothing:
        return []
    filters: dict[str, Any] = who.ledger_filters()
    found = ledger.recent_evidence(sources=AUTOMATIC, since=now - dt.timedelta(days=RECENT_DAYS),
                                   units=[unit] if unit else [], limit=limit, **filters)
    scope = who.scope
    unsure = [i.occurrence_id for i in found if not scope.sees(i.plan, i.unit)]
    owners = ledger.owners_of(unsure) if unsure else {}
    return [i for i in found if scope.sees(i.plan, i.unit)
            or (i.occurrence_id in owners and scope.sees_occurrence(*owners[i.occurrence_id]))]
