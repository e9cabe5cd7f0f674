"""What `commplan serve` runs in each uvicorn worker: the app built from the environment.

Several workers are separate processes that import this by name, so what the command was given
travels in the environment: the settings as `COMMPLAN_*`, the plans as COMMPLAN_WEB_PLANS
(paths separated by os.pathsep)."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

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
