"""Plain-text tables for terminals: column widths by what is shown, long cells cut with "…"."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def fit(text: str, size: int, *, middle: bool = False, right: bool = False) -> str:
    """Pad or cut to `size`; `middle` cuts inside, keeping the end (where unit names differ)."""
    text = unicodedata.normalize("NFC", text)
    if width(text) > size:
        if middle:
            head = (size - 1) // 2
            text = text[:head] + "…" + text[-(size - 1 - head):]
        else:
            text = text[: size - 1] + "…"
    pad = " " * (size - width(text))
    return pad + text if right else text + pad


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], limits: Sequence[int],
           *, middle: Sequence[int] = (), right: Sequence[int] = ()) -> str:
    sizes = [min(max(width(r[i]) for r in [headers, *rows]), limits[i]) for i in range(len(headers))]
    lines = ["  ".join(fit(h, s, right=i in right) for i, (h, s) in enumerate(zip(headers, sizes, strict=True))).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    for row in rows:
        cells = (fit(c, s, middle=i in middle, right=i in right) for i, (c, s) in enumerate(zip(row, sizes, strict=False)))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
