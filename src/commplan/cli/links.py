"""`commplan link revoke`: withdraw a report link before it expires (sent to the wrong person, leaked),
one link or every link of an occurrence issued so far; reminders sent later carry new, valid links."""

from __future__ import annotations

import argparse

from ..i18n import _
from .arguments import EXIT_OK, EXIT_USAGE, Subparsers, actor, fail, ledger_options, open_ledger, positive_type


def register(sub: Subparsers) -> None:
    link = sub.add_parser("link", help=_("the report links reminders carry"))
    actions = link.add_subparsers(dest="link_command", required=True, metavar="ACTION")
    revoke = actions.add_parser("revoke", help=_("revoke a report link, or every link of an occurrence"))
    revoke.add_argument("token", nargs="?", metavar="LINK",
                        help=_("the link (…/bao-cao/TOKEN) or its token"))
    revoke.add_argument("--occurrence", type=positive_type, metavar="ID",
                        help=_("revoke every link of this occurrence issued until now"))
    revoke.add_argument("--reason", metavar="TEXT", help=_("why (recorded in the audit log)"))
    ledger_options(revoke, actor=True)
    link.set_defaults(handler=cmd_link)


def cmd_link(args: argparse.Namespace) -> int:
    from .. import clock, links
    from ..ledger import LedgerError
    from ..settings import get_settings

    if (args.token is None) == (args.occurrence is None):
        return fail(_("give either a link or --occurrence ID"), EXIT_USAGE)
    token = None
    if args.token is not None:
        token = args.token.strip().rstrip("/").rsplit("/bao-cao/", 1)[-1]
        secret = get_settings().signing_secret
        if not secret:
            return fail(_("COMMPLAN_LINK_SECRET is not set: it is needed to check the link"), EXIT_USAGE)
        try:  # an expired link needs no revocation, but revoking it does no harm: only a forged one is refused
            links.read_report_token(secret, token, now=links.read_unverified(token)[1])
        except links.BadLink as error:
            return fail(_("not a report link of this commplan ({reason})").format(reason=error), EXIT_USAGE)
    try:
        with open_ledger(args) as ledger:
            revoked = ledger.revoke_link(token, occurrence_id=None if token else args.occurrence, reason=args.reason,
                                         actor=actor(args), now=clock.now())
    except LedgerError as error:
        return fail(str(error))
    if not revoked.new:
        print(_("Already revoked."))
    elif token:
        print(_("The link for occurrence #{id} is revoked: it now opens a page saying so.").format(id=revoked.occurrence_id))
    else:
        print(_("Every link of occurrence #{id} issued until now is revoked; reminders sent from now on carry new "
                "links.").format(id=revoked.occurrence_id))
    return EXIT_OK
