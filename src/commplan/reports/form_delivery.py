"""The ministry's forms, built when a plan's own report obligation comes due (issue #13).

Which duties: an obligation of `kind: report` that carries indicators (`indicators:`) and recurs by the
calendar week (`every: week` -> the weekly form, Phụ lục 02) or month (`every: month` -> the monthly
form, Phụ lục 03). Any other rhythm (`every: 2 weeks`, a quarter, `rrule`, `once`) has no form of
its own and is skipped with its reason, as is a duty whose plan marks no indicator for that form
(`report: [weekly]`), and a duty owed jointly (`shared: true`) whose first lead, its holder, is a group.

When: each occurrence of such a duty that is not closed (done, excused, or untracked; its status as
of `now`) is built from its build moment until 7 days after its deadline: the deadline moved back
`lead_workdays` working days of the plan's calendar (its holidays and extra days), at the same time
of day (due Thursday 14:00 -> Wednesday 14:00; due Monday -> the Friday before; a deadline without a
time, 23:59:59, is built from 23:59:59 of the working day before, i.e. the first tick of its own
day). A lead of 0 builds on the deadline's day from midnight, i.e. at its first tick.

What: the form of the ISO week or the month the occurrence covers (the period containing its window's
first day: a report due after its period ends, `due: {after_end: 2 workdays}` or a month-end deadline
that `if_holiday: next-workday` moves into the next month, is still on its own period's form), over the
holder's province (the sum of the province's reporting units, as the province reports it), or the holder
alone when it belongs to no province; from the figures recorded by `now`. Its fingerprint is a digest
of what the build shows: the form's cells (values, growth, cumulative, completion, notes), the units
that sent nothing, the unit's name, the period, the scope, the holder, the title and the summary (the
deadline and the `to:` recipients). So the hourly tick adds nothing until the form changes: a figure
of a later period, or a correction to the same value, rebuilds nothing; a figure of the period (or one
its growth or cumulative is made from), a moved deadline or a renamed recipient, up to 7 days after the
deadline, makes a new build whose mail supersedes the older one's unsent mail (`ledger/report_builds.py`).

To whom: the holder's own contacts (their email addresses), never the report's `to:`. The holder (a
province's Sở) owes the report: it checks the draft, completes what the figures cannot say, and sends
it on to the recipient itself, signed; commplan never sends a report to the ministry in a unit's name.
A holder with no email address is still built (the dashboard links the build) and counted as
`no_address`. The files: .xlsx (the ministry's layout), .html and .csv.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from ..figures import FigureRow, Period, PeriodKind, period_containing
from ..i18n import _
from ..ledger import Ledger, LedgerError, LedgerUnavailable, OccurrenceStatus, Status
from ..ledger.report_builds import BuiltFile
from ..plan import Catalog, Directory, Plan
from ..plan.model import Kind, Obligation
from ..plan.report_duty import carried_indicators, recipients
from ..plan.values import PeriodUnit
from ..schedule import WorkCalendar, calendar_for
from .form_writers import csv_bytes, html_bytes, xlsx_bytes
from .indicator_form import TEMPLATES, IndicatorForm, form_indicators
from .ledger_form import form_figures, scoped_form

log = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
FORM_OF = {PeriodUnit.WEEK: PeriodKind.WEEK, PeriodUnit.MONTH: PeriodKind.MONTH}  # `every:` -> the form
AFTER_DEADLINE = dt.timedelta(days=7)  # a figure that comes this late still rebuilds the form
CLOSED = frozenset({Status.DONE_ON_TIME, Status.DONE_LATE, Status.EXCUSED, Status.UNTRACKED})
PAGE = 500
# the file names' first words, by form (ASCII: they travel as attachments)
FILE_STEMS = {PeriodKind.WEEK: "bao-cao-tuan", PeriodKind.MONTH: "bao-cao-thang"}
FILE_TYPES = (
    (".xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (".html", html_bytes, "text/html"),
    (".csv", csv_bytes, "text/csv"),
)


@dataclass(frozen=True)
class BuiltForm:
    """A form built (new content) for one occurrence."""

    build_id: int
    occurrence_id: int
    plan: str
    unit: str  # the holder, who receives it
    kind: str  # weekly | monthly
    period: str
    title: str
    summary: str
    addresses: tuple[str, ...]  # where its mail goes; () when the holder has no email address


@dataclass(frozen=True)
class SkippedDuty:
    plan: str
    obligation: str
    reason: str  # for people (translated)


@dataclass
class FormDeliveryResult:
    built: list[BuiltForm] = field(default_factory=list)
    unchanged: int = 0  # occurrences whose form was built before with the same content
    skipped: list[SkippedDuty] = field(default_factory=list)

    @property
    def no_address(self) -> list[BuiltForm]:
        return [b for b in self.built if not b.addresses]

    def as_dict(self) -> dict:
        """For the tick flow's result (plain values)."""
        return {"built": [asdict(b) | {"addresses": list(b.addresses)} for b in self.built],
                "unchanged": self.unchanged, "no_address": len(self.no_address),
                "skipped": [asdict(s) for s in self.skipped]}


# ---------------------------------------------------------------- when


def build_moment(due: dt.datetime, lead_workdays: int, calendar: WorkCalendar) -> dt.datetime:
    """When an occurrence due at `due` (aware, in its plan's timezone) is first built: `lead_workdays`
    working days before, at the same time of day; with no lead, the deadline's day from midnight."""
    if lead_workdays == 0:
        return dt.datetime.combine(due.date(), dt.time(0, 0), tzinfo=due.tzinfo)
    day = calendar.add_workdays(due.date(), -lead_workdays)
    return dt.datetime.combine(day, due.time(), tzinfo=due.tzinfo)


def form_kind(obligation: Obligation) -> PeriodKind | None:
    """The form a report duty fills, by its rhythm: a calendar week or month, else none."""
    every = obligation.every
    if every is None or every.count != 1:
        return None
    return FORM_OF.get(every.unit)


def form_duties(plan: Plan, directory: Directory) -> tuple[dict[str, PeriodKind], list[SkippedDuty]]:
    """The plan's report duties that carry indicators, by obligation id with their form; and those
    that carry indicators but have no form, with why."""
    duties: dict[str, PeriodKind] = {}
    skipped: list[SkippedDuty] = []
    for obligation in plan.obligations:
        if obligation.kind is not Kind.REPORT or not carried_indicators(plan, obligation):
            continue
        kind = form_kind(obligation)
        if kind is None:
            rhythm = f"every: {obligation.every}" if obligation.every else ("rrule" if obligation.rrule else "once")
            skipped.append(SkippedDuty(plan.id, obligation.id, _(
                "its rhythm ({rhythm}) has no ministry form: forms are built for `every: week` (weekly) and "
                "`every: month` (monthly)").format(rhythm=rhythm)))
        elif obligation.shared and directory.is_group(obligation.lead[0]):
            # a duty owed jointly is held by its first lead: a group here, whose form would be nobody's
            skipped.append(SkippedDuty(plan.id, obligation.id, _(
                "it is owed jointly (`shared: true`) and its first lead is a group: the form would be nobody's; "
                "name the unit that sends the report first in `lead`")))
        elif not form_indicators(plan, kind):
            skipped.append(SkippedDuty(plan.id, obligation.id, _(
                "no indicator of the plan is on the {kind} form (`report: [{key}]`)").format(
                kind=kind_name(kind), key=TEMPLATES[kind])))
        else:
            duties[obligation.id] = kind
    return duties, skipped


def due_occurrences(ledger: Ledger, plan: Plan, duties: dict[str, PeriodKind], calendar: WorkCalendar, *,
                    now: dt.datetime, lead_workdays: int) -> list[OccurrenceStatus]:
    """The open occurrences of these duties whose build moment has come and whose deadline is at most
    7 days past, with their status as of `now`."""
    today = now.astimezone(ZoneInfo(plan.header.timezone)).date()
    # a deadline after the (lead + 1)-th working day from today is built after today: none of ours
    due_from = today - AFTER_DEADLINE - dt.timedelta(days=1)
    due_to = calendar.add_workdays(today, lead_workdays + 1) + dt.timedelta(days=1)
    found: list[OccurrenceStatus] = []
    offset = 0
    while page := ledger.occurrence_page(as_of=now, plans=[plan.id], due_from=due_from, due_to=due_to,
                                         limit=PAGE, offset=offset):
        found += [row for row in page if row.obligation in duties and row.status not in CLOSED
                  and build_moment(row.due, lead_workdays, calendar) <= now <= row.due + AFTER_DEADLINE]
        offset += len(page)
    return found


# ---------------------------------------------------------------- what


def kind_name(kind: PeriodKind) -> str:
    return _("weekly") if kind is PeriodKind.WEEK else _("monthly")


def period_words(period: Period) -> str:
    """As a clerk says it: "tuần 47/2021", "tháng 11/2021" (the ISO label 2021-W47 stays in file names)."""
    if period.kind is PeriodKind.WEEK:
        # unpadded, as the dashboard says it: "tuần 5/2022"
        return _("week {week}/{year}").format(week=int(period.label.split("-W")[1]), year=period.year)
    return _("month {month}/{year}").format(month=f"{period.start:%m}", year=period.year)


def form_title(kind: PeriodKind, period: Period, number: str, holder_name: str) -> str:
    template = (_("Weekly report, {period}, on the form of {number} – {unit}") if kind is PeriodKind.WEEK
                else _("Monthly report, {period}, on the form of {number} – {unit}"))
    return template.format(period=period_words(period), number=number, unit=holder_name)


def deadline_line(due: dt.datetime, to: tuple[str, ...]) -> str:
    """When the report is due and to whom it goes: what the Sở must do with the draft."""
    when = f"{due.astimezone(VN):%H:%M %d/%m/%Y}"
    if to:
        return _("Due {deadline}, to {recipients}.").format(deadline=when, recipients=", ".join(to))
    return _("Due {deadline}.").format(deadline=when)


def form_summary(form: IndicatorForm, deadline: str = "") -> str:
    """One line for the mail and the dashboard: the deadline, how full the form is, and who still owes figures."""
    filled = sum(1 for row in form.rows if row.value is not None)
    line = (deadline + " " if deadline else "") + _("{rows} indicators, {filled} with a figure for the period").format(
        rows=len(form.rows), filled=filled)
    if not form.unreported:
        return line + "."
    missing = "; ".join(_("{unit} ({rows} rows)").format(unit=u.name, rows=len(u.rows)) for u in form.unreported)
    return line + "; " + _("figures missing from: {units}").format(units=missing) + "."


def fingerprint(form: IndicatorForm, *, scope: str, holder: str, title: str, summary: str) -> str:
    """What the build shows, as a digest: the form's cells, its unit and period, the mail's title and
    summary. Not the figures it was made from (a later period's figure changes no cell) nor the time of
    the figures (`as_of`): the same form gives the same digest, hour after hour."""
    content = {
        "period": form.period.label, "scope": scope, "holder": holder, "title": title, "summary": summary,
        "plan_number": form.plan_number,
        # the cells (values, growth, cumulative, completion, notes, who sent nothing) and the unit's name
        "form": repr((form.unit_name, form.groups, form.unreported)),
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def form_files(form: IndicatorForm, holder: str) -> Iterator[BuiltFile]:
    """The form's files, each written when it is read: the ledger reads them only for new content."""
    stem = f"{FILE_STEMS[form.kind]}-{form.period.label}-{holder}"
    for suffix, write, media_type in FILE_TYPES:
        yield BuiltFile(stem + suffix, write(form), media_type)


def holder_addresses(catalog: Catalog, holder: str) -> tuple[str, ...]:
    unit = catalog.directory.units.get(holder)
    emails = (c.email.strip() for c in (unit.contacts if unit else ()) if c.email and c.email.strip())
    return tuple(dict.fromkeys(emails))


# ---------------------------------------------------------------- the whole step


def build_due_forms(ledger: Ledger, catalog: Catalog, *, now: dt.datetime, lead_workdays: int = 1) -> FormDeliveryResult:
    """Build (or find unchanged) the form of every report occurrence whose time has come, and plan its
    mail to the holder's contacts. Idempotent: run it every tick.

    An error on one plan's occurrences, or on one form, is logged and reported as a skipped duty with
    its reason: the other forms are still built, and the next tick tries that one again."""
    if lead_workdays < 0:  # the setting bounds it (COMMPLAN_REPORT_LEAD_WORKDAYS, 0 to 10)
        raise ValueError(f"lead_workdays must be 0 or more, not {lead_workdays}")
    result = FormDeliveryResult()
    directory = catalog.directory
    for plan in sorted(catalog.plans.values(), key=lambda p: p.id):
        duties, skipped = form_duties(plan, directory)
        result.skipped += skipped
        if not duties:
            continue
        calendar = calendar_for(plan)
        try:
            rows = due_occurrences(ledger, plan, duties, calendar, now=now, lead_workdays=lead_workdays)
        except LedgerUnavailable:  # the database, not this plan: the task's retries, then the next tick
            raise
        except LedgerError as error:  # not synced yet: the next tick, after its sync, builds it
            result.skipped += [SkippedDuty(plan.id, ident, str(error)) for ident in duties]
            continue
        except Exception as error:  # one plan never stops the others' forms
            log.exception("%s", _("the forms of plan {plan}: its report duties could not be read").format(plan=plan.id))
            result.skipped += [SkippedDuty(plan.id, ident, failed_reason(None, error)) for ident in duties]
            continue
        figures: dict[PeriodKind, list[FigureRow]] = {}  # one query per plan and form, shared by its provinces
        # one form per holder and period, whatever number of report duties ask for it (each with its own
        # deadline and recipients, all said in its summary): two builds of one key would replace each other
        groups: dict[tuple[str, PeriodKind, str], list[OccurrenceStatus]] = {}
        for row in rows:
            kind = duties[row.obligation]
            groups.setdefault((row.unit, kind, period_containing(kind, row.window_start).label), []).append(row)
        for (holder, kind, _label), group in groups.items():
            try:
                build_one(ledger, catalog, plan, group, kind, figures, now=now, result=result)
            except LedgerUnavailable:
                raise
            except Exception as error:  # one form never stops the others
                log.exception("%s", _("the form of plan {plan} for {unit} could not be built").format(plan=plan.id, unit=holder))
                result.skipped += [SkippedDuty(plan.id, row.obligation, failed_reason(directory.name(holder), error))
                                   for row in group]
    return result


def failed_reason(unit_name: str | None, error: Exception) -> str:
    """Why a form is missing, for the coordinator: the error, and that the next tick tries again."""
    detail = f"{type(error).__name__}: {error}"
    if unit_name is None:
        return _("the forms could not be built (technical detail: {error}); the next run tries again").format(
            error=detail)
    return _("the form for {unit} could not be built (technical detail: {error}); the next run tries again").format(
        unit=unit_name, error=detail)


def build_one(ledger: Ledger, catalog: Catalog, plan: Plan, rows: list[OccurrenceStatus], kind: PeriodKind,
              figures: dict[PeriodKind, list[FigureRow]], *, now: dt.datetime, result: FormDeliveryResult) -> None:
    """Build (or find unchanged) the form of one holder and period (the occurrences `rows`, of one or more
    report duties) and count it in `result`; `figures` caches the plan's figures by form."""
    rows = sorted(rows, key=lambda r: (r.due, r.obligation))
    row = rows[0]
    directory = catalog.directory
    if kind not in figures:
        figures[kind] = form_figures(ledger, plan, kind, as_of=now)
    holder = row.unit
    province = directory.province_of(holder)
    # the period the occurrence covers, not the deadline's: a report may be due after its period ends
    period = period_containing(kind, row.window_start)
    name = directory.name(holder)  # "Tên đơn vị": the Sở that reports its province's figures
    form = scoped_form(catalog, plan, period, figures[kind], unit=None if province else holder,
                       province=province, as_of=now, unit_name=name)[0]
    title = form_title(kind, period, str(plan.header.number or plan.id), name)
    deadlines = dict.fromkeys(deadline_line(r.due, recipients(directory, plan.obligation(r.obligation), r.due))
                              for r in rows)
    summary = form_summary(form, " ".join(deadlines))
    addresses = holder_addresses(catalog, holder)
    build, new = ledger.save_report_build(
        kind=TEMPLATES[kind], plan=plan.id, scope=holder, period=period.label,
        fingerprint=fingerprint(form, scope=province or holder, holder=holder, title=title, summary=summary),
        title=title, files=form_files(form, holder), recipients=[(holder, a) for a in addresses], as_of=now,
        summary=summary, occurrence_id=row.id, now=now)
    if new:
        result.built.append(BuiltForm(build.id, row.id, plan.id, holder, build.kind, period.label, title,
                                      summary, addresses))
    else:
        result.unchanged += 1
