"""The ledger's commands: sync, event, record, excuse, status (thin shells over `Ledger`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import sys
from typing import Iterator
from zoneinfo import ZoneInfo

from .ledger import EvidenceInput, Ledger, LedgerError, VIETNAMESE
from .plan import load_catalog

_VN = ZoneInfo("Asia/Ho_Chi_Minh")

EXIT_OK, EXIT_FAILED = 0, 1


def _actor(args) -> str | None:
    if getattr(args, "by", None):
        return args.by
    try:
        return os.environ.get("COMMPLAN_USER") or getpass.getuser()
    except (KeyError, OSError):
        return None


@contextlib.contextmanager
def _open(args) -> Iterator[Ledger]:
    ledger = Ledger.open(args.database)
    try:
        yield ledger
    finally:
        ledger.close()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED


def _catalog(paths, units):
    """The plans, or None after printing their errors."""
    catalog, errors = load_catalog(paths, units=units, strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    return None if errors else catalog


def _print_sync(ledger: Ledger, report) -> None:
    print(
        f"Synced {report.plans} plans, {report.obligations} obligations into {ledger.where}: "
        f"{report.inserted} new, {report.updated} updated, {report.deleted} removed, "
        f"{report.orphaned} orphaned, {report.unchanged} unchanged occurrences."
    )
    for waiting in report.waiting:
        print(f"  waiting for an event: {waiting}")


def cmd_sync(args) -> int:
    catalog = _catalog(args.paths, args.units)
    if catalog is None:
        return _fail("the plans have errors: nothing was synced")
    try:
        with _open(args) as ledger:
            _print_sync(ledger, ledger.sync(catalog, horizon=args.horizon, actor=_actor(args)))
    except LedgerError as error:
        return _fail(str(error))
    return EXIT_OK


def cmd_event(args) -> int:
    catalog = _catalog(args.plans, [])  # first: a broken plan must not leave a half-recorded event
    if catalog is None:
        return _fail("the plans have errors: the event was not recorded")
    try:
        with _open(args) as ledger:
            plan, previous, report = ledger.record_event(args.event_id, args.day, plan=args.plan, actor=_actor(args),
                                                         resync=catalog)
            was = f" (was {previous:%d/%m/%Y})" if previous else ""
            print(f"Recorded {plan}/{args.event_id} on {args.day:%d/%m/%Y}{was}.")
            _print_sync(ledger, report)
    except LedgerError as error:
        return _fail(str(error))
    return EXIT_OK


def cmd_record(args) -> int:
    kind = "link" if args.link else "document" if args.document else "count"
    item = EvidenceInput(
        kind=kind, link=args.link, document=args.document, quantity=args.count or 1, note=args.note, source=args.source,
    )
    try:
        with _open(args) as ledger:
            result = ledger.record_evidence(
                args.obligation, args.unit, item, on=args.on, occurrence_id=args.occurrence, actor=_actor(args)
            )
    except LedgerError as error:
        return _fail(str(error))
    window = f"{result.window_start:%d/%m/%Y}–{result.window_end:%d/%m/%Y}"
    if result.duplicate:
        print(f"Already recorded for occurrence #{result.occurrence_id} ({window}): this link counts once.")
    else:
        print(f"Recorded for occurrence #{result.occurrence_id} ({window}).")
    print(f"Delivered {result.delivered}/{result.at_least}: {VIETNAMESE[result.status]} ({result.status}).")
    return EXIT_OK


def cmd_excuse(args) -> int:
    try:
        with _open(args) as ledger:
            if args.undo:
                reason = ledger.unexcuse(args.occurrence, actor=_actor(args))
                print(f"Occurrence #{args.occurrence} is no longer excused (was: {reason}).")
            else:
                ledger.excuse(args.occurrence, args.reason, actor=_actor(args))
                print(f"Occurrence #{args.occurrence} excused: {args.reason.strip()}")
    except LedgerError as error:
        return _fail(str(error))
    return EXIT_OK


def cmd_status(args) -> int:
    from .render import ledger as render

    as_of = args.as_of  # None: now (and the "overdue now" index)
    try:
        with _open(args) as ledger:
            if args.summary:
                by_plan, by_unit = ledger.summary(as_of=as_of, plans=args.plan, units=args.unit)
                rows = None
            else:
                rows = ledger.statuses(
                    as_of=as_of, plans=args.plan, units=args.unit,
                    only="overdue" if args.overdue else None, include_scheduled=args.all,
                )
                names = ledger.unit_names()
    except LedgerError as error:
        return _fail(str(error))
    if rows is None:
        if args.format == "json":
            sys.stdout.write(render.summary_json((as_of or dt.datetime.now(dt.timezone.utc)).isoformat(), by_plan, by_unit))
        elif args.format == "csv":
            sys.stdout.write(render.summary_csv(by_plan, by_unit))
        else:
            shown = as_of or dt.datetime.now(dt.timezone.utc)
            print(f"Tình hình thực hiện đến {shown.astimezone(_VN):%H:%M %d/%m/%Y}\n")
            sys.stdout.write(render.summary_table("Theo kế hoạch", by_plan) + "\n")
            sys.stdout.write(render.summary_table("Theo đơn vị", by_unit))
        return EXIT_OK
    output = {"json": render.statuses_json, "csv": render.statuses_csv}.get(args.format)
    sys.stdout.write(output(rows) if output else render.statuses_table(rows, names))
    return EXIT_OK




def cmd_remind(args) -> int:
    from .notify.notifier import Notifier
    from .notify.setup import configured_channels
    from .settings import get_settings

    catalog = _catalog(args.plans, [])
    if catalog is None:
        return _fail("the plans have errors: no reminder was sent")
    now = dt.datetime.now(dt.timezone.utc)
    as_of = args.as_of or now
    try:
        with _open(args) as ledger:
            if args.dry_run:
                return _remind_dry_run(ledger, catalog, as_of)
            queued = ledger.queue_reminders(catalog, as_of=as_of, now=as_of)
            report = Notifier(ledger, catalog, configured_channels(get_settings())).run(as_of)
    except LedgerError as error:
        return _fail(str(error))
    print(f"Queued {queued.queued} reminder steps ({queued.skipped} superseded); planned {report.planned} messages; "
          f"sent {report.sent}, retrying {report.retried}, failed {report.failed}, unknown after a crash {report.unknown}.")
    for unit in report.without_address:
        print(f"  no address for {unit}: add contacts to the directory")
    return EXIT_OK


def _remind_dry_run(ledger, catalog, as_of) -> int:
    """What the next real run would queue, without writing: computed in a transaction rolled back."""
    from .notify.messages import Item, render

    with ledger.transaction() as connection:
        from .ledger.reminders import queue_reminders
        from .ledger.outbox import unplanned_reminders

        queue_reminders(connection, catalog, as_of, as_of)
        steps = unplanned_reminders(connection)
        connection.rollback()
    names = ledger.unit_names()
    by_recipient: dict[str, list] = {}
    for step in steps:
        by_recipient.setdefault(step["recipient"], []).append(step)
    for recipient, owed in by_recipient.items():
        items = [Item(step=s["step"], title=s["title"], due=s["due_at"], at_least=s["at_least"],
                      delivered=s["delivered"], plan=s["number"], unit=names.get(s["unit_id"], s["unit_id"])) for s in owed]
        print(render(names.get(recipient, recipient), items, now=as_of).text)
        print()
    print(f"(dry run: {len(steps)} steps for {len(by_recipient)} recipients; nothing was recorded or sent)")
    return EXIT_OK


def cmd_outbox(args) -> int:
    import json as _json

    from .render.tables import render as render_table

    try:
        with _open(args) as ledger:
            rows = ledger.deliveries(statuses=["failed", "unknown"] if args.failed else ())
            names = ledger.unit_names()
    except LedgerError as error:
        return _fail(str(error))
    if args.format == "json":
        print(_json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    if not rows:
        print("Hộp thư đi trống." if not args.failed else "Không có tin nhắn lỗi.")
        return EXIT_OK
    body = [
        (str(r["id"]), names.get(r["recipient"], r["recipient"]), r["channel"], r["address"], r["status"],
         str(r["attempts"]), (r["last_error"] or r["subject"]))
        for r in rows
    ]
    print(render_table(("#", "Đơn vị", "Kênh", "Địa chỉ", "Trạng thái", "Lần", "Ghi chú"), body,
                       (8, 30, 6, 24, 8, 4, 60), middle=(1,), right=(0, 5)), end="")
    return EXIT_OK
