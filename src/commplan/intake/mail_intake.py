"""One inbound email taken in: claimed once by its Message-ID, judged (`mail_match`), its links and attachments
recorded as evidence (source `email`) or put in triage: at most MAX_ITEMS of them from one message.

Whatever brings the mail (IMAP polling, the inbound SMTP service) hands its bytes here. A message counts
once: `Ledger.claim_inbound("email", Message-ID)` refuses one already seen (a second poll, a re-sent copy);
a message without a Message-ID is named by the SHA-256 of its bytes. Attachments are stored
(`Ledger.store_document`: PDF, Office documents and images by their first bytes, size-capped); what is
refused is noted, never fatal. Each item recorded keeps why (`match_reason`: "reply to delivery N,
Message-ID …"). A message claimed but never finished (a crash in between: no outcome noted) is taken in
again; recording is itself idempotent (an occurrence has a link or a document once, a triage item is
added once), so that never counts anything twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..i18n import _
from ..ledger import Ledger, LedgerError, LedgerUnavailable
from ..ledger.documents import UploadRefused, clean_name
from ..ledger.evidence import EvidenceInput
from ..ledger.status import OccurrenceStatus
from ..ledger.triage import TriageInput
from ..plan import Catalog
from .mail_match import Verdict, judge
from .mail_parse import InboundMail, parse

SOURCE = "email"
NOTE_LIMIT = 300  # the subject kept as the evidence's note
MAX_ITEMS = 20  # links and files taken from one message: anyone can write to the mailbox, nobody may flood triage


@dataclass
class MailOutcome:
    """What came of one message."""

    external_id: str
    sender: str
    outcome: str  # "recorded" | "triage" | "already" | "nothing"
    recorded: list[int] = field(default_factory=list)  # evidence ids
    triaged: list[int] = field(default_factory=list)  # triage ids
    refused: list[str] = field(default_factory=list)  # attachments not taken, and why
    why: str | None = None  # the triage reason


@dataclass(frozen=True)
class _Item:
    kind: str  # link | document
    link: str | None = None
    document: str | None = None
    sha256: str | None = None


def external_id(mail: InboundMail, raw: bytes) -> str:
    return mail.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def _items(ledger: Ledger, mail: InboundMail, outcome: MailOutcome, *, max_bytes: int,
           ignore: tuple[str, ...], now: dt.datetime) -> list[_Item]:
    links = [link for link in mail.links if not link.startswith(ignore)]
    files = mail.attachments[:MAX_ITEMS]  # files first: a reply's PDF outweighs the links pasted beside it
    kept = links[:MAX_ITEMS - len(files)]
    if len(links) + len(mail.attachments) > len(kept) + len(files):
        outcome.refused.append(_("{count} more link(s) and file(s) left out: at most {most} are taken from one "
                                 "message").format(count=len(links) + len(mail.attachments) - len(kept) - len(files),
                                                   most=MAX_ITEMS))
    items = [_Item("link", link=link) for link in kept]
    for attachment in files:
        # the sender's own name, cleaned of any path: never the name another unit first gave the same bytes
        name = clean_name(attachment.name) or _("attachment")
        try:
            stored = ledger.store_document(attachment.data, name=name, by=mail.sender or None, max_bytes=max_bytes,
                                           now=now)
        except UploadRefused as error:
            outcome.refused.append(f"{name}: {error}")
            continue
        items.append(_Item("document", document=name, sha256=stored.sha256))
    return items


def take_in(raw: bytes, ledger: Ledger, catalog: Catalog, *, received_at: dt.datetime, now: dt.datetime,
            max_bytes: int, ignore_links: tuple[str, ...] = ()) -> MailOutcome:
    """Take one message in. `received_at` is when it reached our mailbox (the server's clock, not the
    sender's Date): the evidence's date. `ignore_links`: prefixes never counted (our own web app's links)."""
    mail = parse(raw)
    ident = external_id(mail, raw)
    outcome = MailOutcome(external_id=ident, sender=mail.sender, outcome="nothing")
    again = False
    if not ledger.claim_inbound(SOURCE, ident, received_at=received_at, now=now):
        seen = ledger.inbound_outcome(SOURCE, ident)
        if seen is None or seen[0] is not None:
            outcome.outcome = "already"
            return outcome
        again = True  # claimed but never finished (a crash in between): taken in again, recording nothing twice
    found = ledger.reply_thread(mail.replied_to, as_of=now)
    thread, duties = found if found is not None else (None, [])
    verdict = judge(mail, catalog, thread.recipient if thread else None, duties,
                    recorded_by_it=_recorded_by(ledger, ident, duties) if again else ())
    items = _items(ledger, mail, outcome, max_bytes=max_bytes, ignore=ignore_links, now=now)
    reason = verdict.reason(thread.delivery_id if thread else None, thread.message_id if thread else None, ident)
    occurred = min(received_at, now)
    for number, item in enumerate(items):
        if verdict.targets:
            _record(ledger, verdict, item, mail, reason, occurred, now, outcome)
        else:
            _triage(ledger, verdict, item, mail, f"{ident}#{number}", reason if thread else None, occurred, now,
                    outcome)
    if outcome.recorded:
        outcome.outcome = "recorded"
    elif outcome.triaged or (items and not verdict.targets):
        outcome.outcome, outcome.why = "triage", verdict.why
    ledger.note_inbound(SOURCE, ident, outcome.outcome, verdict.why or ("; ".join(outcome.refused) or None))
    return outcome


def _recorded_by(ledger: Ledger, ident: str, duties: Sequence[OccurrenceStatus]) -> set[int]:
    """The duties holding evidence this reply recorded (its id in the evidence's match reason)."""
    found = set()
    for duty in duties:
        for item in ledger.evidence(occurrence_id=duty.id):
            if item.source == SOURCE and item.withdrawn_at is None and _reply_of(item.match_reason) == ident:
                found.add(duty.id)
    return found


def _reply_of(reason: str | None) -> str | None:
    try:
        value = json.loads(reason or "{}").get("reply")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _record(ledger: Ledger, verdict: Verdict, item: _Item, mail: InboundMail, reason: str, occurred: dt.datetime,
            now: dt.datetime, outcome: MailOutcome) -> None:
    for duty in verdict.targets:
        evidence = EvidenceInput(kind=item.kind, link=item.link, document=item.document, document_sha256=item.sha256,
                                 note=mail.subject[:NOTE_LIMIT] or None, occurred_at=occurred, source=SOURCE,
                                 match_reason=reason)
        try:
            result = ledger.record_evidence(f"{duty.plan}/{duty.obligation}", verdict.unit_id or duty.unit, evidence,
                                            occurrence_id=duty.id, actor=f"email:{mail.sender}"[:200], now=now)
        except LedgerUnavailable:  # busy or unreachable: no verdict on the item; the message is read again
            raise
        except LedgerError as error:  # a link the ledger refuses (too long, a bad port): noted, the rest goes on
            outcome.refused.append(f"{item.link or item.document}: {error}")
            continue
        if result.evidence_id is not None:
            outcome.recorded.append(result.evidence_id)


def _triage(ledger: Ledger, verdict: Verdict, item: _Item, mail: InboundMail, ident: str, reason: str | None,
            occurred: dt.datetime, now: dt.datetime, outcome: MailOutcome) -> None:
    triage_id = ledger.add_triage(TriageInput(
        source=SOURCE, external_id=ident, received_at=occurred, why=verdict.why or "no-match", unit_id=verdict.unit_id,
        sender=mail.sender or None, kind=item.kind, link=item.link, document=item.document,
        document_sha256=item.sha256, text=(f"{mail.subject}\n{mail.text}".strip())[:2000] or None,
        candidates=verdict.candidates, match_reason=reason,
    ), now=now)
    if triage_id is not None:
        outcome.triaged.append(triage_id)
