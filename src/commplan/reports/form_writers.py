"""The indicator forms as files: XLSX laid out like Phụ lục 02/03 of Công văn 2980/BTTTT-QLDN (for
people, and for printing), CSV with a UTF-8 BOM (so that Excel shows the diacritics) and one
self-contained HTML page. The three show the same cells; `write_form` picks by the file's extension.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from ..figures import PeriodKind
from ..i18n import _
from .indicator_form import IndicatorForm

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NO_GROWTH = "—"  # growth against a previous zero or missing figure
COLUMN_WIDTHS = (6, 58, 14, 16, 16, 17, 19, 42)
INTEGER, DECIMAL, PERCENT = "#,##0", "#,##0.0##", "0.0%"


class FormFormatError(ValueError):
    """A file name whose extension is not one the forms are written as."""


# ---------------------------------------------------------------- the words, shared by the three


def title(form: IndicatorForm) -> str:
    return _("WEEKLY REPORT") if form.kind is PeriodKind.WEEK else _("MONTHLY REPORT")


def subtitle(form: IndicatorForm) -> str:
    number = form.plan_number or form.plan
    return _("(on the form of document No. {number})").format(number=number)


def period_line(form: IndicatorForm) -> str:
    period = form.period
    start, end = f"{period.start:%d/%m/%Y}", f"{period.end:%d/%m/%Y}"
    if form.kind is PeriodKind.WEEK:
        week = period.label.split("-W")[1]
        return _("Week {week} of {year} (from {start} to {end})").format(week=week, year=period.year, start=start, end=end)
    return _("Month {month}/{year} (from {start} to {end})").format(month=f"{period.start:%m}", year=period.year,
                                                                      start=start, end=end)


def unit_line(form: IndicatorForm) -> str:
    return _("Unit name: {name}").format(name=form.unit_name)


def headers(form: IndicatorForm) -> tuple[str, ...]:
    weekly = form.kind is PeriodKind.WEEK
    return (
        _("No."), _("Indicator"), _("Unit of measure"),
        _("Achieved in the week (number)") if weekly else _("Achieved in the month (number)"),
        _("Growth on the previous week (%)") if weekly else _("Growth on the previous month (%)"),
        _("Achieved to date (number)"),
        _("Completion of the target to date (%)"),
        _("Notes and further information"),
    )


def unreported_headers() -> tuple[str, str, str]:
    return _("No."), _("Unit"), _("Rows not reported")


def footer(form: IndicatorForm) -> str | None:
    if form.as_of is None:
        return None
    return _("Figures recorded up to {time}.").format(time=f"{form.as_of.astimezone(VN):%H:%M %d/%m/%Y}")


def _plain(value: Decimal) -> str:
    """A number as a program reads it: 1234, 12.5 (no thousands separator)."""
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _vietnamese(value: Decimal, places: int | None = None) -> str:
    """1.234 and 12,5 as Vietnamese print numbers: `places` decimals, or a whole number as it is and a
    fraction to at most 3 decimals (tonnes)."""
    trim = places is None
    digits = (0 if value == value.to_integral_value() else 3) if places is None else places
    text = f"{round(value, digits):,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# ---------------------------------------------------------------- XLSX


def xlsx_bytes(form: IndicatorForm) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = _("Week") if form.kind is PeriodKind.WEEK else _("Month")
    last = get_column_letter(len(COLUMN_WIDTHS))
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    right = Alignment(horizontal="right", vertical="center")

    def banner(row: int, text: str, *, font: Font, align: Alignment = centre) -> None:
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font, cell.alignment = font, align

    banner(1, title(form), font=Font(bold=True, size=14))
    banner(2, subtitle(form), font=Font(italic=True))
    banner(3, period_line(form), font=Font(bold=True))
    banner(5, unit_line(form), font=Font(bold=True), align=left)
    header_row = 7
    for column, text in enumerate(headers(form), start=1):
        cell = sheet.cell(row=header_row, column=column, value=text)
        cell.font, cell.alignment, cell.border = Font(bold=True), centre, box
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.row_dimensions[header_row].height = 62
    row = header_row + 1
    for group in form.groups:
        if group.key or group.title:
            sheet.cell(row=row, column=1, value=group.key)
            sheet.cell(row=row, column=2, value=group.title)
            sheet.merge_cells(f"B{row}:{last}{row}")
            for column in range(1, len(COLUMN_WIDTHS) + 1):
                part = sheet.cell(row=row, column=column)  # merged parts carry the border too
                part.font, part.border = Font(bold=True), box
                part.alignment = centre if column == 1 else left
            row += 1
        for line in group.rows:
            cells = (line.number, line.name, line.measure, _number(line.value),
                     NO_GROWTH if line.growth is None else float(line.growth),
                     _number(line.cumulative), None if line.completion is None else float(line.completion), line.note or None)
            for column, value in enumerate(cells, start=1):
                cell = sheet.cell(row=row, column=column, value=value)
                cell.border = box
                cell.alignment = left if column in (2, 8) else centre if column in (1, 3) or value == NO_GROWTH else right
                if column in (4, 6) and value is not None:
                    cell.number_format = INTEGER if float(value).is_integer() else DECIMAL
                elif column in (5, 7) and isinstance(value, float):
                    cell.number_format = PERCENT
            row += 1
    if form.unreported:
        row += 1
        banner(row, _("UNITS THAT DID NOT REPORT"), font=Font(bold=True), align=left)
        row += 1
        number, unit, rows = unreported_headers()
        for column, text in ((1, number), (2, unit), (3, rows)):
            sheet.cell(row=row, column=column, value=text)
        sheet.merge_cells(f"C{row}:{last}{row}")
        for column in range(1, len(COLUMN_WIDTHS) + 1):
            part = sheet.cell(row=row, column=column)
            part.font, part.alignment, part.border = Font(bold=True), centre, box
        row += 1
        for index, missing in enumerate(form.unreported, start=1):
            for column, value in ((1, index), (2, missing.name), (3, ", ".join(missing.rows))):
                sheet.cell(row=row, column=column, value=value)
            sheet.merge_cells(f"C{row}:{last}{row}")
            for column in range(1, len(COLUMN_WIDTHS) + 1):
                part = sheet.cell(row=row, column=column)
                part.border, part.alignment = box, centre if column == 1 else left
            row += 1
    closing = footer(form)
    if closing:
        row += 1
        banner(row, closing, font=Font(italic=True), align=left)
    # a sheet a person can print: A4 landscape, one page wide, the header row on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{last}{row}"
    sheet.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------- CSV


def csv_rows(form: IndicatorForm) -> list[list[str]]:
    """The table's cells as text: group rows (TT I, II …, the title under Chỉ tiêu), then the indicators;
    numbers as programs read them (1234, 12.5), percents as numbers of percent (12.5 for 12,5%)."""
    rows = [list(headers(form))]
    for group in form.groups:
        if group.key or group.title:
            rows.append([group.key, group.title, "", "", "", "", "", ""])
        for line in group.rows:
            rows.append([
                line.number, line.name, line.measure, _text(line.value),
                NO_GROWTH if line.growth is None else _plain(round(line.growth * 100, 1)),
                _text(line.cumulative), "" if line.completion is None else _plain(round(line.completion * 100, 1)),
                line.note,
            ])
    return rows


def _text(value: Decimal | None) -> str:
    return "" if value is None else _plain(value)


def csv_bytes(form: IndicatorForm) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(csv_rows(form))
    return out.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- HTML

STYLE = """
body { font-family: "Times New Roman", serif; margin: 1.5em; color: #000; }
h1 { font-size: 1.3em; text-align: center; margin: 0; }
p.centre { text-align: center; margin: .2em 0; }
p.unit { font-weight: bold; margin: 1em 0 .5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #000; padding: .3em .4em; vertical-align: middle; }
th { background: #ddebf7; text-align: center; }
td.num { text-align: right; white-space: nowrap; }
td.centre { text-align: center; }
tr.group td { font-weight: bold; }
h2 { font-size: 1.05em; margin-top: 1.5em; }
p.footer { font-style: italic; margin-top: 1em; }
@page { size: A4 landscape; margin: 1cm; }
"""


def html_text(form: IndicatorForm) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title(form))} — {e(period_line(form))} — {e(form.unit_name)}</title>",
        f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{e(title(form))}</h1>", f'<p class="centre"><i>{e(subtitle(form))}</i></p>',
        f'<p class="centre"><b>{e(period_line(form))}</b></p>', f'<p class="unit">{e(unit_line(form))}</p>',
        "<table>", "<thead><tr>" + "".join(f'<th scope="col">{e(h)}</th>' for h in headers(form)) + "</tr></thead>", "<tbody>",
    ]
    for group in form.groups:
        if group.key or group.title:
            parts.append(f'<tr class="group"><td class="centre">{e(group.key)}</td><td colspan="7">{e(group.title)}</td></tr>')
        for line in group.rows:
            growth = NO_GROWTH if line.growth is None else _vietnamese(line.growth * 100, 1) + "%"
            completion = "" if line.completion is None else _vietnamese(line.completion * 100, 1) + "%"
            cells = (
                f'<td class="centre">{e(line.number)}</td>', f"<td>{e(line.name)}</td>",
                f'<td class="centre">{e(line.measure)}</td>', f'<td class="num">{e(_shown(line.value))}</td>',
                f'<td class="{"centre" if line.growth is None else "num"}">{e(growth)}</td>',
                f'<td class="num">{e(_shown(line.cumulative))}</td>', f'<td class="num">{e(completion)}</td>',
                f"<td>{e(line.note)}</td>",
            )
            parts.append("<tr>" + "".join(cells) + "</tr>")
    parts += ["</tbody>", "</table>"]
    if form.unreported:
        number, unit, rows = unreported_headers()
        parts += [f"<h2>{e(_('UNITS THAT DID NOT REPORT'))}</h2>", "<table>",
                  (f'<thead><tr><th scope="col">{e(number)}</th><th scope="col">{e(unit)}</th>'
                   f'<th scope="col">{e(rows)}</th></tr></thead>'), "<tbody>"]
        for index, missing in enumerate(form.unreported, start=1):
            parts.append(f'<tr><td class="centre">{index}</td><td>{e(missing.name)}</td>'
                         f"<td>{e(', '.join(missing.rows))}</td></tr>")
        parts += ["</tbody>", "</table>"]
    closing = footer(form)
    if closing:
        parts.append(f'<p class="footer">{e(closing)}</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _shown(value: Decimal | None) -> str:
    return "" if value is None else _vietnamese(value)


def html_bytes(form: IndicatorForm) -> bytes:
    return html_text(form).encode("utf-8")


# ---------------------------------------------------------------- by extension

WRITERS: dict[str, Callable[[IndicatorForm], bytes]] = {".xlsx": xlsx_bytes, ".csv": csv_bytes, ".html": html_bytes}


def form_bytes(form: IndicatorForm, path: str | Path) -> bytes:
    """The form as the file `path` names it (.xlsx, .csv, .html); FormFormatError otherwise."""
    suffix = Path(path).suffix.lower()
    writer = WRITERS.get(".html" if suffix == ".htm" else suffix)
    if writer is None:
        raise FormFormatError(_("'{path}': the form is written as .xlsx, .csv or .html, not '{suffix}'").format(
            path=str(path), suffix=suffix or _("no extension")))
    return writer(form)


def write_form(form: IndicatorForm, path: str | Path) -> None:
    data = form_bytes(form, path)
    Path(path).write_bytes(data)
