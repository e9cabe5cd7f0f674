"""The triage list in the dashboard (`/hang-cho`, "hàng chờ xác nhận"): what came in by itself (a feed
article, a Zalo or email reply) and fits no single duty, for a coordinator to assign to an occurrence
(`POST /hang-cho/{id}/gan`) or dismiss with a reason (`POST /hang-cho/{id}/bo-qua`).

What an item may be assigned to: the occurrences it suggests (an ambiguous reply's candidates), then the open
and overdue occurrences due around its date (six weeks before, two months after) of its unit, or, for an item
of no unit, of every unit the account sees; at most OFFERED of each status, so a page stays small. The ledger
checks that the chosen occurrence is held by the item's unit.

Scope: an item of a unit is seen by whoever sees that unit (`Scope.sees_unit`: a province's coordinators
their province's units); an item of no unit (an unknown sender) by administrators only. The list is for
those who act on it (an administrator or a coordinator, `editor`): a viewer is refused it, as every
action. What the account may not see is "not found" (404), the same answer as an unknown item, and an
occurrence it may not see cannot be chosen (404, nothing changed). Each action needs the session's CSRF
token, is audited by the ledger with the user's actor, and ends in a 303 back with what was done.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..i18n import Labels, _
from ..ledger import Ledger, LedgerError, OccurrenceStatus, Status
from ..ledger import evidence as evidence_labels
from ..ledger import triage as triage_labels
from ..ledger.triage import TriageItem
from ..ledger.users import Scope
from .auth import VIETNAM, Viewer, editor
from .errors import error_response
from .evidence_view import safe_href, vn, why_matched
from .nav import listing_scope
from .pages import render
from .sessions import require_csrf

router = APIRouter()
TRIAGE_PATH = "/hang-cho"
SHOWN = 50  # items listed on the page, the newest first (the rest once these are handled)
OFFERED = 30  # occurrences offered per status (open, overdue) in an item's list
AROUND = (dt.timedelta(days=45), dt.timedelta(days=62))  # offered: duties due this long before and after its date
SOURCES, WHY = Labels(evidence_labels.SOURCES), Labels(triage_labels.WHY)
ROW_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits: str.isdigit also takes "²", which int() refuses


def sees_item(scope: Scope, item: TriageItem) -> bool:
    """Whether this account may see (and act on) a triage item: its unit's, or none but an administrator."""
    return scope.everything if item.unit_id is None else scope.sees_unit(item.unit_id)


def unavailable(request: Request) -> Response:
    return error_response(request, 503, headers={"Retry-After": "60"})


# ---------------------------------------------------------------- the occurrences an item may go to


def _option(row: OccurrenceStatus, names: Mapping[str, str], with_unit: bool) -> dict[str, Any]:
    period = f"{row.window_start:%d/%m/%Y}" if row.window_start == row.window_end \
        else f"{row.window_start:%d/%m/%Y} – {row.window_end:%d/%m/%Y}"
    label = _("{title} · period {period} · due {due} · {status}").format(
        title=row.title, period=period, due=f"{row.due.astimezone(VIETNAM):%d/%m/%Y}", status=row.status.label)
    return {"id": row.id, "label": f"{names.get(row.unit, row.unit)}: {label}" if with_unit else label}


class Choices:
    """The occurrences offered for each item, within the reader's scope; one ledger question per unit."""

    def __init__(self, ledger: Ledger, who: Viewer, names: Mapping[str, str], now: dt.datetime):
        self.ledger, self.who, self.names, self.now = ledger, who, names, now
        self._by_unit: dict[tuple[str, dt.date], list[OccurrenceStatus]] = {}

    def _open(self, received: dt.date, **select: Any) -> list[OccurrenceStatus]:
        """Open and overdue occurrences due around the item's date (the duty it answers is due near when it was
        sent or published), at most OFFERED of each, by deadline."""
        due_from, due_to = received - AROUND[0], received + AROUND[1]
        rows = [row for only in (Status.OPEN, Status.OVERDUE)
                for row in self.ledger.occurrence_page(as_of=self.now, only=only, limit=OFFERED, due_from=due_from,
                                                       due_to=due_to, **select)]
        return sorted(rows, key=lambda r: (r.due, r.id))

    def unit_rows(self, unit: str, received: dt.date) -> list[OccurrenceStatus]:
        # items of one unit and week share one list: a page of many asks the ledger a few times, not per item
        week = received - dt.timedelta(days=received.weekday())
        if (unit, week) not in self._by_unit:
            try:
                found = self._open(week, units=[unit])
            except LedgerError:  # a unit no longer in the directory: nothing to offer, the page still shows
                found = []
            self._by_unit[unit, week] = [r for r in found if self.visible(r)]
        return self._by_unit[unit, week]

    def visible(self, row: OccurrenceStatus) -> bool:
        scope = self.who.scope
        if scope.sees(row.plan, row.unit):
            return True
        owner = self.ledger.owners_of([row.id]).get(row.id)
        return owner is not None and scope.sees_occurrence(*owner)

    def of(self, item: TriageItem) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(the item's own suggestions, then the other occurrences offered), each a list of options."""
        with_unit = item.unit_id is None
        suggested = [row for row in (self.ledger.occurrence(i, as_of=self.now) for i in item.candidates)
                     if row is not None and not row.orphaned and self.visible(row)]
        received = item.received_at.astimezone(VIETNAM).date()
        if item.unit_id is not None:
            others = self.unit_rows(item.unit_id, received)
        else:
            others = [r for r in self._open(received, **self.who.ledger_filters()) if self.visible(r)]
        taken = {r.id for r in suggested}
        return ([_option(r, self.names, with_unit) for r in suggested],
                [_option(r, self.names, with_unit) for r in others if r.id not in taken])


# ---------------------------------------------------------------- the page


def item_view(item: TriageItem, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": item.id, "source_key": item.source, "source": SOURCES.get(item.source, item.source),
        "when": vn(item.received_at), "entered": vn(item.created_at), "sender": item.sender,
        "unit": names.get(item.unit_id, item.unit_id) if item.unit_id else None, "unit_id": item.unit_id,
        "text": item.text, "link": item.link, "href": safe_href(item.link),
        "document": item.document, "file": f"/tai-lieu/{item.document_sha256}" if item.document_sha256 else None,
        "count": item.quantity if item.kind == "count" else None,
        "why": WHY.get(item.why, item.why), "why_key": item.why,
        "trace": why_matched(item.source, item.match_reason, names),
    }


def done_message(request: Request, ledger: Ledger, who: Viewer, names: Mapping[str, str]) -> dict[str, Any] | None:
    """What the last action did (`?xong=gan|bo-qua&muc=ID`), read back from the ledger: nothing is taken from
    the address but an id, and an item the reader may not see says nothing."""
    done, number = request.query_params.get("xong"), request.query_params.get("muc", "")
    if done not in ("gan", "bo-qua") or not ROW_ID.fullmatch(number):
        return None
    item = ledger.triage_item(int(number))
    if item is None or not sees_item(who.scope, item) or item.open:
        return None
    if item.outcome == "dismissed":
        return {"text": _("Item #{item} dismissed (reason: {reason}).").format(item=item.id, reason=item.close_reason)}
    evidence = ledger.evidence_item(item.evidence_id) if item.evidence_id else None
    if evidence is None:
        return {"text": _("Item #{item} assigned.").format(item=item.id)}
    period = f"{evidence.window_start:%d/%m/%Y} – {evidence.window_end:%d/%m/%Y}"
    return {"text": _("Item #{item} assigned: evidence #{evidence} of “{title}” ({unit}, period {period}).").format(
        item=item.id, evidence=evidence.id, title=evidence.title, unit=names.get(evidence.unit, evidence.unit),
        period=period), "href": f"/ky/{evidence.occurrence_id}", "link": _("Open this occurrence")}


def triage_page(request: Request, who: Viewer, *, problem: str | None = None, failed: int | None = None,
                form: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    state = request.app.state
    now = state.clock()
    try:
        ledger: Ledger = state.ledger.get()
        names = ledger.unit_names()
        found = ledger.triage_items(limit=SHOWN + 1, **listing_scope(who.scope))
        found = [i for i in found if sees_item(who.scope, i)]
        choices = Choices(ledger, who, names, now)
        items = []
        for item in found[:SHOWN]:
            suggested, others = choices.of(item)
            items.append({**item_view(item, names), "suggested": suggested, "others": others})
        done = None if problem else done_message(request, ledger, who, names)
    except LedgerError:
        return unavailable(request)
    context = {"items": items, "more": len(found) > SHOWN, "as_of": vn(now), "done": done, "problem": problem,
               "failed": failed, "form": form or {}, "everything": who.scope.everything}
    return render(request, "triage.html", context, status_code=status_code)


@router.get(TRIAGE_PATH, include_in_schema=False)
def show(request: Request, who: Annotated[Viewer, Depends(editor)]) -> Response:
    """The items waiting that this account may act on, the newest first, each with its two actions."""
    return triage_page(request, who)


# ---------------------------------------------------------------- the actions


def _waiting(request: Request, who: Viewer, item_id: int) -> TriageItem | Response:
    """The open item, or the answer instead: 404 (unknown or not this account's), 409 (already handled)."""
    try:
        item = request.app.state.ledger.get().triage_item(item_id)
    except LedgerError:
        return unavailable(request)
    if item is None or not sees_item(who.scope, item):
        return error_response(request, 404, message=_("There is no such item in the triage list of your account."))
    if not item.open:
        return error_response(request, 409, message=_(
            "Item #{item} has already been handled (assigned or dismissed): nothing was changed. Reload the "
            "triage list.").format(item=item_id))
    return item


def _finished(action: str, item_id: int) -> Response:
    return RedirectResponse(f"{TRIAGE_PATH}?xong={action}&muc={item_id}", status_code=303)


@router.post(TRIAGE_PATH + "/{item_id}/gan", include_in_schema=False, dependencies=[Depends(require_csrf)])
def assign(request: Request, item_id: int, who: Annotated[Viewer, Depends(editor)],
           ky: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Record the item as evidence of the chosen occurrence (`Ledger.assign_triage`) and close it."""
    item = _waiting(request, who, item_id)
    if isinstance(item, Response):
        return item
    form = {"ky": ky}
    if not ROW_ID.fullmatch(ky.strip()):
        return triage_page(request, who, problem=_("Choose the occurrence this item is evidence of."),
                           failed=item_id, form=form, status_code=422)
    occurrence_id = int(ky)
    state = request.app.state
    try:
        ledger: Ledger = state.ledger.get()
        owner = ledger.owners_of([occurrence_id]).get(occurrence_id)
    except LedgerError:
        return unavailable(request)
    if owner is None or not who.scope.sees_occurrence(*owner):
        return error_response(request, 404, message=_(
            "This occurrence is not among those your account can see: nothing was changed."))
    try:
        ledger.assign_triage(item.id, occurrence_id, actor=who.actor, now=state.clock())
    except LedgerError as error:
        return triage_page(request, who, problem=str(error), failed=item_id, form=form, status_code=422)
    return _finished("gan", item.id)


@router.post(TRIAGE_PATH + "/{item_id}/bo-qua", include_in_schema=False, dependencies=[Depends(require_csrf)])
def dismiss(request: Request, item_id: int, who: Annotated[Viewer, Depends(editor)],
            ly_do: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Close the item without recording anything (`Ledger.dismiss_triage`); the reason is kept."""
    item = _waiting(request, who, item_id)
    if isinstance(item, Response):
        return item
    form = {"ly_do": ly_do}
    if not ly_do.strip():
        return triage_page(request, who, problem=_("Write why this item is dismissed."), failed=item_id,
                           form=form, status_code=422)
    state = request.app.state
    try:
        state.ledger.get().dismiss_triage(item.id, ly_do, actor=who.actor, now=state.clock())
    except LedgerError as error:
        return triage_page(request, who, problem=str(error), failed=item_id, form=form, status_code=422)
    return _finished("bo-qua", item.id)
