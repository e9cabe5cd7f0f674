"""Reading a file of figures (XLSX or CSV): one row per unit, indicator and period, under a header row
whose columns are named in Vietnamese or English (`đơn vị`/`unit`, `chỉ tiêu`/`indicator`, `kỳ`/`period`,
`giá trị`/`value`, and optionally `ghi chú`/`note`, `kế hoạch`/`plan`; accents and case do not matter).

What can be told from the file alone is checked here, row by row, with the row's number as the
spreadsheet shows it: a missing cell, a text in the value column, a bad period, a row repeated. The
ledger checks the rest (`Ledger.import_figures`: unknown unit or indicator, a period outside the plan).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .figures import NotANumber, Period, PeriodError, parse_period, parse_value
from .i18n import N_, _
from .ledger.figures import FigureEntry, RowProblem

# the columns, by the names a header may give them (compared without accents or case)
COLUMNS = {
    "unit": ("don vi", "unit", "ma don vi", "unit id"),
    "indicator": ("chi tieu", "indicator", "ma chi tieu", "indicator id"),
    "period": ("ky", "period", "ky bao cao"),
    "value": ("gia tri", "value", "so lieu"),
    "note": ("ghi chu", "note"),
    "plan": ("ke hoach", "plan", "ma ke hoach"),
}
REQUIRED = ("unit", "indicator", "period", "value")
NAMES = {"unit": N_("unit"), "indicator": N_("indicator"), "period": N_("period"), "value": N_("value"),
         "note": N_("note"), "plan": N_("plan")}


class FigureFileError(Exception):
    """A file that cannot be read as figures at all (not XLSX/CSV, no header row); translated."""


@dataclass(frozen=True)
class FigureFile:
    entries: tuple[FigureEntry, ...]
    problems: tuple[RowProblem, ...]  # `field`: the column as the header names it
    columns: dict[str, str]  # field -> the header as written, to name the column of the ledger's problems


def plain(text: str) -> str:
    """A header without accents, case or extra spaces: `Giá trị ` -> `gia tri`."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def read_figures(path: Path) -> FigureFile:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = list(_xlsx_rows(path))
    elif suffix == ".csv":
        rows = list(_csv_rows(path))
    else:
        raise FigureFileError(_("{file}: figures are read from an .xlsx or .csv file").format(file=path.name))
    return parse_rows(rows, path.name)


def parse_rows(rows: Sequence[tuple[int, Sequence[Any]]], name: str) -> FigureFile:
    filled = [(number, cells) for number, cells in rows if any(_blank(c) is False for c in cells)]
    if not filled:
        raise FigureFileError(_("{file} is empty: it needs a header row, then one row per figure").format(file=name))
    header_row, header = filled[0]
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, cell in enumerate(header):
        key = plain(str(cell)) if cell is not None else ""
        for field, names in COLUMNS.items():
            if key in names and field not in columns:
                columns[field] = index
                written[field] = str(cell).strip()
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise FigureFileError(_("{file}, row {row}: the header row has no column {columns} (name them {names})").format(
            file=name, row=header_row, columns=", ".join(_(NAMES[f]) for f in missing),
            names="đơn vị/unit, chỉ tiêu/indicator, kỳ/period, giá trị/value"))
    entries: list[FigureEntry] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, cells in filled[1:]:
        def cell(field: str, cells: Sequence[Any] = cells) -> Any:
            index = columns.get(field)
            return cells[index] if index is not None and index < len(cells) else None

        found: list[RowProblem] = []
        if any(not _blank(c) for c in cells[len(header):]):
            # "12,5" unquoted in a comma-separated file is two cells: refused, never read as 12
            problems.append(RowProblem(number, "", _("the row has more cells than the header row: a decimal comma in "
                                                      "a file separated by commas? Separate the cells with ; or put "
                                                      "the number in quotes")))
            continue
        texts: dict[str, str | None] = {}
        for field in ("unit", "indicator", "plan", "note"):
            value = cell(field)
            texts[field] = None if _blank(value) else str(value).strip()
            if texts[field] is None and field in REQUIRED:
                found.append(RowProblem(number, written[field], _("the cell is empty")))
        period = None
        try:
            period = _period(cell("period"))
        except PeriodError as error:
            found.append(RowProblem(number, written["period"], str(error)))
        value = None
        try:
            value = _value(cell("value"))
        except NotANumber as error:
            found.append(RowProblem(number, written["value"], str(error)))
        if found or period is None or value is None:
            problems.extend(found)
            continue
        unit, indicator = texts["unit"] or "", texts["indicator"] or ""
        same = (texts["plan"] or "", indicator, unit, period.label)
        if same in seen:
            problems.append(RowProblem(number, "", _("the same unit, indicator and period as row {row}: give each "
                                                      "figure once").format(row=seen[same])))
            continue
        seen[same] = number
        entries.append(FigureEntry(indicator=indicator, unit=unit, period=period, value=value, note=texts["note"],
                                   plan=texts["plan"], row=number))
    return FigureFile(tuple(entries), tuple(problems), written)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _period(value: Any) -> Period:
    if _blank(value):
        raise PeriodError(_("the cell is empty"))
    if isinstance(value, (dt.date, dt.datetime)):  # a spreadsheet turned "2021-11" into a date
        day = value.date() if isinstance(value, dt.datetime) else value
        raise PeriodError(_("the spreadsheet read this period as the date {date}: type the period as text "
                            "(e.g. '2021-11 or '2021-W47)").format(date=f"{day:%d/%m/%Y}"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return parse_period(str(value))


def _value(value: Any) -> Decimal:
    if _blank(value):
        raise NotANumber(_("the cell is empty"))
    if isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
        raise NotANumber(_("'{text}' is not a number: write it as 120, 12,5 or 1.234,5").format(text=value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest decimal that reads back as the same float: what the cell shows
    return parse_value(str(value))


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError):
        raise FigureFileError(_("{file} is not an Excel workbook (.xlsx)").format(file=path.name)) from None
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    try:
        content = path.read_bytes().decode("utf-8-sig")  # with or without the BOM Excel writes
    except UnicodeDecodeError:
        raise FigureFileError(_("{file} is not UTF-8 text: save it as \"CSV UTF-8\"").format(file=path.name)) from None
    first = content.split("\n", 1)[0]
    # Excel in Vietnamese writes `;` between cells (the comma is the decimal point)
    delimiter = max(";,\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    for cells in reader:
        yield reader.line_num, cells  # the line the row ends on, as an editor numbers it
