"""Downloading a file or image a follower sent the OA (the event carries Zalo's download address).

Through the feeds' guarded client (`fetch.new_client`: public addresses only unless
COMMPLAN_FEEDS_ALLOW_PRIVATE_HOSTS), with a timeout, at most three redirects, and a size cap: a
Content-Length over the cap is refused before the body is read, and the body is dropped at the cap.
No compression is asked for, so the cap counts what is stored.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx

from ..i18n import _
from .address_guard import InternalAddress, allowing_private
from .fetch import new_client

TIMEOUT = 20.0  # seconds: a phone's photo over a slow line


class DownloadFailed(Exception):
    pass


def download(url: str, *, max_bytes: int, allow_private_hosts: bool = False, timeout: float = TIMEOUT) -> bytes:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise DownloadFailed(_("the file's address is not an http or https address"))
    deadline = time.monotonic() + timeout
    too_large = _("the file is larger than {size} MB (the limit)").format(size=max_bytes // 1_000_000)
    try:
        with new_client(connections=1) as client, allowing_private(allow_private_hosts):
            request = client.build_request("GET", url, headers={"Accept-Encoding": "identity"}, timeout=timeout)
            for _hop in range(4):
                response = client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is None:
                        if response.status_code != 200:
                            raise DownloadFailed(_("the file's server answered HTTP {code}").format(
                                code=response.status_code))
                        declared = response.headers.get("content-length", "")
                        if declared.isdigit() and int(declared) > max_bytes:
                            raise DownloadFailed(too_large)
                        body = bytearray()
                        for chunk in response.iter_raw():
                            body += chunk
                            if len(body) > max_bytes:
                                raise DownloadFailed(too_large)
                            if time.monotonic() > deadline:
                                raise DownloadFailed(_("the file did not arrive within {seconds} seconds").format(
                                    seconds=int(timeout)))
                        return bytes(body)
                    request = response.next_request
                finally:
                    response.close()
            raise DownloadFailed(_("the file's address redirects too often"))
    except InternalAddress as refused:
        raise DownloadFailed(_("the file's address leads to an internal address ({address})").format(
            address=refused.address)) from None
    except httpx.HTTPError as error:
        raise DownloadFailed(_("the file could not be downloaded: {error}").format(error=error)) from None
