"""Uploaded documents served back, only to whom may read them; to anyone else the same 404 as for a
document that does not exist (nothing tells them apart).

- `/bao-cao/{token}/tai-lieu/{sha256}`: the holder of a report link, for a document that is evidence of
  that link's occurrence.
- `/tai-lieu/{sha256}`: a logged-in user whose scope sees an occurrence holding it (`Scope.sees`, by the
  occurrence's unit or one of its holders); or, for a document that came in by itself and waits in the
  triage list (a Zalo file, an email attachment), an editor who sees that triage item (`triage.sees_item`). Not logged in: the login page, then back, as every page
  behind the login (the same answer for any digest, so it tells nothing either).

Whatever a file holds, the browser never runs it as this site: its type is the one sniffed from its
first bytes (`nosniff`), the CSP `sandbox` gives it an origin of its own with no script, and it is a
download (`attachment`) except for images, which a browser only ever draws. PDFs are downloads too:
Chrome's PDF viewer refuses to open under a `sandbox` CSP (it shows "blocked"), and a phone opens a
downloaded PDF in its own viewer. Never cached by a proxy (`private, no-store`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from ..i18n import _
from ..ledger import LedgerError
from ..ledger import file_types as types
from ..ledger.documents import DocumentUse, clean_name
from .auth import Viewer, viewer
from .errors import error_response
from .report import Opened
from .triage import sees_item

router = APIRouter()
SHA256 = re.compile(r"[0-9a-f]{64}")
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})  # drawn, never run
CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
EXTENSIONS = {
    types.PDF: (".pdf",), types.OLE2: (".doc", ".xls", ".ppt"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",), "image/webp": (".webp",),
}


def download_name(name: str, media_type: str) -> str:
    """The name a download is saved under: the shown name without any path, ending in its type's extension
    (a typed name such as "Công văn số 12/UBND" has none, and the phone must know what opens it)."""
    base = (clean_name(name.replace("/", "-")) or _("document")).strip(". ")
    extensions = EXTENSIONS.get(media_type, ())
    if extensions and not base.lower().endswith(extensions):
        base += extensions[0]
    return base or _("document")


def disposition(kind: str, name: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266): the plain name for old clients,
    the Vietnamese one for the others; no quote, backslash or control character can reach the header."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'[^A-Za-z0-9._ -]+', "_", plain).strip() or "tai-lieu"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def served(request: Request, sha256: str, use: DocumentUse) -> Response:
    """The document's bytes with the headers that keep it inert; 404 if it has gone."""
    ledger = request.app.state.ledger.get()
    stored = ledger.document(sha256)
    data = ledger.document_content(sha256) if stored is not None else None
    if stored is None or data is None:
        return error_response(request, 404)
    inline = stored.media_type in INLINE
    return Response(data, media_type=stored.media_type, headers={
        "content-disposition": disposition("inline" if inline else "attachment",
                                           download_name(use.name, stored.media_type)),
        "x-content-type-options": "nosniff",
        "content-security-policy": CSP,
        "cache-control": "private, no-store",
        "cross-origin-resource-policy": "same-origin",
    })


@router.get("/bao-cao/{token}/tai-lieu/{sha256}", include_in_schema=False)
def for_report_link(request: Request, token: str, sha256: str) -> Response:
    """A document of this link's occurrence (any of its holders' items), to whoever holds the link."""
    if not SHA256.fullmatch(sha256):
        return error_response(request, 404)
    opened = Opened(request, token)
    if opened.problem is not None:
        return opened.problem
    try:
        mine = [u for u in request.app.state.ledger.get().document_uses(sha256)
                if u.occurrence_id == opened.occurrence_id]
        return served(request, sha256, mine[0]) if mine else error_response(request, 404)
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "300"})


@router.get("/tai-lieu/{sha256}", include_in_schema=False)
def for_user(request: Request, sha256: str, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    """A document that is evidence of an occurrence this user's scope sees."""
    if not SHA256.fullmatch(sha256) or who.sees_nothing:
        return error_response(request, 404)
    scope = who.scope
    try:
        ledger = request.app.state.ledger.get()
        seen = [u for u in ledger.document_uses(sha256)
                if any(scope.sees(u.plan_id, unit) for unit in (u.unit_id, *u.holders))]
        if seen:
            return served(request, sha256, seen[0])
        waiting = [i for i in ledger.triage_with_document(sha256) if who.may_edit and sees_item(scope, i)]
        if waiting:  # not yet anyone's evidence: the triage item's coordinator decides on it, so reads it
            item = waiting[0]
            return served(request, sha256, DocumentUse(evidence_id=0, occurrence_id=0, plan_id="", unit_id=item.unit_id or "",
                                                       holders=(), name=item.document or "", withdrawn=False))
        return error_response(request, 404)
    except LedgerError:
        return error_response(request, 503, headers={"Retry-After": "300"})
