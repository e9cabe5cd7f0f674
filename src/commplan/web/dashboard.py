"""The coordinator's dashboard: the overview (`/tong-quan`) and the overdue list (`/qua-han`) with its
bulk actions (excuse, extend the deadline).

Everything is narrowed to the signed-in user's scope first (`Viewer.ledger_filters`); the filters a
reader chooses narrow within it, and one naming a plan or a unit outside it is refused (403) before
the ledger is asked, so that neither rows nor names nor the ledger's "did you mean" suggestions of
another province ever reach the page. A bulk action checks every selected occurrence with
`Scope.sees` and changes nothing unless all pass.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..i18n import N_, _, ngettext
from ..ledger import BUCKETS, Ledger, LedgerError, Status
from ..ledger.overdue import OverdueRow
from ..plan.catalog import Catalog
from ..plan.labels import CHANNELS, KINDS
from .auth import VIETNAM, Viewer, editor, viewer
from .built_reports import overview_section
from .errors import error_response
from .evidence_view import RECENT_DAYS, RECENT_SHOWN, evidence_row, recent_automatic
from .feeds import feed_url
from .nav import listing_scope
from .pages import render
from .sessions import require_csrf

router = APIRouter()
OVERDUE_PATH = "/qua-han"
PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_SELECTED = 500  # more than a page's 50: a stale form is still refused whole, not truncated
COLUMNS = (*BUCKETS, Status.EXCUSED)  # on time, late, open, overdue; excused apart
DONE = ("da-mien", "da-gia-han")  # what the redirect after an action says it did (with how many)
WITHDRAWN = N_("The evidence has been withdrawn: it no longer counts (it is kept, struck through).")
DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{2})-(\d{2})")


class FilterProblem(ValueError):
    """A filter that cannot be read (a date, a page number, an unknown channel): 422, in the reader's words."""


class OutOfScope(LookupError):
    """A filter or a selection naming what the reader may not see (or what does not exist: the same answer)."""


def parse_day(text: str) -> dt.date:
    """dd/mm/yyyy (as people write it; a browser's date field would show its own locale's order) or yyyy-mm-dd."""
    found = DAY.fullmatch(text.strip())
    try:
        if found and found.group(1):
            return dt.date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        if found:
            return dt.date(int(found.group(4)), int(found.group(5)), int(found.group(6)))
    except ValueError:
        pass
    raise FilterProblem(_("A date is written as dd/mm/yyyy, e.g. 31/12/2026."))


@dataclass(frozen=True)
class Filters:
    """What the overdue list is narrowed to, as its query string says (`ke-hoach`, `don-vi`, `kenh`, `tu`, `den`, `trang`)."""

    plan: str = ""
    unit: str = ""
    channel: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    page: int = 1

    @classmethod
    def read(cls, query: Mapping[str, str]) -> Filters:
        def param(name: str) -> str:
            return (query.get(name) or "").strip()[:200]

        channel = param("kenh")
        if channel and channel not in KINDS and channel not in CHANNELS:
            raise FilterProblem(_("Unknown channel or kind of duty: choose one from the list."))
        page = param("trang") or "1"
        if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= MAX_PAGE:
            raise FilterProblem(_("The page number must be a whole number from 1."))
        due_from = parse_day(param("tu")) if param("tu") else None
        due_to = parse_day(param("den")) if param("den") else None
        return cls(param("ke-hoach"), param("don-vi"), channel, due_from, due_to, int(page))

    def query(self, **change: Any) -> str:
        """The query string of these filters (with `change`), for links and redirects: only known keys."""
        chosen = replace(self, **change)
        pairs = [("ke-hoach", chosen.plan), ("don-vi", chosen.unit), ("kenh", chosen.channel),
                 ("tu", f"{chosen.due_from:%d/%m/%Y}" if chosen.due_from else ""),
                 ("den", f"{chosen.due_to:%d/%m/%Y}" if chosen.due_to else ""),
                 ("trang", str(chosen.page) if chosen.page > 1 else "")]
        return urlencode([(k, v) for k, v in pairs if v])

    @property
    def any(self) -> bool:
        return bool(self.plan or self.unit or self.channel or self.due_from or self.due_to)


# ---------------------------------------------------------------- scope


@functools.lru_cache(maxsize=8)
def plan_provinces(catalog: Catalog) -> dict[str, frozenset[str | None]]:
    """The provinces of the units each plan names (its leads and partners, groups expanded)."""
    directory = catalog.directory
    out: dict[str, frozenset[str | None]] = {}
    for plan_id, plan in catalog.plans.items():
        units = directory.expand(tuple(u for o in plan.obligations for u in (*o.lead, *o.partners)))
        out[plan_id] = frozenset(directory.province_of(u) for u in units)
    return out


def visible_plans(who: Viewer, catalog: Catalog) -> list[str]:
    """The plans this reader may filter by: every plan (an admin), those with units in their province
    or coordinated or issued by their unit (a province's user), those of their unit (a ministry's)."""
    scope = who.scope
    if scope.everything:
        return sorted(catalog.plans)
    found = set(scope.plans)
    if scope.province is not None:
        found |= {p for p, provinces in plan_provinces(catalog).items() if scope.province in provinces}
    return sorted(p for p in found if p in catalog.plans)


def unit_visible(who: Viewer, catalog: Catalog, unit: str) -> bool:
    """Whether the reader may filter by this unit or group: their province's (a province's user), any
    of the directory (an admin, or a ministry's coordinator, whose rows are their plans' anyway)."""
    if unit not in catalog.directory:
        return False
    return who.scope.province is None or who.scope.sees_unit(unit)


def narrowed(who: Viewer, filters: Filters, catalog: Catalog) -> dict[str, Any]:
    """The ledger's keyword arguments: the reader's scope, then their filters inside it (OutOfScope)."""
    scope_filters = who.ledger_filters()
    province = scope_filters.get("province")
    plans = list(scope_filters.get("plans") or [])  # type: ignore[call-overload]  # a list of plan ids, when there
    if filters.plan:
        if filters.plan not in visible_plans(who, catalog):
            raise OutOfScope(filters.plan)
        plans = [filters.plan]
    if filters.unit and not unit_visible(who, catalog, filters.unit):
        raise OutOfScope(filters.unit)
    kinds = [filters.channel] if filters.channel in KINDS else []
    channels = [filters.channel] if filters.channel in CHANNELS else []
    return {"plans": plans, "units": [filters.unit] if filters.unit else [], "province": province,
            "kinds": kinds, "channels": channels, "due_from": filters.due_from, "due_to": filters.due_to}


def out_of_scope(request: Request) -> Response:
    return error_response(request, 403, message=_("This plan or unit is not among those your account can see."))


def unavailable(request: Request) -> Response:
    return error_response(request, 503, headers={"Retry-After": "60"})


# ---------------------------------------------------------------- what the pages show


def local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%H:%M %d/%m/%Y}"  # time first, as the other pages and official letters


def period(start: dt.date, end: dt.date) -> str:
    return f"{start:%d/%m/%Y}" if start == end else f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"


def days_late(due: dt.datetime, now: dt.datetime) -> str:
    """Calendar days in Vietnam since the deadline, as people count them ("quá hạn 3 ngày")."""
    days = (now.astimezone(VIETNAM).date() - due.astimezone(VIETNAM).date()).days
    if days <= 0:
        return _("today")
    return ngettext("{count} day", "{count} days", days).format(count=days)


def plan_label(catalog: Catalog, plan_id: str, number: str | None = None) -> tuple[str, str]:
    """(number, title) of a plan as the reader knows it ("241/KH-UBND", its title)."""
    plan = catalog.plans.get(plan_id)
    if plan is not None:
        return plan.header.number or number or plan_id, plan.header.title
    return number or plan_id, ""


def feed_links(request: Request, who: Viewer, catalog: Catalog, names: Mapping[str, str]) -> tuple[list[dict], bool]:
    """The calendar feeds this reader may subscribe to: their unit's, and the plans' their unit coordinates
    or issues (all plans for an admin). A province's user gets a plan's feed only when every unit of the
    plan is in their province (a feed shows every holder). Also whether some plan's feed was held back."""
    state = request.app.state
    base = state.settings.public_url or str(request.base_url)
    links: list[dict] = []
    unit = who.user.unit_id
    if unit and unit in catalog.directory:
        links.append({"label": _("Calendar of {unit}").format(unit=names.get(unit, unit)),
                      "href": feed_url(base, state.secret, unit=unit)})
    scope, held_back = who.scope, False
    plans = sorted(catalog.plans) if scope.everything else sorted(p for p in scope.plans if p in catalog.plans)
    for plan_id in plans:
        if scope.province is not None and plan_provinces(catalog)[plan_id] != {scope.province}:
            held_back = True
            continue
        number, title = plan_label(catalog, plan_id)
        links.append({"label": _("Calendar of plan {number}").format(number=number), "title": title,
                      "href": feed_url(base, state.secret, plan=plan_id)})
    return links, held_back


def counts(row_counts: Mapping[Status, int]) -> dict[str, Any]:
    return {"cells": [row_counts.get(s, 0) for s in COLUMNS], "total": sum(row_counts.get(s, 0) for s in BUCKETS),
            "overdue": row_counts.get(Status.OVERDUE, 0)}


# ---------------------------------------------------------------- the overview


@router.get("/tong-quan", include_in_schema=False)
def overview(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """Counts in the four buckets (and excused) per plan and per unit, within the reader's scope; the
    reports commplan built that the reader sees (`built_reports`)."""
    state = request.app.state
    catalog: Catalog = state.catalog
    context: dict[str, Any] = {"who": who, "headings": [s.heading for s in COLUMNS], "nothing": who.sees_nothing}
    if who.sees_nothing:
        return render(request, "overview.html", context)
    now = state.clock()
    filters = who.ledger_filters()
    try:
        ledger: Ledger = state.ledger.get()
        by_plan, by_unit = ledger.summary(as_of=now, **filters)  # type: ignore[arg-type]  # plans or province, typed there
        names = ledger.unit_names()
        context.update(overview_section(ledger, who, catalog, names))
        recorded = recent_automatic(ledger, who, now, limit=RECENT_SHOWN + 1)
        waiting = ledger.triage_count(**listing_scope(who.scope)) if who.may_edit else None
    except LedgerError:
        return unavailable(request)
    plans = []
    for row in by_plan:
        number, title = plan_label(catalog, row.key, row.name)
        plans.append({"id": row.key, "number": number, "title": title, "link": list_link(Filters(plan=row.key)),
                      **counts(row.counts)})
    units = [{"id": row.key, "name": names.get(row.key, row.name), **counts(row.counts)} for row in by_unit]
    units = [u for u in units if any(u["cells"])]
    units.sort(key=lambda u: (-u["overdue"], u["name"]))
    totals = [sum(p["cells"][i] for p in plans) for i in range(len(COLUMNS))]
    links, held_back = feed_links(request, who, catalog, names)
    context.update(plans=[p for p in plans if any(p["cells"])], units=units, totals=totals,
                   total=sum(totals[: len(BUCKETS)]), as_of=local(now), feeds=links, feeds_held_back=held_back,
                   public_url=bool(state.settings.public_url), form_lead=state.settings.report_lead_workdays,
                   recorded=[evidence_row(i, names) for i in recorded[:RECENT_SHOWN]],
                   recorded_more=len(recorded) > RECENT_SHOWN, days=RECENT_DAYS, may_edit=who.may_edit,
                   waiting=waiting, done=_(WITHDRAWN) if request.query_params.get("xong") == "rut" else None)
    return render(request, "overview.html", context)


# ---------------------------------------------------------------- the overdue list


def overdue_list(request: Request, who: Viewer, filters: Filters, *, problem: str | None = None,
                 form: Mapping[str, Any] | None = None, status_code: int = 200) -> Response:
    state = request.app.state
    catalog: Catalog = state.catalog
    now = state.clock()
    base: dict[str, Any] = {"who": who, "filters": filters, "nothing": who.sees_nothing, "problem": problem,
                            "form": form or {}, "path": OVERDUE_PATH}
    if who.sees_nothing:
        return render(request, "overdue.html", base, status_code=status_code)
    try:
        arguments = narrowed(who, filters, catalog)
    except OutOfScope:
        return out_of_scope(request)
    try:
        ledger: Ledger = state.ledger.get()
        rows, total = ledger.overdue_page(as_of=now, offset=(filters.page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                          **arguments)
        names = ledger.unit_names()
    except LedgerError:
        return unavailable(request)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    plan_options = [{"id": p, "label": " · ".join(x for x in plan_label(catalog, p) if x)} for p in visible_plans(who, catalog)]
    base.update(
        rows=[row_view(row, who, catalog, names, now) for row in rows], total=total, pages=pages,
        first=(filters.page - 1) * PAGE_SIZE + 1, last=(filters.page - 1) * PAGE_SIZE + len(rows),
        previous=list_link(filters, page=filters.page - 1) if filters.page > 1 else None,
        next=list_link(filters, page=filters.page + 1) if filters.page < pages else None,
        first_page=list_link(filters, page=1), plan_options=plan_options,
        unit_name=names.get(filters.unit, filters.unit) if filters.unit else None,
        kinds=[(k, KINDS[k]) for k in KINDS], channels=[(c, CHANNELS[c]) for c in CHANNELS],
        as_of=local(now), may_edit=who.may_edit, back=filters.query(), done=done_message(request),
    )
    return render(request, "overdue.html", base, status_code=status_code)


def list_link(filters: Filters, **change: Any) -> str:
    query = filters.query(**change)
    return f"{OVERDUE_PATH}?{query}" if query else OVERDUE_PATH


def row_view(row: OverdueRow, who: Viewer, catalog: Catalog, names: Mapping[str, str], now: dt.datetime) -> dict[str, Any]:
    number, title = plan_label(catalog, row.plan, row.plan_number)
    kind = KINDS.get(row.kind, row.kind) if row.kind else None
    channel = CHANNELS.get(row.channel, row.channel) if row.channel else None
    return {
        "id": row.id, "unit": row.unit, "unit_name": names.get(row.unit, row.unit), "plan": row.plan,
        "plan_number": number, "plan_title": title, "title": row.title, "period": period(row.window_start, row.window_end),
        "due": local(row.due), "late": days_late(row.due, now), "delivered": row.delivered, "at_least": row.at_least,
        "what": " · ".join(x for x in (kind, channel) if x),
        "acknowledged": [{"when": local(a.at), "by": a.by_name, "unit": names.get(a.unit_id, a.unit_id)}
                         for a in row.acknowledgements],
        # a row seen through one of its holders only (a duty shared with another province) is not theirs to change
        "selectable": who.may_edit and who.scope.sees_occurrence(row.plan, row.unit, row.holders),
    }


def done_message(request: Request) -> str | None:
    for key in DONE:
        value = request.query_params.get(key, "")
        if (value.isascii() and value.isdigit()) and 0 < int(value) <= MAX_SELECTED:
            count = int(value)
            if key == "da-mien":
                message = ngettext("Excused {count} occurrence.", "Excused {count} occurrences.", count)
            else:
                message = ngettext("Extended the deadline of {count} occurrence.",
                                   "Extended the deadline of {count} occurrences.", count)
            message = message.format(count=count)
            skipped = request.query_params.get("bo-qua", "")
            if (skipped.isascii() and skipped.isdigit()) and 0 < int(skipped) <= MAX_SELECTED:
                message += " " + _("{count} already excused, left as they were.").format(count=int(skipped))
            return message
    return None


@router.get(OVERDUE_PATH, include_in_schema=False)
def overdue(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """Overdue occurrences, most late first, 50 a page, filtered by plan, unit, channel and deadline."""
    try:
        filters = Filters.read(request.query_params)
    except FilterProblem as problem:
        return error_response(request, 422, message=str(problem))
    return overdue_list(request, who, filters)


# ---------------------------------------------------------------- bulk actions


def _back(text: str) -> Filters:
    """The list's filters the form came from (its own query string); none when unreadable."""
    try:
        return Filters.read(dict(parse_qsl(text[:2000])))
    except FilterProblem:
        return Filters()


def _checked(request: Request, who: Viewer, ids: list[int]) -> Response | None:
    """403 unless every selected occurrence exists and is within the reader's scope."""
    if len(ids) > MAX_SELECTED:
        return error_response(request, 422, message=_("Select at most {count} occurrences at once.").format(count=MAX_SELECTED))
    try:
        owners = request.app.state.ledger.get().owners_of(ids)
    except LedgerError:
        return unavailable(request)
    if any(i not in owners or not who.scope.sees_occurrence(*owners[i]) for i in ids):
        return error_response(request, 403, message=_("Some of the selected occurrences are not among those your "
                                                      "account can see: nothing was changed."))
    return None


def _done(filters: Filters, key: str, count: int, skipped: int = 0) -> Response:
    query = filters.query()
    extra = urlencode([(key, count)] + ([("bo-qua", skipped)] if skipped else []))
    return RedirectResponse(f"{OVERDUE_PATH}?{query + '&' if query else ''}{extra}", status_code=303)


Selected = Annotated[list[int], Form()]
Reason = Annotated[str, Form(max_length=2000)]
Back = Annotated[str, Form(max_length=2000)]


@router.post(OVERDUE_PATH + "/mien", include_in_schema=False, dependencies=[Depends(require_csrf)])
def excuse_selected(request: Request, who: Annotated[Viewer, Depends(editor)], ky: Selected = [],  # noqa: B006  # FastAPI copies defaults
                    ly_do: Reason = "", quay_lai: Back = "") -> Response:
    """"Miễn" the selected occurrences with one reason, all or none (Ledger.excuse_many)."""
    filters = _back(quay_lai)
    form = {"ky": set(ky), "ly_do": ly_do}
    if not ky:
        return overdue_list(request, who, filters, problem=_("Select at least one occurrence."), form=form,
                            status_code=422)
    if not ly_do.strip():
        return overdue_list(request, who, filters, problem=_("Write the reason for the excusal."), form=form,
                            status_code=422)
    refused = _checked(request, who, ky)
    if refused is not None:
        return refused
    state = request.app.state
    try:
        excused, skipped = state.ledger.get().excuse_many(ky, ly_do, actor=who.actor, now=state.clock())
    except LedgerError as error:
        return overdue_list(request, who, filters, problem=str(error), form=form, status_code=422)
    if not excused:
        return overdue_list(request, who, filters, problem=_("The selected occurrences were already excused."),
                            status_code=409)
    return _done(filters, "da-mien", len(excused), len(skipped))


@router.post(OVERDUE_PATH + "/gia-han", include_in_schema=False, dependencies=[Depends(require_csrf)])
def extend_selected(request: Request, who: Annotated[Viewer, Depends(editor)], ky: Selected = [],  # noqa: B006
                    ly_do: Reason = "", gia_han_den: Annotated[str, Form(max_length=40)] = "",
                    quay_lai: Back = "") -> Response:
    """"Gia hạn": move the selected occurrences' deadlines to the end of a day, all or none (Ledger.extend)."""
    filters = _back(quay_lai)
    form = {"ky": set(ky), "ly_do": ly_do, "gia_han_den": gia_han_den}
    problem, day = None, None
    if not ky:
        problem = _("Select at least one occurrence.")
    elif not gia_han_den.strip():
        problem = _("Choose the new deadline.")
    elif not ly_do.strip():
        problem = _("Write the reason for the extension.")
    else:
        try:
            day = parse_day(gia_han_den)
        except FilterProblem as error:
            problem = str(error)
    if problem is not None or day is None:
        return overdue_list(request, who, filters, problem=problem, form=form, status_code=422)
    refused = _checked(request, who, ky)
    if refused is not None:
        return refused
    state = request.app.state
    try:
        done = state.ledger.get().extend(ky, day, ly_do, actor=who.actor, now=state.clock())
    except LedgerError as error:
        return overdue_list(request, who, filters, problem=str(error), form=form, status_code=422)
    return _done(filters, "da-gia-han", len(done))
