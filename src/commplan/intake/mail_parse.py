"""An inbound email read for what a reply says: who sent it, which message it answers, its own words
(quoted history and signature cut off), the links in them and its attachments.

Only the reply's own words count: a reply quoting our reminder quotes our report link, and that must not
become evidence. Cut off are lines starting with ">", everything from an attribution line ("On … wrote:",
Gmail's Vietnamese "Vào … đã viết:", possibly wrapped onto two lines, with an address, a time or a date with
its year: the reply's own "Vào ngày 28/11 đã đăng bài viết:" is kept), from Outlook's
"-----Original Message-----" (or "-----Thư gốc-----"), from a "From:/Từ:" header block (two or more
header lines of the quoted message) or a line of underscores, and from the signature delimiter "-- ".
Images the HTML embeds by Content-ID (a signature's logo) are no attachments. An HTML-only reply is read
without its <blockquote>s and the quote containers of Gmail, Thunderbird
and Outlook; link targets (href) are kept beside their text.

No kept library covers this in Vietnamese (mail-parser-reply knows a dozen languages, not Vietnamese),
so it is this small function, tested on each client's form (tests/test_mail_parse.py).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

_ATTRIBUTION_START = re.compile(r"^\s*(on|vào|le|am)\b", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(wrote|đã viết|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)
# what only a client's attribution has beside those words: an address, a time, a date with its year
# ("Vào ngày 28/11 đơn vị đã đăng bài viết:" is the reply's own sentence, the link follows it)
_ATTRIBUTION_MARK = re.compile(r"@|\b\d{1,2}:\d{2}\b|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|thư gốc|tin nhắn gốc|forwarded message|thư chuyển tiếp)\s*-{2,}",
                       re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(from|từ)\s*:", re.IGNORECASE)
_HEADER_OTHER = re.compile(r"^\s*\*?(sent|date|to|cc|subject|đã gửi|ngày|gửi|đến|tới|chủ đề|tiêu đề)\s*:", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>»\u201d\u2019"
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_BOUNDARIES = 2000  # a reply has a few parts; a message of thousands is a bomb, read by its headers only
MAX_HEADER_CHARS = 10_000  # a header is cut to this before it is decoded (References: its newest end)


class _BoundedPolicy(email.policy.EmailPolicy):
    """The default policy, but a header is cut to MAX_HEADER_CHARS before it is decoded: the standard
    library decodes adjacent encoded words in quadratic time and memory (a 140 kB Subject: 700 MB) and long
    address lists in more than linear time, in every part's headers too (a file's name)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if not hasattr(value, "name") and len(value) > MAX_HEADER_CHARS:
            keep_end = name.lower() == "references"  # oldest first: the message answered is at the end
            value = value[-MAX_HEADER_CHARS:] if keep_end else value[:MAX_HEADER_CHARS]
        return super().header_fetch_parse(name, value)


_POLICY = _BoundedPolicy()


@dataclass(frozen=True)
class Attachment:
    name: str | None
    data: bytes
    content_type: str


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None  # as written, with its angle brackets
    replied_to: tuple[str, ...]  # In-Reply-To, then References from the newest: the message it answers first
    sender: str  # the From address, lower case ("" when there is none)
    subject: str
    sent_at: dt.datetime | None  # the Date header (the sender's clock: shown, never trusted for deadlines)
    text: str  # the reply's own words
    links: tuple[str, ...]  # http(s) links in those words, in order, each once
    attachments: tuple[Attachment, ...]


def reply_text(text: str) -> str:
    """The reply's own lines: quoted history and signature removed (see the module's docstring)."""
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.rstrip() in ("--", "-- ") or line == "-- ":
            break
        if _ORIGINAL.match(line) or _UNDERSCORES.match(line):
            break
        joined = f"{line} {following}"
        if (_ATTRIBUTION_START.match(line) and _ATTRIBUTION_MARK.search(joined)
                and (_ATTRIBUTION_END.search(line) or _ATTRIBUTION_END.search(joined))):
            break
        if _ATTRIBUTION_END.search(line) and _ATTRIBUTION_MARK.search(line):
            break  # "Nguyễn Văn A <a@x.vn> đã viết:" without the leading "On/Vào"
        if _HEADER_FROM.match(line) and sum(bool(_HEADER_OTHER.match(next_line))
                                            for next_line in lines[index + 1:index + 6]) >= 2:
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def links_in(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in _LINK.finditer(text):
        link = match.group(0).rstrip(_TRAILING)
        if link not in found:
            found.append(link)
    return tuple(found)


_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"})
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "gmail_signature", "moz-signature", "yahoo_quoted")
_OUTLOOK_IDS = ("divrplyfwdmsg", "appendonsend")  # everything after them is the quoted message


class _ReplyHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # the depth of the element that started a quote, counting only its own tag name: another's stray
        # end tag (messy HTML) cannot end the quote early and let the quoted links through
        self.skipping = 0
        self.quote_tag = ""
        self.hidden = 0
        self.ended = False
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.ended:
            return
        values = {k: (v or "") for k, v in attrs}
        if self.skipping:
            self.skipping += tag == self.quote_tag
            return
        if values.get("id", "").lower() in _OUTLOOK_IDS:
            self.ended = True
            return
        if tag not in _VOID and (tag == "blockquote"
                                 or any(c in values.get("class", "").split() for c in _QUOTE_CLASSES)):
            self.skipping, self.quote_tag = 1, tag
            return
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            self.hrefs.append(values.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if self.ended:
            return
        if self.skipping:
            self.skipping -= tag == self.quote_tag
            return
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and href.lower().startswith(("http://", "https://")):
                self.parts.append(f" {href} ")

    def handle_data(self, data: str) -> None:
        if not (self.ended or self.skipping or self.hidden):
            self.parts.append(data)


def html_reply_text(html: str) -> str:
    parser = _ReplyHtml()
    parser.feed(html)
    parser.close()
    return re.sub(r"[ \t]+", " ", "".join(parser.parts))


def _parts(message: Message) -> Iterator[Message]:
    """Every leaf part, never entering an attached message (a forwarded mail's files are not this reply's)."""
    if message.get_content_maintype() == "message":
        return
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part)
    else:
        yield message


def _attachments(message: EmailMessage, body: Message | None) -> tuple[Attachment, ...]:
    found = []
    for part in _parts(message):
        if part is body:
            continue
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if disposition != "attachment" and not (name and part.get_content_maintype() != "text"):
            continue
        if disposition != "attachment" and part.get("Content-ID"):
            continue  # embedded in the HTML by its Content-ID: a signature's logo, never a file sent as evidence
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            found.append(Attachment(name=name, data=data, content_type=part.get_content_type()))
    return tuple(found)


def _ids(value: object) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def _header(message: Message, name: str) -> str:
    """A header's text; a malformed one as its raw characters (the standard library's header parser raises
    IndexError and the like on some: `From: "`, `Message-ID: <`), so one broken message never stops a poll."""
    try:
        return str(message.get(name, "") or "")
    except Exception:  # whatever the header parser raises, the raw text stands
        value = next((str(value) for key, value in message.raw_items() if key.lower() == name.lower()), "")
        value = value[-MAX_HEADER_CHARS:] if name.lower() == "references" else value[:MAX_HEADER_CHARS]
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # raw 8-bit bytes, readable


def _sender(message: Message) -> str:
    try:
        senders = getaddresses([_header(message, "From")])
    except Exception:  # an unreadable From: no sender, so never a contact
        return ""
    return senders[0][1].strip().lower() if senders else ""


def _body_text(message: EmailMessage) -> tuple[str, Message | None]:
    """The reply's own words and the part they came from ("" and None when none can be read)."""
    try:
        body = message.get_body(preferencelist=("plain", "html"))
        if body is None:
            return "", None
        try:
            content = body.get_content()
        except (LookupError, ValueError):  # an unknown charset: its bytes as well as they read
            payload = body.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        return reply_text(html_reply_text(content) if body.get_content_subtype() == "html" else content), body
    except Exception:  # a body the email package cannot walk: no words, nothing counts
        return "", None


def _message(raw: bytes) -> tuple[EmailMessage, bool]:
    """The parsed message, and whether its parts could be read. Only the headers are read of a message with
    more than MAX_BOUNDARIES lines starting "--" (the standard library's parser takes more than linear time
    over countless parts: 20 s for 1.4 MB of empty ones) or of multiparts nested past Python's recursion limit."""
    whole = raw.count(b"\n--") <= MAX_BOUNDARIES
    try:
        message = email.message_from_bytes(raw, policy=_POLICY) if whole else None
    except RecursionError:
        message, whole = None, False
    if message is None:
        message = BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
    assert isinstance(message, EmailMessage)  # the default policy's message class
    return message, whole


def parse(raw: bytes) -> InboundMail:
    """The reply in `raw` (RFC 5322 bytes). Never raises on what a sender wrote: what cannot be read is left out."""
    message, whole = _message(raw)
    replied = _ids(_header(message, "In-Reply-To")) + list(reversed(_ids(_header(message, "References"))))
    try:
        date = _header(message, "Date")
        sent_at = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    text, body = _body_text(message) if whole else ("", None)
    try:
        attachments = _attachments(message, body) if whole else ()
    except Exception:  # parts the email package cannot walk: no files from this message
        attachments = ()
    own_ids = _ids(_header(message, "Message-ID"))
    return InboundMail(
        message_id=own_ids[0] if own_ids else None, replied_to=tuple(dict.fromkeys(replied)), sender=_sender(message),
        subject=unicodedata.normalize("NFC", _header(message, "Subject")).strip(), sent_at=sent_at, text=text,
        links=links_in(text), attachments=attachments,
    )
