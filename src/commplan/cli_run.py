"""`commplan run`: the main job on the embedded default, a tick on an ephemeral Prefect API."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from .render.tables import render

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REPLAY_SHOWN = 20  # messages a replay lists; `commplan remind --as-of … ` shows each in full


STEP_NAMES = {"due": "đến hạn hôm nay", "escalate": "thông báo lên cấp trên"}


def step_name(step: str) -> str:
    """The reminder step as an agency reads it: sắp đến hạn / đến hạn hôm nay / quá hạn / thông báo lên cấp trên."""
    if step.startswith("before-"):
        return "sắp đến hạn"
    if step.startswith("overdue-"):
        return "quá hạn"
    return STEP_NAMES.get(step, step)


def _show_queued(args, as_of: dt.datetime, limit: int = 10) -> None:
    """The latest queued reminders, so that a run without channels shows what would be sent."""
    from .ledger import Ledger

    with Ledger.open(args.database) as ledger:
        names = ledger.unit_names()
        # said today or before: the day's digest includes steps planned later today
        queued = [r for r in ledger.reminders() if r["status"] in ("queued", "planned")
                  and r["planned_at"] <= as_of + dt.timedelta(days=1)][-limit:]
    if not queued:
        return
    print(f"Latest {len(queued)} reminder steps:")
    for r in queued:
        print(f"  → {names.get(r['recipient'], r['recipient'])}: {r['title']} "
              f"(hạn {r['due_at'].astimezone(VN):%H:%M %d/%m/%Y}) — {step_name(r['step'])}")


def cmd_run(args) -> int:
    from . import clock, prefect_env
    from .ledger.engine import masked_url
    from .plan import load_catalog
    from .render import preview as render_preview
    from .settings import get_settings

    _, errors = load_catalog([args.plans], strict=False)  # before Prefect starts: errors, not retries
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"error: the plans in {args.plans} have errors: nothing was run", file=sys.stderr)
        return 1
    if args.database:  # to the flow through the environment: a flow parameter would be stored by Prefect, password and all
        os.environ["COMMPLAN_DATABASE_URL"] = args.database
        get_settings.cache_clear()
    settings = get_settings()
    from .ledger import Ledger, LedgerError

    try:  # before Prefect starts: a data folder that cannot hold the ledger is one line, not a failed flow
        Ledger.open(args.database).close()
        prefect_env.configure(settings.data_dir)
    except LedgerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: cannot create Prefect's folder in the data folder {settings.data_dir} ({error.strerror}): make it "
              "writable, or set COMMPLAN_DATA_DIR (or PREFECT_HOME) to a folder that is", file=sys.stderr)
        return 1
    from .flows.tick import tick  # inside the package: an installed wheel runs it from any folder

    as_of = (args.as_of or clock.now()).astimezone(VN)
    print(f"Running the tick as of {as_of:%H:%M %d/%m/%Y} (Vietnam time) on {args.plans} ...", flush=True)
    result = tick(as_of=as_of, plans=[args.plans])
    rows = [(p["plan"], str(p["open"]), str(p["due_this_week"]), str(p["overdue"]), str(p.get("untracked", 0)),
             str(p["reminders_queued"])) for p in result["by_plan"]]
    print()
    print(render(("Kế hoạch", "Trong hạn", "Đến hạn trong 7 ngày", "Quá hạn", "Ngoài theo dõi", "Nhắc việc"),
                 rows or [("—", "0", "0", "0", "0", "0")], (40, 10, 21, 8, 14, 10), right=(1, 2, 3, 4, 5)))
    units = result["overdue_by_unit"][:10]
    if units:
        print("Đơn vị quá hạn nhiều nhất:")
        print(render(("Đơn vị", "Quá hạn"), [(u["name"], str(u["overdue"])) for u in units], (50, 8), middle=(0,), right=(1,)))
    sync = result["sync"]
    print(f"Sync: {sync['inserted']} new, {sync['updated']} updated, {sync['deleted']} removed occurrences; "
          f"{len(sync['waiting'])} obligations wait for an event.")
    reminders = result["reminders"]
    if result["replay"]:  # more than 10 minutes from the clock: what it would send, nothing sent
        would_send = reminders["would_send"]
        print(render_preview.headline(as_of, len(would_send), replay=True))
        if reminders["quiet"]:
            print(render_preview.QUIET_NOTE)
        print("\n".join(render_preview.message_lines(would_send, limit=REPLAY_SHOWN)
                        + render_preview.without_address(reminders["messages"]["without_address"])))
        print(f"Cột «Nhắc việc»: số bước nhắc sẽ ghi (không bước nào được ghi). Để gửi thật như thể đang ở thời điểm "
              f"đó, đặt {clock.VARIABLE}, ví dụ {clock.VARIABLE}={as_of.isoformat(timespec='minutes')}.")
    else:
        messages = reminders["messages"]
        print(f"Reminders: {reminders['queued']} queued this tick ({reminders['skipped']} older steps superseded); "
              f"{messages['planned']} messages planned, {messages['sent']} sent, {messages['retried']} waiting to retry, "
              f"{messages['handed_on']} handed on to a fallback channel.")
        from .notify.setup import configured_channels, real_channels

        real = real_channels(configured_channels(settings))
        print(f"Channels sending for real: {', '.join(real) if real else 'none'}; the others write what they would send "
              f"to {settings.data_dir / 'outbox.jsonl'} (see `commplan outbox`).")
        if result.get("undelivered"):
            print(f"{result['undelivered']} reminders could not be delivered: see `commplan outbox --failed`.")
        _show_queued(args, as_of)
    print(f"Ledger: {masked_url(settings.database_url) if settings.database_url else settings.data_dir / 'commplan.sqlite3'}")
    print(f"Prefect artifacts ({'replay-overdue-by-unit, replay-tick-changes' if result['replay'] else 'overdue-by-unit, tick-changes'}): "
          f"{Path(__import__('os').environ['PREFECT_HOME'])}; see them with `prefect server start` and the UI.")
    return 0
