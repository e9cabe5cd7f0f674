"""commplan: turns signed communication plans into tracked, reminded obligations."""

__version__ = "0.1.0"

from . import clock  # noqa: F401 - first, so that a COMMPLAN_NOW clock runs from the process's start
