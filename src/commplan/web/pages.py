"""Server-rendered pages: one Jinja2 environment over the package's templates, autoescaped.

Templates call `_()` for what they say (extracted into the catalog like the Python strings,
see i18n_catalog) and `csrf_token(request)` in each form; `lang` is the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from ..i18n import _, language, ngettext
from .nav import triage_waiting
from .sessions import csrf_token

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(_=_, ngettext=ngettext, csrf_token=csrf_token, language=language,
                       triage_waiting=triage_waiting)
    env.filters["n"] = number
    return env


def number(value: int) -> str:
    """A count as the reader writes it: 13.948 in Vietnamese, 13,948 in English (Babel's CLDR data)."""
    return format_decimal(value, locale=language())


templates = Jinja2Templates(env=environment())


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """The page `name` for this request, in the reader's language."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=headers)
