"""Data that lasts, data that is personal: `commplan backup`, `restore`, `contact export|erase`.

What a clerk reads is Vietnamese; the export itself is JSON with stable English keys.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .. import clock
from ..i18n import N_, _
from .arguments import EXIT_OK, VIETNAM, Subparsers, actor, fail, ledger_options, os_reason

if TYPE_CHECKING:
    import datetime as dt

    from ..ledger.personal import Identity

KINDS = {"phone": N_("phone number"), "email": N_("email address"), "zalo": N_("Zalo account")}


def register(sub: Subparsers) -> None:
    backup = sub.add_parser("backup", help=_("back the ledger up into a file (SQLite: online backup; PostgreSQL: pg_dump)"))
    backup.add_argument("file", metavar="FILE", help=_("the backup file to write (mode 0600)"))
    backup.add_argument("--force", action="store_true", help=_("overwrite the file if it exists"))
    ledger_options(backup)
    backup.set_defaults(handler=cmd_backup)

    restore = sub.add_parser("restore", help=_("restore the ledger from a backup file"))
    restore.add_argument("file", metavar="FILE", help=_("a file written by `commplan backup`"))
    restore.add_argument("--force", action="store_true", help=_("replace it even if the ledger already holds data"))
    ledger_options(restore)
    restore.set_defaults(handler=cmd_restore)

    contact = sub.add_parser("contact", help=_("a contact's personal data (Decree 13/2023/ND-CP)"))
    actions = contact.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help=_("everything stored about a person (JSON)"))
    erase = actions.add_parser("erase", help=_("erase a person's address from the ledger"))
    for parser in (export, erase):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", metavar=_("NUMBER"), help=_("phone number (0912 345 678 or +84912345678)"))
        who.add_argument("--email", metavar=_("ADDRESS"), help=_("email address"))
        who.add_argument("--zalo", metavar="USER_ID", help=_("Zalo OA user_id"))
        parser.add_argument("--plans", nargs="+", default=["plans/"], metavar="PATH",
                            help=_("plan and directory files or folders to search for the contact (default plans/)"))
    export.add_argument("-o", "--output", metavar="FILE", help=_("write the JSON to a file (mode 0600) instead of printing it"))
    erase.add_argument("--reason", metavar=_("REASON"), help=_("reason (kept in the audit log, without personal data)"))
    ledger_options(export)
    ledger_options(erase, actor=True)
    contact.set_defaults(handler=cmd_contact)


def _url(args: argparse.Namespace) -> str:
    from ..settings import get_settings

    return args.database or get_settings().database


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def cmd_backup(args: argparse.Namespace) -> int:
    from ..ledger import LedgerError, backup

    target = Path(args.file)
    try:
        url = _url(args)
        if backup.backend(url) == "sqlite":
            result = backup.backup_sqlite(url, target, force=args.force)
            print(_("Backed the ledger up into {path} ({size}, schema {revision}, mode 0600).").format(
                path=result.path, size=_size(result.size), revision=result.revision))
        else:
            result = backup.backup_postgresql(url, target, force=args.force)
            print(_("Backed the ledger up with pg_dump into {path} ({size}, mode 0600).").format(
                path=result.path, size=_size(result.size)))
            print(_("The same by hand: {command}").format(command=backup.pg_recipe(url, str(target))))
    except LedgerError as error:
        return fail(str(error))
    print(_("To restore: {command}").format(command=f"commplan restore {target}"))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from ..ledger import Ledger, LedgerError, backup
    from ..ledger.engine import head_revision
    from ..ledger.personal import ledger_has_work

    source = Path(args.file)
    try:
        url = _url(args)
        if backup.backend(url) == "sqlite":
            revision = backup.restore_sqlite(url, source, force=args.force)
        else:
            with Ledger(url, migrate=False) as current:
                used = ledger_has_work(current)
            backup.restore_postgresql(url, source, force=args.force, used=used)
            revision = None
        with Ledger(url):  # the normal open: an older backup is upgraded here
            where = _where(url)
    except LedgerError as error:
        return fail(str(error))
    if revision and revision != head_revision():
        print(_("Restored {where} from {source} (the backup was at schema {revision}, upgraded to {head}).").format(
            where=where, source=source, revision=revision, head=head_revision()))
    else:
        print(_("Restored {where} from {source}.").format(where=where, source=source))
    return EXIT_OK


def _where(url: str) -> str:
    from ..ledger.backup import place

    return place(url)


def _identity(args: argparse.Namespace) -> Identity:
    from ..ledger import LedgerError
    from ..ledger.personal import Identity
    from ..notify import registry
    from ..notify.addresses import InvalidPhone, normalise_phone

    on = registry.addressed_by  # the channels that send to each kind of address
    if args.phone is not None:
        try:
            return Identity("phone", normalise_phone(args.phone), on(registry.Contact.PHONE))
        except InvalidPhone:
            raise LedgerError(_("'{value}' is not a Vietnamese mobile number").format(value=args.phone)) from None
    if args.email is not None:
        value = args.email.strip().lower()
        if "@" not in value:
            raise LedgerError(_("'{value}' is not an email address").format(value=args.email))
        return Identity("email", value, on(registry.Contact.EMAIL))
    value = args.zalo.strip()
    if not value.isdigit():
        raise LedgerError(_("'{value}' is not a Zalo user_id (digits only)").format(value=args.zalo))
    return Identity("zalo", value, on(registry.Contact.ZALO))


def _local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(ZoneInfo(VIETNAM)).isoformat() if moment else None


def cmd_contact(args: argparse.Namespace) -> int:
    from ..ledger import Ledger, LedgerError
    from ..ledger.personal import contact_deliveries, erase_contact
    from ..plan.contacts import find_contacts

    deliveries: list[dict] = []
    alias, counts = "", {"deliveries": 0, "fallbacks": 0, "errors": 0, "followers": 0}
    try:
        identity = _identity(args)
        entries, unreadable = find_contacts(args.plans, identity.kind, identity.value)
        with Ledger.open(args.database) as ledger:
            if args.action == "export":
                deliveries = contact_deliveries(ledger, identity)
            else:
                alias, counts = erase_contact(ledger, identity, reason=args.reason, actor=actor(args), now=clock.now())
    except LedgerError as error:
        return fail(str(error))
    for problem in unreadable:
        print(_("warning: {problem}").format(problem=problem), file=sys.stderr)
    if args.action == "export":
        return _export(args, identity, entries, deliveries)
    kind = _(KINDS[identity.kind])
    if counts["deliveries"]:
        print(_("Erased this {kind} from the ledger: {count} messages now carry the alias {alias}, their text blanked; "
                "state, tries and dates are kept.").format(kind=kind, count=counts["deliveries"], alias=alias))
    else:
        print(_("The ledger holds no message sent to this {kind}.").format(kind=kind))
    if counts["fallbacks"] or counts["errors"]:
        print(_("Also replaced the address in {fallbacks} fallback routes and {errors} error messages.").format(
            fallbacks=counts["fallbacks"], errors=counts["errors"]))
    if counts.get("followers"):
        print(_("Unlinked this Zalo account from the contact it had linked on the OA: no reminder goes there now."))
    print(_("Evidence is not erased (it is not the contact's personal data)."))
    _outbox_file_lines(identity.value)
    if entries:
        print(_("The directory still holds this address: delete these lines from the source files yourself, then run "
                "`commplan sync`, or the next reminder will send to it again:"))
        for entry in entries:
            print(f"  {entry['file']}:{entry['line']}  " + _("(unit {unit}, {kind})").format(
                unit=entry["unit"], kind=_(KINDS[entry["field"]])))
    else:
        print(_("No contact in the directory read carries this address any more."))
    return EXIT_OK


def _outbox_file_lines(value: str) -> None:
    """The file channels' log (outbox.jsonl) is the user's to keep or delete: say where the address remains."""
    from ..ledger import LedgerError
    from ..settings import get_settings

    try:
        path = get_settings().data_dir / "outbox.jsonl"
        lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if value in line]
    except (OSError, UnicodeDecodeError, LedgerError):
        return
    if lines:
        shown = ", ".join(str(n) for n in lines[:10]) + (" …" if len(lines) > 10 else "")
        print(_("The file {path} (the log of the stand-in channels) still holds this address on {count} lines "
                "({lines}): delete them yourself.").format(path=path, count=len(lines), lines=shown))


def _export(args: argparse.Namespace, identity: Identity, entries: list[dict], deliveries: list[dict]) -> int:
    document = {
        "identity": {"kind": identity.kind, "value": identity.value},
        "exported_at": _local(clock.now()),
        "directory": entries,
        "deliveries": [
            {"id": d["id"], "unit": d["recipient"], "channel": d["channel"], "address": d["address"],
             "subject": d["subject"], "status": d["status"], "attempts": d["attempts"],
             "created_at": _local(d["created_at"]), "sent_at": _local(d["sent_at"])}
            for d in deliveries
        ],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        handle = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        return fail(_("cannot write {path}: {reason}").format(path=args.output, reason=os_reason(error)))
    print(_("Exported {entries} directory entries and {messages} messages to {path} (mode 0600).").format(
        entries=len(entries), messages=len(deliveries), path=args.output))
    return EXIT_OK
