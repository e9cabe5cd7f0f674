"""What a follower's Zalo message means: who sent it, which duty it answers, what it records, and what the
OA answers (Vietnamese, Vietnam time).

- **Who.** The sender's Zalo user id is a contact of a unit: the directory's `zalo:` id, else a follower
  linked in the ledger (`Ledger.zalo_follower`). An id that is neither never reaches the ledger: the
  message waits in triage (why "unknown-sender", no unit: the administrators see it), a file as its Zalo
  address, never downloaded (a stranger cannot fill the disk).
- **Linking.** A message carrying a contact's signed code (`links.follow_code`, offered as "Nhận nhắc
  việc qua Zalo" on the report page) links the sender to that contact: its reminders then come by the
  OA. A forged or damaged code links nothing.
- **A numbered answer** ("2") to the OA's question "which duty?" assigns the sender's newest ambiguous
  triage item to that candidate (`Ledger.open_triage_for`, `assign_triage`).
- **What.** A file or image is downloaded (size-capped) and stored (`Ledger.store_document`): a document.
  Else a link (a link message, or an http(s) address in the text): a link. Else "đã đăng" / "đã phát 2
  lần" (accents optional): a count of 1 or N, only for a duty whose evidence is a count. One item per
  message: the first file, else the first link.
- **Which duty.** Among the unit's occurrences that are open or overdue: those of the last reminder the
  contact received (the outbox), and those whose obligation's `match:` keywords or title the text names
  (whole words, accents as in `intake.matching`). Both: the duties in both when there are any, else the
  keywords'; neither: every open duty of the unit (a unit owing one duty needs neither). One occurrence per duty: among the reminded ones if any, the one whose period contains the
  message's date, else the earliest due. A count goes only to count duties. One candidate: recorded, with source `zalo` and why
  (`match_reason`: the reply to delivery N, the keyword). Several: triage ("ambiguous", the candidates in
  the order offered) and the OA asks with a numbered list. None (nothing of the unit open, of the kind): triage ("no-open-duty")
  and the OA says a coordinator will look.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from ..i18n import _
from ..ledger import EvidenceInput, Ledger, LedgerError, OccurrenceStatus, RecordResult, Status
from ..ledger.triage import TriageInput
from ..links import BadLink, contact_ref, find_follow_code, read_follow_code
from ..notify.addresses import InvalidPhone, contact_key, normalise_phone
from ..plan import Catalog
from ..plan.model import Contact, EvidenceKind
from .matching import Words, find_phrase, fold, words
from .zalo_events import ZaloEvent
from .zalo_files import DownloadFailed

log = logging.getLogger("commplan.intake.zalo")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
SOURCE = "zalo"
OPEN = (Status.OPEN, Status.OVERDUE)
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_NUMBER_ANSWER = re.compile(r"\s*(?:số\s*)?(\d{1,2})\s*[.)]?\s*", re.IGNORECASE)
# "đã đăng", "đã phát 2 lần", "đã đưa tin 3 bài" (folded: no accents, lower case)
_DONE = re.compile(r"\bda (?:dang|phat|dua tin|phat song)\b")
_TIMES = re.compile(r"\b(\d{1,5}) (?:lan|bai|tin|so|buoi)\b")
MAX_LISTED = 9  # candidates offered in one question


class Answerer(Protocol):
    def send(self, user_id: str, text: str) -> None: ...


@dataclass(frozen=True)
class Outcome:
    outcome: str  # recorded | duplicate | triage | linked | bad-code | no-evidence | followed | unfollowed | ...
    reply: str | None = None  # what the OA answers (None: nothing)
    detail: str | None = None  # for the inbound log


@dataclass(frozen=True)
class Sender:
    unit: str
    contact: Contact
    addresses: frozenset[str]  # where its reminders went: zalo id, phone, email


@dataclass(frozen=True)
class Evidence:
    kind: str  # link | document | count
    link: str | None = None
    document: str | None = None
    sha256: str | None = None
    quantity: int = 1


class ZaloReplies:
    def __init__(self, ledger: Ledger, catalog: Catalog, *, secret: str, download: Callable[[str], bytes],
                 max_bytes: int, clock: Callable[[], dt.datetime]):
        self.ledger, self.catalog, self.secret = ledger, catalog, secret
        self.download, self.max_bytes, self.clock = download, max_bytes, clock

    # ------------------------------------------------------------ one event

    def handle(self, event: ZaloEvent) -> Outcome:
        now = self.clock()
        if event.name == "follow":
            known = self.ledger.set_zalo_following(event.user_id, True, now=now)
            return Outcome("followed", None if known or self.sender(event.user_id) else _(
                "Thank you for following. To receive reminders here, send the code shown on your unit's report "
                "page (\"Receive reminders by Zalo\")."))
        if event.name == "unfollow":
            self.ledger.set_zalo_following(event.user_id, False, now=now)
            return Outcome("unfollowed")
        code = find_follow_code(event.text or "")
        if code is not None:
            return self.link(event.user_id, code, now)
        sender = self.sender(event.user_id)
        if sender is None:  # a stranger's file is not downloaded (no one may fill the disk): its address waits
            evidence = self.evidence(event, download=False)
            self._triage(event, "unknown-sender", None, evidence, (), {"why": "unknown-sender"}, now)
            return Outcome("triage", _("This Zalo account is not linked to a unit yet: send the code shown on your "
                                       "unit's report page. A coordinator will look at this message."), "unknown-sender")
        number = _NUMBER_ANSWER.fullmatch(event.text or "") if not event.attachments else None
        if number is not None:
            answered = self.answer_number(event, int(number.group(1)), now)
            if answered is not None:
                return answered
        evidence = self.evidence(event)
        if evidence is None:
            return Outcome("no-evidence", _("Send the link, the file or a photo of the result (or \"đã phát 2 lần\" "
                                            "for a duty counted in times)."))
        return self.match(event, sender, evidence, now)

    # ------------------------------------------------------------ who

    def sender(self, user_id: str) -> Sender | None:
        for unit in self.catalog.directory.units.values():
            for contact in unit.contacts:
                if contact.zalo == user_id:
                    return _sender(unit.id, contact, user_id)
        linked = self.ledger.zalo_follower(user_id)
        if linked is None or (owner := self.catalog.directory.units.get(linked.unit)) is None:
            return None
        for contact in owner.contacts:
            if contact_key(contact) == linked.contact_key:
                return _sender(owner.id, contact, user_id)
        return None

    def link(self, user_id: str, code: str, now: dt.datetime) -> Outcome:
        bad = Outcome("bad-code", _("This code is not valid: copy it again from your unit's report page."))
        try:
            unit_id, ref = read_follow_code(self.secret, code, today=now.astimezone(VN).date())
        except BadLink:
            return bad
        unit = self.catalog.directory.units.get(unit_id)
        contact = next((c for c in (unit.contacts if unit else ()) if contact_ref(contact_key(c)) == ref), None)
        if unit is None or contact is None:
            return bad  # genuine once, but the contact has left the directory since
        self.ledger.link_zalo_follower(user_id, unit.id, contact_key(contact), now=now)
        return Outcome("linked", _("Linked: the reminders of {unit} will come to this Zalo account.").format(
            unit=unit.name))

    # ------------------------------------------------------------ what

    def evidence(self, event: ZaloEvent, *, download: bool = True) -> Evidence | None:
        """The item a message carries (see the module's notes); DownloadFailed when its file cannot be had.
        Without `download`, a file is its Zalo address (a link)."""
        for attachment in event.attachments:
            if attachment.type in ("image", "file") and attachment.url and not download:
                return Evidence("link", link=attachment.url, document=attachment.name)
            if attachment.type in ("image", "file") and attachment.url:
                data = self.download(attachment.url)
                name = attachment.name or _("Zalo photo {id}").format(id=event.event_id[-12:])
                stored = self.ledger.store_document(data, name=name, by=f"zalo:{event.user_id}",
                                                    max_bytes=self.max_bytes)
                return Evidence("document", document=name, sha256=stored.sha256)
        for attachment in event.attachments:
            if attachment.type == "link" and attachment.url:
                return Evidence("link", link=attachment.url)
        if found := _URL.search(event.text or ""):
            return Evidence("link", link=found.group(0).rstrip(".,;)"))
        folded = fold(event.text or "")
        if _DONE.search(folded):
            times = _TIMES.search(folded)
            return Evidence("count", quantity=max(1, int(times.group(1))) if times else 1)
        return None

    # ------------------------------------------------------------ which duty

    def candidates(self, event: ZaloEvent, sender: Sender, evidence: Evidence,
                   now: dt.datetime) -> tuple[list[OccurrenceStatus], dict]:
        """(the candidates in the order offered, why)."""
        open_ = [s for s in self.ledger.statuses(as_of=now, units=[sender.unit]) if s.status in OPEN and not s.orphaned]
        if evidence.kind == "count":
            open_ = [s for s in open_ if self._kind(s) is EvidenceKind.COUNT]
        last = self.ledger.last_delivery(sender.unit, sender.addresses)
        thread = set(last.occurrence_ids) if last is not None else set()
        text = words(" ".join(filter(None, [event.text, *(a.description for a in event.attachments)])))
        duties = {(s.plan, s.obligation): s for s in open_}
        keywords = {duty: k for duty, s in duties.items() if (k := self._keyword(s, text)) is not None}
        replied = {(s.plan, s.obligation) for s in open_ if s.id in thread}
        # neither: every open duty of the unit (one is recorded, several are asked about)
        chosen = (replied & keywords.keys()) or keywords.keys() or replied or duties.keys()
        day = event.sent_at.astimezone(VN).date()
        picks = []
        for duty in chosen:  # one occurrence per duty: the reminded ones first, then the period of the message
            rows = [s for s in open_ if (s.plan, s.obligation) == duty]
            pool = [s for s in rows if s.id in thread] or rows
            picks.append(next((s for s in pool if s.window_start <= day <= s.window_end), None)
                         or min(pool, key=lambda s: (s.due, s.id)))
        why: dict = {}
        if last is not None and any(s.id in thread for s in picks):
            why["reply_to_delivery"] = last.id
        if named := sorted({keywords[d] for d in chosen if d in keywords}):
            why["keywords"] = named
        if not why and picks:
            why["open_duties"] = len(picks)  # neither a reminder nor a keyword: the unit's open duties
        return sorted(picks, key=lambda s: (s.due, s.id))[:MAX_LISTED], why

    def _kind(self, status: OccurrenceStatus) -> EvidenceKind | None:
        plan = self.catalog.plans.get(status.plan)
        try:
            return plan.obligation(status.obligation).evidence_kind if plan else None
        except KeyError:
            return None

    def _keyword(self, status: OccurrenceStatus, text: Words) -> str | None:
        plan = self.catalog.plans.get(status.plan)
        try:
            obligation = plan.obligation(status.obligation) if plan else None
        except KeyError:
            obligation = None
        phrases = [*(obligation.match.keywords if obligation and obligation.match else ()), status.title]
        return next((p for p in phrases if find_phrase(words(p), text) is not None), None)

    def match(self, event: ZaloEvent, sender: Sender, evidence: Evidence, now: dt.datetime) -> Outcome:
        if evidence.kind == "count" and not any(
                self._kind(s) is EvidenceKind.COUNT for s in self.ledger.statuses(as_of=now, units=[sender.unit])):
            return Outcome("no-evidence", _("Send the link to what was published (a count is recorded only for a duty "
                                            "counted in times)."))
        chosen, why = self.candidates(event, sender, evidence, now)
        why = {"via": "zalo", "sender": event.user_id, **why}
        if len(chosen) == 1:
            result = self.record(chosen[0], sender.unit, evidence, event, json.dumps(why, ensure_ascii=False), now)
            return Outcome("duplicate" if result.duplicate else "recorded",
                           recorded_text(chosen[0].title, result, chosen[0].due))
        if chosen:
            self._triage(event, "ambiguous", sender.unit, evidence, tuple(s.id for s in chosen), why, now)
            lines = [_("Which duty is this for? Reply with its number:")]
            lines += [_("{number}. {duty} (due {date})").format(number=i, duty=s.title, date=f"{s.due.astimezone(VN):%d/%m/%Y}")
                      for i, s in enumerate(chosen, 1)]
            return Outcome("triage", "\n".join(lines), "ambiguous")
        self._triage(event, "no-open-duty", sender.unit, evidence, (), why, now)
        return Outcome("triage", _("No open duty fits this message: a coordinator will look at it."), "no-open-duty")

    def record(self, status: OccurrenceStatus, unit: str, evidence: Evidence, event: ZaloEvent, reason: str,
               now: dt.datetime) -> RecordResult:
        item = EvidenceInput(kind=evidence.kind, link=evidence.link, document=evidence.document,
                             document_sha256=evidence.sha256, quantity=evidence.quantity, note=_note(event),
                             occurred_at=min(event.sent_at, now), source=SOURCE, match_reason=reason)
        return self.ledger.record_evidence(f"{status.plan}/{status.obligation}", unit, item, occurrence_id=status.id,
                                           actor=f"zalo:{event.user_id}", now=now)

    def answer_number(self, event: ZaloEvent, number: int, now: dt.datetime) -> Outcome | None:
        """The follower chose candidate `number` of its open question; None when it has none open."""
        item = self.ledger.open_triage_for(SOURCE, event.user_id)
        if item is None or not item.candidates:
            return None
        if not 1 <= number <= len(item.candidates):
            return Outcome("bad-number", _("Reply with a number from 1 to {count}.").format(count=len(item.candidates)))
        occurrence = item.candidates[number - 1]
        try:
            result = self.ledger.assign_triage(item.id, occurrence, actor=f"zalo:{event.user_id}", now=now)
        except LedgerError as error:
            return Outcome("triage", _("No open duty fits this message: a coordinator will look at it."), str(error))
        status = self.ledger.occurrence(occurrence, as_of=now)
        return Outcome("recorded", recorded_text(status.title if status else str(occurrence), result,
                                                 status.due if status else None))

    def _triage(self, event: ZaloEvent, why: str, unit: str | None, evidence: Evidence | None,
                candidates: tuple[int, ...], reason: dict, now: dt.datetime) -> None:
        self.ledger.add_triage(TriageInput(
            source=SOURCE, external_id=event.event_id, received_at=event.sent_at, why=why, unit_id=unit,
            sender=event.user_id, kind=evidence.kind if evidence else "link", link=evidence.link if evidence else None,
            document=evidence.document if evidence else None, document_sha256=evidence.sha256 if evidence else None,
            quantity=evidence.quantity if evidence else 1, text=event.text, candidates=candidates,
            match_reason=json.dumps({"via": "zalo", **reason}, ensure_ascii=False)), now=now)


def recorded_text(duty: str, result: RecordResult, due: dt.datetime | None) -> str:
    """"Đã ghi nhận: <duty> — hoàn thành đúng hạn" (or late by N days, or how many so far)."""
    if result.duplicate:
        return _("Already recorded: {duty}").format(duty=duty)
    if result.status is Status.DONE_ON_TIME:
        return _("Recorded: {duty} — done on time").format(duty=duty)
    if result.status is Status.DONE_LATE:
        return _("Recorded: {duty} — done {days} days late").format(duty=duty, days=_days_late(result, due))
    return _("Recorded: {duty} — {delivered} of {at_least} so far").format(
        duty=duty, delivered=result.delivered, at_least=result.at_least)


def _days_late(result: RecordResult, due: dt.datetime | None) -> int:
    """Whole days from the deadline's date to the item's date, in Vietnam time (at least 1: it is late)."""
    if result.occurred_at is None or due is None:
        return 1
    return max(1, (result.occurred_at.astimezone(VN).date() - due.astimezone(VN).date()).days)


def _sender(unit: str, contact: Contact, user_id: str) -> Sender:
    addresses = {user_id, *(a for a in (contact.email, contact.zalo) if a)}
    if contact.phone:
        with contextlib.suppress(InvalidPhone):  # a bad number never got a reminder
            addresses.add(normalise_phone(contact.phone))
    return Sender(unit, contact, frozenset(addresses))


def _note(event: ZaloEvent) -> str | None:
    return (event.text or "")[:500] or None


__all__ = ["Answerer", "DownloadFailed", "Outcome", "ZaloReplies", "recorded_text"]
