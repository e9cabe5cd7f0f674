"""The JSON API under /api: occurrences, status summaries and evidence, for programs.

A program authenticates with `Authorization: Bearer <token>` (`commplan user token`) and sees what
its user sees on the dashboard (`Viewer.ledger_filters`, `Scope.sees`): an occurrence outside that
scope is "not found", never "forbidden", so its existence is not told. Writes need an editor's
token (a browser session does not write here: it carries no CSRF token) and record with source
"api" under the user's audit name. A write sent with an `Idempotency-Key` is done once: a retry
with the same key and body gets the first answer again, marked `Idempotent-Replayed: true`.

The schema is at /api/openapi.json (English field names and descriptions: it is for programmers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query
from fastapi.security import HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..i18n import _
from ..ledger import (
    EvidenceInput,
    EvidenceItem,
    IdempotencyConflict,
    Ledger,
    LedgerError,
    LedgerUnavailable,
    OccurrenceStatus,
    RecordResult,
    Status,
    SummaryRow,
)
from ..ledger.api import MAX_ROW_ID  # the largest row id: past it, nothing is found
from ..plan.catalog import Catalog
from ..plan.values import ID_PATTERN
from .auth import SignInRequired, Viewer, _bearer, editor, viewer
from .dashboard import unit_visible, visible_plans
from .errors import API_PREFIX

MAX_PAGE = 1000
# free text a person typed: any character but the control ones (PostgreSQL refuses NUL in text)
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII: a UUID, a hash, a counter
RETRY = {"Retry-After": "30"}

# Documents the scheme in the schema; `viewer` does the checking (and answers the JSON 401).
bearer_scheme = HTTPBearer(auto_error=False, description="An API token from `commplan user token LOGIN`.")


class ApiError(BaseModel):
    error: str = Field(description="A stable English key: unauthorized, forbidden, not_found, invalid, unavailable…")
    status: int = Field(description="The HTTP status, repeated.")
    message: str = Field(description="What went wrong, for a person (Vietnamese by default).")
    details: Any = Field(None, description="For `invalid`: the fields that were refused.")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "No valid token (missing, unknown, revoked, or its user disabled)."},
    422: {"model": ApiError, "description": "The request is not valid; `message` and `details` say why."},
    503: {"model": ApiError, "description": "The ledger cannot answer now; retry after `Retry-After` seconds."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ApiError, "description": "No such occurrence or evidence within the caller's scope."}}
WRITE: dict[int | str, dict[str, Any]] = {
    403: {"model": ApiError, "description": "The token's user may read but not change (the viewer role)."}}

router = APIRouter(prefix=API_PREFIX, tags=["api"], dependencies=[Depends(bearer_scheme)], responses=ERRORS)


# ---------------------------------------------------------------- what the API answers

class Occurrence(BaseModel):
    """One duty of one unit in one period, with its status now."""

    id: int = Field(description="The occurrence's id in the ledger.")
    plan: str = Field(description="The plan's id.")
    plan_number: str | None = Field(description="The plan's number as issued, e.g. 12/KH-UBND.")
    obligation: str = Field(description="The obligation's id within the plan.")
    title: str = Field(description="The obligation's title.")
    unit: str = Field(description="The unit (or group, for a shared duty) that owes it.")
    window_start: dt.date = Field(description="First day of the period (plan's local date).")
    window_end: dt.date = Field(description="Last day of the period.")
    due: dt.datetime = Field(description="The deadline, ISO 8601 with the plan's offset (+07:00).")
    at_least: int = Field(description="How many items are owed.")
    delivered: int = Field(description="How many count now.")
    status: Status = Field(description="The status now.")

    @classmethod
    def of(cls, row: OccurrenceStatus, numbers: dict[str, str | None]) -> Occurrence:
        return cls(id=row.id, plan=row.plan, plan_number=numbers.get(row.plan), obligation=row.obligation,
                   title=row.title, unit=row.unit, window_start=row.window_start, window_end=row.window_end,
                   due=row.due, at_least=row.at_least, delivered=row.delivered, status=row.status)


class StatusCounts(BaseModel):
    scheduled: int
    open: int
    done_on_time: int
    done_late: int
    overdue: int
    excused: int
    untracked: int
    total: int = Field(description="Open, done on time, done late and overdue: what the tracking reports count.")

    @classmethod
    def of(cls, row: SummaryRow) -> StatusCounts:
        counts = {status.value.replace("-", "_"): row.counts.get(status, 0) for status in Status}
        return cls(**counts, total=row.total)


class PlanSummary(BaseModel):
    plan: str = Field(description="The plan's id.")
    plan_number: str = Field(description="The plan's number as issued (its id when it has none).")
    counts: StatusCounts


class UnitSummary(BaseModel):
    unit: str = Field(description="The unit's (or group's) id.")
    name: str = Field(description="The unit's name.")
    counts: StatusCounts


class Summary(BaseModel):
    """Counts of occurrences in each status, per plan and per unit, within the caller's scope."""

    plans: list[PlanSummary]
    units: list[UnitSummary]


class Evidence(BaseModel):
    """One recorded item; a withdrawn one stays listed, flagged, and no longer counts."""

    id: int
    occurrence_id: int
    kind: Literal["link", "document", "count"]
    link: str | None
    document: str | None = Field(description="A document's name (or number).")
    quantity: int = Field(description="How many times it counts (a count; 1 otherwise).")
    note: str | None
    source: str = Field(description="Where it came from: manual, web, feed, import or api.")
    occurred_at: dt.datetime = Field(description="When it was published or sent.")
    recorded_at: dt.datetime
    recorded_by: str | None = Field(description="Who recorded it (an API write: web:LOGIN).")
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None
    withdraw_reason: str | None

    @classmethod
    def of(cls, item: EvidenceItem) -> Evidence:
        return cls(id=item.id, occurrence_id=item.occurrence_id, kind=item.kind,  # type: ignore[arg-type]
                   link=item.link, document=item.document, quantity=item.quantity, note=item.note, source=item.source,
                   occurred_at=item.occurred_at, recorded_at=item.recorded_at, recorded_by=item.recorded_by,
                   withdrawn=item.withdrawn, withdrawn_at=item.withdrawn_at, withdrawn_by=item.withdrawn_by,
                   withdraw_reason=item.withdraw_reason)


class NewEvidence(BaseModel):
    """A link (http or https), a count, or a document's name."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["link", "count", "document"]
    link: str | None = Field(None, min_length=1, max_length=2000, description="For kind `link`: an http(s) address.")
    quantity: int = Field(1, ge=1, le=100_000, description="For kind `count`: how many times it was done.")
    document: str | None = Field(None, min_length=1, max_length=500, pattern=PLAIN_TEXT,
                                 description="For kind `document`: the document's name or number.")
    note: str | None = Field(None, max_length=2000, pattern=PLAIN_TEXT)
    occurred_at: AwareDatetime | None = Field(None, description="When it was published or sent (default: now).")

    @model_validator(mode="after")
    def one_kind(self) -> NewEvidence:
        if (self.link is not None) != (self.kind == "link"):
            raise ValueError(_("a link is given with kind 'link', and only then"))
        if (self.document is not None) != (self.kind == "document"):
            raise ValueError(_("a document's name is given with kind 'document', and only then"))
        if self.quantity != 1 and self.kind != "count":
            raise ValueError(_("a quantity other than 1 is given with kind 'count' only"))
        if self.occurred_at is not None and not 1900 <= self.occurred_at.year <= 9000:
            raise ValueError(_("the date of the evidence is out of range"))
        return self

    def as_input(self) -> EvidenceInput:
        return EvidenceInput(kind=self.kind, link=self.link, document=self.document, quantity=self.quantity,
                             note=self.note, occurred_at=self.occurred_at, source="api")


class Recorded(BaseModel):
    evidence_id: int | None = Field(description="The new item's id; null when the occurrence already had it.")
    duplicate_of: int | None = Field(description="The item it repeats (the same link or document), if any.")
    occurrence: Occurrence = Field(description="The occurrence as it is after the recording.")


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, pattern=PLAIN_TEXT, description="Why it is withdrawn.")


class Withdrawn(BaseModel):
    evidence: Evidence = Field(description="The item, now withdrawn.")
    delivered: int = Field(description="What its occurrence has now, without it.")
    at_least: int
    status: Status = Field(description="Its occurrence's status now.")


# ---------------------------------------------------------------- plumbing

def ledger_of(request: Request) -> Ledger:
    try:
        ledger: Ledger = request.app.state.ledger.get()
    except LedgerError as error:
        raise HTTPException(503, headers=RETRY) from error
    return ledger


@contextmanager
def ledger_answers() -> Iterator[None]:
    """A refusal of the ledger is the request's fault (422, its message), except an outage (503)."""
    try:
        yield
    except LedgerUnavailable as error:
        raise HTTPException(503, headers=RETRY) from error
    except LedgerError as error:
        raise HTTPException(422, str(error)) from error


def sees(request: Request, who: Viewer, occurrence_id: int) -> bool:
    """The dashboard's rule (`Scope.sees_occurrence`): through the occurrence's own unit or any holder."""
    owner = ledger_of(request).owners_of([occurrence_id]).get(occurrence_id)
    return owner is not None and who.scope.sees_occurrence(*owner)


def visible_occurrence(request: Request, who: Viewer, occurrence_id: int) -> OccurrenceStatus:
    with ledger_answers():
        found = ledger_of(request).occurrence(occurrence_id, as_of=request.app.state.clock())
    if found is None or not sees(request, who, found.id):
        raise HTTPException(404, _("No occurrence #{occurrence} in what you may see.").format(occurrence=occurrence_id))
    return found


async def api_editor(request: Request, who: Annotated[Viewer, Depends(editor)]) -> Viewer:
    """An editor who came with a bearer token: a browser's session cookie alone writes nothing here."""
    if _bearer(request) is None:
        raise SignInRequired()
    return who


def scoped_filters(who: Viewer, catalog: Catalog, plan: str | None, unit: str | None) -> dict[str, Any] | None:
    """The ledger filters of the caller's scope narrowed by the request's; None: nothing of it is visible.
    A plan or unit the caller may not filter by (the dashboard's rule) is "nothing" before the ledger is
    asked: its "unknown plan … (did you mean …)" would name another province's plans. An admin, who sees
    everything, still hears the ledger's words for a mistyped name."""
    if who.sees_nothing:
        return None
    filters: dict[str, Any] = who.ledger_filters()
    everything = who.scope.everything
    if plan is not None:
        if not everything and plan not in visible_plans(who, catalog):
            return None
        if "plans" in filters and plan not in filters["plans"]:
            return None
        filters["plans"] = [plan]
    if unit is not None:
        if not everything and not unit_visible(who, catalog, unit):
            return None
        filters["units"] = [unit]
    return filters


# ---------------------------------------------------------------- reading

@router.get("/occurrences", response_model=list[Occurrence], summary="List occurrences")
def occurrences(
    request: Request,
    who: Annotated[Viewer, Depends(viewer)],
    plan: Annotated[str | None, Query(min_length=1, max_length=100, pattern=ID_PATTERN.pattern,
                                      description="Only this plan (its id).")] = None,
    unit: Annotated[str | None, Query(min_length=1, max_length=100, pattern=ID_PATTERN.pattern,
                                      description="Only this unit or group (a group: its members' too).")] = None,
    status: Annotated[Status | None, Query(description="Only this status.")] = None,
    due_from: Annotated[dt.date | None, Query(description="Deadlines on or after this day (Vietnam date).")] = None,
    due_to: Annotated[dt.date | None, Query(description="Deadlines on or before this day (Vietnam date).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many first.")] = 0,
) -> list[Occurrence]:
    """The occurrences the caller may see, by deadline (then id), scheduled ones included; orphaned
    ones (no longer in their plan) left out."""
    filters = scoped_filters(who, request.app.state.catalog, plan, unit)
    if filters is None:
        return []
    with ledger_answers():
        ledger = ledger_of(request)
        rows = ledger.occurrence_page(as_of=request.app.state.clock(), only=status.value if status else None,
                                      due_from=due_from, due_to=due_to, limit=limit, offset=offset, **filters)
        numbers = ledger.plan_numbers() if rows else {}
    return [Occurrence.of(row, numbers) for row in rows]


@router.get("/summary", response_model=Summary, summary="Counts per plan and per unit")
def summary(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Summary:
    """How many occurrences are in each status now, per plan and per unit, within the caller's scope
    (orphaned occurrences left out)."""
    if who.sees_nothing:
        return Summary(plans=[], units=[])
    with ledger_answers():
        filters: dict[str, Any] = who.ledger_filters()
        by_plan, by_unit = ledger_of(request).summary(as_of=request.app.state.clock(), **filters)
    return Summary(
        plans=[PlanSummary(plan=row.key, plan_number=row.name, counts=StatusCounts.of(row)) for row in by_plan],
        units=[UnitSummary(unit=row.key, name=row.name, counts=StatusCounts.of(row)) for row in by_unit],
    )


OccurrenceId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The occurrence's id.")]


@router.get("/occurrences/{occurrence_id}/evidence", response_model=list[Evidence], responses=NOT_FOUND,
            summary="An occurrence's evidence")
def evidence(request: Request, who: Annotated[Viewer, Depends(viewer)], occurrence_id: OccurrenceId) -> list[Evidence]:
    """Every item recorded for the occurrence, withdrawn ones included (flagged), by date."""
    visible_occurrence(request, who, occurrence_id)
    with ledger_answers():
        items = ledger_of(request).evidence(occurrence_id=occurrence_id)
    return [Evidence.of(item) for item in items]


# ---------------------------------------------------------------- writing

def request_hash(request: Request, body: BaseModel) -> str:
    """What makes two requests the same one: the path and the body as parsed (not its spacing)."""
    canonical = json.dumps({"path": request.url.path, "body": body.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post("/occurrences/{occurrence_id}/evidence", response_model=Recorded, status_code=201,
             responses={**NOT_FOUND, **WRITE, 200: {"model": Recorded, "description": "The occurrence already had "
                                                    "this item (the same link or document): nothing was added."}},
             summary="Record evidence")
def record(request: Request, who: Annotated[Viewer, Depends(api_editor)], occurrence_id: OccurrenceId,
           item: Annotated[NewEvidence, Body()],
           idempotency_key: Annotated[str | None, Header(
               alias="Idempotency-Key", min_length=1, max_length=255, pattern=KEY_PATTERN,
               description="Send the same key again (with the same body) to retry safely: the first answer is "
                           "replayed and nothing is recorded twice. A key reused with another body is refused (422)."
           )] = None) -> Response:
    """Record a link, a count or a document's name for the occurrence (source `api`): 201 when added,
    200 when the occurrence already had it. Editors (admin, coordinator) only."""
    found = visible_occurrence(request, who, occurrence_id)
    now = request.app.state.clock()
    obligation = f"{found.plan}/{found.obligation}"

    with ledger_answers():
        ledger = ledger_of(request)
        numbers = ledger.plan_numbers()

    def respond(result: RecordResult) -> tuple[int, str]:
        """The answer, built inside the recording transaction: it is stored with the key."""
        after = Occurrence.of(found, numbers).model_copy(update={"delivered": result.delivered,
                                                                 "status": result.status})
        answer = Recorded(evidence_id=result.evidence_id, duplicate_of=result.duplicate_of, occurrence=after)
        return (200 if result.duplicate else 201), answer.model_dump_json()

    with ledger_answers():
        if idempotency_key is None:
            status, body = respond(ledger.record_evidence(obligation, found.unit, item.as_input(),
                                                          occurrence_id=occurrence_id, actor=who.actor, now=now))
            return Response(body, status_code=status, media_type="application/json")
        try:
            answer = ledger.record_evidence_once(
                who.user.id, idempotency_key, request_hash(request, item), obligation, found.unit, item.as_input(),
                respond, occurrence_id=occurrence_id, actor=who.actor, now=now)
        except IdempotencyConflict as error:
            raise HTTPException(422, str(error)) from error
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return Response(answer.body, status_code=answer.status, media_type="application/json", headers=headers)


@router.post("/evidence/{evidence_id}/withdraw", response_model=Withdrawn, responses={
    **NOT_FOUND, **WRITE, 409: {"model": ApiError, "description": "The item was already withdrawn."}},
    summary="Withdraw evidence")
def withdraw(request: Request, who: Annotated[Viewer, Depends(api_editor)],
             evidence_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The item's id.")],
             withdrawal: Annotated[Withdrawal, Body()]) -> Withdrawn:
    """Withdraw an item recorded by mistake: it stays listed, flagged, and no longer counts. Editors only."""
    with ledger_answers():
        ledger = ledger_of(request)
        item = ledger.evidence_item(evidence_id)
        if item is None or not sees(request, who, item.occurrence_id):
            raise HTTPException(404, _("No evidence #{evidence} in what you may see.").format(evidence=evidence_id))
        if item.withdrawn:
            raise HTTPException(409, _("Evidence #{evidence} was already withdrawn.").format(evidence=evidence_id))
        done = ledger.withdraw_evidence(evidence_id, withdrawal.reason, actor=who.actor, now=request.app.state.clock())
    return Withdrawn(evidence=Evidence.of(done.item), delivered=done.delivered, at_least=done.at_least,
                     status=done.status)
