"""The coordinator's pages of one unit (`/don-vi/{unit}`), one occurrence (`/ky/{id}`, with its actions:
excuse, withdraw the excusal, extend the deadline, withdraw evidence) and the undelivered reminders
(`/nhac-viec`).

Scope: what the user may not see is "not found" (404), never "forbidden", so that a page tells
nobody whether a unit or an occurrence of another province exists. An occurrence is seen through
any of its holders (a shared duty's own unit is its group or first lead), as `Ledger.statuses`
selects a province's rows. The actions need an editor (admin or coordinator), the session's CSRF
token and a reason; each is audited with the user's actor (`web:LOGIN`) and ends in a 303 back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..i18n import N_, _
from ..ledger import LedgerError, OccurrenceStatus
from ..ledger.coordinator_view import OccurrenceView
from ..plan.report_duty import report_duty
from ..status import APART, BUCKETS, Status
from .auth import VIETNAM, Viewer, editor, viewer
from .errors import error_response
from .evidence_view import RECENT_DAYS, evidence_row, recent_automatic
from .pages import render
from .report import owed, window
from .sessions import require_csrf

router = APIRouter()
PAST, AHEAD = dt.timedelta(days=90), dt.timedelta(days=30)  # a unit's page: what was due lately and what comes
MAX_ROWS = 500  # a unit's page lists at most this many occurrences (narrow the dates for more)
DONE = {"mien": N_("The occurrence has been excused."),
        "bo-mien": N_("The excusal has been withdrawn: the occurrence is tracked again."),
        "gia-han": N_("The deadline has been extended."),
        "rut": N_("The evidence has been withdrawn: it no longer counts (it is kept, struck through).")}
DATE = re.compile(r"\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4}))\s*")
TIME = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")
# the pages a withdrawal may come back to (`quay_lai`): the overview and a unit's page, nothing else
BACK = re.compile(r"/tong-quan|/don-vi/[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
CHANNELS = {"email": "Email", "sms": "SMS", "zns": "Zalo ZNS", "zalo": "Zalo", "file": N_("file")}


class FormProblem(ValueError):
    """What the coordinator must fix in the form, in their language."""


def vn(moment: dt.datetime) -> str:
    """`14:00 12/03/2026`, in Vietnam time."""
    return f"{moment.astimezone(VIETNAM):%H:%M %d/%m/%Y}"


def parse_date(value: str) -> dt.date:
    """`2026-03-12` (what a date input sends) or `12/03/2026` (what a person types)."""
    matched = DATE.fullmatch(value)
    if not matched:
        raise FormProblem(_("Write the date as dd/mm/yyyy, e.g. 31/12/2026."))
    year, month, day = matched.group(1, 2, 3) if matched.group(1) else matched.group(6, 5, 4)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise FormProblem(_("Write the date as dd/mm/yyyy, e.g. 31/12/2026.")) from None


def parse_time(value: str) -> dt.time:
    matched = TIME.fullmatch(value)
    if not matched or int(matched.group(1)) > 23 or int(matched.group(2)) > 59:
        raise FormProblem(_("Write the time as hh:mm, e.g. 17:00."))
    return dt.time(int(matched.group(1)), int(matched.group(2)))


def not_found(request: Request) -> Response:
    return error_response(request, 404)


# ---------------------------------------------------------------- a unit's page


def _range(tu: str | None, den: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    start = parse_date(tu) if tu and tu.strip() else today - PAST
    end = parse_date(den) if den and den.strip() else today + AHEAD
    if end < start:
        raise FormProblem(_("The end date is before the start date."))
    return start, end


def _row(row: OccurrenceStatus, names: dict[str, str]) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "plan": row.plan, "unit": names.get(row.unit, row.unit),
            "due": vn(row.due), "status": row.status.label, "status_value": row.status.value,
            "delivered": row.delivered, "at_least": row.at_least, "orphaned": row.orphaned}


@router.get("/don-vi/{unit_id}", include_in_schema=False)
def unit_page(request: Request, unit_id: str, who: Annotated[Viewer, Depends(viewer)],
              tu: str | None = None, den: str | None = None) -> Response:
    now: dt.datetime = request.app.state.clock()
    scope = who.scope
    try:
        ledger = request.app.state.ledger.get()
        names = ledger.unit_names()
        if unit_id not in names or who.sees_nothing:
            return not_found(request)
        rows = ledger.statuses(as_of=now, units=[unit_id], include_scheduled=True)
        # a row is seen through the unit asked about (it holds it), or else by the one rule of every
        # page (its own unit or any holder: a duty shared with a unit of the viewer's province)
        seen = [r for r in rows if scope.sees(r.plan, unit_id)]
        if len(seen) < len(rows):
            owners = ledger.owners_of(r.id for r in rows if not scope.sees(r.plan, unit_id))
            seen = [r for r in rows if scope.sees(r.plan, unit_id) or (r.id in owners and scope.sees_occurrence(*owners[r.id]))]
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    if not scope.sees_unit(unit_id) and not seen:
        return not_found(request)  # the same answer as an unknown unit
    problem = None
    try:
        start, end = _range(tu, den, now.astimezone(VIETNAM).date())
    except FormProblem as error:
        problem = str(error)
        start, end = _range(None, None, now.astimezone(VIETNAM).date())
    counts = Counter(r.status for r in seen if not r.orphaned and r.status is not Status.SCHEDULED)
    listed = [r for r in seen if start <= r.due.astimezone(VIETNAM).date() <= end]
    more = max(len(listed) - MAX_ROWS, 0)
    listed = listed[:MAX_ROWS]
    try:
        acknowledged = ledger.acknowledgements_of([r.id for r in listed]) if listed else {}
        recorded = recent_automatic(ledger, who, now, unit=unit_id)  # what recorded itself lately, to review
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    titles = {r.id: r.title for r in listed}
    acks = sorted(((a, titles[i]) for i, found in acknowledged.items() for a in found), key=lambda p: p[0].at,
                  reverse=True)
    context = {
        "unit_id": unit_id, "unit_name": names[unit_id], "problem": problem,
        "counts": [{"label": s.heading or s.label, "value": s.value, "count": counts.get(s, 0)} for s in BUCKETS + APART],
        "rows": [_row(r, names) for r in listed], "more": more,
        "start": start, "end": end, "tu": f"{start:%d/%m/%Y}", "den": f"{end:%d/%m/%Y}",
        "acknowledged": [{"occurrence": a.occurrence_id, "title": title, "unit": names.get(a.unit_id, a.unit_id),
                          "when": vn(a.at), "by": a.by_name} for a, title in acks],
        "recorded": [evidence_row(i, names) for i in recorded], "days": RECENT_DAYS, "may_edit": who.may_edit,
        "back": f"/don-vi/{unit_id}", "done": _(DONE["rut"]) if request.query_params.get("xong") == "rut" else None,
    }
    return render(request, "unit.html", context, status_code=422 if problem else 200)


# ---------------------------------------------------------------- an occurrence's page and its actions


def _open(request: Request, occurrence_id: int, who: Viewer) -> OccurrenceView | Response:
    """The occurrence as this user may see it, or the response to send instead (404, 503)."""
    try:
        found = request.app.state.ledger.get().occurrence_view(occurrence_id, as_of=request.app.state.clock())
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    # through any holder: a shared duty's own unit (its group, its first lead) may be another province's
    if found is None or not who.scope.sees_occurrence(found.status.plan, found.status.unit, found.holders):
        return not_found(request)
    return found


def occurrence_page(request: Request, view: OccurrenceView, who: Viewer, *, problem: str | None = None,
                    failed: str | None = None, form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    status = view.status
    ledger = request.app.state.ledger.get()
    try:
        names = ledger.unit_names()
        acknowledged = ledger.acknowledgements_of([status.id])[status.id]
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    plan = request.app.state.catalog.plans.get(status.plan)
    obligation = next((o for o in plan.obligations if o.id == status.obligation), None) if plan else None
    carries = report_duty(request.app.state.catalog, status.plan, status.obligation, status.due)
    excusal = view.excusal
    done = request.query_params.get("xong")
    context: dict[str, Any] = {
        "status": status, "parts": view.parts, "unit": names.get(status.unit, status.unit),
        "holders": [{"id": h, "name": names.get(h, h)} for h in view.holders if h != status.unit],
        "quote": obligation.quote if obligation else None, "owed": owed(view.parts.evidence_kind, status.at_least),
        "recipients": carries.to, "indicators": carries.indicators,
        "window": window(status.window_start, status.window_end), "due": vn(status.due),
        "status_label": status.status.label, "status_value": status.status.value,
        "excusal": {"reason": excusal.reason, "when": vn(excusal.at), "by": excusal.by} if excusal else None,
        "past_excusals": [{"reason": x.reason, "when": vn(x.at), "by": x.by, "revoked": vn(x.revoked_at),
                           "revoked_by": x.revoked_by} for x in view.parts.excusals if x.revoked_at is not None],
        "extensions": [{"from": vn(x.previous_due), "to": vn(x.due), "reason": x.reason, "when": vn(x.at), "by": x.by}
                       for x in view.parts.extensions],
        "evidence": [evidence_row(i, names) for i in view.evidence],
        "acknowledged": [{"unit": names.get(a.unit_id, a.unit_id), "when": vn(a.at), "by": a.by_name}
                         for a in acknowledged],
        "may_edit": who.may_edit, "problem": problem, "failed": failed, "form": form or {},
        "done": _(DONE[done]) if done in DONE else None,
    }
    return render(request, "occurrence.html", context, status_code=status_code)


@router.get("/ky/{occurrence_id}", include_in_schema=False)
def show_occurrence(request: Request, occurrence_id: int, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    opened = _open(request, occurrence_id, who)
    if isinstance(opened, Response):
        return opened
    return occurrence_page(request, opened, who)


def _reason(reason: str, missing: str) -> str:
    if not reason.strip():
        raise FormProblem(missing)
    return reason


def _act(request: Request, occurrence_id: int, who: Viewer, action: str, form: dict[str, str], change: Any) -> Response:
    """Run `change(ledger, view, now)` for this occurrence: 404 outside the scope, the page again with the
    problem (422, the form kept) when the form or the ledger refuses, else 303 back with a confirmation."""
    opened = _open(request, occurrence_id, who)
    if isinstance(opened, Response):
        return opened
    try:
        outcome = change(request.app.state.ledger.get(), opened, request.app.state.clock())
    except (FormProblem, LedgerError) as error:
        try:  # the page as it is now (the refused change wrote nothing)
            fresh = request.app.state.ledger.get().occurrence_view(occurrence_id, as_of=request.app.state.clock())
        except LedgerError:
            fresh = None
        return occurrence_page(request, fresh or opened, who, problem=str(error), failed=action, form=form,
                               status_code=422)
    if isinstance(outcome, Response):
        return outcome
    return RedirectResponse(f"/ky/{occurrence_id}?xong={action}", status_code=303)


Reason = Annotated[str, Form(max_length=2000)]


@router.post("/ky/{occurrence_id}/mien", include_in_schema=False, dependencies=[Depends(require_csrf)])
def excuse(request: Request, occurrence_id: int, who: Annotated[Viewer, Depends(editor)], reason: Reason = "") -> Response:
    def change(ledger: Any, view: OccurrenceView, now: dt.datetime) -> None:
        ledger.excuse(view.status.id, _reason(reason, _("Write why this occurrence is excused.")), actor=who.actor,
                      now=now)

    return _act(request, occurrence_id, who, "mien", {"reason": reason}, change)


@router.post("/ky/{occurrence_id}/bo-mien", include_in_schema=False, dependencies=[Depends(require_csrf)])
def unexcuse(request: Request, occurrence_id: int, who: Annotated[Viewer, Depends(editor)], reason: Reason = "") -> Response:
    def change(ledger: Any, view: OccurrenceView, now: dt.datetime) -> None:
        note = _reason(reason, _("Write why the excusal is withdrawn."))
        ledger.unexcuse(view.status.id, actor=who.actor, now=now, note=note)

    return _act(request, occurrence_id, who, "bo-mien", {"reason": reason}, change)


@router.post("/ky/{occurrence_id}/gia-han", include_in_schema=False, dependencies=[Depends(require_csrf)])
def extend(request: Request, occurrence_id: int, who: Annotated[Viewer, Depends(editor)], reason: Reason = "",
           date: Annotated[str, Form(max_length=40)] = "", time: Annotated[str, Form(max_length=20)] = "") -> Response:
    def change(ledger: Any, view: OccurrenceView, now: dt.datetime) -> None:
        if not date.strip():
            raise FormProblem(_("Choose the new deadline's date."))
        day = parse_date(date)
        # a day alone is its end (23:59:59); a time is the plan's local time (Vietnam time for every seed plan)
        to: dt.date | dt.datetime = dt.datetime.combine(day, parse_time(time)) if time.strip() else day
        ledger.extend([view.status.id], to, _reason(reason, _("Write why the deadline is extended.")),
                      actor=who.actor, now=now)

    return _act(request, occurrence_id, who, "gia-han", {"reason": reason, "date": date, "time": time}, change)


@router.post("/ky/{occurrence_id}/rut/{evidence_id}", include_in_schema=False, dependencies=[Depends(require_csrf)])
def withdraw(request: Request, occurrence_id: int, evidence_id: int, who: Annotated[Viewer, Depends(editor)],
             reason: Reason = "", quay_lai: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Withdraw one item with a reason; from a list of many occurrences' items (the overview, a unit's page)
    the form names that page (`quay_lai`) and the redirect goes back there."""
    def change(ledger: Any, view: OccurrenceView, now: dt.datetime) -> Response | None:
        if evidence_id not in {i.id for i in view.evidence}:
            return not_found(request)  # another occurrence's item: never withdrawn through this one
        ledger.withdraw_evidence(evidence_id, _reason(reason, _("Write why this evidence is withdrawn.")),
                                 actor=who.actor, now=now)
        if BACK.fullmatch(quay_lai):  # only these pages of this site: never an address from elsewhere
            return RedirectResponse(f"{quay_lai}?xong=rut#tu-ghi-nhan", status_code=303)
        return None

    return _act(request, occurrence_id, who, "rut", {"reason": reason, "evidence": str(evidence_id)}, change)


# ---------------------------------------------------------------- undelivered reminders


@router.get("/nhac-viec", include_in_schema=False)
def undelivered(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    scope = who.scope
    try:
        ledger = request.app.state.ledger.get()
        found = [] if who.sees_nothing else ledger.undelivered(recipients=None if scope.everything else scope.units)
        names = ledger.unit_names()
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    rows = [{
        "id": d.id, "channel": _(CHANNELS[d.channel]) if d.channel in CHANNELS else d.channel,
        "recipient": names.get(d.recipient, d.recipient), "recipient_id": d.recipient,
        "status": _("failed") if d.status == "failed" else _("unknown (the sender stopped mid-way)"),
        "error": d.error, "when": vn(d.closed_at or d.created_at), "attempts": d.attempts,
        "occurrences": list(d.occurrence_ids),
    } for d in found]
    return render(request, "undelivered.html", {"rows": rows})
