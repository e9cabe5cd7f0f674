"""What the CLI, the flow and the SMTP service share: the handler that takes a message in, and the summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from .. import clock
from ..i18n import _
from ..ledger import Ledger
from ..ledger.triage import WHY
from ..plan import Catalog
from .mail_intake import MailOutcome, take_in
from .mail_settings import MailInSettings


def handler(ledger: Ledger, catalog: Catalog, settings: MailInSettings, *,
            public_url: str | None = None) -> Callable[[bytes, dt.datetime], MailOutcome]:
    """`handle(raw, received_at)`: one message taken in; our own web app's links never count."""
    ignore = (public_url.rstrip("/") + "/",) if public_url else ()

    def handle(raw: bytes, received_at: dt.datetime) -> MailOutcome:
        return take_in(raw, ledger, catalog, received_at=received_at, now=clock.now(), max_bytes=_upload_cap(settings),
                       ignore_links=ignore)

    return handle


def _upload_cap(settings: MailInSettings) -> int:
    from ..settings import get_settings

    return min(settings.max_bytes, get_settings().upload_max_mb * 1_000_000)


def summary_lines(outcomes: Iterable[MailOutcome], too_large: int = 0, failed: int = 0) -> list[str]:
    """One line per message, then the counts (Vietnamese)."""
    outcomes = list(outcomes)
    lines = []
    for o in outcomes:
        if o.outcome == "recorded":
            lines.append(_("{sender}: {count} item(s) recorded").format(sender=o.sender or "?", count=len(o.recorded)))
        elif o.outcome == "triage":
            why = _(WHY[o.why]) if o.why in WHY else (o.why or "?")
            lines.append(_("{sender}: to triage ({why})").format(sender=o.sender or "?", why=why))
        for refused in o.refused:
            lines.append(_("{sender}: not taken: {what}").format(sender=o.sender or "?", what=refused))
    count = {k: sum(o.outcome == k for o in outcomes) for k in ("recorded", "triage", "already", "nothing")}
    lines.append(_("Mail read: {total} message(s): {recorded} recorded, {triage} to triage, {already} already seen, "
                   "{nothing} with nothing to record, {large} too large").format(
        total=len(outcomes) + too_large + failed, large=too_large, **count))
    if failed:
        lines.append(_("{count} message(s) could not be taken in: left unread, to be read again").format(count=failed))
    return lines
