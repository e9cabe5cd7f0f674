"""The report page, `/bao-cao/{token}`: a unit answers a reminder without an account.

The signed token (links.read_report_token) names one occurrence and one unit; the page shows that
duty and records evidence for that occurrence and that unit only, whatever the form says. A POST is
a plain HTML form behind the session's CSRF token; after it the browser is sent back (303) to the
page, which shows the new status. Nothing here logs the token (errors.loggable_path hides it).

The form may carry a document (PDF, Office, images: `ledger.file_types`, by its first bytes). Its body
is read by `upload_form.read_form`, which holds at most COMMPLAN_UPLOAD_MAX_MB + 1 byte of the file;
the bytes are stored by their SHA-256 (`Ledger.store_document`) and the evidence names them by it,
under the file's name cleaned of any path (`documents.clean_name`): shown, never used as a path.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..i18n import N_, Labels, _, ngettext
from ..ledger import EvidenceInput, LedgerError, LedgerRefused, LedgerUnavailable
from ..ledger import evidence as evidence_labels
from ..ledger.documents import UploadRefused, clean_name
from ..ledger.evidence import normalised, optional_text
from ..ledger.report_view import ReportView
from ..links import BadLink, ExpiredLink, read_report_token
from ..plan.report_duty import report_duty
from ..render.evidence import when
from .errors import error_response
from .pages import render
from .report_figures import FigureProblem, FiguresForm, figures_form, recorded_notice, sent_fields, to_record, typed
from .sessions import CSRF_FIELD, check_csrf, require_csrf
from .upload_form import SentForm, Upload, read_form
from .zalo_offer import zalo_offer

router = APIRouter()
log = logging.getLogger("commplan.web")
FILE_FIELD = "file"
READ_ONLY_AFTER = dt.timedelta(days=30)  # a settled duty's page stops taking evidence this long after
# a weekday inside a sentence ("hạn 14:00 thứ Năm, 10/12/2026")
WEEKDAYS = (N_("on Monday"), N_("on Tuesday"), N_("on Wednesday"), N_("on Thursday"), N_("on Friday"),
            N_("on Saturday"), N_("on Sunday"))
KINDS, SOURCES = Labels(evidence_labels.KINDS), Labels(evidence_labels.SOURCES)
COUNT = re.compile(r"\s*(\d{1,6})\s*(?:lần|times?)?\s*\.?\s*", re.IGNORECASE)
SENT = {"moi": N_("Thank you: your report has been recorded."),
        "trung": N_("This was already recorded for this duty: it counts once."),
        "da-nhan": N_("Recorded: your unit has received this duty and is working on it.")}


NOT_RECORDED = N_("Nothing could be recorded just now. Please try again in a few minutes.")


class FormProblem(ValueError):
    """What the clerk must fix in the form, in their language."""


def deadline(moment: dt.datetime) -> str:
    """`hạn 14:00 thứ Năm, 10/12/2026`, in the plan's timezone (the moment carries it)."""
    return _("due {time} {weekday}, {date}").format(
        time=f"{moment:%H:%M}", weekday=_(WEEKDAYS[moment.weekday()]), date=f"{moment:%d/%m/%Y}")


def owed(kind: str, count: int) -> str:
    if kind == "count":
        return ngettext("done {count} time", "done {count} times", count).format(count=count)
    if kind == "document":
        return ngettext("{count} document", "{count} documents", count).format(count=count)
    return ngettext("{count} link to what was published", "{count} links to what was published", count).format(count=count)


def typed_name(recorded_by: str | None) -> str | None:
    """Who the clerk's page names for an item: a name typed in the form, not the `link:UNIT` actor."""
    return None if recorded_by is None or recorded_by.startswith("link:") else recorded_by


def window(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start:%d/%m/%Y}"
    return f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"


def read_only(view: ReportView, now: dt.datetime) -> bool:
    """A done or excused duty takes no more evidence 30 days after its deadline and its settling,
    whichever is later (a late report keeps its page open for a month)."""
    if not view.settled or view.duty.settled_at is None:
        return False
    return now - max(view.status.due, view.duty.settled_at) > READ_ONLY_AFTER


def item_to_record(link: str, count: str, document: str, note: str, upload: Upload | None = None) -> EvidenceInput:
    """The one item the form describes; FormProblem when none or several are filled in. A document's name may
    go with its file (the name is then what the page shows); a file alone is shown under its own name."""
    given = [name for name, value in (("link", link), ("count", count), ("document", document)) if value.strip()]
    if upload is not None and "document" not in given:
        given.append("document")
    if not given:
        raise FormProblem(_("Fill in one of: a link, a number of times, or a document (its name or its file)."))
    if len(given) > 1:
        raise FormProblem(_("Fill in only one of: a link, a number of times, or a document (its name or its file)."))
    if given[0] == "count":
        matched = COUNT.fullmatch(count)
        if not matched:
            raise FormProblem(_("The number of times must be a whole number, e.g. 2."))
        return EvidenceInput(kind="count", quantity=int(matched.group(1)), note=note, source="web")
    if given[0] == "link":
        return EvidenceInput(kind="link", link=link, note=note, source="web")
    if upload is not None and not document.strip():
        document = clean_name(upload.filename) or _("uploaded document")
    return EvidenceInput(kind="document", document=document, note=note, source="web")


def upload_limit(request: Request) -> int:
    """The largest document the page takes, in bytes (COMMPLAN_UPLOAD_MAX_MB; 1 MB = 1,000,000 bytes)."""
    return int(request.app.state.settings.upload_max_mb) * 1_000_000


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:g}".replace(".", ",")  # 20, or 0,5 as Vietnamese writes decimals


async def report_form(request: Request) -> SentForm:
    """FastAPI dependency: the report form, its file held to the size limit while it arrives, and its CSRF
    token checked (the form is read here rather than by `require_csrf`, which would spool the file whole)."""
    form = await read_form(request, file_field=FILE_FIELD, max_bytes=upload_limit(request))
    if not form.cut:  # a body far too large is not read to its token: the 413 page, nothing stored either way
        check_csrf(request, form.fields.get(CSRF_FIELD))
    return form


class Opened:
    """A token read and its page's data: `problem` is the response to send instead, if any."""

    def __init__(self, request: Request, token: str):
        state = request.app.state
        self.now: dt.datetime = state.clock()
        self.view: ReportView | None = None
        self.problem: Response | None = None
        self.occurrence_id, self.unit = 0, ""
        try:
            self.occurrence_id, self.unit = read_report_token(state.secret, token, now=self.now,
                                                              legacy_until=state.settings.legacy_until)
        except ExpiredLink as expired:
            self.problem = self._expired(request, expired)
            return
        except BadLink:
            self.problem = invalid(request)
            return
        try:
            ledger = state.ledger.get()
            if ledger.link_revoked(token):  # `commplan link revoke`: a link sent to the wrong person
                self.problem = revoked(request)
                return
            self.view = ledger.report_view(self.occurrence_id, self.unit, as_of=self.now)
        except LedgerError:
            self.problem = error_response(request, 503, headers={"Retry-After": "300"})
            return
        if self.view is None:  # a genuine link to an occurrence gone, or not this unit's
            self.problem = invalid(request)

    def _expired(self, request: Request, expired: ExpiredLink) -> Response:
        coordinator = None
        try:  # the link is genuine (its signature was checked first): its plan's coordinator may be named
            found = request.app.state.ledger.get().report_view(expired.occurrence_id, expired.unit, as_of=self.now)
            coordinator = found.duty.coordinator if found else None
        except LedgerError:
            pass
        return render(request, "report_gone.html", {
            "title": _("This link has expired"),
            "message": _("A report link is valid for 180 days, and this one has expired."),
            "contact": (_("Please contact {coordinator}, which coordinates the plan, for a new link.").format(
                coordinator=coordinator) if coordinator else
                _("Please contact the unit that coordinates the plan for a new link.")),
        }, status_code=410)


def revoked(request: Request) -> Response:
    return render(request, "report_gone.html", {
        "title": _("This link has been withdrawn"),
        "message": _("The unit that coordinates the plan has withdrawn this link."),
        "contact": _("Please use the link of a newer reminder, or contact the unit that coordinates the plan."),
    }, status_code=410)


def invalid(request: Request) -> Response:
    return render(request, "report_gone.html", {
        "title": _("Report page not found"),
        "message": _("This link is not valid: it may have been copied incompletely or changed."),
        "contact": _("Open the link again from the reminder you received, or contact the unit that coordinates "
                     "the plan."),
    }, status_code=404)


def closed(request: Request, token: str, opened: Opened) -> Response:
    """A settled duty's page past its 30 days: shown, but taking nothing more (409)."""
    return page(request, token, opened, problem=_("This duty is closed: its page no longer takes reports."),
                status_code=409)


def not_recorded(error: LedgerError) -> str:
    """The one sentence a clerk reads when the database refused or could not answer; its words go to the log."""
    log.error(_("the report page could not record: %s"), error)
    return _(NOT_RECORDED)


def page(request: Request, token: str, opened: Opened, *, problem: str | None = None,
         form: dict[str, str] | None = None, status_code: int = 200, figures_problem: str | None = None,
         figures_typed: dict[str, str] | None = None) -> Response:
    view = opened.view
    assert view is not None
    status = view.status
    obligation = None
    plan = request.app.state.catalog.plans.get(status.plan)
    if plan is not None:
        obligation = next((o for o in plan.obligations if o.id == status.obligation), None)
    sent = request.query_params.get("gui")
    try:
        acknowledged = request.app.state.ledger.get().acknowledgements_of([opened.occurrence_id])[opened.occurrence_id]
        figures = figures_form(request, status, opened.unit, opened.now)
    except LedgerError:  # a database blip: the 503 page, as when the page itself could not be read
        return error_response(request, 503, headers={"Retry-After": "300"})
    carries = report_duty(request.app.state.catalog, status.plan, status.obligation, status.due)
    context: dict[str, Any] = {
        "token": token, "view": view, "duty": view.duty, "status": status,
        "recipients": carries.to, "indicators": carries.indicators,
        "plan_number": view.duty.plan_number, "quote": obligation.quote if obligation else None,
        "owed": owed(view.duty.evidence_kind, status.at_least), "window": window(status.window_start, status.window_end),
        "deadline": deadline(status.due), "status_label": status.status.label, "status_value": status.status.value,
        "evidence": [{
            "kind": KINDS.get(i.kind, i.kind), "value": i.value, "when": when(i.occurred_at),
            "href": i.link if i.kind == "link" and i.link and i.link.lower().startswith(("http://", "https://")) else None,
            # an uploaded document: through this link's own address, which checks the token again
            "file": f"/bao-cao/{token}/tai-lieu/{i.document_sha256}" if i.document_sha256 else None,
            "source": SOURCES.get(i.source, i.source), "note": i.note, "by": typed_name(i.recorded_by),
            "withdrawn": i.withdrawn,
            "quantity": i.quantity, "count": i.kind == "count",
        } for i in view.evidence],
        "read_only": read_only(view, opened.now), "sent": _(SENT[sent]) if sent in SENT else None,
        "problem": problem, "form": form or {}, "first": view.duty.evidence_kind,
        "excuse_reason": view.duty.excuse_reason, "max_mb": megabytes(upload_limit(request)),
        "acknowledged": [{"when": when(a.at), "by": a.by_name} for a in acknowledged if a.unit_id == opened.unit],
        "figures": figures, "figures_problem": figures_problem, "figures_typed": figures_typed,
        "figures_sent": recorded_notice(request.query_params.get("so-lieu")),
        "zalo": zalo_offer(request, opened.unit, opened.now),
    }
    return render(request, "report.html", context, status_code=status_code)


@router.get("/bao-cao/{token}", include_in_schema=False)
def show(request: Request, token: str) -> Response:
    opened = Opened(request, token)
    if opened.problem is not None:
        return opened.problem
    return page(request, token, opened)


@router.post("/bao-cao/{token}", include_in_schema=False)
def submit(request: Request, token: str, sent: Annotated[SentForm, Depends(report_form)]) -> Response:
    """The form's one item, for the token's occurrence and unit. Nothing is stored unless it is all acceptable:
    a file too large (413) or of another type (422) shows the page again with what was typed."""
    opened = Opened(request, token)
    if opened.problem is not None:
        return opened.problem
    view = opened.view
    assert view is not None
    # each within its limit by the ledger's checks (evidence.LIMITS), which say which field is too long
    link, count, document, note, name = (sent.text(field) for field in ("link", "count", "document", "note", "name"))
    form = {"link": link, "count": count, "document": document, "note": note, "name": name}
    if read_only(view, opened.now):
        return closed(request, token, opened)
    if sent.too_large:
        return page(request, token, opened, form=form, status_code=413, problem=_(
            "The file is larger than {size} MB, the most this page accepts: nothing was recorded. Send a smaller "
            "file (a scan at a lower resolution, or only the pages needed), or write the document's name instead."
        ).format(size=megabytes(upload_limit(request))))
    try:
        ledger = request.app.state.ledger.get()
        item = normalised(item_to_record(link, count, document, note, sent.upload))
        typed_by = optional_text(name, "name")  # what the clerk typed: shown, never trusted as the actor
        if sent.upload is not None:
            assert sent.upload.data is not None  # not too large
            try:
                stored = ledger.store_document(sent.upload.data, name=clean_name(sent.upload.filename),
                                               by=f"link:{opened.unit}",
                                               max_bytes=upload_limit(request), now=opened.now)
            except UploadRefused as refused:
                raise FormProblem(_("The file was not accepted: {reason}.").format(reason=refused)) from None
            item = EvidenceInput(**{**item.__dict__, "document_sha256": stored.sha256})
        # bound to the token's occurrence and unit: nothing in the form can name others
        result = ledger.record_evidence(
            f"{view.status.plan}/{view.status.obligation}", opened.unit, item, occurrence_id=opened.occurrence_id,
            actor=f"link:{opened.unit}", submitted_by=typed_by, now=opened.now)
    except (LedgerRefused, LedgerUnavailable) as error:  # the database's words are for the operator's log
        return page(request, token, opened, problem=not_recorded(error), form=form, status_code=503)
    except (FormProblem, LedgerError) as error:
        return page(request, token, opened, problem=str(error), form=form, status_code=422)
    return RedirectResponse(f"/bao-cao/{token}?gui={'trung' if result.duplicate else 'moi'}", status_code=303)


@router.post("/bao-cao/{token}/da-nhan", include_in_schema=False, dependencies=[Depends(require_csrf)])
def acknowledge(request: Request, token: str, name: Annotated[str, Form(max_length=400)] = "") -> Response:
    """"Đã nhận, đang thực hiện": recorded once per duty and unit, shown to the coordinator."""
    opened = Opened(request, token)
    if opened.problem is not None:
        return opened.problem
    view = opened.view
    assert view is not None
    if read_only(view, opened.now):
        return closed(request, token, opened)
    try:
        request.app.state.ledger.get().acknowledge(opened.occurrence_id, opened.unit, name or None, now=opened.now)
    except (LedgerRefused, LedgerUnavailable) as error:
        return page(request, token, opened, problem=not_recorded(error), status_code=503)
    except LedgerError as error:
        return page(request, token, opened, problem=str(error), status_code=422)
    return RedirectResponse(f"/bao-cao/{token}?gui=da-nhan", status_code=303)


@router.post("/bao-cao/{token}/so-lieu", include_in_schema=False, dependencies=[Depends(require_csrf)])
def record_figures(request: Request, token: str, sent: Annotated[dict[str, str], Depends(sent_fields)]) -> Response:
    """The figures typed, for the token's unit (never one the form names) and the occurrence's period:
    all recorded in one transaction, or none (report_figures)."""
    opened = Opened(request, token)
    if opened.problem is not None:
        return opened.problem
    view = opened.view
    assert view is not None
    if read_only(view, opened.now):
        return closed(request, token, opened)
    form: FiguresForm | None = None
    try:
        form = figures_form(request, view.status, opened.unit, opened.now)
        if form is None:
            return page(request, token, opened, status_code=404,
                        problem=_("This duty carries no figures for your unit to report."))
        result = request.app.state.ledger.get().import_figures(
            to_record(form, sent, opened.unit), source="web", actor=f"link:{opened.unit}", now=opened.now)
    except (LedgerRefused, LedgerUnavailable) as error:  # the database's words are for the operator's log
        return page(request, token, opened, figures_problem=not_recorded(error), figures_typed=typed(sent),
                    status_code=503)
    except (FigureProblem, LedgerError) as error:
        return page(request, token, opened, figures_problem=str(error), figures_typed=typed(sent), status_code=422)
    if result.problems:  # the ledger refused one (negative, too large, a period not begun): nothing was written
        first = result.problems[0]
        name = form.fields[first.row].name if first.row is not None else ""
        return page(request, token, opened, status_code=422, figures_typed=typed(sent),
                    figures_problem=_("{indicator}: {problem}").format(indicator=name, problem=first.message))
    written = sum(1 for r in result.recorded if not r.unchanged)
    return RedirectResponse(f"/bao-cao/{token}?so-lieu={written}#so-lieu", status_code=303)
