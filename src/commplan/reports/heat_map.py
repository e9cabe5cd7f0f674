"""The compliance heat map: units × months, each cell coloured by the share done on time, as a PNG for
someone who will not open a spreadsheet.

A province has up to ~600 units (560 communes): a picture with 600 rows is unreadable, and what the
reader needs is who is behind. So at most MAX_ROWS rows: when there are more units, the worst
MAX_ROWS - 1 (lowest share over the whole period, then most overdue) are shown by name and every
other unit is pooled into one last row "Các đơn vị khác (N đơn vị)" (their counts summed, not their
shares averaged). The spreadsheet's month matrix keeps every unit.

matplotlib runs headless (the Agg backend, chosen before pyplot is imported, never a display) and
offline; DejaVu Sans, shipped inside matplotlib, has every Vietnamese letter with its diacritics.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ..i18n import _, ngettext
from ..vi_order import folded
from .compliance_report import ComplianceReport, MatrixLine, Tally

MAX_ROWS = 40
DPI = 100
WIDTH_IN = 11.0  # inches: 1100 pixels wide
ROW_IN = 0.32  # the height of one unit's row
FRAME_IN = 2.6  # title, month labels, legend
NO_DATA = "#d9d9d9"  # grey: nothing decided in that month


@dataclass(frozen=True)
class HeatRow:
    label: str
    cells: tuple[float | None, ...]  # the share done on time per month (None: nothing decided)
    total: float | None


def rows_of(report: ComplianceReport, limit: int = MAX_ROWS) -> list[HeatRow]:
    """The rows drawn, the worst first: every unit when they fit, else the worst `limit - 1` and one pooled row."""
    def badness(line: MatrixLine) -> tuple[float, int, str]:
        share = line.total.share_on_time
        return (2.0 if share is None else share, -line.total.overdue, folded(line.name))

    ranked = sorted(report.matrix, key=badness)  # the worst first: who is behind, at a glance
    chosen, rest = (ranked, []) if len(ranked) <= limit else (ranked[:limit - 1], ranked[limit - 1:])
    out = [HeatRow(line.name, tuple(c.share_on_time for c in line.months), line.total.share_on_time) for line in chosen]
    if rest:
        pooled = [Tally() for _m in report.months]
        whole = Tally()
        for line in rest:
            for cell, month in zip(pooled, line.months, strict=True):
                cell.merge(month)
            whole.merge(line.total)
        label = ngettext("Other units ({count} unit)", "Other units ({count} units)", len(rest)).format(count=len(rest))
        out.append(HeatRow(label, tuple(c.share_on_time for c in pooled), whole.share_on_time))
    return out


def figure_size(rows: int) -> tuple[int, int]:
    """The PNG's (width, height) in pixels for `rows` rows (at least one: "nothing owed" is a row too)."""
    return int(WIDTH_IN * DPI), round((FRAME_IN + ROW_IN * max(rows, 1)) * DPI)


def render_heat_map(report: ComplianceReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display, no GUI toolkit
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    rows = rows_of(report)
    months = [f"{m:%m/%Y}" for m in report.months] + [_("Whole period")]
    width, height = figure_size(len(rows))
    data = np.array([[np.nan if v is None else v for v in (*r.cells, r.total)] for r in rows] or [[np.nan] * len(months)],
                    dtype=float)
    # red (nothing on time) through amber to green (all on time): the reading of a traffic light
    colours = LinearSegmentedColormap.from_list("on-time", ["#c0392b", "#f39c12", "#f7dc6f", "#27ae60"]).with_extremes(
        bad=NO_DATA)
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        figure, axes = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
        image = axes.imshow(np.ma.masked_invalid(data), cmap=colours, vmin=0.0, vmax=1.0, aspect="auto",
                            interpolation="nearest")
        axes.set_xticks(range(len(months)), months)
        axes.xaxis.tick_top()
        axes.set_yticks(range(len(rows) or 1), [r.label for r in rows] or [_("Nothing owed in the period")])
        axes.tick_params(length=0)
        axes.axvline(len(months) - 1.5, color="white", linewidth=3)  # the whole period apart from the months
        for y, row in enumerate(data):
            for x, value in enumerate(row):
                if not np.isnan(value):
                    axes.text(x, y, f"{value * 100:.0f}%", ha="center", va="center", fontsize=8,
                              color="white" if value < 0.35 or value > 0.8 else "black")
        axes.set_title(_("Share done on time, plan {number}, {start}–{end}").format(
            number=report.shown_number, start=f"{report.start:%d/%m/%Y}", end=f"{report.end:%d/%m/%Y}"),
            fontsize=12, fontweight="bold", pad=28)
        high = height / DPI
        # fixed margins in inches, whatever the number of rows: the month labels and title above, the legend below
        figure.subplots_adjust(left=0.3, right=0.97, top=1 - 1.1 / high, bottom=1.2 / high)
        legend = figure.add_axes((0.3, 0.45 / high, 0.5, 0.16 / high))
        bar = figure.colorbar(image, cax=legend, orientation="horizontal", format=lambda v, _pos: f"{v * 100:.0f}%")
        bar.set_label(_("done on time among the duties done or overdue (grey: nothing decided)"))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)  # no bbox "tight": the size stays `figure_size`
        plt.close(figure)
    return buffer.getvalue()
