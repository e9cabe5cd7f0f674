"""The scheduled compliance report (the `compliance-report` flow's work): each plan's report for the week or
month around an instant, its four files, and a build in the ledger addressed to the plan's coordinator.

It lives here, not in the flow, so that the flow stays a shell (DESIGN.md) and the rules below are
tested without Prefect.

- The period: the week (Monday to Sunday) or the calendar month containing `as_of`, in Vietnam time,
  with the statuses at `as_of`. The Thursday run shows the week so far: a duty due later that week is
  open, or not counted while its window has not opened.
- A plan that owes nothing in the period (no occurrence whose window has opened) gets no files, no build
  and no mail: a plan that has ended, or one with only monthly duties on a weekly run, stays silent.
- A build is kept once per content (`ledger/report_builds.py`). Its fingerprint is a digest of what the
  report says (every count, line, name and amount), not of when it was made: not `as_of`, not the days
  late (they follow from the day), and not the XLSX bytes, which openpyxl stamps with the time. A re-run
  with nothing changed finds its earlier build and plans no mail. New evidence, an excusal, a deadline
  that has passed since, money spent: a new build, whose mail supersedes the unsent mail of the older one.
- The mail goes to the email addresses of the contacts of the plan's coordinator, or of whoever answers
  for it that day (its successor after a merger, `Directory.answering_for`), as escalations do.
- A replay (an `as_of` more than 10 minutes from the clock, `commplan.clock`) writes the files only: no
  build, no mail, so a simulated past never reaches an inbox nor the dashboard's latest reports. Its
  files go under `folder`/replay/<plan id>/, never over the real run's files of the same names in
  `folder`/<plan id>/.
- The builds are kept under the kind `compliance-weekly` or `compliance-monthly`, so that a plan's weekly
  and monthly reports are each "the latest" of their own kind on the dashboard.
- One plan's failure (its report, its files or its build) is logged and listed in `failed` with its
  error; the other plans' reports are still built, and their mail still sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..i18n import _
from .compliance_files import files_of, write_files
from .compliance_report import ComplianceReport, UnitLine, compliance_report
from .compliance_tables import tables

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..plan import Catalog
    from ..plan.catalog import Plan
    from ..plan.directory import Directory

log = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = ("weekly", "monthly")
REPLAY_FOLDER = "replay"  # a replay's files, under the run's folder: apart from the real run's


def build_kind(period: str) -> str:
    """The ledger's kind of build: compliance-weekly or compliance-monthly."""
    return f"compliance-{period}"


def period_of(kind: str, as_of: dt.datetime) -> tuple[dt.date, dt.date]:
    """The week (Monday to Sunday) or calendar month containing `as_of`, in Vietnam time."""
    day = as_of.astimezone(VN).date()
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == "monthly":
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    raise ValueError(_("unknown report period '{period}' ({choices})").format(period=kind, choices=", ".join(PERIODS)))


def period_key(start: dt.date, end: dt.date) -> str:
    """The build's period, as the ledger keys it: 2021-11-01/2021-11-30."""
    return f"{start.isoformat()}/{end.isoformat()}"


def period_words(kind: str, start: dt.date, end: dt.date) -> str:
    """"tháng 11/2021", "tuần 15/11–21/11/2021" (a week across the new year: "tuần 27/12/2021–02/01/2022")."""
    if kind == "monthly":
        return _("month {month}").format(month=f"{start:%m/%Y}")
    first = f"{start:%d/%m}" if start.year == end.year else f"{start:%d/%m/%Y}"
    return _("week {start}–{end}").format(start=first, end=f"{end:%d/%m/%Y}")


def fingerprint(report: ComplianceReport, recipients: list[tuple[str, str]] | None = None) -> str:
    """A digest of what the report says, not of when (see the module's note), and of whom it goes to: a
    contact added to the directory gets the report in force."""
    facts = dataclasses.asdict(report)
    facts["recipients"] = sorted(recipients or [])
    del facts["as_of"]
    for line in facts["overdue"]:
        del line["days_late"]
    text = json.dumps(facts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def units_behind(report: ComplianceReport) -> int:
    """The units with at least one occurrence overdue in the period."""
    return sum(1 for line in report.by_unit if line.tally.overdue)


def mail_title(report: ComplianceReport, kind: str) -> str:
    """The mail's subject: "Báo cáo tình hình thực hiện 241/KH-UBND, tháng 11/2021"."""
    return _("Compliance report of {number}, {period}").format(
        number=report.shown_number, period=period_words(kind, report.start, report.end))


def summary_of(report: ComplianceReport) -> str:
    """One line: the counts the coordinator looks at first."""
    total = report.total
    return _("{owed} owed: {on_time} done on time, {late} done late, {open} open, {overdue} overdue; "
             "units behind: {behind}").format(owed=total.owed, on_time=total.on_time, late=total.late,
                                              open=total.open, overdue=total.overdue, behind=units_behind(report))


def provinces_of(report: ComplianceReport, directory: Directory) -> set[str]:
    """The provinces of the units the report names ("" for a unit of none, e.g. a ministry's)."""
    return {directory.province_of(line.unit) or "" for line in report.by_unit}


def recipients_of(plan: Plan, directory: Directory, day: dt.date, provinces: set[str] | None = None
                  ) -> list[tuple[str, str]]:
    """(unit, email) of each contact of the plan's coordinator, or of whoever answers for it on `day`. A
    coordinator of one province gets the report only when every unit it names is of that province (the rule
    of the dashboard, `Scope.sees`: a province never sees another's units); of none (a ministry), always."""
    unit_id = directory.answering_for(plan.header.coordinator, day) if plan.header.coordinator else None
    unit = directory.units.get(unit_id) if unit_id else None
    if unit is None:
        return []
    own = directory.province_of(unit.id)
    if own is not None and provinces is not None and not provinces <= {own}:
        return []
    found: dict[str, None] = {}
    for contact in unit.contacts:
        if contact.email:
            found.setdefault(contact.email.strip(), None)
    return [(unit.id, address) for address in found]


def artifact_rows(report: ComplianceReport) -> list[dict[str, str]]:
    """Who is behind, by unit, as a Prefect table: the most overdue first, then the lowest share done on
    time; the report's own headings, its values as the HTML page shows them."""
    from .compliance_files import shown

    def behind(line: UnitLine) -> tuple[int, float]:
        share = line.tally.share_on_time
        return (-line.tally.overdue, 2.0 if share is None else share)

    worst = dataclasses.replace(report, by_unit=sorted(report.by_unit, key=behind))  # a stable sort: names break ties
    by_unit = next(t for t in tables(worst) if t.key == "by-unit")
    return [{heading: shown(value, kind) for heading, kind, value in zip(by_unit.headings, by_unit.kinds, row, strict=True)}
            for row in by_unit.rows]


@dataclass(frozen=True)
class PlanOutcome:
    """One plan's report of the run."""

    plan: str
    number: str  # as people cite the plan: 241/KH-UBND
    title: str
    summary: str
    files: tuple[Path, ...]  # as written under the run's folder
    build: int | None  # the build in the ledger (None: a replay keeps none)
    new: bool  # a new build, its mail planned; False: the same content as an earlier build
    recipients: tuple[str, ...]  # the addresses its mail was planned to (none when not new)
    rows: list[dict[str, str]]  # by unit, worst first: the flow's artifact

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "files": [str(f) for f in self.files]}


@dataclass(frozen=True)
class ScheduledRun:
    kind: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    replay: bool
    reports: list[PlanOutcome]
    idle: list[str]  # plans owing nothing in the period
    unknown: list[str]  # plans of the files the ledger does not hold yet (no tick has synced them)
    failed: list[dict[str, str]] = dataclasses.field(default_factory=list)  # {plan, error}: no report this run


def run(ledger: Ledger, catalog: Catalog, kind: str, as_of: dt.datetime, *, folder: Path, replay: bool = False,
        now: dt.datetime | None = None) -> ScheduledRun:
    """Build, write and keep the period's report of each plan of `catalog` as of `as_of`; files under
    `folder`/<plan id>/ (a replay's under `folder`/replay/<plan id>/). The ledger is read, not synced: the
    hourly tick keeps it in step with the files, and a plan it does not hold yet is listed in `unknown`.
    A plan whose report fails is listed in `failed` (and logged): the others go on."""
    start, end = period_of(kind, as_of)
    day = as_of.astimezone(VN).date()
    outcomes: list[PlanOutcome] = []
    idle: list[str] = []
    unknown: list[str] = []
    failed: list[dict[str, str]] = []
    held = ledger.plan_numbers()
    target = folder / REPLAY_FOLDER if replay else folder
    for plan_id in sorted(catalog.plans):
        if plan_id not in held:
            unknown.append(plan_id)
            continue
        try:
            outcome = plan_report(ledger, catalog, plan_id, kind, start, end, as_of, folder=target, replay=replay,
                                  day=day, now=now)
        except Exception as error:  # one plan never stops the others' reports nor the mail
            log.exception("%s", _("the compliance report of plan {plan} could not be built").format(plan=plan_id))
            failed.append({"plan": plan_id, "error": f"{type(error).__name__}: {error}"})
            continue
        if outcome is None:
            idle.append(plan_id)
        else:
            outcomes.append(outcome)
    return ScheduledRun(kind=kind, start=start, end=end, as_of=as_of, replay=replay, reports=outcomes, idle=idle,
                        unknown=unknown, failed=failed)


def plan_report(ledger: Ledger, catalog: Catalog, plan_id: str, kind: str, start: dt.date, end: dt.date,
                as_of: dt.datetime, *, folder: Path, replay: bool, day: dt.date,
                now: dt.datetime | None) -> PlanOutcome | None:
    """One plan's report of the period: written under `folder`/<plan id>/ and kept (not for a replay);
    None when the plan owes nothing in the period."""
    plan = catalog.plans[plan_id]
    report = compliance_report(ledger, plan_id, start, end, as_of=as_of, budget=plan.budget)
    if report.total.owed == 0:
        return None
    files = files_of(report)
    written = write_files(files, folder / plan_id)
    title, summary = mail_title(report, kind), summary_of(report)
    build_id, new, addresses = None, False, []
    if not replay:
        provinces = provinces_of(report, catalog.directory)
        recipients = recipients_of(plan, catalog.directory, day, provinces)
        build, new = ledger.save_report_build(
            kind=build_kind(kind), plan=plan_id, scope="", period=period_key(start, end),
            fingerprint=fingerprint(report, recipients),
            title=title, summary=summary, files=files, recipients=recipients, as_of=as_of, now=now,
            provinces=provinces)
        build_id = build.id
        if not recipients:
            log.warning("%s", _("the compliance report of {plan} is kept but mailed to nobody: its coordinator has no email "
                                 "contact, or is of one province while the report names units of another").format(plan=plan_id))
        addresses = [address for _unit, address in recipients] if new else []
    return PlanOutcome(plan=plan_id, number=report.shown_number, title=title, summary=summary, files=tuple(written),
                       build=build_id, new=new, recipients=tuple(addresses), rows=artifact_rows(report))
