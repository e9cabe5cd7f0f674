"""The steps of a tick, as plain functions over the ledger (the Prefect flows wrap them).

A tick answers, for one instant: what the plans imply (sync), who is overdue
(by unit), and what changed since the previous tick (status transitions).

A replay (an instant more than 10 minutes from the clock, `commplan.clock`)
answers the same questions for its instant but sends nothing (the reminders
are only previewed), compares with no earlier tick, and is recorded apart
(`replay` in the audit log), so the next real tick's "since" is untouched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .i18n import _
from .ledger import Ledger, Status
from .notify.channels import CHANNEL_NAMES

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class TickReport:
    as_of: dt.datetime
    since: dt.datetime | None
    replay: bool = False
    by_plan: list[dict] = field(default_factory=list)  # per plan: open, due this week, overdue, untracked
    overdue_by_unit: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    # reminders nobody received since the previous tick (failed or left unknown by a crash)
    undelivered: list[dict] = field(default_factory=list)

PROBLEM_WINDOW = dt.timedelta(days=7)  # a first tick, or a replay, reports the week before


def evaluate(ledger: Ledger, as_of: dt.datetime, *, replay: bool = False) -> TickReport:
    """Status at `as_of`: per plan and per overdue unit, plus what changed since the last tick
    (nothing, for a `replay`: it stands apart from the real ticks)."""
    since = None if replay else ledger.last_tick()
    if since is not None and since >= as_of:
        since = None  # a tick of an earlier instant than the last one: nothing to compare with
    report = TickReport(as_of=as_of, since=since, replay=replay)
    rows = ledger.statuses(as_of=as_of)
    names = ledger.unit_names()
    week_end = (as_of.astimezone(VN) + dt.timedelta(days=7)).date()
    plans: dict[str, dict] = {}
    units: dict[str, dict] = {}
    for row in rows:
        if row.orphaned:
            continue
        entry = plans.setdefault(row.plan, {"plan": row.plan, "open": 0, "due_this_week": 0, "overdue": 0, "untracked": 0})
        if row.status is Status.UNTRACKED:  # due before the plan's tracking_from: counted apart, never overdue
            entry["untracked"] += 1
        elif row.status is Status.OPEN:
            entry["open"] += 1
            if row.due.astimezone(VN).date() <= week_end:
                entry["due_this_week"] += 1
        elif row.status is Status.OVERDUE:
            entry["overdue"] += 1
            unit = units.setdefault(row.unit, {"unit": row.unit, "name": names.get(row.unit, row.unit), "overdue": 0,
                                               "oldest_due": row.due})
            unit["overdue"] += 1
            unit["oldest_due"] = min(unit["oldest_due"], row.due)
    report.by_plan = sorted(plans.values(), key=lambda p: p["plan"])
    report.overdue_by_unit = sorted(units.values(), key=lambda u: (-u["overdue"], u["unit"]))
    report.undelivered = [
        {**p, "name": names.get(p["recipient"], p["recipient"])}
        for p in ledger.delivery_problems(since or as_of - PROBLEM_WINDOW, as_of)
    ]
    if since is not None:
        for before, row in ledger.transitions(since, as_of):
            report.changes.append({
                "id": row.id, "plan": row.plan, "obligation": row.obligation, "unit": row.unit,
                "name": names.get(row.unit, row.unit), "title": row.title, "due": row.due,
                "before": before, "after": row.status,
            })
    return report


def changes_markdown(report: TickReport) -> str:
    """What changed since the previous tick, for the coordinator (Vietnamese by default). The run's
    instants in Vietnam time; each deadline in its plan's timezone (as the ledger gives it)."""
    when = f"{report.as_of.astimezone(VN):%H:%M %d/%m/%Y}"
    if report.replay:
        lines = ["# " + _("Replay of {moment} (simulated)").format(moment=when), "",
                 _("Simulates an instant more than 10 minutes from the clock: no reminder is sent, no comparison "
                   "with the previous run.")]
        return "\n".join(lines + undelivered_markdown(report.undelivered)) + "\n"
    if report.since is None:
        lines = ["# " + _("Standing at {moment}").format(moment=when), "",
                 _("First run (or a replay of a past day): nothing to compare with yet.")]
        return "\n".join(lines + undelivered_markdown(report.undelivered)) + "\n"
    lines = ["# " + _("Changes from {since} to {moment}").format(
        since=f"{report.since.astimezone(VN):%H:%M %d/%m/%Y}", moment=when), ""]
    if not report.changes:
        lines.append(_("No changes."))
    for change in report.changes:
        lines.append("- " + _("**{unit}**: {duty} (due {deadline}): {before} → **{after}**").format(
            unit=change["name"], duty=change["title"], deadline=f"{change['due']:%H:%M %d/%m/%Y}",
            before=Status(change["before"]).label, after=Status(change["after"]).label))
    lines += undelivered_markdown(report.undelivered)
    return "\n".join(lines) + "\n"




def undelivered_markdown(problems: list[dict]) -> list[str]:
    if not problems:
        return []
    lines = ["", "## " + _("Reminders that could not be sent"), ""]
    for p in problems:
        if p["status"] == "unknown":
            why = _("unknown whether it was sent (the sender stopped or got no answer); not re-sent, to avoid a duplicate")
        else:
            why = _("could not be sent (technical detail: {error})").format(error=p["last_error"])
        lines.append("- " + _("**{name}** by {channel} ({address}): {why}").format(
            name=p["name"], channel=CHANNEL_NAMES.get(p["channel"], p["channel"]), address=p["address"], why=why))
    return lines


def report_mail_problems(ledger: Ledger, since: dt.datetime, until: dt.datetime | None = None) -> list[dict]:
    """The report mail that nobody received (failed, or unknown after a crash), given up after `since` and by
    `until` (each said by one run only), each with its recipient's name."""
    names = ledger.unit_names()
    return [{**p, "name": names.get(p["recipient"], p["recipient"])}
            for p in ledger.report_mail_problems(since, until)]


def report_mail_problems_markdown(problems: list[dict]) -> list[str]:
    if not problems:
        return []
    lines = ["", "## " + _("Built reports that could not be mailed"), ""]
    for p in problems:
        if p["status"] == "unknown":
            why = _("unknown whether it was sent (the sender stopped or got no answer); not re-sent, to avoid a duplicate")
        else:
            why = _("could not be sent (technical detail: {error})").format(error=p["last_error"])
        lines.append("- " + _("**{name}** ({address}), «{title}»: {why}").format(
            name=p["name"], address=p["address"], title=p["title"], why=why))
    return lines


def forms_markdown(forms: dict, mail: dict) -> str:
    """The forms this tick built (`build_report_forms`) and the mail of the built reports it sent
    (`send_report_mail`: the forms and the compliance reports alike), for the coordinator; "" when there
    was nothing to say. A step that failed says so, with its error."""
    lines: list[str] = []
    if forms.get("error"):
        lines += ["", "## " + _("Report forms could not be built"), "",
                  _("The run went on without them; the next run tries again (technical detail: {error}).").format(
                      error=forms["error"])]
    if forms["built"]:
        lines += ["", "## " + _("Report forms built"), ""]
        for built in forms["built"]:
            where = (_("emailed to {addresses}").format(addresses=", ".join(built["addresses"])) if built["addresses"]
                     else _("the unit has no email address: the form is on the dashboard only"))
            lines.append("- " + _("**{title}** ({where}): {summary}").format(
                title=built["title"], summary=built["summary"], where=where))
    if forms["unchanged"]:
        lines += ["", _("{count} forms unchanged since they were built (no new figure).").format(count=forms["unchanged"])]
    if forms["skipped"]:
        lines += ["", "## " + _("Report duties without a form"), ""]
        lines += ["- " + _("{plan}, {duty}: {reason}").format(plan=s["plan"], duty=s["obligation"], reason=s["reason"])
                  for s in forms["skipped"]]
    if mail.get("error"):
        lines += ["", "## " + _("The mail of the built reports could not be sent"), "",
                  _("The next run tries again (technical detail: {error}).").format(error=mail["error"])]
    if any(mail[key] for key in ("sent", "written", "retried", "failed", "waiting")):
        lines += ["", "## " + _("Mail of the built reports"), "",
                  _("Sent {sent}, written to the outbox file {written}, to retry {retried}, failed {failed}, waiting "
                    "for an email channel {waiting}.").format(**{k: mail[k] for k in ("sent", "written", "retried",
                                                                                      "failed", "waiting")})]
        lines += ["- " + problem for problem in mail["problems"]]
    lines += report_mail_problems_markdown(mail.get("undelivered", []))
    return "\n".join(lines) + "\n" if lines else ""


def forms_log(forms: dict, mail: dict) -> str:
    """One line for the log and `commplan run`."""
    line = _("Report forms: {built} built, {unchanged} unchanged, {no_address} without an email address; report "
             "mail: {sent} sent, {written} written to the outbox file, {failed} failed").format(
        built=len(forms["built"]), unchanged=forms["unchanged"], no_address=forms["no_address"], sent=mail["sent"],
        written=mail["written"], failed=mail["failed"])
    if mail.get("undelivered"):
        line += "; " + _("{count} built reports not received (failed, or unknown whether sent)").format(
            count=len(mail["undelivered"]))
    errors = [step["error"] for step in (forms, mail) if step.get("error")]
    if errors:
        line += "; " + _("errors: {errors}").format(errors="; ".join(errors))
    return line
