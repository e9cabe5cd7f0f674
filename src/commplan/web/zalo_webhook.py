"""`POST /zalo/webhook`: the Zalo OA's events (a follower's replies, follows and unfollows).

Zalo waits about two seconds for a 200 and retries an event that did not get one (for hours, then may
turn the webhook off), so the route answers as soon as the event is verified and claimed
(`Ledger.claim_inbound`): the matching, the file download, the recording and the OA's answer run after
the response (a background task), and whatever comes of them is noted with the event
(`Ledger.note_inbound`), a failed answer included. Nothing there can fail the request. A message whose
handling crashes is not lost: it waits in triage ("failed") with what it carried, and its sender is told.
The verified body is kept with the claim until its outcome is noted: an event whose handling never ran (the
process stopped after answering Zalo) is handled by the background task of an event arriving RETRY_AFTER
later or more (`retry_pending`, looked for at most once per RETRY_AFTER in a process).

Answers: 401 (unsigned, badly signed, another app's, stale) and 400 (not an event), with nothing
recorded; 404 when the OA's secret key is not configured (the webhook does not exist then); 503 when the
ledger cannot be reached (Zalo retries). An event already claimed (Zalo's retry after a lost answer, or
a replay of a captured request) is answered 200 "duplicate" and does nothing: a 4xx there would only make
Zalo retry it again. See docs/notify-research.md §3.5.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..i18n import _
from ..intake.zalo_events import SIGNATURE_HEADER, Refused, ZaloEvent, kept, refusal_text, verify
from ..intake.zalo_files import DownloadFailed, download
from ..intake.zalo_replies import Outcome, ZaloReplies
from ..ledger import Ledger, LedgerError
from ..ledger.documents import UploadRefused
from ..notify.zalo import oa_texts, webhook_of
from ..settings import Settings

router = APIRouter()
log = logging.getLogger("commplan.web.zalo")
WEBHOOK_PATH = "/zalo/webhook"
SOURCE = "zalo"
# a claim this old whose handling noted nothing: its process stopped after answering Zalo (a restart, a
# crash of the worker); the event kept with the claim is handled then, by the next event's background task
RETRY_AFTER = dt.timedelta(minutes=10)


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def zalo_webhook(request: Request, background: BackgroundTasks) -> Response:
    hook = webhook_of(request.app.state.settings)
    if hook is None:
        return PlainTextResponse("Not Found", status_code=404)
    raw = await request.body()
    now: dt.datetime = request.app.state.clock()
    try:
        event = verify(raw, request.headers.get(SIGNATURE_HEADER), app_id=hook.app_id, oa_secret_key=hook.oa_secret_key,
                       now=now, max_age=hook.max_age)
    except Refused as refused:
        log.warning(_("Zalo webhook: a request was refused (%s)"), refused.why)
        return PlainTextResponse(refusal_text(refused.why), status_code=refused.status)
    if event is None:
        return PlainTextResponse("ok")  # genuine, of a kind not read here (a sticker, the OA's own message)
    try:
        ledger: Ledger = await run_in_threadpool(request.app.state.ledger.get)
        fresh = await run_in_threadpool(lambda: ledger.claim_inbound(SOURCE, event.event_id, received_at=event.sent_at,
                                                                     now=now, pending=_text(raw)))
    except LedgerError as error:
        log.error(_("Zalo webhook: the ledger cannot be reached: %s"), error)
        return PlainTextResponse("Service Unavailable", status_code=503)
    if not fresh:
        return PlainTextResponse("duplicate")
    background.add_task(process, request, ledger, event)
    if _retry_due(request, now):
        background.add_task(retry_pending, request, ledger, now)
    return PlainTextResponse("ok")


def _retry_due(request: Request, now: dt.datetime) -> bool:
    """Look for events left unhandled at most once per RETRY_AFTER in a process, not on every event: the
    search reads the inbound messages, which grow with every message received."""
    last: dt.datetime | None = getattr(request.app.state, "zalo_retried_at", None)
    if last is not None and now - last < RETRY_AFTER:
        return False
    request.app.state.zalo_retried_at = now
    return True


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # JSON in UTF-16 or 32: verified, but not kept (it would not be retried)
        return None


def retry_pending(request: Request, ledger: Ledger, now: dt.datetime) -> None:
    """Handle the events claimed more than RETRY_AFTER ago whose handling never noted an outcome (each
    taken by one process only); never raises."""
    try:
        waiting = ledger.take_pending_inbound(SOURCE, seen_before=now - RETRY_AFTER)
    except LedgerError as error:
        log.error(_("Zalo webhook: the events left unhandled could not be read: %s"), error)
        return
    for raw in waiting:
        event = kept(raw)
        if event is not None:
            log.warning(_("Zalo webhook: event %s was left unhandled; it is handled now"), event.event_id)
            process(request, ledger, event)


def process(request: Request, ledger: Ledger, event: ZaloEvent) -> None:
    """Match, record and answer one claimed event (after the response); never raises."""
    settings: Settings = request.app.state.settings
    max_bytes = settings.upload_max_mb * 1_000_000
    replies = ZaloReplies(
        ledger, request.app.state.catalog, secret=request.app.state.secret, max_bytes=max_bytes,
        download=lambda url: download(url, max_bytes=max_bytes, allow_private_hosts=settings.feeds_allow_private_hosts),
        clock=request.app.state.clock)
    try:
        outcome = replies.handle(event)
    except DownloadFailed as error:
        outcome = Outcome("download-failed", _("The file could not be received: please send it again."), str(error))
    except UploadRefused as error:  # empty, too large, or not a document or an image: the sender is told which
        outcome = Outcome("file-refused", _("The file was not recorded: {reason}.").format(reason=error), str(error))
    except Exception as error:  # Zalo had its 200 and will not send it again: kept in triage, the sender told
        log.exception(_("Zalo webhook: event %s could not be handled"), event.event_id)
        detail = f"{type(error).__name__}: {error}"
        reply: str | None = None
        if replies.keep(event, detail):
            reply = _("This message could not be recorded automatically: a coordinator will look at it.")
        elif event.is_message:
            reply = _("This message could not be received: please send it again later.")
        outcome = Outcome("failed", reply, detail)
    if outcome.reply:
        try:
            answerer = oa_texts(settings, ledger)
            if answerer is None:
                raise RuntimeError(_("Zalo is not configured to send (an access token, or the app's id and secret key)"))
            answerer.send(event.user_id, outcome.reply)
        except Exception as error:  # what was recorded stays recorded; the failure is noted
            log.warning(_("Zalo webhook: the answer to event %s could not be sent: %s"), event.event_id, error)
            _note(ledger, event, "reply-failed", f"{outcome.outcome}: {error}")
            return
    _note(ledger, event, outcome.outcome, outcome.detail)


def _note(ledger: Ledger, event: ZaloEvent, outcome: str, detail: str | None) -> None:
    try:
        ledger.note_inbound(SOURCE, event.event_id, outcome, detail)
    except LedgerError as error:
        log.error(_("Zalo webhook: what came of event %s could not be noted: %s"), event.event_id, error)
