"""Zalo access tokens from the ledger's token store, refreshed early and rotated exactly once.

Tokens live about 25 hours; one is refreshed once it has less than `EARLY`
left, so a long send run never meets an expired token, and at once when Zalo
rejects it (`invalidate`). The rotation itself (lock, refresh, store, commit,
then use) is `Ledger.rotate_token` (`ledger.tokens.rotate` in one transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..i18n import _
from ..ledger import Ledger
from ..ledger import tokens as store
from ..ledger.clock import now as utc_now
from .channels import Unreachable
from .zalo_oauth import RefreshRejected

PROVIDER = "zalo"
EARLY = dt.timedelta(hours=5)


class ZaloLockedOut(Unreachable):
    """No usable token until an administrator (re-)authorises the OA: every Zalo message is handed
    on to its fallback (SMS) meanwhile, and the coordinator's summary says why."""


class LedgerZaloTokens:
    def __init__(self, ledger: Ledger, app_id: str, secret_key: str, *, key: str | bytes,
                 oauth_base: str = "https://oauth.zaloapp.com", clock: Callable[[], dt.datetime] = utc_now):
        """`key`: the Fernet key the pair is encrypted under in the ledger (`Settings.token_store_key`)."""
        self.ledger, self.app_id, self.secret_key, self.oauth_base, self.clock = ledger, app_id, secret_key, oauth_base, clock
        self.cipher = store.TokenCipher(key)

    def _refresh(self, refresh_token: str) -> store.TokenPair:
        from .zalo_oauth import refresh_tokens

        try:
            # connect 3 s, read 10 s: under SQLite's 15 s busy timeout, as the refresh runs while the row is locked
            pair = refresh_tokens(self.app_id, self.secret_key, refresh_token, base=self.oauth_base, timeout=(3, 10))
        except RefreshRejected as error:
            error.refresh_token = refresh_token  # which one was refused: a re-seed meanwhile is not flagged
            raise
        return store.TokenPair(pair.access_token, pair.refresh_token, pair.expires_in)

    def current(self) -> str:
        stored = self.status()
        if stored is None:
            raise ZaloLockedOut(_("no Zalo token in the ledger: run `commplan zalo-token --refresh-token -` (the token on stdin) once"))
        if stored.access_expires_at - EARLY > self.clock():
            return stored.access_token
        return self._rotate(seen=stored.access_token, rejected=False)

    def invalidate(self, token: str) -> str:
        return self._rotate(seen=token, rejected=True)

    def _rotate(self, seen: str | None, *, rejected: bool) -> str:
        """A fresh token. When the refresh is refused, a token that is only due for an early refresh
        (not `rejected` by Zalo) is still used until it expires."""
        try:
            return self.ledger.rotate_token(PROVIDER, self.cipher, seen=seen, now=self.clock(), early=EARLY, refresh=self._refresh)
        except store.TokenKeyError as error:
            raise ZaloLockedOut(str(error)) from None
        except LookupError:
            raise ZaloLockedOut(_("no Zalo token in the ledger: run `commplan zalo-token --refresh-token -` (the token on stdin) once")) from None
        except store.RefusedBefore as error:
            usable = self._still_usable(rejected)
            if usable:
                return usable
            raise ZaloLockedOut(_("Zalo refused the stored refresh token ({error}): re-authorise the OA, then run "
                                  "`commplan zalo-token --refresh-token -` (the token on stdin)").format(error=error)) from None
        except RefreshRejected as error:  # the refresh token was refused: say so where people look
            self.ledger.note_token_error(PROVIDER, f"{self.clock():%Y-%m-%d %H:%M} UTC: {error}", self.cipher,
                                         refused=getattr(error, "refresh_token", None))
            usable = self._still_usable(rejected)
            if usable:
                return usable
            raise ZaloLockedOut(str(error)) from None

    def _still_usable(self, rejected: bool) -> str | None:
        stored = self.status()
        if not rejected and stored is not None and stored.access_expires_at > self.clock():
            return stored.access_token
        return None

    def seed(self, refresh_token: str, *, access_token: str | None = None, expires_in: int = 0) -> store.StoredToken:
        """Store a pair an administrator obtained by authorising the OA; with no access token, refresh at once."""
        def obtain() -> store.TokenPair:  # inside the ledger's write transaction: stored before anyone uses it
            return store.TokenPair(access_token, refresh_token, expires_in) if access_token else self._refresh(refresh_token)

        return self.ledger.store_token(PROVIDER, self.cipher, obtain, now=self.clock())

    def status(self) -> store.StoredToken | None:
        try:
            return self.ledger.stored_token(PROVIDER, self.cipher)
        except store.TokenKeyError as error:
            raise ZaloLockedOut(str(error)) from None
