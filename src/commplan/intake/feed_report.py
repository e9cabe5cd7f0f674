"""A feed run as people read it (Vietnamese by default): the summary the CLI prints and the flow publishes,
and the preview of `commplan feeds check` (what would be recorded, and why)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from ..i18n import _
from ..ledger import FeedOutcome
from .feed_run import FeedRunReport, Match

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def summary_lines(report: FeedRunReport) -> list[str]:
    """Feeds read / not modified / failed (each failure with its reason), items, and what became of them."""
    numbers = report.as_dict()
    lines = [_("Feeds: {total} ({ok} read, {not_modified} not modified, {failed} failed)").format(
        total=numbers["feeds"], ok=numbers["ok"], not_modified=numbers["not_modified"], failed=numbers["failed"])]
    lines += [_("  failed: {url}: {reason}").format(url=url, reason=reason) for url, reason in report.failures.items()]
    if report.backed_off:
        lines.append(_("Feeds not tried this time: {count}").format(count=numbers["backed_off"]))
    lines += [_("  not tried: {url}: failed {count} times in a row, so it is tried once a day; next try after "
                "{moment} (last error: {reason})").format(
        url=url, count=rest.failures, moment=f"{rest.until.astimezone(VN):%H:%M %d/%m/%Y}", reason=rest.reason or "?")
        for url, rest in report.backed_off.items()]
    lines.append(_("Items seen: {items}").format(items=numbers["items_seen"]))
    if report.not_counted:
        lines.append(_("Undated items already in a feed at its first read (seen, not counted): {count}").format(
            count=numbers["not_counted"]))
    recorded = _("Would be recorded: {count}") if report.dry_run else _("Evidence recorded: {count}")
    lines.append(recorded.format(count=numbers["recorded"]))
    lines.append(_("Already counted: {count}").format(count=numbers["already"]))
    lines.append(_("No open duty for the date: {count}").format(count=numbers["no_open_duty"]))
    if numbers["dismissed"]:
        lines.append(_("Dismissed in the triage list before (not recorded): {count}").format(count=numbers["dismissed"]))
    if not report.dry_run:
        lines.append(_("Sent to triage: {count}").format(count=numbers["triaged"]))
        lines += [_("  triage refused: {error}").format(error=error) for error in report.triage_errors]
    lines.append(_("Matching no duty: {count}").format(count=numbers["unmatched"]))
    if report.errors:
        lines.append(_("Refused by the ledger: {count}").format(count=numbers["errors"]))
        lines += [f"  {m.item.link}: {m.error}" for m in report.errors]
    return lines


def why(match: Match, names: Mapping[str, str]) -> str:
    """Why the item credits the holder, in words."""
    reason = json.loads(match.credit.reason)
    source = names.get(reason["source"], reason["source"])
    if reason["via"] == "own-feed":
        return _("keyword \"{keyword}\" on its own feed").format(keyword=reason["keyword"])
    return _("keyword \"{keyword}\" and its name \"{name}\" on the feed of {source}").format(
        keyword=reason["keyword"], name=reason.get("name", ""), source=source)


def match_lines(report: FeedRunReport, names: Mapping[str, str]) -> list[str]:
    """One paragraph per credit: the item, the duty and holder, where it goes (or why not), and why it matched."""
    words = {FeedOutcome.RECORDED: _("would be recorded") if report.dry_run else _("recorded"),
             FeedOutcome.ALREADY: _("already counted"), FeedOutcome.NO_OPEN_DUTY: _("no open duty for this date"),
             FeedOutcome.DISMISSED: _("dismissed in the triage list before")}
    lines: list[str] = []
    for match in report.matches:
        record = match.record
        holder = names.get(match.credit.holder, match.credit.holder)
        lines.append(f"- {match.item.title}")
        lines.append(f"  {match.item.link}")
        when = f"{record.occurred_at:%d/%m/%Y %H:%M}" if record else "—"
        lines.append(_("  {plan}/{obligation}, {holder}, published {when}").format(
            plan=match.credit.plan_id, obligation=match.credit.obligation_id, holder=holder, when=when))
        if record is None:
            lines.append(_("  refused: {error}").format(error=match.error))
        else:
            where = ""
            if record.occurrence_id is not None and record.window_start and record.window_end:
                where = _(" (occurrence #{id}, {start}–{end}{status})").format(
                    id=record.occurrence_id, start=f"{record.window_start:%d/%m/%Y}",
                    end=f"{record.window_end:%d/%m/%Y}", status=f", {record.status.label}" if record.status else "")
            lines.append(f"  → {words[record.outcome]}{where}")
        lines.append(_("  why: {why}").format(why=why(match, names)))
    return lines


def markdown(report: FeedRunReport, names: Mapping[str, str]) -> str:
    """The flow's artifact: the summary, then the credits."""
    out = [_("# Feeds"), "", *[f"- {line.strip()}" for line in summary_lines(report)]]
    if report.matches:
        out += ["", _("## Matches"), "", *match_lines(report, names)]
    return "\n".join(out) + "\n"
