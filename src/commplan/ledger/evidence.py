"""What counts as evidence: the checks on an item, its normal form, and what makes two items the same.

Pure (no SQL). Messages go through the catalog (Vietnamese by default): a clerk reads them on the command line.

- A link must be http or https with a host. It is stored in a normal form, so
  that the same page typed twice counts once: surrounding spaces stripped,
  scheme and host in lower case, the default port (80, 443) dropped, the
  fragment (`#…`) dropped, a trailing slash of the path dropped
  (`HTTP://A.vn/x/#top` is `http://a.vn/x`); the query is kept as typed, since
  it often names the article (`?id=123`). Two links are the same item (`identity`) also when they
  differ only by tracking parameters (`utm_*`, `fbclid`, ...: `TRACKING_PARAMS`), as the feed reader
  counts them.
- A document is stored with its name stripped, inner runs of whitespace made
  one space, and in Unicode NFC (a name typed with combining accents is the
  same name); two names that are equal after that, ignoring case, are the
  same document. An uploaded document (`document_sha256`, its content's
  SHA-256) is the same item as another upload of the same bytes, whatever
  either was called: two different files both named "baocao.pdf" are two items.
- Every text field has a length limit (`LIMITS`), checked after normalising.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..i18n import N_, _
from .engine import LedgerError

# One label per member: what a clerk reads for each kind and source (a test checks they cover them).
# Msgids: `_()` them where shown.
KINDS = {"link": N_("link"), "document": N_("document"), "count": N_("count")}
SOURCES = {"manual": N_("typed in"), "web": N_("web page"), "feed": N_("feed"), "import": N_("imported from a file"),
           "api": N_("sent by a program (API)"), "zalo": N_("Zalo reply"),
           "email": N_("email reply")}

# Longest accepted text, in characters, with the name used in the error (a msgid).
LIMITS = {
    "link": (2000, N_("link")),
    "document": (500, N_("document name")),
    "note": (2000, N_("note")),
    "reason": (1000, N_("reason")),
    "actor": (200, N_("name of the person acting")),
    "name": (200, N_("name")),
    "label": (200, N_("label")),
}
MAX_QUANTITY = 100_000
# Query parameters that only say where a reader came from: the same article with or without them is one item.
# The one list: the feed reader's `intake.items.normalise_link` drops the same ones.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "zarsrc",
    "ref_src", "spm", "vn_source", "vn_medium", "vn_campaign",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
# a control character other than a tab or a line break: PostgreSQL refuses NUL in text (and SQLite would keep
# it), and an escape sequence stored in a note would drive the terminal of whoever lists it with the CLI
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class EvidenceInput:
    kind: str  # link | document | count
    link: str | None = None
    document: str | None = None
    quantity: int = 1
    note: str | None = None
    occurred_at: dt.datetime | None = None  # aware; defaults to now
    source: str = "manual"
    document_sha256: str | None = None  # an uploaded document (Ledger.store_document); `document` is its name
    match_reason: str | None = None  # recorded by a machine: why it matched (JSON, e.g. `intake.matching.Credit.reason`)


def normalised(item: EvidenceInput) -> EvidenceInput:
    """The item as it is stored, or a LedgerError saying in one line what is wrong with it."""
    if item.kind not in KINDS:
        raise LedgerError(_("invalid evidence kind '{kind}' (choose {choices})").format(
            kind=item.kind, choices=", ".join(KINDS)))
    if item.source not in SOURCES:
        raise LedgerError(_("invalid source '{source}' (choose {choices})").format(
            source=item.source, choices=", ".join(SOURCES)))
    if isinstance(item.quantity, bool) or not isinstance(item.quantity, int) or not 1 <= item.quantity <= MAX_QUANTITY:
        raise LedgerError(_("the count must be a whole number from 1 to {most}, not {given}").format(
            most=_number(MAX_QUANTITY), given=repr(item.quantity)))
    if item.occurred_at is not None and item.occurred_at.tzinfo is None:
        raise LedgerError(_("the date of the evidence needs a timezone"))
    link = normal_link(item.link) if item.link is not None else None
    document = normal_document(item.document) if item.document is not None else None
    if item.kind == "link" and link is None:
        raise LedgerError(_("evidence that is a link needs its address (--link https://…)"))
    if item.kind == "document" and document is None:
        raise LedgerError(_("evidence that is a document needs the document's name (--document \"Báo cáo số …\")"))
    if item.document_sha256 is not None and (item.kind != "document" or not SHA256.fullmatch(item.document_sha256)):
        raise LedgerError(_("an uploaded document is named by the SHA-256 of its content (64 hexadecimal digits)"))
    return replace(item, link=link, document=document, note=optional_text(item.note, "note"))


def normal_link(text: str) -> str:
    """The normal form of an http(s) address (see the module's docstring)."""
    stripped = limited(text.strip(), "link")
    if not stripped:
        raise LedgerError(_("empty link: write the full address, e.g. https://baothanhhoa.vn/…"))
    shown = _shown(stripped)
    if _SPACE_OR_CONTROL.search(stripped):
        raise LedgerError(_("the link '{link}' has a space or a control character inside").format(link=shown))
    try:
        parts = urlsplit(stripped)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "https://[::1"
        raise LedgerError(_("the link '{link}' is not a web address").format(link=shown)) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise LedgerError(_("the link '{link}' must start with http:// or https://").format(link=shown))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise LedgerError(_("the link '{link}' has an invalid port number").format(link=shown)) from None
    if not host:
        raise LedgerError(_("the link '{link}' has no domain name").format(link=shown))
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def is_tracking(name: str) -> bool:
    """A query parameter that only says where a reader came from (utm_*, fbclid, ...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def without_tracking(query: str) -> str:
    """A link's query without its tracking parameters; the others kept in their order (as typed if none)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not is_tracking(k)]
    return query if len(kept) == len(pairs) else urlencode(kept)


def normal_document(text: str) -> str | None:
    """A document's name as stored: NFC, stripped, one space between words; None when blank."""
    name = " ".join(unicodedata.normalize("NFC", text).split())
    return limited(name, "document") or None


def identity(kind: str, link: str | None, document: str | None,
             document_sha256: str | None = None) -> tuple[str, str] | None:
    """What makes two items of one occurrence the same item (None: every one counts, e.g. a count).
    An uploaded document is its content, whatever its name.

    Works on stored values of any age: links recorded before they were normalised are
    normalised here, so an old `https://A.vn/x/` still matches a new `https://a.vn/x`."""
    if link:
        try:
            normal = normal_link(link)
        except LedgerError:  # an old row stored before links were checked: compare as stored
            return ("link", link.strip())
        parts = urlsplit(normal)  # the same article read through a tracking link (a feed drops them too)
        return ("link", urlunsplit(parts._replace(query=without_tracking(parts.query))))
    if kind == "document" and document_sha256:
        return ("upload", document_sha256)
    if kind == "document" and document:
        return ("document", (normal_document(document) or "").casefold())
    return None


def optional_text(text: str | None, field: str) -> str | None:
    """A free text field: stripped, None when blank, within its limit."""
    if text is None:
        return None
    return limited(unicodedata.normalize("NFC", text).strip(), field) or None


def required_text(text: str | None, field: str, missing: str) -> str:
    """A text that must say something (a reason): `missing` is the error when it is blank."""
    value = optional_text(text, field)
    if value is None:
        raise LedgerError(missing)
    return value


def limited(text: str, field: str) -> str:
    """`text` within its field's limit, and free of control characters (a link has its own, more precise
    message for them: `normal_link`)."""
    size, name = LIMITS[field]
    if field != "link" and _CONTROL.search(text):
        raise LedgerError(_("the {field} contains a control character (an invisible code, such as one copied "
                            "with the text): remove it and send it again").format(field=_(name)))
    if len(text) > size:
        raise LedgerError(_("the {field} is {length} characters long, over the limit of {limit} characters").format(
            field=_(name), length=_number(len(text)), limit=_number(size)))
    return text


def _number(value: int) -> str:
    """Vietnamese digit grouping: 100.000."""
    return f"{value:,}".replace(",", ".")


def _shown(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass(frozen=True)
class EvidenceItem:
    """One recorded item as `Ledger.evidence` lists it: what, for which occurrence, and its history."""

    id: int
    occurrence_id: int
    plan: str
    obligation: str
    title: str
    unit: str
    window_start: dt.date
    window_end: dt.date
    kind: str
    link: str | None
    document: str | None
    quantity: int
    note: str | None
    source: str
    occurred_at: dt.datetime  # aware, in the plan's timezone
    recorded_at: dt.datetime  # aware, in the plan's timezone
    recorded_by: str | None
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None
    withdraw_reason: str | None = None
    document_sha256: str | None = None  # an uploaded document's content (its name is `document`)
    match_reason: str | None = None  # recorded by a machine (a feed): why it matched, JSON

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def value(self) -> str:
        """What was delivered, as shown: the link, the document's name, or the count."""
        if self.kind == "count":
            return str(self.quantity)
        return (self.link if self.kind == "link" else self.document) or self.link or self.document or ""

    def as_dict(self) -> dict[str, object]:
        """Stable English keys for `--format json`; times ISO 8601 with the plan's offset."""
        stamp = _iso
        return {
            "id": self.id, "occurrence": self.occurrence_id, "plan": self.plan, "obligation": self.obligation,
            "unit": self.unit, "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
            "kind": self.kind, "value": self.value, "quantity": self.quantity, "note": self.note,
            "occurred_at": stamp(self.occurred_at), "source": self.source, "recorded_at": stamp(self.recorded_at),
            "recorded_by": self.recorded_by, "withdrawn": self.withdrawn, "withdrawn_at": stamp(self.withdrawn_at),
            "withdrawn_by": self.withdrawn_by, "withdraw_reason": self.withdraw_reason,
            "document_sha256": self.document_sha256, "match_reason": self.match_reason,
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
