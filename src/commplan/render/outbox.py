"""The outbox as people read it: each delivery's state in words, and the table of `commplan outbox`.

The states themselves (`pending`, `sent`…) stay English in the ledger and in `--format json`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..i18n import N_, Labels, _
from .tables import render

# every status ledger/outbox.py writes (a delivery's; a reminder step's `skipped`), as a msgid
STATE_MSGIDS = {
    "pending": N_("waiting to be sent"),
    "claimed": N_("being prepared"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "unknown": N_("outcome unknown"),
    "cancelled": N_("cancelled"),
    "skipped": N_("skipped"),  # a reminder step nobody could take (the same module writes it)
}
STATES = Labels(STATE_MSGIDS)
HEADERS = ("#", N_("Unit"), N_("Channel"), N_("Address"), N_("State"), N_("Tries"), N_("Note"))


def state_label(status: str) -> str:
    """`đã gửi` for `sent`; an unknown state as stored."""
    return STATES.get(status, status)


def outbox_table(rows: Sequence[dict], unit_names: dict[str, str], *, failed_only: bool = False) -> str:
    """The rows of `Ledger.deliveries` as a table (newest first, as given)."""
    from ..notify.channels import CHANNEL_NAMES

    if not rows:
        return (_("No failed messages.") if failed_only else _("The outbox is empty.")) + "\n"
    body = [
        (str(r["id"]), unit_names.get(r["recipient"], r["recipient"]), CHANNEL_NAMES.get(r["channel"], r["channel"]) or "",
         r["address"], state_label(r["status"]), str(r["attempts"]), r["last_error"] or r["subject"] or "")
        for r in rows
    ]
    return render(tuple(_(h) for h in HEADERS), body, (8, 30, 9, 24, 16, 4, 60), middle=(1,), right=(0, 5))
