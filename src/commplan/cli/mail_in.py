"""`commplan mail-in poll | watch | serve`: replies to reminder emails taken in as evidence (or triage).

`poll` reads the unseen messages of COMMPLAN_IMAP_URL once (what the `mail-in` flow does every 5
minutes); `watch` stays connected and takes each new message as it arrives (IMAP IDLE); `serve` runs the
inbound SMTP service on COMMPLAN_MAIL_IN_LISTEN. Exit status: 0 when done (watch and serve: stopped with
Ctrl-C), 1 when the mailbox cannot be read or the plans have errors, 2 when not configured.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..i18n import _
from .arguments import EXIT_OK, EXIT_USAGE, Subparsers, fail, ledger_options, load_plans, open_ledger


def register(sub: Subparsers) -> None:
    mail = sub.add_parser("mail-in", help=_("take in the replies to reminder emails (IMAP or an SMTP service)"))
    actions = mail.add_subparsers(dest="action", required=True, metavar="ACTION")
    parsers = [
        actions.add_parser("poll", help=_("read the unseen messages of the reminder mailbox once (COMMPLAN_IMAP_URL)")),
        actions.add_parser("watch", help=_("stay connected to the mailbox and take each reply as it arrives (IMAP IDLE)")),
        actions.add_parser("serve", help=_("receive replies over SMTP on COMMPLAN_MAIL_IN_LISTEN")),
    ]
    for parser in parsers:
        parser.add_argument("--plans", nargs="+", metavar="PATH", default=["plans/"],
                            help=_("plan files or folders (default plans/)"))
        ledger_options(parser)
    mail.set_defaults(handler=cmd_mail_in)


def _print(lines: list[str]) -> None:
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def cmd_mail_in(args: argparse.Namespace) -> int:
    from .. import clock
    from ..intake.imap_poll import MailboxError, poll, watch
    from ..intake.mail_run import handler, summary_lines
    from ..intake.mail_settings import MailInSettings
    from ..settings import get_settings

    settings = get_settings().channel(MailInSettings)
    target, listen = settings.imap, settings.listen
    if args.action in ("poll", "watch") and target is None:
        return fail(_("COMMPLAN_IMAP_URL is not set: nothing to read"), EXIT_USAGE)
    if args.action == "serve" and listen is None:
        return fail(_("COMMPLAN_MAIL_IN_LISTEN is not set (e.g. 127.0.0.1:2525)"), EXIT_USAGE)
    catalog = load_plans(args.plans)
    if catalog is None:
        return fail(_("the plans have errors: no mail was read"))
    with open_ledger(args) as ledger:
        handle = handler(ledger, catalog, settings, public_url=get_settings().public_url)
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_args: stop.set())
        try:
            if args.action == "poll":
                assert target is not None
                report = poll(target, handle, max_bytes=settings.max_bytes, now=clock.now)
                _print(summary_lines(report.outcomes, report.too_large, report.failed))
            elif args.action == "watch":
                assert target is not None
                print(_("Watching {mailbox} (Ctrl-C to stop)").format(mailbox=str(target)), flush=True)
                watch(target, handle, max_bytes=settings.max_bytes, now=clock.now, stop=stop,
                      on_report=lambda r: _print(summary_lines(r.outcomes, r.too_large, r.failed)))
            else:
                from ..intake.smtp_inbound import controller

                assert listen is not None
                service = controller(handle, clock.now, host=listen[0], port=listen[1], max_bytes=settings.max_bytes,
                                     on_outcome=lambda o: _print(summary_lines([o])))
                service.start()
                print(_("Receiving replies over SMTP on {host}:{port} (Ctrl-C to stop)").format(
                    host=listen[0], port=listen[1]), flush=True)
                stop.wait()
                service.stop()
        except MailboxError as error:
            return fail(str(error))
    return EXIT_OK
