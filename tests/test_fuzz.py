"""No input, however malformed, produces a traceback; valid plans expand soundly.

Three kinds of generated input: raw bytes; YAML trees built from the
format's own keys and plausible values; and the seed plans with random
edits. Each must load to a catalog plus located errors, never an exception.
A fourth property checks the engine itself on random valid obligations.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import string

import yaml
from conftest import PLANS, UNITS_YAML, plan_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commplan.plan import load_catalog
from commplan.plan.model import SECTIONS, known_keys
from commplan.schedule import Expander

# COMMPLAN_FUZZ_EXAMPLES=5000 for a long local run; CI keeps the default.
EXAMPLES = int(os.environ.get("COMMPLAN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

FORMAT_KEYS = sorted({k for model in SECTIONS.values() for k in known_keys(model)} | {
    "commplan", "weekday", "day", "month", "after_end", "after_start", "time", "if_holiday", "event", "date",
    "before", "on_due", "overdue_every", "escalate_after", "unit", "from", "until", *SECTIONS,
})
PLAUSIBLE = st.sampled_from([
    "thu", "thur", "month", "2 weeks", "last", "-1", "14:00", "25:00", "3d", "5 workdays", "next-workday",
    "2021-11-10", "2021-02-30", "so-tttt", "Sở TTTT", "", "FREQ=MONTHLY", "70%", "yes", "null",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), PLAUSIBLE,
    st.text(max_size=12), st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FORMAT_KEYS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=40,
)


def assert_loads_without_traceback(tmp_path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    catalog, errors = load_catalog([path], strict=False)  # must not raise
    for error in errors:
        line = str(error)
        assert line.startswith(str(path)), line
        assert error.line >= 1 and error.column >= 1
        assert "\n" not in error.message and error.message
    assert catalog is not None


@FUZZ
@given(content=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path, content):
    assert_loads_without_traceback(tmp_path, "bytes.yaml", content)


@FUZZ
@given(tree=TREES, wrap=st.booleans())
def test_random_yaml_trees_never_raise(tmp_path, tree, wrap):
    data = {"commplan": 1, "plan": tree, "obligations": [tree]} if wrap else tree
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=False)
    assert_loads_without_traceback(tmp_path, "tree.yaml", text.encode("utf-8"))


SEED_FILES = sorted(p for p in PLANS.rglob("*.yaml"))


@FUZZ
@given(seed=st.sampled_from(SEED_FILES), edits=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from("dcrsi"), st.text(string.printable + "đĐơ", max_size=4)), min_size=1, max_size=6))
def test_edited_seed_plans_never_raise(tmp_path, seed, edits):
    lines = seed.read_text(encoding="utf-8").splitlines()
    for position, action, text in edits:
        if not lines:
            break
        i = position % len(lines)
        if action == "d":
            del lines[i]
        elif action == "c":
            lines.insert(i, lines[i])
        elif action == "r" and lines[i]:
            j = position % len(lines[i])
            lines[i] = lines[i][:j] + text + lines[i][j + 1:]
        elif action == "s":
            k = (position // 7) % len(lines)
            lines[i], lines[k] = lines[k], lines[i]
        else:
            lines.insert(i, " " * (position % 6) + text)
    assert_loads_without_traceback(tmp_path, seed.name, ("\n".join(lines) + "\n").encode("utf-8"))


DUES = st.sampled_from([
    None, "{weekday: thu, time: \"14:00\"}", "{weekday: sun, if_holiday: previous-workday}", "{day: 25}",
    "{day: last, if_holiday: keep}", "{month: last, day: 25}", "{month: 1, day: 31}", "{after_end: 5 workdays}",
    "{after_start: 3d, time: \"08:00\"}", "{after_end: 2h}", "{time: \"17:00\"}",
])
EVERY = st.sampled_from(["day", "workday", "week", "month", "quarter", "half-year", "year", "2 weeks", "10 days", "3 months", "2 years"])


@FUZZ
@given(
    every=EVERY, due=DUES, lead=st.sampled_from(["buu-dien", "so-tttt", "ubnd-cap-huyen", "[so-tttt, buu-dien]"]),
    shared=st.booleans(), start=st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31)),
    length=st.integers(0, 900), months=st.one_of(st.none(), st.lists(st.integers(1, 12), min_size=1, max_size=4)),
    query=st.tuples(st.dates(dt.date(2019, 1, 1), dt.date(2029, 12, 31)), st.integers(0, 120)),
    seed=st.integers(0, 10**6),
)
def test_valid_obligations_expand_to_sound_occurrences(tmp_path, every, due, lead, shared, start, length, months, query, seed):
    until = start + dt.timedelta(days=length)
    lines = [
        "- id: nghia-vu", "  title: Nghĩa vụ thử", f"  lead: {lead}", f"  every: {every}",
        f"  from: {start.isoformat()}", f"  until: {until.isoformat()}", f"  shared: {str(shared).lower()}",
    ]
    if due:
        lines.append(f"  due: {due}")
    if months:
        lines.append(f"  months: {sorted(set(months))}")
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml("\n".join(lines) + "\n"), encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    if errors:  # a due that does not fit the period: refused, with a located message
        assert all(e.path[:2] == ("obligations", 0) for e in errors), errors
        return
    plan = catalog.plans["ke-hoach-thu"]
    obligation = plan.obligations[0]
    q_start = query[0]
    q_end = q_start + dt.timedelta(days=query[1])
    expander = Expander(plan, catalog.directory)
    for by in ("due", "window"):
        found = list(expander.occurrences(obligation, q_start, q_end, by=by))
        keys = [o.key for o in found]
        assert len(keys) == len(set(keys)), "an occurrence key repeats"
        for o in found:
            assert start <= o.window_start <= o.window_end <= until
            assert o.due.tzinfo is not None and o.due.utcoffset() == dt.timedelta(hours=7)
            assert o.unit in catalog.directory
            if by == "due":
                assert q_start <= o.due.date() <= q_end
            else:
                assert o.window_end >= q_start and o.window_start <= q_end
            if months:
                assert o.window_start.month in months or o.window_start == start
    # expanding a range in two halves gives the same occurrences as the whole range
    middle = q_start + dt.timedelta(days=query[1] // 2)
    whole = list(expander.occurrences(obligation, q_start, q_end))
    halves = list(expander.occurrences(obligation, q_start, middle)) + list(
        expander.occurrences(obligation, middle + dt.timedelta(days=1), q_end)
    )
    random.Random(seed).shuffle(halves)
    assert sorted(whole, key=lambda o: (o.due, o.key)) == sorted(halves, key=lambda o: (o.due, o.key))
