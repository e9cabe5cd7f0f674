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
    from .render.evidence import spoken

    # `is not None`: an empty --document "" is a blank document (refused), not a count
    kind = "link" if args.link is not None else "document" if args.document is not None else "count"
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
    window = f"kỳ thực hiện #{result.occurrence_id} ({result.window_start:%d/%m/%Y}–{result.window_end:%d/%m/%Y})"
    if result.duplicate:
        print(f"Minh chứng này đã được ghi nhận (#{result.duplicate_of}) cho {window}: chỉ tính một lần.")
    else:
        print(f"Đã ghi nhận minh chứng #{result.evidence_id}, {spoken(result.occurred_at)}, cho {window}.")
    print(f"Đã nộp {result.delivered}/{result.at_least}: {VIETNAMESE[result.status]}.")
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
    from .notify.setup import notifier_for
    from .settings import get_settings

    catalog = _catalog(args.plans, [])
    if catalog is None:
        return _fail("the plans have errors: no reminder was sent")
    now = dt.datetime.now(dt.timezone.utc)
    as_of = args.as_of or now
    try:
        with _open(args) as ledger:
            settings = get_settings()
            if args.dry_run:  # show what would be composed even where no channel is configured yet
                settings = settings.model_copy(update={"file_channels": True})
            notifier = notifier_for(ledger, catalog, settings)
            if args.dry_run:
                return _remind_dry_run(ledger, catalog, notifier, as_of)
            queued = ledger.queue_reminders(catalog, as_of=as_of, now=as_of)
            report = notifier.run(as_of)
    except LedgerError as error:
        return _fail(str(error))
    print(f"Queued {queued.queued} reminder steps ({queued.skipped} superseded); planned {report.planned} messages; "
          f"sent {report.sent}, retrying {report.retried}, handed on to a fallback {report.handed_on}, "
          f"failed {report.failed}, unknown after a crash {report.unknown}.")
    for unit in report.without_address:
        print(f"  no address for {unit}: add contacts to the directory")
    return EXIT_OK


def _remind_dry_run(ledger, catalog, notifier, as_of) -> int:
    """What the next real run would queue and send, without writing: the same planning code, in a
    transaction rolled back."""
    from .ledger.outbox import unplanned_reminders
    from .ledger.reminders import queue_reminders
    from .notify.notifier import SendReport

    with ledger.transaction() as connection:
        queue_reminders(connection, catalog, as_of, as_of)
        steps = unplanned_reminders(connection, as_of)
        connection.rollback()
    report = SendReport()
    deliveries, _, _ = notifier.compose(steps, as_of, report)
    for delivery in deliveries:
        text = delivery.body_sms if delivery.channel == "sms" else delivery.body_text
        print(f"→ {delivery.channel} {delivery.address}:")
        print(text)
        print()
    for unit in report.without_address:
        print(f"  no address for {unit}: add contacts to the directory")
    print(f"(dry run: {len(steps)} steps, {len(deliveries)} messages now; Zalo and SMS wait for working hours; "
          "nothing was recorded or sent)")
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


def cmd_zalo_token(args) -> int:
    """Seed or inspect the Zalo token store (the pair an administrator gets by authorising the OA)."""
    from .notify.channels import PermanentError, TemporaryError
    from .notify.zalo_tokens import LedgerZaloTokens
    from .settings import get_settings

    settings = get_settings()
    if not (settings.zalo_app_id and settings.zalo_secret_key):
        return _fail("set COMMPLAN_ZALO_APP_ID and COMMPLAN_ZALO_SECRET_KEY first (the app's id and secret key)")
    try:
        with _open(args) as ledger:
            tokens = LedgerZaloTokens(ledger, settings.zalo_app_id, settings.zalo_secret_key,
                                      oauth_base=settings.zalo_oauth_base)
            if args.refresh_token:
                stored = tokens.seed(args.refresh_token, access_token=args.access_token, expires_in=args.expires_in)
            else:
                stored = tokens.status()
    except (PermanentError, TemporaryError) as error:
        return _fail(f"Zalo refused or could not be reached: {error}")
    except LedgerError as error:
        return _fail(str(error))
    if stored is None:
        print("No Zalo token stored yet: authorise the OA, then run `commplan zalo-token --refresh-token …`.")
        return EXIT_FAILED
    print(f"Zalo access token valid until {stored.access_expires_at.astimezone(_VN):%H:%M %d/%m/%Y} "
          f"(refreshed {stored.refreshed_at.astimezone(_VN):%H:%M %d/%m/%Y}); it is refreshed automatically.")
    if stored.last_error:
        print(f"Last refresh error: {stored.last_error}")
        return EXIT_FAILED
    return EXIT_OK
