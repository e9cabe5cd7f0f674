"""Mailing the reports commplan builds (the ministry's forms, the compliance report) with their files attached.

The planned mail lives in the ledger (`ledger/report_builds.py`: once per build and address, claimed by
compare-and-set, never re-sent after a crash); this module composes each message and sends it by email
through apprise, by the reminders' own email channel and its settings (`email.py`). Where the reminders would
go to the file stand-in (the embedded default with no channel configured), so does this mail: a line
in `outbox.jsonl` naming the attachments, so that nothing is lost and a clerk sees what would go. With
neither (a shared PostgreSQL ledger and no SMTP URL) the mail waits, counted in `waiting`, never dropped.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import apprise
from apprise.attachment.memory import AttachMemory

from .. import clock
from ..i18n import _
from ..ledger import Ledger, LedgerError, LedgerUnavailable
from ..ledger.report_builds import ClaimedMail, ReportBuild
from ..settings import Settings
from .email import EmailChannel
from .file_channel import FileChannel
from .messages import TEMPLATES
from .setup import configured_channels

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# what a report's files are, as the message lists them (by extension)
FILE_KINDS = {".xlsx": "Bảng tính Excel", ".csv": "Tệp CSV", ".html": "Trang HTML", ".png": "Biểu đồ mức độ hoàn thành (ảnh)"}
# apprise checks attachments' MIME types against `mimetypes`, whose table may lack these on a minimal system
MEDIA_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".csv": "text/csv",
               ".html": "text/html", ".png": "image/png"}
ATTACHED = (".xlsx", ".png")  # the files a reader opens; the HTML and CSV stay one click away on the dashboard


@dataclass
class ReportMailResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    written: int = 0  # to the file stand-in
    waiting: int = 0  # no way to send configured: kept pending
    problems: list[str] = field(default_factory=list)


def attached_files(build: ReportBuild) -> list:
    return [f for f in build.files if Path(f.name).suffix.lower() in ATTACHED]


def compose(build: ReportBuild, *, recipient_name: str, public_url: str | None) -> tuple[str, str]:
    """The subject and the HTML body of one build's mail."""
    files = [{"name": f.name, "kind": FILE_KINDS.get(Path(f.name).suffix.lower(), f.name),
              "attached": f in attached_files(build)} for f in build.files]
    body = TEMPLATES.get_template("report_mail.html.j2").render(
        recipient=recipient_name, title=build.title, summary=build.summary, files=files,
        as_of=f"{build.as_of.astimezone(VN):%H:%M %d/%m/%Y}",
        dashboard=f"{public_url.rstrip('/')}/tong-quan" if public_url else None)
    return build.title, body


class ReportMailer:
    """Sends the due report mail of a ledger through the installation's email channel (or its stand-in)."""

    def __init__(self, ledger: Ledger, settings: Settings):
        self.ledger = ledger
        self.settings = settings
        channel = configured_channels(settings, ledger).get("email")
        self.channel = channel if isinstance(channel, EmailChannel | FileChannel) else None
        self.worker = f"{socket.gethostname()}:{os.getpid()}:reports"

    def run(self, now: dt.datetime | None = None) -> ReportMailResult:
        moment = now or clock.now()
        result = ReportMailResult()
        if self.channel is None:
            result.waiting = self.ledger.pending_report_mails()
            return result
        names = self.ledger.unit_names()
        # one claim at a time: a claim never confirmed (the process died) ends `unknown`, so no other mail
        # may wait in a claim while this one is sent
        while claimed := self.ledger.claim_report_mails(self.worker, now=moment, limit=1):
            mail = claimed[0]
            self._send(mail, names.get(mail.recipient, mail.recipient), moment, result)
        return result

    def _send(self, mail: ClaimedMail, name: str, now: dt.datetime, result: ReportMailResult) -> None:
        try:  # everything that can fail before anything goes out
            subject, body = compose(mail.build, recipient_name=name, public_url=self.settings.public_url)
            if isinstance(self.channel, EmailChannel) and "@" not in mail.address:
                raise ValueError(_("'{address}' is not an email address").format(address=mail.address))
            files = self._files(mail)
        except (ValueError, LookupError) as error:  # a bad address, a missing file: this mail only, never the rest
            self.ledger.confirm_report_mail(mail.id, self.worker, outcome="failed", now=now, error=str(error))
            result.failed += 1
            result.problems.append(f"{mail.address}: {error}")
            return
        except LedgerUnavailable:  # the database, not this mail: nothing went, the claim is given back
            self.ledger.release_report_mail(mail.id, self.worker)
            raise
        except Exception as error:  # anything else about this mail: counted and backed off, never blocking the rest
            self.ledger.confirm_report_mail(mail.id, self.worker, outcome="retry", now=now,
                                            error=f"{type(error).__name__}: {error}")
            result.retried += 1
            result.problems.append(f"{mail.address}: {error}")
            return
        except BaseException:  # an interrupt: nothing went, the claim is given back
            self.ledger.release_report_mail(mail.id, self.worker)
            raise
        if isinstance(self.channel, FileChannel):
            try:
                self._write(mail, subject, body, files)
            except OSError:  # the outbox file cannot be written: nothing shown, the mail waits for the next run
                self.ledger.release_report_mail(mail.id, self.worker)
                raise
            self.ledger.confirm_report_mail(mail.id, self.worker, outcome="written", now=now)
            result.written += 1
        elif self._deliver(mail, subject, body, files):
            self.ledger.confirm_report_mail(mail.id, self.worker, outcome="sent", now=now)
            result.sent += 1
        else:
            # apprise says only "not accepted": treated as temporary, retried with the backoff
            retried = self.ledger.confirm_report_mail(mail.id, self.worker, outcome="retry", now=now,
                                                      error=_("the SMTP server did not accept the message"))
            result.retried += int(retried)
            result.problems.append(f"{mail.address}: {subject}")

    def _files(self, mail: ClaimedMail) -> list[tuple[str, bytes, str]]:
        found = []
        for stored in attached_files(mail.build):
            try:
                data = self.ledger.document_content(stored.sha256)
            except LedgerUnavailable:
                raise
            except LedgerError as error:  # recorded but its file gone from the data folder: this mail cannot go
                raise LookupError(str(error)) from error
            if data is None:
                raise LookupError(_("the file {name} of report {build} is missing from the document store").format(
                    name=stored.name, build=mail.build.id))
            found.append((stored.name, data, MEDIA_TYPES.get(Path(stored.name).suffix.lower(), stored.media_type)))
        return found

    def _deliver(self, mail: ClaimedMail, subject: str, body: str, files: list[tuple[str, bytes, str]]) -> bool:
        assert isinstance(self.channel, EmailChannel)
        for suffix, media_type in MEDIA_TYPES.items():
            mimetypes.add_type(media_type, suffix)
        sender = apprise.Apprise(asset=apprise.AppriseAsset(timezone="Asia/Ho_Chi_Minh"))
        if not sender.add(self.channel.url_to(mail.address, "X-Commplan-Report-Mail", mail.id)):
            return False  # checked when the channel was set up (checked_url): a refusal here is apprise's, retried
        attach = [AttachMemory(content=data, name=name, mimetype=media_type) for name, data, media_type in files]
        return bool(sender.notify(title=subject, body=body, body_format=apprise.NotifyFormat.HTML, attach=attach))

    def _write(self, mail: ClaimedMail, subject: str, body: str, files: list[tuple[str, bytes, str]]) -> None:
        assert isinstance(self.channel, FileChannel)
        self.channel.append({"report_mail": mail.id, "channel": "email", "to": mail.address, "recipient": mail.recipient,
                             "subject": subject, "html": body, "attachments": [found[0] for found in files],
                             "written_at": clock.now().isoformat()})


def send_report_mails(ledger: Ledger, settings: Settings, *, now: dt.datetime | None = None) -> ReportMailResult:
    """Send every report mail that is due (each at most once); what cannot be sent is kept and counted."""
    return ReportMailer(ledger, settings).run(now)
