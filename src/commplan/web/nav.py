"""What the dashboard's menu says beside its links: how many triage items wait for the signed-in editor.

Read at render time from the viewer the request's dependency already found (`request.state.viewer`), so
that no route passes it; a page with no viewer (the login page, a report link) or a reader who may not
act (a viewer) gets None and the menu shows no triage link. Counted with the triage page's own scope."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..ledger import LedgerError


def listing_scope(scope: Any) -> dict[str, Any]:
    """`Ledger.triage_items` / `triage_count` keyword arguments for a `Scope`: its units' items; those of no
    unit (an unknown sender) for an administrator only."""
    return {"units": None if scope.everything else sorted(scope.units), "include_unowned": scope.everything}


def triage_waiting(request: Request) -> int | None:
    """The number of open triage items this editor may act on; None when the menu shows no triage link."""
    cached = getattr(request.state, "triage_waiting", False)
    if cached is not False:
        return cached
    who: Any = getattr(request.state, "viewer", None)
    count: int | None = None
    if who is not None and who.may_edit:
        try:
            count = request.app.state.ledger.get().triage_count(**listing_scope(who.scope))
        except LedgerError:
            count = None  # the page itself says when the ledger is down; the menu stays quiet
    request.state.triage_waiting = count
    return count
