"""Refreshing the Zalo OA access token (OAuth v4, docs/notify-research.md §3.3).

`POST {base}/v4/oa/access_token` with the app's `secret_key` header and the
form `app_id`, `grant_type=refresh_token`, `refresh_token`. The refresh token
is single use: a successful answer carries the next one, and the caller must
store the new pair before using it. Zalo answers HTTP 200 for errors too
(`error`, `error_name`, `error_description`), and `expires_in` is a string.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from ..i18n import _
from .channels import PermanentError, TemporaryError

PRODUCTION_BASE = "https://oauth.zaloapp.com"
PERMISSION_URL = "https://oauth.zaloapp.com/v4/oa/permission"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds (25 h when this was written)


class RefreshRejected(PermanentError):
    """Zalo refused the refresh token (used already, expired, revoked): only a person can fix it."""

    refresh_token: str | None = None  # the one refused (set by the token store)


def refresh_tokens(app_id: str, secret_key: str, refresh_token: str, *, base: str = PRODUCTION_BASE,
                   timeout: float | tuple[float, float] = 30) -> TokenPair:
    try:
        response = requests.post(
            f"{base.rstrip('/')}/v4/oa/access_token", headers={"secret_key": secret_key}, timeout=timeout,
            data={"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
        )
    except requests.RequestException as error:
        raise TemporaryError(_("could not reach {service}: {error}").format(service="Zalo OAuth", error=error)) from error
    if response.status_code >= 500:
        raise TemporaryError(_("Zalo OAuth answered HTTP {http}").format(http=response.status_code))
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TemporaryError(_("Zalo OAuth answered HTTP {http} without a JSON object").format(http=response.status_code))
    if answer.get("error"):
        raise RefreshRejected(_(
            "Zalo refused the refresh token ({code} {name}: {reason}); an administrator must re-authorise the OA at {url}"
        ).format(code=answer.get("error"), name=answer.get("error_name") or "",
                 reason=answer.get("error_description") or answer.get("error_reason") or "", url=PERMISSION_URL))
    try:
        return TokenPair(str(answer["access_token"]), str(answer["refresh_token"]), int(answer["expires_in"]))
    except (KeyError, TypeError, ValueError) as error:
        # Nothing says the old refresh token was spent: a later try with it either works or says so.
        raise TemporaryError(_("Zalo OAuth answered HTTP {http} without a token pair").format(
            http=response.status_code)) from error
