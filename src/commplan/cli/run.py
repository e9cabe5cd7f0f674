"""`commplan run`: the main job on the embedded default, a tick on an ephemeral Prefect API."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..i18n import N_, _
from .arguments import EXIT_OK, VIETNAM, Subparsers, as_of_type, fail, ledger_options, os_reason

if TYPE_CHECKING:
    from ..plan import Catalog

REMINDERS_COLUMN = N_("Reminders")
REPLAY_SHOWN = 20  # messages a replay lists; `commplan remind --as-of … ` shows each in full


def register(sub: Subparsers) -> None:
    run = sub.add_parser("run", help=_("the main job: one tick (sync, statuses, artifacts) on an embedded Prefect"))
    run.add_argument("--as-of", type=as_of_type, metavar="DATETIME",
                     help=_("the instant (default now); more than 10 minutes from the clock it is a replay: "
                            "shows what it would send, sends nothing"))
    run.add_argument("--plans", default="plans/", metavar="DIR", help=_("the plans (default plans/)"))
    ledger_options(run)
    run.set_defaults(handler=cmd_run)


STEP_NAMES = {"due": N_("due today"), "escalate": N_("escalation")}


def step_name(step: str) -> str:
    """The reminder step as an agency reads it: sắp đến hạn / đến hạn hôm nay / quá hạn / thông báo lên cấp trên."""
    if step.startswith("before-"):
        return _("due soon")
    if step.startswith("overdue-"):
        return _("overdue")
    return _(STEP_NAMES[step]) if step in STEP_NAMES else step


def plans_timezone(catalog: Catalog) -> str:
    """The plans' timezone when they agree on one (Asia/Ho_Chi_Minh unless a plan says otherwise)."""
    zones = {plan.header.timezone for plan in catalog.plans.values()}
    return zones.pop() if len(zones) == 1 else VIETNAM


def zone_name(zone: str) -> str:
    return _("Vietnam time") if zone == VIETNAM else zone


def _show_queued(args: argparse.Namespace, as_of: dt.datetime, tz: ZoneInfo, limit: int = 10) -> None:
    """The latest queued reminders, so that a run without channels shows what would be sent."""
    from ..ledger import Ledger

    with Ledger.open(args.database) as ledger:
        names = ledger.unit_names()
        # said today or before: the day's digest includes steps planned later today
        queued = [r for r in ledger.reminders() if r["status"] in ("queued", "planned")
                  and r["planned_at"] <= as_of + dt.timedelta(days=1)][-limit:]
    if not queued:
        return
    print(_("Latest {count} reminder steps:").format(count=len(queued)))
    for r in queued:
        print(f"  → {names.get(r['recipient'], r['recipient'])}: {r['title']} "
              + _("(due {time})").format(time=f"{r['due_at'].astimezone(tz):%H:%M %d/%m/%Y}") + f" — {step_name(r['step'])}")


def cmd_run(args: argparse.Namespace) -> int:
    from .. import clock, prefect_env
    from ..ledger.engine import masked_url
    from ..plan import load_catalog
    from ..render import preview as render_preview
    from ..render.tables import render
    from ..settings import get_settings

    catalog, errors = load_catalog([args.plans], strict=False)  # before Prefect starts: errors, not retries
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return fail(_("the plans in {path} have errors: nothing was run").format(path=args.plans))
    if args.database:  # to the flow through the environment: a flow parameter would be stored by Prefect, password and all
        os.environ["COMMPLAN_DATABASE_URL"] = args.database
        get_settings.cache_clear()
    settings = get_settings()
    from ..ledger import Ledger, LedgerError

    try:  # before Prefect starts: a data folder that cannot hold the ledger is one line, not a failed flow
        Ledger.open(args.database).close()
        prefect_env.configure(settings.data_dir)
    except LedgerError as error:
        return fail(str(error))
    except OSError as error:
        return fail(_("cannot create Prefect's folder in the data folder {path} ({reason}): make it writable, or set "
                      "COMMPLAN_DATA_DIR (or PREFECT_HOME) to a folder that is").format(
            path=settings.data_dir, reason=os_reason(error)))
    # inside the package: an installed wheel runs it from any folder
    from ..flows.tick import tick

    zone = plans_timezone(catalog)
    tz = ZoneInfo(zone)
    as_of = (args.as_of or clock.now()).astimezone(tz)
    print(_("Running the tick as of {time} ({zone}) on {plans} ...").format(
        time=f"{as_of:%H:%M %d/%m/%Y}", zone=zone_name(zone), plans=args.plans), flush=True)
    result = tick(as_of=as_of, plans=[args.plans])
    # the plan's number ("241/KH-UBND"), as clerks know it, not its id
    numbers = {plan.id: plan.header.number or plan.id for plan in catalog.plans.values()}
    rows = [(numbers.get(p["plan"], p["plan"]), str(p["open"]), str(p["due_this_week"]), str(p["overdue"]), str(p.get("untracked", 0)),
             str(p["reminders_queued"])) for p in result["by_plan"]]
    print()
    headers = (_("Plan"), _("Open"), _("Due within 7 days"), _("Overdue"), _("Untracked"), _(REMINDERS_COLUMN))
    print(render(headers, rows or [("—", "0", "0", "0", "0", "0")], (40, 10, 21, 8, 14, 10), right=(1, 2, 3, 4, 5)))
    units = result["overdue_by_unit"][:10]
    if units:
        print(_("Units with the most overdue occurrences:"))
        print(render((_("Unit"), _("Overdue")), [(u["name"], str(u["overdue"])) for u in units], (50, 8), middle=(0,),
                     right=(1,)))
    sync = result["sync"]
    print(_("Sync: {inserted} new, {updated} updated, {deleted} removed occurrences; {waiting} obligations wait for "
            "an event.").format(inserted=sync["inserted"], updated=sync["updated"], deleted=sync["deleted"],
                                waiting=len(sync["waiting"])))
    reminders = result["reminders"]
    if result["replay"]:  # more than 10 minutes from the clock: what it would send, nothing sent
        would_send = reminders["would_send"]
        print(render_preview.headline(as_of, len(would_send), replay=True))
        if reminders["quiet"]:
            print(render_preview.QUIET_NOTE)
        print("\n".join(render_preview.message_lines(would_send, limit=REPLAY_SHOWN)
                        + render_preview.without_address(reminders["messages"]["without_address"])))
        print(_("Column «{column}»: the reminder steps it would queue (none was queued). To send for real as if it "
                "were that moment, set {variable}, e.g. {variable}={value}.").format(
            column=_(REMINDERS_COLUMN), variable=clock.VARIABLE, value=as_of.isoformat(timespec="minutes")))
    else:
        messages = reminders["messages"]
        print(_("Reminders: {queued} queued this tick ({skipped} older steps superseded); {planned} messages planned, "
                "{sent} sent, {retried} waiting to retry, {handed_on} handed on to a fallback channel.").format(
            queued=reminders["queued"], skipped=reminders["skipped"], planned=messages["planned"], sent=messages["sent"],
            retried=messages["retried"], handed_on=messages["handed_on"]))
        from ..notify import registry
        from ..notify.setup import configured_channels, real_channels

        real = real_channels(configured_channels(settings))
        print(_("Channels sending for real: {channels}; the others write what they would send to {path} "
                "(see `commplan outbox`).").format(
            channels=", ".join(registry.label(name) for name in real) if real else _("none"),
            path=settings.data_dir / "outbox.jsonl"))
        if result.get("forms") is not None:
            from ..tick import forms_log

            print(forms_log(result["forms"], result["report_mail"]))
        if result.get("undelivered"):
            print(_("{count} reminders could not be delivered: see `commplan outbox --failed`.").format(
                count=result["undelivered"]))
        _show_queued(args, as_of, tz)
    ledger = masked_url(settings.database_url) if settings.database_url else settings.data_dir / "commplan.sqlite3"
    print(_("Ledger: {where}").format(where=ledger))
    artifacts = "replay-overdue-by-unit, replay-tick-changes" if result["replay"] else "overdue-by-unit, tick-changes"
    print(_("Prefect artifacts ({names}): {path}; see them with `prefect server start` and the UI.").format(
        names=artifacts, path=Path(os.environ["PREFECT_HOME"])))
    return EXIT_OK
