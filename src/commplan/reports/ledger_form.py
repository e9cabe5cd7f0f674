"""One indicator form from the ledger's figures: the query, the scope's units, the form. Shared by
`commplan report weekly|monthly` and the forms the tick builds (`form_delivery`), which queries a
plan's figures once and makes every province's form from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..figures import FigureRow, Period, PeriodKind
from ..ledger import Ledger
from ..plan import Catalog, Plan
from .indicator_form import IndicatorForm, build_form, form_indicators, scope_units


def form_figures(ledger: Ledger, plan: Plan, kind: PeriodKind, *, as_of: dt.datetime | None = None) -> list[FigureRow]:
    """Every unit's figures of the form's indicators and their baselines, every period, as they stood at
    `as_of` (default now)."""
    indicators = form_indicators(plan, kind)
    wanted = {i.of for i in indicators if i.of} | {i.id for i in indicators}
    return ledger.figures(plan.id, indicators=sorted(wanted), until=as_of) if wanted else []


def scoped_form(catalog: Catalog, plan: Plan, period: Period, figures: Sequence[FigureRow], *,
                unit: str | None = None, province: str | None = None, as_of: dt.datetime | None = None,
                unit_name: str | None = None) -> tuple[IndicatorForm, list[FigureRow]]:
    """The form of `period` for one unit, a province or (neither) every reporting unit, from `figures`
    (`form_figures`); and the figures of its units, the ones it was made from."""
    indicators = form_indicators(plan, period.kind)
    # figures of units outside the scope are left out here rather than in the query: a province's units
    # are known from the directory, and an indicator nobody is named to report takes whoever sent one
    in_scope = {u for i in indicators for u in scope_units(i, catalog, unit=unit, province=province, figures=figures)}
    used = [f for f in figures if f.unit in in_scope]
    form = build_form(plan, catalog, used, period, unit=unit, province=province, unit_name=unit_name, as_of=as_of)
    return form, used


def form_from_ledger(ledger: Ledger, catalog: Catalog, plan: Plan, period: Period, *, unit: str | None = None,
                     province: str | None = None, as_of: dt.datetime | None = None,
                     unit_name: str | None = None) -> tuple[IndicatorForm, list[FigureRow]]:
    """The form of `period` (a week or a month) from the figures recorded by `as_of` (default now), and the
    figures it was made from."""
    figures = form_figures(ledger, plan, period.kind, as_of=as_of)
    return scoped_form(catalog, plan, period, figures, unit=unit, province=province, as_of=as_of, unit_name=unit_name)
