"""The notifier: queued reminder steps -> one message per recipient and address -> channels.

Planning groups every step a recipient is owed right now into one message (a
digest when there are several), one delivery per address. Sending claims due
deliveries from the ledger's outbox and records each outcome; a channel that
fails never blocks the others, since every delivery is claimed and confirmed
on its own.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..ledger import Ledger
from ..ledger.outbox import NewDelivery
from ..plan.catalog import Catalog
from ..schedule.workdays import WorkCalendar
from .addresses import addresses_of
from .channels import Channel, PermanentError, TemporaryError
from .messages import Item, render

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Zalo and SMS reach phones: not at night, not on days off
QUIET_START, QUIET_END = dt.time(7, 30), dt.time(20, 0)


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    without_address: list[str] = field(default_factory=list)


def next_send_time(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """Now, if it is working hours on a working day; else the start of the next working morning."""
    local = now.astimezone(VN)
    if calendar.is_workday(local.date()) and QUIET_START <= local.time() < QUIET_END:
        return now
    day = local.date() if local.time() < QUIET_START else local.date() + dt.timedelta(days=1)
    day = calendar.next_workday(day)
    return dt.datetime.combine(day, QUIET_START, tzinfo=VN)


class Notifier:
    def __init__(self, ledger: Ledger, catalog: Catalog, channels: dict[str, Channel], *, worker: str | None = None):
        self.ledger = ledger
        self.catalog = catalog
        self.channels = channels
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.calendar = WorkCalendar("VN")

    def plan(self, now: dt.datetime, report: SendReport) -> None:
        steps = self.ledger.unplanned_reminders()
        by_recipient: dict[str, list[dict]] = {}
        for step in steps:
            by_recipient.setdefault(step["recipient"], []).append(step)
        names = self.ledger.unit_names()
        deliveries: list[NewDelivery] = []
        for recipient, owed in by_recipient.items():
            unit = self.catalog.directory.units.get(recipient)
            addresses = [a for c in (unit.contacts if unit else ()) for a in addresses_of(c, set(self.channels))]
            if not addresses:
                report.without_address.append(recipient)
                continue
            items = [
                Item(step=s["step"], title=s["title"], due=s["due_at"], at_least=s["at_least"], delivered=s["delivered"],
                     plan=s["number"], unit=names.get(s["unit_id"], s["unit_id"]))
                for s in owed
            ]
            message = render(names.get(recipient, recipient), items, now=now)
            for address in dict.fromkeys(addresses):
                channel = self.channels[address.channel]
                not_before = next_send_time(now, self.calendar) if channel.quiet_hours else now
                deliveries.append(NewDelivery(
                    recipient=recipient, channel=address.channel, address=address.value, subject=message.subject,
                    body_text=message.text, body_html=message.html, body_sms=message.sms,
                    reminder_ids=tuple(s["id"] for s in owed), not_before=not_before,
                ))
        report.planned += self.ledger.add_deliveries(deliveries, now=now)

    def send(self, now: dt.datetime, report: SendReport, *, limit: int = 500) -> None:
        idempotent = {name for name, channel in self.channels.items() if channel.idempotent}
        _, report.unknown = self.ledger.recover_stale_deliveries(idempotent, now=now)
        for delivery in self.ledger.claim_deliveries(self.worker, limit=limit, now=now):
            channel = self.channels.get(delivery.channel)
            try:
                if channel is None:
                    raise PermanentError(f"channel '{delivery.channel}' is not configured")
                external = channel.send(delivery)
            except TemporaryError as error:
                self.ledger.confirm_delivery(delivery.id, self.worker, outcome="retry", error=str(error), now=now)
                report.retried += 1
            except PermanentError as error:
                self.ledger.confirm_delivery(delivery.id, self.worker, outcome="failed", error=str(error), now=now)
                report.failed += 1
            else:
                self.ledger.confirm_delivery(delivery.id, self.worker, outcome="sent", external_id=external, now=now)
                report.sent += 1

    def run(self, now: dt.datetime) -> SendReport:
        report = SendReport()
        self.plan(now, report)
        self.send(now, report)
        return report
