"""What `commplan serve` runs in each uvicorn worker: the app built from the environment.

Several workers are separate processes that import this by name, so what the command was given
travels in the environment: the settings as `COMMPLAN_*`, the plans as COMMPLAN_WEB_PLANS
(paths separated by os.pathsep)."""

from __future__ import annotations

import os

from fastapi import FastAPI

PLANS_VARIABLE = "COMMPLAN_WEB_PLANS"


def app_from_environment() -> FastAPI:
    from ..settings import get_settings
    from .app import create_app

    plans = [p for p in os.environ.get(PLANS_VARIABLE, "plans/").split(os.pathsep) if p]
    return create_app(get_settings(), plans=plans)
