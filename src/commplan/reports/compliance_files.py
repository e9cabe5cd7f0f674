"""The compliance report's files: XLSX (a sheet per part), CSV (one row per duty and unit), HTML (every
part, the heat map inside) and the PNG heat map.

Each is made in memory first (`xlsx_bytes`, `csv_bytes`, `html_bytes`; `files_of` gives the four with
their names and media types), because the scheduled report stores and mails them without touching a
disk; the `write_*` functions only put those bytes in a file, so a file and a mail never differ.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

from ..i18n import _
from ..ledger.report_builds import BuiltFile
from .compliance_report import ComplianceReport, channel_label, kind_label
from .compliance_tables import Table, period_text, tables, vnd

# Excel number formats: counts, percents, VND with thousands grouped (Excel shows the reader's own separator)
FORMATS = {"id": "0", "count": "#,##0", "share": "0.0%", "vnd": "#,##0", "datetime": "hh:mm dd/mm/yyyy"}
WIDTHS = {"id": 12, "count": 12, "share": 12, "vnd": 16, "datetime": 18}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"xlsx": XLSX, "csv": "text/csv", "png": "image/png", "html": "text/html"}


def stem(report: ComplianceReport) -> str:
    """`tuan-thu-241-KH-UBND-2021-11` (a calendar month) or `tuan-thu-241-KH-UBND-20211101-20211215`."""
    plan = re.sub(r"[^0-9A-Za-z]+", "-", report.shown_number).strip("-") or report.plan
    months = report.months
    whole_month = (len(months) == 1 and report.start == months[0]
                   and report.end == (months[0] + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
    period = f"{report.start:%Y-%m}" if whole_month else f"{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    return f"tuan-thu-{plan}-{period}"


def title_of(report: ComplianceReport) -> str:
    return _("Compliance report of plan {number}").format(number=report.shown_number)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def xlsx_bytes(report: ComplianceReport) -> bytes:
    """The workbook. Not the same bytes twice: openpyxl stamps the time it was made inside."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)  # a new workbook has one sheet
    book.remove(first)
    bold, heading_fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for table in tables(report):
        sheet = book.create_sheet(table.title[:31])
        sheet.append([title_of(report)])
        sheet.append([period_text(report)])
        sheet.append([table.note])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(table.headings))
        header = sheet.max_row
        for cell in sheet[header]:
            cell.font, cell.fill = bold, heading_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
        for index, kind in enumerate(table.kinds, start=1):
            letter = get_column_letter(index)
            if kind in FORMATS:
                for (cell,) in sheet.iter_rows(min_row=header + 1, min_col=index, max_col=index):
                    cell.number_format = FORMATS[kind]
            longest = max((len(str(r[index - 1])) for r in table.rows if kind == "text" and r[index - 1]), default=0)
            sheet.column_dimensions[letter].width = (
                WIDTHS[kind] if kind in WIDTHS else min(max(12, longest + 2, len(table.headings[index - 1]) + 2), 60))
        sheet.freeze_panes = sheet.cell(row=header + 1, column=1)  # the headings stay on screen
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(report: ComplianceReport, path: Path) -> Path:
    return _write(path, xlsx_bytes(report))


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):  # Excel has no time zones: the Vietnam wall time, as shown
        return value.replace(tzinfo=None)
    return value  # a Decimal stays exact: openpyxl writes it as a number


def csv_headings() -> list[str]:
    return [_("Duty code"), _("Duty"), _("Kind"), _("Channel"), _("Unit code"), _("Unit"), _("Owed"),
            _("Done on time"), _("Done late"), _("Open"), _("Overdue"), _("Excused"), _("Share done on time (%)")]


def csv_bytes(report: ComplianceReport) -> bytes:
    """One row per duty and unit (every other part is a sum of these), Vietnamese headings, UTF-8 with a BOM
    (so that Excel reads the diacritics), the share as a percent with one decimal."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(csv_headings())
    for line in report.by_duty_unit:
        tally = line.tally
        share = tally.share_on_time
        writer.writerow([line.code, line.title, kind_label(line.kind), channel_label(line.channel) if line.channel else "",
                         line.unit, line.name, tally.owed, tally.on_time, tally.late, tally.open, tally.overdue,
                         tally.excused, "" if share is None else f"{share * 100:.1f}"])
    return text.getvalue().encode("utf-8-sig")


def write_csv(report: ComplianceReport, path: Path) -> Path:
    return _write(path, csv_bytes(report))


def html_bytes(report: ComplianceReport, heat_map: bytes | None = None) -> bytes:
    """One page holding every part (autoescaped: names and notes come from plans and clerks), its style inside
    and the heat map as a data: address, so the file opens anywhere, alone, offline."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(loader=PackageLoader("commplan.reports", "templates"),
                              autoescape=select_autoescape(default=True, default_for_string=True))
    environment.globals["_"] = _
    environment.filters["shown"] = shown
    page = environment.get_template("compliance.html").render(
        report=report, title=title_of(report), period=period_text(report), tables=tables(report),
        heat_map=base64.b64encode(heat_map).decode("ascii") if heat_map else None)
    return page.encode("utf-8")


def write_html(report: ComplianceReport, path: Path, heat_map: bytes | None = None) -> Path:
    return _write(path, html_bytes(report, heat_map))


def shown(value: object, kind: str) -> str:
    """A cell as the HTML page writes it: Vietnamese grouping (1.234.567), percents with a comma."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "id":
        return f"#{value}"
    if kind == "share" and isinstance(value, float):
        return f"{value * 100:.1f}".replace(".", ",") + " %"
    if kind in ("count", "vnd") and isinstance(value, int | Decimal):
        return vnd(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return f"{value:%H:%M %d/%m/%Y}"
    return str(value)


def files_of(report: ComplianceReport) -> list[BuiltFile]:
    """The four files in memory, named by `stem`: .xlsx, .csv, .png (the heat map) and .html (the heat map
    inside), each with its media type."""
    from .heat_map import render_heat_map

    name = stem(report)
    png = render_heat_map(report)
    made = {"xlsx": xlsx_bytes(report), "csv": csv_bytes(report), "png": png, "html": html_bytes(report, png)}
    return [BuiltFile(f"{name}.{ext}", data, MEDIA_TYPES[ext]) for ext, data in made.items()]


def write_files(files: list[BuiltFile], folder: Path) -> list[Path]:
    return [_write(folder / file.name, file.data) for file in files]


def write_all(report: ComplianceReport, folder: Path) -> list[Path]:
    """The four files of `files_of`, written into `folder`."""
    return write_files(files_of(report), folder)


__all__ = ["Table", "csv_bytes", "files_of", "html_bytes", "stem", "write_all", "write_csv", "write_files",
           "write_html", "write_xlsx", "xlsx_bytes"]
