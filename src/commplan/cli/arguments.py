"""What the commands share: argument types, the --database/--by options, exit statuses, and the
few helpers every ledger command uses. Nothing heavy at import time (no SQLAlchemy, no Prefect):
`commplan --help` and `commplan validate` load only this and the parser."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..i18n import N_, _

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..plan import Catalog

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_USAGE = 0, 1, 1, 2
Subparsers = argparse._SubParsersAction  # what `add_subparsers` returns: each module's `register` adds to it
VIETNAM = "Asia/Ho_Chi_Minh"


def parse_day(text: str) -> dt.date | None:
    """A day written YYYY-MM-DD or, as clerks write it, dd/mm/yyyy (d/m/yyyy too); None otherwise."""
    text = text.strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def date_type(text: str) -> dt.date:
    day = parse_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(_("'{text}' is not a date (dd/mm/yyyy or YYYY-MM-DD)").format(text=text))
    return day


def event_type(text: str) -> tuple[str, dt.date]:
    ident, sep, day = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(_("'{text}' is not ID=YYYY-MM-DD").format(text=text))
    return ident.strip(), date_type(day.strip())


def as_of_type(text: str) -> dt.datetime:
    """A date means the end of that day in Vietnam; a datetime without offset is Vietnam time."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(VIETNAM)
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59), tzinfo=tz)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a date or datetime (YYYY-MM-DD or YYYY-MM-DDTHH:MM)").format(text=text)) from None
    if not 1900 <= moment.year <= 9000:
        raise argparse.ArgumentTypeError(_("'{text}': the year must be between 1900 and 9000").format(text=text))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _instant(text: str) -> dt.datetime | None:
    """YYYY-MM-DDTHH:MM[:SS][±HH:MM], or dd/mm/yyyy HH:MM; None otherwise."""
    text = text.strip()
    day, space, clock = text.partition(" ")
    try:
        if space and "/" in day:
            parsed = parse_day(day)
            return dt.datetime.combine(parsed, dt.time.fromisoformat(clock.strip())) if parsed else None
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def on_type(text: str) -> dt.date | dt.datetime:
    """A day (its 00:00 in the plan's timezone) or an instant (without offset: the plan's timezone)."""
    value = parse_day(text) or _instant(text)
    if value is None:
        raise argparse.ArgumentTypeError(_(
            "'{text}' is not a date or datetime (dd/mm/yyyy, dd/mm/yyyy HH:MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM)").format(text=text))
    if not 1900 <= value.year <= 9000:
        raise argparse.ArgumentTypeError(_("'{text}': the year must be between 1900 and 9000").format(text=text))
    return value


def positive_type(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) < 2**63:
        raise argparse.ArgumentTypeError(_("'{text}' is not a whole number of 1 or more").format(text=text))
    return int(text)


def today() -> dt.date:
    """Today in Vietnam, on the process clock (COMMPLAN_NOW)."""
    from zoneinfo import ZoneInfo

    from ..clock import now

    return now().astimezone(ZoneInfo(VIETNAM)).date()


def ledger_options(parser: argparse.ArgumentParser, *, actor: bool = False) -> None:
    parser.add_argument("--database", metavar="URL", help=_("ledger database (default: $COMMPLAN_DATABASE_URL, else SQLite in the data folder)"))
    if actor:
        parser.add_argument("--by", metavar="NAME", help=_("who makes this change (recorded in the audit log; default: your login)"))


# ---------------------------------------------------------------- what the handlers share


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(_("error: {message}").format(message=message), file=sys.stderr)
    return code


def range_refused(start: dt.date, end: dt.date) -> int | None:
    """The exit status of a bad --from/--to (its line printed), or None: `preview` and `export` share it."""
    from ..schedule.bounds import range_problem

    if end < start:
        return fail(_("--to {end} is before --from {start}").format(end=f"{end:%d/%m/%Y}", start=f"{start:%d/%m/%Y}"),
                    EXIT_USAGE)
    problem = range_problem(start, end)
    return fail(f"--from/--to: {problem}", EXIT_USAGE) if problem else None


def actor(args: argparse.Namespace) -> str | None:
    import getpass
    import os

    if getattr(args, "by", None):
        return args.by
    try:
        return os.environ.get("COMMPLAN_USER") or getpass.getuser()
    except (KeyError, OSError):
        return None


@contextlib.contextmanager
def open_ledger(args: argparse.Namespace) -> Iterator[Ledger]:
    from ..ledger import Ledger

    ledger = Ledger.open(args.database)
    try:
        yield ledger
    finally:
        ledger.close()


def load_plans(paths: Sequence[str], units: Sequence[str] = ()) -> Catalog | None:
    """The plans, or None after printing their errors."""
    from ..plan import load_catalog

    catalog, errors = load_catalog(paths, units=list(units), strict=False)
    for error in errors:
        print(error, file=sys.stderr)
    return None if errors else catalog


_OS_REASONS = {"ENOENT": N_("the folder does not exist"), "EACCES": N_("no permission to write"),
               "EPERM": N_("no permission to write"), "EROFS": N_("the disk is read-only"),
               "EISDIR": N_("it is a folder"), "ENOTDIR": N_("a part of the path is not a folder"),
               "ENOSPC": N_("the disk is full")}
_OS_READ_REASONS = {"ENOENT": N_("the file does not exist"), "EACCES": N_("no permission to read"),
                    "EPERM": N_("no permission to read")}


def os_reason(error: OSError, *, reading: bool = False) -> str:
    """Why a file could not be written (or read), in the reader's language for the common cases
    (the system's own text, `No such file or directory`, is English whatever the language)."""
    import errno

    name = errno.errorcode.get(error.errno or 0, "")
    reasons = {**_OS_REASONS, **_OS_READ_REASONS} if reading else _OS_REASONS
    return _(reasons[name]) if name in reasons else error.strerror or str(error)
