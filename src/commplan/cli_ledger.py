"""The ledger's commands: sync, event, record, excuse, status (thin shells over `Ledger`)."""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from . import clock
from .ledger import EvidenceInput, Ledger, LedgerError, Status
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
    if report.moved:
        print(f"  {report.moved} untouched occurrences passed to a successor unit (same id, same calendar UID).")
    for waiting in report.waiting:
        print(f"  waiting for an event: {waiting}")


def cmd_sync(args) -> int:
    from .cli import EXIT_USAGE, _today
    from .schedule.bounds import horizon_problem

    problem = args.horizon and horizon_problem(args.horizon, _today())
    if problem:  # before anything is read: a typo such as 9000-12-31 would expand for minutes
        print(f"error: --horizon: {problem}", file=sys.stderr)
        return EXIT_USAGE
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
            change = ledger.event(args.event_id, args.day, plan=args.plan, undo=args.undo, actor=_actor(args),
                                  resync=catalog)
            for line in _event_lines(change):
                print(line)
            _print_sync(ledger, change.report)
    except LedgerError as error:
        return _fail(str(error))
    return EXIT_OK


def _event_lines(change) -> list[str]:
    """What `commplan event` did, for the clerk who ran it (Vietnamese, except the one-time record's line)."""
    name, day = f"{change.plan}/{change.event}", f"{change.day:%d/%m/%Y}"
    if not change.undo and not change.repeats:
        was = f" (was {change.previous:%d/%m/%Y})" if change.previous else ""
        return [f"Recorded {name} on {day}{was}."]
    if not change.undo:
        return [f"Đã ghi nhận một lần xảy ra của sự kiện {name} ngày {day} "
                f"(ngày này có {change.standing} lần; mỗi lần mở nhiệm vụ riêng)."]
    lines = [f"Đã rút lại một lần của sự kiện {name} ngày {day} (ngày này còn {change.standing} lần)." if change.repeats
             else f"Đã xoá ngày {day} đã ghi nhận cho sự kiện {name} (nếu kế hoạch ghi sẵn ngày, ngày đó được áp dụng lại)."]
    lines.append(f"Đã xoá {change.removed} nhiệm vụ chưa có minh chứng, chưa được miễn, chưa được nhắc.")
    if change.kept:
        ids = ", ".join(f"#{i}" for i in change.kept)
        lines.append(f"Giữ lại {len(change.kept)} nhiệm vụ đã có minh chứng, được miễn hoặc đã được nhắc "
                     f"(đánh dấu mồ côi, minh chứng không bao giờ bị xoá): {ids}.")
    return lines


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
    print(f"Đã nộp {result.delivered}/{result.at_least}: {result.status.label}.")
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
    shown = as_of or clock.now()
    try:
        with _open(args) as ledger:
            if args.summary:
                by_plan, by_unit = ledger.summary(as_of=as_of, plans=args.plan, units=args.unit, province=args.province)
                rows = None
            else:
                rows = ledger.statuses(
                    as_of=as_of, plans=args.plan, units=args.unit, province=args.province,
                    only=Status.OVERDUE if args.overdue else None, include_scheduled=args.all,
                )
                names = ledger.unit_names()
    except LedgerError as error:
        return _fail(str(error))
    if rows is None:
        if args.format == "json":
            sys.stdout.write(render.summary_json(shown.isoformat(), by_plan, by_unit))
        elif args.format == "csv":
            sys.stdout.write(render.summary_csv(by_plan, by_unit))
        else:
            print(f"Tình hình thực hiện đến {shown.astimezone(_VN):%H:%M %d/%m/%Y}\n")
            sys.stdout.write(render.summary_table("Theo kế hoạch", by_plan) + "\n")
            sys.stdout.write(render.summary_table("Theo đơn vị", by_unit))
        return EXIT_OK
    output = {"json": render.statuses_json, "csv": render.statuses_csv}.get(args.format)
    sys.stdout.write(output(rows) if output else render.statuses_table(rows, names))
    return EXIT_OK




def cmd_remind(args) -> int:
    """Queue the steps due, plan their messages and send them; a dry run, or a replay (an `--as-of` far
    from the clock), shows what would go out instead, through the same planning, and changes nothing."""
    from .notify.setup import notifier_for
    from .settings import get_settings

    catalog = _catalog(args.plans, [])
    if catalog is None:
        return _fail("the plans have errors: no reminder was sent")
    as_of = args.as_of or clock.now()
    preview = args.dry_run or clock.is_replay(as_of)
    try:
        with _open(args) as ledger:
            notifier = notifier_for(ledger, catalog, get_settings(), preview=preview)
            if preview:
                return _show_preview(notifier.preview(as_of))
            queued = ledger.queue_reminders(catalog, as_of=as_of, now=as_of)
            report = notifier.run(as_of)
    except LedgerError as error:
        return _fail(str(error))
    print(f"Queued {queued.queued} reminder steps ({queued.skipped} superseded); planned {report.planned} messages; "
          f"sent {report.sent}, retrying {report.retried}, handed on to a fallback {report.handed_on}, "
          f"failed {report.failed}, unknown after a crash {report.unknown}.")
    for unit in report.without_address:
        print(f"  no address for {unit} on the channels its duties allow: add contacts to the directory")
    return EXIT_OK


def _show_preview(preview) -> int:
    """Every message a dry run or a replay would send, in full; nothing was recorded or sent."""
    from .notify import registry
    from .render import preview as render

    print(render.headline(preview.as_of, len(preview.deliveries), replay=preview.replay))
    if preview.quiet:
        print(render.QUIET_NOTE)
    print()
    for delivery in preview.deliveries:
        text = registry.text_of(delivery)
        print(f"→ {delivery.channel} {delivery.address}:")
        print(text)
        print()
    for unit in preview.report.without_address:
        print(f"  no address for {unit} on the channels its duties allow: add contacts to the directory")
    print(f"({'replay' if preview.replay else 'dry run'}: {len(preview.steps)} steps, {len(preview.deliveries)} "
          "messages now; the rest wait for their digest_at, and Zalo and SMS for their quiet_hours; "
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


def _read_secret(value: str | None, path: str | None, option: str) -> str | None:
    """A secret from stdin (`-`) or a file, never from the command line (`ps` shows every argument)."""
    if value is not None and value != "-":
        raise ValueError(f"{option} takes `-` (read it from stdin) or use {option}-file PATH: a token written on the "
                         "command line is visible to every user of this machine in `ps` and stays in the shell history")
    try:
        if value == "-":  # typed at a terminal without echo, or piped in
            text = getpass.getpass("Refresh token: ") if sys.stdin.isatty() else sys.stdin.read()
        else:
            text = Path(path).read_text(encoding="utf-8") if path else None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    if text is None:
        return None
    if not text.strip():
        raise ValueError(f"{option}: {'stdin' if value == '-' else path} is empty")
    return text.strip()


def cmd_zalo_token(args) -> int:
    """Seed or inspect the Zalo token store (the pair an administrator gets by authorising the OA)."""
    from .notify.channels import PermanentError, TemporaryError
    from .notify.zalo import settings_with_zalo as get_settings  # the core settings and the Zalo ones
    from .notify.zalo_tokens import LedgerZaloTokens, ZaloLockedOut

    settings = get_settings()
    if not (settings.zalo_app_id and settings.zalo_secret_key):
        return _fail("set COMMPLAN_ZALO_APP_ID and COMMPLAN_ZALO_SECRET_KEY first (the app's id and secret key)")
    try:
        refresh_token = _read_secret(args.refresh_token, args.refresh_token_file, "--refresh-token")
        access_token = _read_secret(None, args.access_token_file, "--access-token")
    except ValueError as error:
        return _fail(str(error))
    if access_token and not refresh_token:
        return _fail("--access-token-file goes with --refresh-token - or --refresh-token-file")
    try:
        with _open(args) as ledger:
            tokens = LedgerZaloTokens(ledger, settings.zalo_app_id, settings.zalo_secret_key, key=settings.token_store_key,
                                      oauth_base=settings.zalo_oauth_base)
            if refresh_token:
                stored = tokens.seed(refresh_token, access_token=access_token, expires_in=args.expires_in)
            else:
                stored = tokens.status()
    except ZaloLockedOut as error:  # the stored pair cannot be opened with this key
        return _fail(str(error))
    except (PermanentError, TemporaryError) as error:
        return _fail(f"Zalo refused or could not be reached: {error}")
    except LedgerError as error:
        return _fail(str(error))
    if stored is None:
        print("No Zalo token stored yet: authorise the OA, then run `commplan zalo-token --refresh-token -` (the token on stdin).")
        return EXIT_FAILED
    print(f"Zalo access token valid until {stored.access_expires_at.astimezone(_VN):%H:%M %d/%m/%Y} "
          f"(refreshed {stored.refreshed_at.astimezone(_VN):%H:%M %d/%m/%Y}); it is refreshed automatically.")
    if stored.last_error:
        print(f"Last refresh error: {stored.last_error}")
        return EXIT_FAILED
    return EXIT_OK
