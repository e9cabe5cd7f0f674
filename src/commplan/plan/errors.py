"""Plan errors that point at a file, line, column and key path.

Every problem found in a plan becomes one `PlanError`; loading collects all of
them (across all files) instead of stopping at the first, so that a clerk can
fix a whole plan in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..i18n import _

PathPart = str | int
KeyPath = tuple[PathPart, ...]


def printable(text: str) -> str:
    """Control characters (a key that is a newline, a tab) shown escaped, so an error stays one line."""
    text = str(text)
    if text.isprintable():  # nearly always: one pass in C instead of one per character
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def format_path(path: Iterable[PathPart]) -> str:
    """Render ('obligations', 3, 'due', 'weekday') as `obligations[3].due.weekday`."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{printable(str(part))}" if out else printable(str(part))
    return out


@dataclass(frozen=True)
class PlanError:
    file: str
    line: int
    column: int
    path: KeyPath
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", printable(self.message))

    def sort_key(self) -> tuple:
        return self.file, self.line, self.column, format_path(self.path), self.message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        key = format_path(self.path)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class PlanWarning(PlanError):
    """Something valid but probably not meant (an obligation nobody can owe): reported, never fatal."""

    @classmethod
    def of(cls, error: PlanError) -> PlanWarning:
        return cls(error.file, error.line, error.column, error.path, error.message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        key = format_path(self.path)
        # the format stays "file:line:column: <word>: key: message"; only the word is translated
        word = _("warning")
        return f"{where}: {word}: {key}: {self.message}" if key else f"{where}: {word}: {self.message}"


class PlanLoadError(Exception):
    """Raised by `load_catalog(strict=True)` when any file has errors."""

    def __init__(self, errors: list[PlanError]):
        self.errors = sorted(set(errors), key=PlanError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))
