"""`commplan user …`: the people who log in to the web app (a coordinator of a Sở, a viewer, an admin),
their passwords and API tokens. A password is never an argument (it would stay in the shell's history
and in `ps`): it is typed twice at a prompt, or read as one line from standard input in a script."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .arguments import EXIT_OK, EXIT_USAGE, VIETNAM, Subparsers, actor, fail, ledger_options, open_ledger, positive_type


def register(sub: Subparsers) -> None:
    user = sub.add_parser("user", help=_("the people who log in to the web app: add, disable, passwords, tokens"))
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", help=_("add a user bound to a unit of the directory"),
        description=_("The password is asked twice (or read as one line from standard input in a script): at least "
                      "12 characters, not a common one."))
    add.add_argument("login", metavar="LOGIN", help=_("the name the person logs in with"))
    add.add_argument("--unit", metavar="ID", help=_("the person's unit (required except for an admin)"))
    add.add_argument("--role", choices=("admin", "coordinator", "viewer"), default="coordinator",
                     help=_("admin sees everything; coordinator and viewer see their province (default: coordinator)"))
    add.add_argument("--name", metavar="NAME", help=_("the person's full name, as shown in the web app"))
    for name, helptext in (("disable", _("stop a user from logging in (their API tokens stop working too)")),
                           ("enable", _("let a disabled user log in again")),
                           ("passwd", _("set a new password for a user"))):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("login", metavar="LOGIN")
        ledger_options(action, actor=True)
    actions.add_parser("list", help=_("list the users"))
    token = actions.add_parser("token", help=_("issue an API token for a user (shown once)"))
    token.add_argument("login", metavar="LOGIN")
    token.add_argument("--label", metavar="TEXT", help=_("what the token is for"))
    revoke = actions.add_parser("revoke-token", help=_("revoke an API token by its number"))
    revoke.add_argument("token_id", type=positive_type, metavar="NUMBER")
    for parser in (add, token, revoke):
        ledger_options(parser, actor=True)
    ledger_options(actions.choices["list"])
    user.set_defaults(handler=cmd_user)


def read_password(login: str) -> str | None:
    """The new password: typed twice at a prompt, or one line of standard input; None after saying why."""
    import getpass

    from ..ledger import password_problem

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(_("New password for {login}: ").format(login=login))
        if getpass.getpass(_("The same password again: ")) != first:
            fail(_("the two passwords differ; nothing was changed"), EXIT_USAGE)
            return None
    else:
        first = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
    problem = password_problem(first, login)
    if problem:
        fail(_("{problem}; nothing was changed").format(problem=problem), EXIT_USAGE)
        return None
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError

    command = args.user_command
    try:
        if command == "list":
            with open_ledger(args) as ledger:
                _print_users(ledger.all_users())
            return EXIT_OK
        if command in ("add", "passwd"):
            with open_ledger(args) as ledger:  # a missing user or unit is said before the password is asked
                if command == "passwd" and ledger.user(args.login) is None:
                    return fail(_("no user '{login}'").format(login=args.login))
                if command == "add":
                    ledger.check_new_user(args.login, role=args.role, unit=args.unit)
                password = read_password(args.login)
                if password is None:
                    return EXIT_USAGE
                if command == "add":
                    user = ledger.add_user(args.login, password, role=args.role, unit=args.unit, display_name=args.name,
                                           actor=actor(args))
                    print(_("User {login} added: role {role}, unit {unit}.").format(
                        login=user.login, role=_role(user.role), unit=user.unit_id or _("every unit")))
                else:
                    ledger.set_password(args.login, password, actor=actor(args))
                    print(_("The password of {login} was changed.").format(login=args.login))
            return EXIT_OK
        with open_ledger(args) as ledger:
            if command == "disable":
                ledger.disable_user(args.login, actor=actor(args))
                print(_("User {login} is disabled: they can no longer log in.").format(login=args.login))
            elif command == "enable":
                ledger.enable_user(args.login, actor=actor(args))
                print(_("User {login} can log in again.").format(login=args.login))
            elif command == "token":
                issued = ledger.issue_api_token(args.login, label=args.label, actor=actor(args))
                print(_("API token number {id} for {login} (shown only this once; keep it secret):").format(
                    id=issued.id, login=args.login))
                print(issued.token)
            elif not ledger.revoke_api_token(args.token_id, actor=actor(args)):
                return fail(_("no API token number {id} in use").format(id=args.token_id))
            else:
                print(_("API token number {id} revoked.").format(id=args.token_id))
    except LedgerError as error:
        return fail(str(error))
    return EXIT_OK


def _role(role: str) -> str:
    from ..ledger.users import role_name

    return role_name(role)


def _print_users(users: list) -> None:
    from zoneinfo import ZoneInfo

    if not users:
        print(_("No users yet: add one with `commplan user add LOGIN --unit ID`."))
        return
    tz = ZoneInfo(VIETNAM)
    header = (_("Login"), _("Name"), _("Role"), _("Unit"), _("State"), _("Added"))
    rows = [(u.login, u.display_name or "", _role(u.role), u.unit_id or "", _("disabled") if u.disabled else _("active"),
             f"{u.created_at.astimezone(tz):%d/%m/%Y %H:%M}") for u in users]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
