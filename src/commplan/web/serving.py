"""What `commplan serve` runs in each uvicorn worker: the app built from the environment, and the
HTTP protocol that turns Nagle's algorithm off on every connection.

Several workers are separate processes that import this by name, so what the command was given
travels in the environment: the settings as `COMMPLAN_*`, the plans as COMMPLAN_WEB_PLANS
(paths separated by os.pathsep)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

PLANS_VARIABLE = "COMMPLAN_WEB_PLANS"


def configure_logging() -> None:
    """The app's own lines (method, path, status: never a token) beside uvicorn's, in each process."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s %(message)s")


def app_from_environment() -> FastAPI:
    from ..settings import get_settings
    from .app import create_app

    configure_logging()  # a worker process starts with uvicorn's loggers only
    plans = [p for p in os.environ.get(PLANS_VARIABLE, "plans/").split(os.pathsep) if p]
    return create_app(get_settings(), plans=plans)


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's own HTTP protocol (httptools if installed, else h11), with TCP_NODELAY on each connection.

    With several workers uvicorn binds the listening socket itself with `proto` 0, and asyncio sets
    TCP_NODELAY only on connections accepted from a socket whose proto is IPPROTO_TCP: every response
    after the first on a kept-alive connection then waits ~40 ms for the client's delayed ACK
    (uvicorn issue #3149, open in 0.54). Setting it per connection, through uvicorn's public `http=`
    parameter, works whoever made the listening socket (uvicorn, a supervisor, --fd); binding the socket
    ourselves would need uvicorn's internal Multiprocess supervisor. Passed by class: it pickles by name
    into the spawned workers."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):  # not a unix socket
            with contextlib.suppress(OSError):  # a connection already reset: nothing to speed up
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
