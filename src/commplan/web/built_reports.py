"""The reports commplan builds on its own, on the dashboard: the ministry's indicator forms (per unit: the
Sở that owes the report) and the compliance reports (per plan, with a heat map), their files and to whom
they were emailed.

- `/tong-quan` lists the newest build of each report the reader may see (`overview_section`) and shows
  the heat map of each plan's newest compliance report.
- `/bao-cao-da-lap/{id}` is one build with the earlier builds of the same report (its history).
- `/bao-cao-da-lap/{id}/{file}` serves one of the build's files, by the name the build lists (never a
  path from the request).

Who sees a build is one rule (`visible`); to anyone else, a build is answered exactly as one that does
not exist (404). A generated file is served inert, as an uploaded document is (`documents.py`): its own
type with `nosniff`, a CSP `sandbox` (an HTML page gets an origin of its own and runs no script),
spreadsheets as downloads, never kept by a shared cache.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from ..i18n import N_, Labels, _
from ..ledger import Ledger, LedgerError
from ..ledger.report_builds import COMPLIANCE_KINDS, FORM_KINDS, KINDS, ReportBuild
from ..ledger.users import Scope
from ..plan.catalog import Catalog
from .auth import VIETNAM, Viewer, viewer
from .documents import disposition
from .errors import error_response
from .pages import render

router = APIRouter()
BUILT_PATH = "/bao-cao-da-lap"
# a unit's form: scope is the unit that owes it; a whole plan's compliance report: scope ""
SHOWN = 30  # builds listed on the overview (the newest first)
HISTORY = 50  # builds listed on a build's page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAT_MAP = "image/png"
INLINE = frozenset({HEAT_MAP, "text/html"})  # drawn or shown by the browser; the rest are downloads
# A generated page holds its style and its heat map (a data: address): nothing else may load, no script runs
CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
FILE_LABELS = Labels({XLSX: N_("Excel"), "text/csv": N_("CSV"), "text/html": N_("HTML page"),
                      HEAT_MAP: N_("Heat map")})
MAIL_LABELS = Labels({"pending": N_("still waiting to be sent"), "sending": N_("being sent"), "sent": N_("sent"),
                      "written": N_("written to the outbox file (no email configured)"),
                      "failed": N_("could not be sent"), "unknown": N_("not known whether it was sent"),
                      "superseded": N_("replaced by a newer build")})
MAIL_CLASSES = {"sent": "status-ok", "failed": "status-overdue", "unknown": "status-late"}
WEEK = re.compile(r"(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
SPAN = re.compile(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})")


# ---------------------------------------------------------------- who sees what


def visible(scope: Scope, build: ReportBuild) -> bool:
    """Whether a reader with `scope` may see `build`: a unit's form when they see that unit's duties on
    the plan (`Scope.sees`: a province's users their province's units, a ministry's the plans it
    coordinates or issues); a plan's compliance report when they see the plan and every unit it names
    (the rule of `Scope.sees`: a province's users never see another province's units, even on a plan they
    coordinate; a reader bound to no province sees all of its plan's). Anything else (an unknown kind, a
    form of no unit, a plan's report with a unit, a report whose provinces are not known) is seen by nobody
    but an administrator."""
    if scope.everything:
        return build.kind in KINDS
    if build.kind in FORM_KINDS and build.scope:
        return scope.sees(build.plan, build.scope)
    if build.kind in COMPLIANCE_KINDS and not build.scope and scope.sees_plan(build.plan):
        if scope.province is None:
            return True
        return build.provinces is not None and set(build.provinces) <= {scope.province}
    return False


def latest_seen(ledger: Ledger, who: Viewer, *, limit: int = SHOWN + 1) -> list[ReportBuild]:
    """The newest build of each report `who` sees, newest first. The ledger is asked only for the
    reader's plans and units (another province's builds never crowd theirs out of the limit); `visible`
    has the last word."""
    scope = who.scope
    if scope.everything:
        found = ledger.latest_report_builds(limit=limit)
    else:
        found = ledger.latest_report_builds(kinds=COMPLIANCE_KINDS, plans=scope.plans, limit=limit)
        found += ledger.latest_report_builds(kinds=FORM_KINDS, plans=scope.plans if scope.province is None else (),
                                             units=scope.units, limit=limit)
    seen = [b for b in found if visible(scope, b)]
    seen.sort(key=lambda b: (b.built_at, b.id), reverse=True)
    return seen[:limit]


# ---------------------------------------------------------------- what the pages show


def period_label(period: str) -> str:
    """A build's period as people write it: "tuần 47/2021", "tháng 11/2021", "01/11/2021 – 30/11/2021"
    (as the ledger keeps it when it is none of these)."""
    if found := WEEK.fullmatch(period):
        return _("week {week}/{year}").format(week=int(found.group(2)), year=found.group(1))
    if found := MONTH.fullmatch(period):
        return _("month {month}/{year}").format(month=found.group(2), year=found.group(1))
    if found := SPAN.fullmatch(period):
        try:
            start, end = dt.date.fromisoformat(found.group(1)), dt.date.fromisoformat(found.group(2))
        except ValueError:
            return period
        return f"{start:%d/%m/%Y}" if start == end else f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    return period


def local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%H:%M %d/%m/%Y}"  # time first, as the rest of the dashboard


def base_type(media_type: str) -> str:
    """"text/csv" of "text/csv; charset=utf-8": what a file is, whatever parameters the builder wrote."""
    return media_type.split(";", 1)[0].strip().lower()


def file_href(build: ReportBuild, name: str) -> str:
    return f"{BUILT_PATH}/{build.id}/{quote(name, safe='')}"


def plan_number(catalog: Catalog, plan_id: str) -> str:
    plan = catalog.plans.get(plan_id)
    return (plan.header.number if plan is not None else None) or plan_id


def build_view(build: ReportBuild, catalog: Catalog, names: Mapping[str, str],
               mails: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the page shows of one build (the template escapes every string: titles come from plans)."""
    number = plan_number(catalog, build.plan)
    period = period_label(build.period)
    heat_map = next((f for f in build.files if base_type(f.media_type) == HEAT_MAP), None) if build.kind in COMPLIANCE_KINDS else None
    return {
        "id": build.id, "title": build.title, "summary": build.summary, "plan_number": number,
        "unit": names.get(build.scope, build.scope) if build.scope else None, "period": period,
        "built": local(build.built_at), "page": f"{BUILT_PATH}/{build.id}",
        "files": [{"label": FILE_LABELS.get(base_type(f.media_type)) or f.name, "name": f.name,
                   "href": file_href(build, f.name)} for f in build.files],
        "heat_map": None if heat_map is None else {
            "src": file_href(build, heat_map.name),
            "alt": _("Heat map of the share done on time per unit and month, plan {number}, {period}").format(
                number=number, period=period)},
        "mails": [{"to": names.get(m["recipient"], m["recipient"]), "address": m["address"],
                   "status": MAIL_LABELS.get(m["status"]) or m["status"], "class": MAIL_CLASSES.get(m["status"], ""),
                   "sent": local(m["sent_at"]) if m["status"] in ("sent", "written") and m.get("sent_at") else None}
                  for m in mails],
    }


def overview_section(ledger: Ledger, who: Viewer, catalog: Catalog, names: Mapping[str, str]) -> dict[str, Any]:
    """The overview's "Báo cáo đã lập": the newest builds, at most one heat map per plan (its newest
    compliance report's), and whether more builds than shown exist."""
    builds = latest_seen(ledger, who)
    more = len(builds) > SHOWN
    builds = builds[:SHOWN]
    mails = ledger.report_mails_by_build([b.id for b in builds]) if builds else {}
    views = [build_view(b, catalog, names, mails.get(b.id, [])) for b in builds]
    drawn: set[str] = set()  # one heat map per plan, its newest: an older one beside it would only confuse
    for build, view in zip(builds, views, strict=True):
        if view["heat_map"] is None:
            continue
        if build.plan in drawn:
            view["heat_map"] = None
        drawn.add(build.plan)
    return {"built_reports": views, "built_more": more}


# ---------------------------------------------------------------- routes


def _seen_build(request: Request, who: Viewer, build_id: str) -> ReportBuild | None:
    """The build, when it exists and `who` sees it (None either way: the same 404)."""
    if not (build_id.isascii() and build_id.isdigit()) or len(build_id) > 18 or who.sees_nothing:
        return None
    found = request.app.state.ledger.get().report_build(int(build_id))
    return found if found is not None and visible(who.scope, found) else None


@router.get(BUILT_PATH + "/{build_id}", include_in_schema=False)
def build_page(request: Request, build_id: str, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """One build, its files and mail, then every build of the same report (other periods, rebuilds)."""
    try:
        found = _seen_build(request, who, build_id)
        if found is None:
            return error_response(request, 404)
        ledger: Ledger = request.app.state.ledger.get()
        history = [b for b in ledger.report_build_history(found.id, limit=HISTORY) if visible(who.scope, b)]
        mails = ledger.report_mails_by_build([found.id])
        names = ledger.unit_names()
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    catalog: Catalog = request.app.state.catalog
    view = build_view(found, catalog, names, mails.get(found.id, []))
    return render(request, "built_report.html", {
        "who": who, "build": view,
        "history": [build_view(b, catalog, names, []) | {"current": b.id == found.id} for b in history]})


@router.get(BUILT_PATH + "/{build_id}/{name}", include_in_schema=False)
def built_file(request: Request, build_id: str, name: str, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """One of the build's files, by the name the build lists, to a reader who sees the build."""
    try:
        found = _seen_build(request, who, build_id)
        listed = found.file(name) if found is not None else None
        data = request.app.state.ledger.get().document_content(listed.sha256) if listed is not None else None
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "60"})
    if listed is None or data is None:
        return error_response(request, 404)
    return Response(data, media_type=listed.media_type, headers={
        "content-disposition": disposition("inline" if base_type(listed.media_type) in INLINE else "attachment",
                                           listed.name),
        "x-content-type-options": "nosniff",
        "content-security-policy": CSP,
        "cache-control": "private, no-store",
        "cross-origin-resource-policy": "same-origin",
    })
