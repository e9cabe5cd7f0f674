"""`commplan remind`, `commplan outbox` and `commplan zalo-token`: the reminders, the messages they
became, and the Zalo OA's token pair."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _
from .arguments import (
    EXIT_FAILED,
    EXIT_OK,
    VIETNAM,
    Subparsers,
    as_of_type,
    fail,
    ledger_options,
    load_plans,
    open_ledger,
    os_reason,
)

if TYPE_CHECKING:
    from ..notify.notifier import Preview


def register(sub: Subparsers) -> None:
    remind = sub.add_parser("remind", help=_("queue the reminder steps due, plan their messages and send them"))
    remind.add_argument("--as-of", type=as_of_type, metavar="DATETIME",
                        help=_("the instant (default now); more than 10 minutes from the clock it is a replay, as --dry-run"))
    remind.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH", help=_("the plans (default plans/)"))
    remind.add_argument("--dry-run", action="store_true", help=_("show what would be queued and sent; change nothing"))
    ledger_options(remind)
    remind.set_defaults(handler=cmd_remind)

    outbox = sub.add_parser("outbox", help=_("the messages planned, sent, failing or failed"))
    outbox.add_argument("--failed", action="store_true", help=_("only failed ones and those left unknown by a crash"))
    outbox.add_argument("--format", choices=("table", "json"), default="table",
                        help=_("table (default), or json with stable English keys for other programs"))
    ledger_options(outbox)
    outbox.set_defaults(handler=cmd_outbox)

    token = sub.add_parser("zalo-token", help=_("store the Zalo OA token pair after authorising the OA, or show its state"))
    secret_from = token.add_mutually_exclusive_group()
    secret_from.add_argument("--refresh-token", metavar="-",
                             help=_("`-`: read the refresh token from Zalo's authorisation from stdin (never on the "
                                    "command line, where `ps` shows it)"))
    secret_from.add_argument("--refresh-token-file", metavar="PATH", help=_("read the refresh token from this file"))
    token.add_argument("--access-token-file", metavar="PATH",
                       help=_("its access token, from this file (default: refresh at once)"))
    token.add_argument("--expires-in", type=int, default=90000, metavar="SECONDS",
                       help=_("the access token's lifetime as Zalo gave it (default 90000 = 25 h)"))
    ledger_options(token)
    token.set_defaults(handler=cmd_zalo_token)


def cmd_remind(args: argparse.Namespace) -> int:
    """Queue the steps due, plan their messages and send them; a dry run, or a replay (an `--as-of` far
    from the clock), shows what would go out instead, through the same planning, and changes nothing."""
    from .. import clock
    from ..intake.mail_settings import replies_read
    from ..ledger import LedgerError
    from ..notify.setup import notifier_for
    from ..settings import get_settings

    catalog = load_plans(args.plans, [])
    if catalog is None:
        return fail(_("the plans have errors: no reminder was sent"))
    as_of = args.as_of or clock.now()
    preview = args.dry_run or clock.is_replay(as_of)
    try:
        with open_ledger(args) as ledger:
            settings = get_settings()
            notifier = notifier_for(ledger, catalog, settings, preview=preview, invite_replies=replies_read(settings))
            if preview:
                return _show_preview(notifier.preview(as_of))
            queued = ledger.queue_reminders(catalog, as_of=as_of, now=as_of)
            report = notifier.run(as_of)
    except LedgerError as error:
        return fail(str(error))
    print(_("Queued {queued} reminder steps ({skipped} superseded); planned {planned} messages; sent {sent}, "
            "retrying {retried}, handed on to a fallback {handed_on}, failed {failed}, unknown after a crash "
            "{unknown}.").format(queued=queued.queued, skipped=queued.skipped, planned=report.planned, sent=report.sent,
                                 retried=report.retried, handed_on=report.handed_on, failed=report.failed,
                                 unknown=report.unknown))
    for unit in report.without_address:
        print("  " + no_address(unit))
    return EXIT_OK


def _show_preview(preview: Preview) -> int:
    """Every message a dry run or a replay would send, in full; nothing was recorded or sent."""
    from ..notify import registry
    from ..render import preview as render

    print(render.headline(preview.as_of, len(preview.deliveries), replay=preview.replay))
    if preview.quiet:
        print(render.QUIET_NOTE)
    print()
    for delivery in preview.deliveries:
        text = registry.text_of(delivery)  # type: ignore[arg-type]  # a planned delivery has the fields it reads
        print(f"→ {registry.label(delivery.channel)} {delivery.address}:")
        print(text)
        print()
    for unit in preview.report.without_address:
        print("  " + no_address(unit))
    kind = _("replay") if preview.replay else _("dry run")
    print("(" + _("{kind}: {steps} steps, {messages} messages now; the rest wait for their digest_at, and Zalo and SMS "
                  "for their quiet_hours; nothing was recorded or sent").format(
        kind=kind, steps=len(preview.steps), messages=len(preview.deliveries)) + ")")
    return EXIT_OK


def cmd_outbox(args: argparse.Namespace) -> int:
    import json as _json

    from ..ledger import LedgerError
    from ..render.outbox import outbox_table

    try:
        with open_ledger(args) as ledger:
            rows = ledger.deliveries(statuses=["failed", "unknown"] if args.failed else ())
            names = ledger.unit_names()
    except LedgerError as error:
        return fail(str(error))
    if args.format == "json":
        print(_json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    print(outbox_table(rows, names, failed_only=args.failed), end="")
    return EXIT_OK


def _read_secret(value: str | None, path: str | None, option: str) -> str | None:
    """A secret from stdin (`-`) or a file, never from the command line (`ps` shows every argument)."""
    if value is not None and value != "-":
        raise ValueError(_("{option} takes `-` (read it from stdin) or use {option}-file PATH: a token written on the "
                           "command line is visible to every user of this machine in `ps` and stays in the shell "
                           "history").format(option=option))
    try:
        if value == "-":  # typed at a terminal without echo, or piped in
            text = getpass.getpass(_("Refresh token: ")) if sys.stdin.isatty() else sys.stdin.read()
        else:
            text = Path(path).read_text(encoding="utf-8") if path else None
    except OSError as error:
        raise ValueError(_("cannot read {path}: {reason}").format(path=path, reason=os_reason(error, reading=True))) from None
    if text is None:
        return None
    if not text.strip():
        raise ValueError(_("{option}: {source} is empty").format(option=option, source="stdin" if value == "-" else path))
    return text.strip()


def cmd_zalo_token(args: argparse.Namespace) -> int:
    """Seed or inspect the Zalo token store (the pair an administrator gets by authorising the OA)."""
    from zoneinfo import ZoneInfo

    from ..ledger import LedgerError
    from ..notify.channels import PermanentError, TemporaryError
    from ..notify.zalo import ZaloSettings
    from ..notify.zalo_tokens import LedgerZaloTokens, ZaloLockedOut
    from ..settings import get_settings

    settings = get_settings()
    zalo = settings.channel(ZaloSettings)  # the Zalo channel's own settings
    app_id, secret_key = zalo.zalo_app_id, zalo.zalo_secret_key
    if not (app_id and secret_key):
        return fail(_("set COMMPLAN_ZALO_APP_ID and COMMPLAN_ZALO_SECRET_KEY first (the app's id and secret key)"))
    try:
        refresh_token = _read_secret(args.refresh_token, args.refresh_token_file, "--refresh-token")
        access_token = _read_secret(None, args.access_token_file, "--access-token")
    except ValueError as error:
        return fail(str(error))
    if access_token and not refresh_token:
        return fail(_("--access-token-file goes with --refresh-token - or --refresh-token-file"))
    try:
        with open_ledger(args) as ledger:
            tokens = LedgerZaloTokens(ledger, app_id, secret_key, key=settings.token_store_key,
                                      oauth_base=zalo.zalo_oauth_base)
            stored = (tokens.seed(refresh_token, access_token=access_token, expires_in=args.expires_in)
                      if refresh_token else tokens.status())
    except ZaloLockedOut as error:  # the stored pair cannot be opened with this key
        return fail(str(error))
    except (PermanentError, TemporaryError) as error:
        return fail(_("Zalo refused or could not be reached: {error}").format(error=error))
    except LedgerError as error:
        return fail(str(error))
    if stored is None:
        print(_("No Zalo token stored yet: authorise the OA, then run `commplan zalo-token --refresh-token -` "
                "(the token on stdin)."))
        return EXIT_FAILED
    tz = ZoneInfo(VIETNAM)
    print(_("Zalo access token valid until {until} (refreshed {refreshed}); it is refreshed automatically.").format(
        until=f"{stored.access_expires_at.astimezone(tz):%H:%M %d/%m/%Y}",
        refreshed=f"{stored.refreshed_at.astimezone(tz):%H:%M %d/%m/%Y}"))
    if stored.last_error:
        print(_("Last refresh error: {error}").format(error=stored.last_error))
        return EXIT_FAILED
    return EXIT_OK


def no_address(unit: str) -> str:
    return _("no address for {unit} on the channels its duties allow: add contacts to the directory").format(unit=unit)
