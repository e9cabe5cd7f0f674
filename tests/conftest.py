"""Shared fixtures: small plans written as YAML, the way a clerk writes them."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from commplan.plan import load_catalog
from commplan.schedule import Expander, Occurrence
from commplan.schedule.occurrences import RangeMode

# Nothing a test runs may write to the user's real data folder (the ledger, outbox.jsonl, reports).
os.environ["COMMPLAN_DATA_DIR"] = tempfile.mkdtemp(prefix="commplan-tests-")
# The real clock unless a test sets it (`set_now`): a COMMPLAN_NOW in the shell must not leak in.
os.environ.pop("COMMPLAN_NOW", None)

REPO = Path(__file__).resolve().parent.parent
PLANS = REPO / "plans"
# The source documents the seed plans encode; they live beside the repository, not in it.
SEEDS = Path(os.environ.get("COMMPLAN_SEEDS_DIR") or REPO.parent / "shared" / "seeds")

UNITS_YAML = """\
commplan: 1
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm
    short: Sở TTTT
    parent: ubnd-tinh
    contacts:
      - {name: Phòng TTBCXB, email: ttbc@example.gov.vn, phone: "+84900000001", zalo: "8400000001"}
    succeeded_by: {unit: so-khcn, from: 2025-03-15}
  - id: so-khcn
    name: Sở Khoa học và Công nghệ tỉnh Thử Nghiệm
    parent: ubnd-tinh
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
  - id: viettel-post
    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm
  - id: ubnd-huyen-a
    name: UBND huyện A
    parent: ubnd-tinh
  - id: ubnd-huyen-b
    name: UBND huyện B
    parent: ubnd-tinh
groups:
  ubnd-cap-huyen:
    name: UBND các huyện
    members: [ubnd-huyen-a, ubnd-huyen-b]
"""


def require_seeds(path: Path | None = None) -> Path:
    """The seed documents' folder; skip without it, but fail under CI, which must check the seeds."""
    path = SEEDS if path is None else path
    if path.is_dir():
        return path
    message = f"the seed documents are not at {path} (set COMMPLAN_SEEDS_DIR to their folder)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must check the seed plans against their sources", pytrace=False)
    pytest.skip(f"SKIPPED WITHOUT SEEDS: {message}")


@pytest.fixture
def seed_documents() -> Path:
    """For tests that read the source documents (quotes checked verbatim)."""
    return require_seeds()


def plan_yaml(obligations: str, header: str = "", events: str = "", indicators: str = "") -> str:
    """A plan file around `obligations` (YAML list items, indented by two spaces), and its `indicators`."""
    text = textwrap.dedent(
        """\
        commplan: 1
        plan:
          id: ke-hoach-thu
          number: 1/KH-UBND
          title: Kế hoạch thử nghiệm
          issuer: ubnd-tinh
          coordinator: so-tttt
          effective: {from: 2020-01-01}
        """
    )
    if header:
        text += textwrap.indent(textwrap.dedent(header), "  ")
    if events:
        text += "events:\n" + textwrap.indent(textwrap.dedent(events), "  ")
    text += "obligations:\n" + textwrap.indent(textwrap.dedent(obligations), "  ")
    if indicators:
        text += "indicators:\n" + textwrap.indent(textwrap.dedent(indicators), "  ")
    return text


@pytest.fixture
def write_plan(tmp_path):
    """Write a units file and a plan file; return the loaded catalog."""

    def write(obligations: str, header: str = "", events: str = "", indicators: str = ""):
        (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
        (tmp_path / "plan.yaml").write_text(plan_yaml(obligations, header, events, indicators), encoding="utf-8")
        catalog, _ = load_catalog([tmp_path], strict=True)
        return catalog

    return write


def occurrences_of(catalog, start: str, end: str, *, by: RangeMode = "due", events=None, obligation=None):
    plan = catalog.plans["ke-hoach-thu"]
    expander = Expander(plan, catalog.directory, events)
    found: list[Occurrence] = []
    for o in plan.obligations:
        if obligation is None or o.id == obligation:
            found += expander.occurrences(o, dt.date.fromisoformat(start), dt.date.fromisoformat(end), by=by)
    return found


# ---------------------------------------------------------------- ledger databases

POSTGRES_URL = os.environ.get("COMMPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_postgres_state: dict[str, str | None] = {}


def postgres_available() -> str | None:
    """None when the test server answers, else why not (checked once per session)."""
    if "why" not in _postgres_state:
        from sqlalchemy import create_engine, text

        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            _postgres_state["why"] = None
        except Exception as exc:  # any failure to connect means: no server here
            _postgres_state["why"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _postgres_state["why"]


def require_postgres() -> None:
    why = postgres_available()
    if why is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({why})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run the ledger suite on PostgreSQL", pytrace=False)
    pytest.skip(f"SKIPPED ON POSTGRESQL: {message}")


@contextlib.contextmanager
def postgres_schema():
    """A fresh schema on the test server, used through search_path; dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"commplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path):
    """Every ledger test runs twice: on a SQLite file and on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    require_postgres()
    with postgres_schema() as url:
        yield url


@pytest.fixture
def ledger(ledger_url):
    from commplan.ledger import Ledger

    with Ledger(ledger_url) as opened:
        yield opened


def weekly_report(until: str = "2022-04-03", extra: str = "") -> str:
    """The obligation most ledger tests use: both postal operators' weekly report, due Thursday 14:00."""
    return (
        "\n- id: bao-cao-tuan\n  title: Báo cáo tuần\n  kind: report\n  lead: [buu-dien, viettel-post]\n"
        f"  every: week\n  from: 2022-03-07\n  until: {until}\n  due: {{weekday: thu, time: \"14:00\"}}\n{extra}"
    )


@pytest.fixture
def set_now(monkeypatch):
    """Set the process clock the way a user does, with COMMPLAN_NOW (processes a test starts inherit
    it): from `set_now(instant)` on, commplan runs as if it were `instant`, the clock running on from
    there, so that what a test drives at that instant really queues and sends. Returns the instant."""

    def set_to(instant: dt.datetime) -> dt.datetime:
        monkeypatch.setenv("COMMPLAN_NOW", instant.isoformat())
        return instant

    return set_to


@pytest.fixture
def clock_at(set_now):
    """`clock_at("2022-03-10T15:00")`: the clock set to that Vietnam time; returns the instant."""
    return lambda value: set_now(dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone(dt.timedelta(hours=7))))


# ---------------------------------------------------------------- the web app in a real browser (tests/browser.py)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def web_server(request, tmp_path_factory):
    """`commplan serve` with the seed plans, on a SQLite ledger in its data folder and on PostgreSQL;
    one server per module and ledger, shared by its tests."""
    from browser import require_browser, serve

    require_browser()  # no server to start when no browser could open it
    data = tmp_path_factory.mktemp(f"web-{request.param}")
    if request.param == "sqlite":
        with serve(data) as server:
            yield server
        return
    require_postgres()
    with postgres_schema() as url, serve(data, database_url=url) as server:
        yield server


@pytest.fixture(scope="module")
def browser_process():
    """One headless chromium per module (starting one takes about a second)."""
    from browser import require_browser, start_browser

    require_browser()
    driver = start_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(browser_process):
    """The module's chromium, reset for this test: no cookies, the desktop size, a blank page."""
    from browser import reset

    reset(browser_process)
    return browser_process
