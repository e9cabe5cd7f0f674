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
        raise TemporaryError(f"could not reach Zalo OAuth: {error}") from error
    if response.status_code >= 500:
        raise TemporaryError(f"Zalo OAuth answered HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TemporaryError(f"Zalo OAuth answered HTTP {response.status_code} without a JSON object")
    if answer.get("error"):
        raise RefreshRejected(
            f"Zalo refused the refresh token ({answer.get('error')} {answer.get('error_name') or ''}: "
            f"{answer.get('error_description') or answer.get('error_reason') or ''}); an administrator must "
            f"re-authorise the OA at {PERMISSION_URL}"
        )
    try:
        return TokenPair(str(answer["access_token"]), str(answer["refresh_token"]), int(answer["expires_in"]))
    except (KeyError, TypeError, ValueError) as error:
        # Nothing says the old refresh token was spent: a later try with it either works or says so.
        raise TemporaryError(f"Zalo OAuth answered HTTP {response.status_code} without a token pair") from error
