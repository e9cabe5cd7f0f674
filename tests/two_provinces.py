"""Two provinces and a ministry, as the web and user tests write them: province A (thu-nghiem), whose Sở
coordinates the plans a test looks at; province B (lang-gieng), whose units, plans and rows must never
show to A's users; and a ministry unit with no province. Also the set-up they all share: the files
written and synced into a ledger, the app over them, accounts, and a browser that is logged in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from test_calendar_feeds import SECRET
from test_web_auth import PASSWORD, log_in

from commplan.ledger import Ledger
from commplan.plan import load_catalog
from commplan.settings import Settings
from commplan.web.app import create_app

SCRIPTED_POST_OFFICE = "\"Bưu điện <script>alert(1)</script>\""  # stored XSS through a unit's name
COMMUNES_GROUP = """\
groups:
  ubnd-cac-xa:
    name: UBND các xã
    members: [ubnd-xa-a, ubnd-xa-b]
"""
POSTAL_GROUP = """\
groups:
  bao-chi:
    name: Bưu chính tỉnh
    members: [buu-dien]
"""


def province_a(post_office: str = SCRIPTED_POST_OFFICE, communes: str = "ab", groups: str = COMMUNES_GROUP) -> str:
    """Province A's units file: the UBND, its Sở TTTT, the post office (named `post_office`), a commune
    `ubnd-xa-X` for each letter X of `communes` (named "UBND xã X"), and `groups` (YAML, or "")."""
    text = f"""\
commplan: 1
province: thu-nghiem
units:
  - id: ubnd-tinh
    name: UBND tỉnh Thử Nghiệm
  - id: so-tttt
    name: Sở Thông tin và Truyền thông tỉnh Thử Nghiệm
    parent: ubnd-tinh
  - id: buu-dien
    name: {post_office}
"""
    for letter in communes:
        text += f"  - id: ubnd-xa-{letter}\n    name: UBND xã {letter.upper()}\n    parent: ubnd-tinh\n"
    return text + groups


# The web pages' province A: a script in the post office's name, two communes and their group.
PROVINCE_A = province_a()
# The ledger's users tests' (and the API's and uploads'): plain names, one commune, the postal group; a
# scope's units are counted exactly there.
PLAIN_PROVINCE_A = province_a(post_office="Bưu điện tỉnh Thử Nghiệm", communes="a", groups=POSTAL_GROUP)
PROVINCE_B = """\
commplan: 1
province: lang-gieng
units:
  - id: ubnd-tinh-lg
    name: UBND tỉnh Láng Giềng
  - id: so-tttt-lg
    name: Sở Thông tin và Truyền thông tỉnh Láng Giềng
    parent: ubnd-tinh-lg
  - id: buu-dien-lg
    name: Bưu điện tỉnh Láng Giềng
"""
MINISTRY = """\
commplan: 1
units:
  - id: bo-tttt
    name: Bộ Thông tin và Truyền thông
"""  # no province: a ministry's coordinator sees the plans it issues or coordinates, nothing else


def plan_file(ident: str, issuer: str, coordinator: str, obligations: str, *, number: str = "7/KH-UBND",
              title: str | None = None, effective: str = "2022-01-01") -> str:
    """A plan file: its header (titled "Kế hoạch IDENT" unless `title`), then `obligations` (YAML list items)."""
    return f"""\
commplan: 1
plan:
  id: {ident}
  number: {number}
  title: "{title or f"Kế hoạch {ident}"}"
  issuer: {issuer}
  coordinator: {coordinator}
  effective: {{from: {effective}}}
obligations:
{obligations}"""


def weekly_report(lead: str, *lines: str) -> str:
    """The weekly report of March 2022 (due Thursdays 14:00, 10/03 to 31/03), led by `lead`, with `lines`
    (e.g. "evidence: link") added to it."""
    extra = "".join(f"    {line}\n" for line in lines)
    return f"""\
  - id: bao-cao-tuan
    title: Báo cáo tuần
    kind: report
{extra}    lead: {lead}
    every: week
    from: 2022-03-07
    until: 2022-04-03
    due: {{weekday: thu, time: "14:00"}}
"""


def synced(ledger: Ledger, folder: Path, files: dict[str, str], now: dt.datetime):
    """Write `files` (name: text) into `folder`, load them strictly, sync the ledger at `now`; the catalog."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    catalog, errors = load_catalog([folder], strict=True)
    assert not errors
    ledger.sync(catalog, now=now)
    return catalog


def web_app(url: str, folder: Path, now: dt.datetime, **settings: object):
    """The real app over the ledger at `url` and the plans in `folder`, its clock stopped at `now`."""
    return create_app(Settings(database_url=url, link_secret=SECRET, public_url="http://127.0.0.1:8000", **settings),
                      plans=[folder], clock=lambda: now)


def add_users(ledger: Ledger, accounts: dict[str, tuple[str, str | None]]) -> None:
    """One account per login: (role, unit), all with the tests' PASSWORD."""
    for login, (role, unit) in accounts.items():
        ledger.add_user(login, PASSWORD, role=role, unit=unit)


def signed_in(browser: TestClient, login: str) -> TestClient:
    """`browser`, opened and logged in as `login`; the caller closes it (`with signed_in(...) as browser`)."""
    browser.__enter__()
    assert log_in(browser, login).status_code == 303
    return browser
