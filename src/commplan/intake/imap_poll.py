"""The reminder mailbox read over IMAP (`imapclient`): new messages taken in, then flagged \\Seen.

`poll` reads once (the `mail-in` flow every 5 minutes, `commplan mail-in poll`); `watch` stays connected
and, where the server supports IDLE (RFC 2177), wakes as soon as a message arrives (re-issuing IDLE
every 25 minutes, under the 29 the RFC allows), else polls every `interval` seconds; a dropped
connection is made again. Messages are fetched with BODY.PEEK[] (reading does not mark them) and flagged
\\Seen and `$CommplanTaken` only once taken in, so a crash leaves them for the next poll; the ledger's
claim by Message-ID keeps a second reading from counting twice. Read are the unseen messages and those
of the last OPENED_WINDOW days without our keyword (a clerk opened the shared mailbox first), where the
server keeps keywords (PERMANENTFLAGS \\*; elsewhere the unseen ones only). A message
whose taking-in fails (the ledger away) is left unmarked and the others go on; it is read again next
time. A message larger than the cap is marked unread and reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import select
import ssl
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..i18n import _
from .mail_intake import MailOutcome
from .mail_settings import ImapTarget

Handle = Callable[[bytes, dt.datetime], MailOutcome]
SEEN = b"\\Seen"
TAKEN = b"$CommplanTaken"  # our own keyword: taken in (or too large), whatever a person did with \\Seen
OPENED_WINDOW = 3  # days: a message a person opened before the poll is still taken in if it arrived since
_KEEPS_KEYWORDS: weakref.WeakKeyDictionary[IMAPClient, bool] = weakref.WeakKeyDictionary()  # by connection
IDLE_RENEW = 25 * 60
RECONNECT_MAX = 300.0  # a mailbox down for long is tried every 5 minutes
BATCH = 20
log = logging.getLogger(__name__)


class MailboxError(Exception):
    """The mailbox cannot be read (refused login, no TLS to a remote host, a network fault): one line, no secret."""


@dataclass
class PollReport:
    outcomes: list[MailOutcome] = field(default_factory=list)
    too_large: int = 0
    failed: int = 0  # messages whose taking-in raised: left unseen, read again next time

    def count(self, outcome: str) -> int:
        return sum(o.outcome == outcome for o in self.outcomes)


def connect(target: ImapTarget, *, timeout: float = 30) -> IMAPClient:
    """A logged-in connection with the folder selected. Plain IMAP goes over STARTTLS when offered; a
    password is never sent in clear to a host other than loopback."""
    try:
        client = IMAPClient(target.host, port=target.port, ssl=target.tls, timeout=timeout,
                            ssl_context=ssl.create_default_context() if target.tls else None)
        client.normalise_times = False  # aware INTERNALDATEs
        if not target.tls:
            if client.has_capability("STARTTLS"):
                client.starttls(ssl.create_default_context())
            elif not target.loopback:
                client.logout()
                raise MailboxError(_("the IMAP server {host} offers no TLS: use imaps://").format(host=target.host))
        client.login(target.user, target.password)
        selected = client.select_folder(target.folder)
        _KEEPS_KEYWORDS[client] = b"\\*" in selected.get(b"PERMANENTFLAGS", ())
    except MailboxError:
        raise
    except (IMAPClientError, OSError) as error:
        raise MailboxError(_("cannot read the mailbox {mailbox}: {error}").format(
            mailbox=str(target), error=_hidden(error, target))) from None
    return client


def _hidden(error: BaseException, target: ImapTarget) -> str:
    """The error's words without the password (an empty one hides nothing: it is not in them)."""
    return str(error).replace(target.password, "***") if target.password else str(error)


def _received(value: object, now: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return now


def _mark(client: IMAPClient, uid: int) -> None:
    """\\Seen and our keyword; a server that keeps no keywords of ours gets \\Seen alone (then a message a person
    opened is read again, and found already taken, until it is OPENED_WINDOW days old)."""
    try:
        client.add_flags([uid], [SEEN, TAKEN])
    except IMAPClientError:
        client.add_flags([uid], [SEEN])


def drain(client: IMAPClient, handle: Handle, *, max_bytes: int, now: Callable[[], dt.datetime]) -> PollReport:
    """Take in every message of the selected folder that is unseen, or that arrived in the last OPENED_WINDOW
    days without our keyword: a clerk who opens the shared reminder mailbox first must not hide a reply."""
    report = PollReport()
    if _KEEPS_KEYWORDS.get(client, False):
        since = (now() - dt.timedelta(days=OPENED_WINDOW)).date()
        uids = sorted(client.search(["OR", "UNSEEN", ["UNKEYWORD", TAKEN.decode(), "SINCE", since]]))
    else:  # a server that keeps no keywords of ours (PERMANENTFLAGS without \*): unseen ones only, else each
        uids = sorted(client.search(["UNSEEN"]))  # poll would fetch every message of the last days again
    for start in range(0, len(uids), BATCH):
        chunk = uids[start:start + BATCH]
        sizes = client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
        for uid in chunk:
            info = sizes.get(uid, {})
            if int(info.get(b"RFC822.SIZE", 0)) > max_bytes:
                report.too_large += 1
            else:
                body = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
                if body:
                    try:
                        outcome = handle(bytes(body), _received(info.get(b"INTERNALDATE"), now()))
                    except Exception as error:  # the ledger away, a bug: the next messages still go in,
                        report.failed += 1  # and this one stays unseen, read again by the next poll
                        log.warning(_("an email (IMAP UID {uid}) could not be taken in, left unread to be read again: "
                                      "{error}").format(uid=uid, error=error))
                        continue
                    report.outcomes.append(outcome)
            _mark(client, uid)
    return report


def poll(target: ImapTarget, handle: Handle, *, max_bytes: int, now: Callable[[], dt.datetime]) -> PollReport:
    client = connect(target)
    try:
        return drain(client, handle, max_bytes=max_bytes, now=now)
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()


def watch(target: ImapTarget, handle: Handle, *, max_bytes: int, now: Callable[[], dt.datetime],
          stop: threading.Event, interval: float = 60, on_report: Callable[[PollReport], None] | None = None,
          check_every: float = 1.0, reconnect_after: float = 2.0) -> None:
    """Take in what is unseen, then wait for more (IDLE, or every `interval` s) until `stop` is set. A dropped
    connection (a network fault, a NAT forgetting an idle one, a restarted server) is connected again, after
    `reconnect_after` s doubling up to RECONNECT_MAX; only the first connection's failure (a wrong password,
    no TLS) raises MailboxError."""
    client = connect(target)
    delay = reconnect_after
    while True:
        try:
            _session(client, handle, max_bytes=max_bytes, now=now, stop=stop, interval=interval,
                     on_report=on_report, check_every=check_every)
            return  # stopped
        except (IMAPClientError, OSError) as error:
            log.warning(_("the connection to the mailbox {mailbox} was lost ({error}): connecting again").format(
                mailbox=str(target), error=_hidden(error, target)))
        finally:
            with contextlib.suppress(IMAPClientError, OSError):
                client.logout()
        while True:
            if stop.wait(delay):
                return
            delay = min(delay * 2, RECONNECT_MAX)
            try:
                client = connect(target)
            except MailboxError as error:
                log.warning("%s", error)
                continue
            delay = reconnect_after
            break


def _session(client: IMAPClient, handle: Handle, *, max_bytes: int, now: Callable[[], dt.datetime],
             stop: threading.Event, interval: float, on_report: Callable[[PollReport], None] | None,
             check_every: float) -> None:
    """One connection's life: drain, wait, drain again, until `stop` (returns) or the connection fails (raises)."""
    idle = client.has_capability("IDLE")
    while not stop.is_set():
        report = drain(client, handle, max_bytes=max_bytes, now=now)
        if on_report is not None and (report.outcomes or report.too_large or report.failed):
            on_report(report)
        if not idle or report.failed:  # what failed is read again in `interval` s, not at the next arrival
            if stop.wait(interval):
                return
            client.noop()  # the connection still answers (else: raises, and it is made again)
            continue
        client.idle()
        started = dt.datetime.now(dt.UTC)
        try:
            while not stop.is_set():
                if _idle_news(client, check_every):  # EXISTS, RECENT, FETCH: something moved
                    break
                if (dt.datetime.now(dt.UTC) - started).total_seconds() > IDLE_RENEW:
                    break
        finally:
            client.idle_done()


def _idle_news(client: IMAPClient, timeout: float) -> bool:
    """Whether the server said something during IDLE within `timeout` s. imapclient's `idle_check` answers
    [] for a connection the server or the network closed (it reads EOF as "nothing yet"), so IDLE would wait
    on a dead socket until the renewal: a socket that is readable yet yields no response is closed."""
    poller = select.poll()
    poller.register(client.socket().fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    if not poller.poll(timeout * 1000):
        return False
    if client.idle_check(timeout=0):
        return True
    raise ConnectionError(_("the IMAP server closed the connection"))
