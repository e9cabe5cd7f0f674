"""`commplan user …` and `commplan link revoke` as an administrator runs them (both databases): passwords
only from a prompt or standard input, weak ones refused, one Vietnamese line per outcome."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest
from cli_in_process import run_cli
from conftest import weekly_report

from commplan import links
from commplan.ledger import Ledger

GOOD = "Trống đồng Đông Sơn 1924"
SECRET = "Qm7xT2vLp9ZrW4nK8sYd3HcF6jB1gE5uN0aV"


@pytest.fixture
def run(ledger_url, tmp_path, write_plan):
    write_plan(weekly_report())
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_USER": "quan-tri",
           "COMMPLAN_LINK_SECRET": SECRET, "COMMPLAN_LANG": None, "COMMPLAN_NOW": "2022-03-20T09:00+07:00"}

    def commplan(*args: str, input: str | None = None, **more: str | None) -> subprocess.CompletedProcess:
        return run_cli(*args, env={**env, **more}, input=input)

    synced = commplan("sync", str(tmp_path))
    assert synced.returncode == 0, synced.stderr
    return commplan


def test_add_list_disable_and_change_the_password(run, ledger_url):
    added = run("user", "add", "sotttt", "--unit", "so-tttt", "--name", "Nguyễn Văn A", input=GOOD + "\n")
    assert (added.returncode, added.stderr) == (0, "")
    assert added.stdout == "Đã thêm người dùng sotttt: vai trò đầu mối theo dõi, đơn vị so-tttt.\n"
    assert GOOD not in added.stdout
    viewer = run("user", "add", "xem", "--unit", "buu-dien", "--role", "viewer", input=GOOD + "\n")
    assert viewer.stdout == "Đã thêm người dùng xem: vai trò chỉ xem, đơn vị buu-dien.\n"

    listing = run("user", "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["Tên", "đăng", "nhập", "Tên", "Vai", "trò", "Đơn", "vị", "Trạng", "thái", "Ngày", "tạo"]
    assert lines[1].split() == ["sotttt", "Nguyễn", "Văn", "A", "đầu", "mối", "theo", "dõi", "so-tttt", "đang", "dùng",
                                "20/03/2022", "09:00"]
    assert lines[2].split()[0] == "xem"

    disabled = run("user", "disable", "sotttt")
    assert disabled.stdout == "Đã khóa người dùng sotttt: người này không đăng nhập được nữa.\n"
    assert "đã khóa" in run("user", "list").stdout
    changed = run("user", "passwd", "xem", input="Hồ Hoàn Kiếm rùa vàng 7\n")
    assert changed.stdout == "Đã đổi mật khẩu của xem.\n"
    with Ledger(ledger_url) as ledger:
        assert not ledger.verify_login("sotttt", GOOD).ok  # disabled
        assert not ledger.verify_login("xem", GOOD).ok
        assert ledger.verify_login("xem", "Hồ Hoàn Kiếm rùa vàng 7").ok


@pytest.mark.parametrize(("password", "message"), [
    ("ngan", "mật khẩu phải có ít nhất 12 ký tự"),
    ("Password@2024", "mật khẩu này thuộc loại phổ biến"),
    ("sotttt-va-cac-so", "không được chứa tên đăng nhập"),
    ("", "ít nhất 12 ký tự"),
])
def test_a_weak_password_is_refused_and_nothing_is_added(run, password, message):
    refused = run("user", "add", "sotttt", "--unit", "so-tttt", input=password + "\n")
    assert refused.returncode == 2
    assert refused.stderr.startswith("lỗi: ") and message in refused.stderr and "chưa thay đổi gì" in refused.stderr
    assert run("user", "list").stdout.startswith("Chưa có người dùng nào")


def test_the_password_is_never_an_argument(run):
    refused = run("user", "add", "sotttt", "--unit", "so-tttt", "--password", GOOD)
    assert refused.returncode == 2 and "--password" in refused.stderr


def test_a_prompt_asks_twice(run, ledger_url, monkeypatch, capsys):
    import getpass
    import sys

    from commplan.settings import get_settings

    prompts: list[str] = []
    answers = iter([GOOD, GOOD + " khác", GOOD, GOOD])

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(getpass, "getpass", typed)
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setenv("COMMPLAN_DATABASE_URL", ledger_url)
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    get_settings.cache_clear()
    from commplan.cli import main

    assert main(["user", "add", "sotttt", "--unit", "so-tttt"]) == 2  # the two differ
    assert capsys.readouterr().err == "lỗi: hai lần nhập mật khẩu không khớp; chưa thay đổi gì\n"
    assert prompts == ["Mật khẩu mới của sotttt: ", "Nhập lại mật khẩu: "]
    assert main(["user", "add", "sotttt", "--unit", "so-tttt"]) == 0
    get_settings.cache_clear()
    with Ledger(ledger_url) as ledger:
        assert ledger.verify_login("sotttt", GOOD).ok


def test_mistakes_are_one_vietnamese_line(run):
    unknown_unit = run("user", "add", "x", "--unit", "khong-co")  # said before a password is asked
    assert unknown_unit.returncode == 1 and unknown_unit.stderr.startswith("lỗi: không có đơn vị 'khong-co'")
    no_unit = run("user", "add", "x")
    assert no_unit.stderr == "lỗi: người dùng vai trò đầu mối theo dõi hoặc chỉ xem phải thuộc một đơn vị: hãy thêm --unit\n"
    assert run("user", "add", "x", "--unit", "so-tttt", input=GOOD + "\n").returncode == 0
    twice = run("user", "add", "x", "--unit", "so-tttt")
    assert twice.stderr == "lỗi: người dùng 'x' đã có\n"
    for argv in (("disable", "khong-ai"), ("passwd", "khong-ai")):
        missing = run("user", *argv, input=GOOD + "\n")
        assert (missing.returncode, missing.stderr) == (1, "lỗi: không có người dùng 'khong-ai'\n")
    english = run("user", "disable", "khong-ai", COMMPLAN_LANG="en")
    assert english.stderr == "error: no user 'khong-ai'\n"


def test_an_api_token_is_shown_once_and_revoked(run, ledger_url):
    run("user", "add", "sotttt", "--unit", "so-tttt", input=GOOD + "\n")
    issued = run("user", "token", "sotttt", "--label", "máy chủ báo cáo")
    assert issued.returncode == 0, issued.stderr
    heading, token = issued.stdout.splitlines()
    assert heading == "Mã truy cập API số 1 của sotttt (chỉ hiện một lần này; hãy giữ bí mật):"
    with Ledger(ledger_url) as ledger:
        user = ledger.user_for_api_token(token)
        assert user is not None and user.login == "sotttt"
    assert run("user", "revoke-token", "1").stdout == "Đã thu hồi mã truy cập API số 1.\n"
    again = run("user", "revoke-token", "1")
    assert (again.returncode, again.stderr) == (1, "lỗi: không có mã truy cập API số 1 đang dùng\n")
    with Ledger(ledger_url) as ledger:
        assert ledger.user_for_api_token(token) is None


def occurrence_id(run) -> int:
    rows = json.loads(run("status", "--unit", "buu-dien", "--format", "json").stdout)
    return rows[0]["id"]


def test_link_revoke_one_link_or_an_occurrence(run, ledger_url):
    occurrence = occurrence_id(run)
    issued = dt.datetime(2022, 3, 19, tzinfo=dt.UTC)
    token = links.report_token(SECRET, occurrence, "buu-dien", issued=issued)
    url = links.report_link("https://commplan.example.gov.vn", SECRET, occurrence, "buu-dien", issued=issued)
    done = run("link", "revoke", url, "--reason", "gửi nhầm người")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Đã thu hồi đường dẫn báo cáo của kỳ thực hiện #{occurrence}: từ nay đường dẫn chỉ mở trang báo đã thu hồi.\n"
    assert run("link", "revoke", token).stdout == "Đã thu hồi từ trước.\n"
    with Ledger(ledger_url) as ledger:
        assert ledger.link_revoked(token)

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = run("link", "revoke", forged)
    assert refused.returncode == 2 and refused.stderr.startswith("lỗi: không phải đường dẫn báo cáo do commplan này cấp")
    other = run("link", "revoke", links.report_token("Zx9Lk2Pq7Vm4Rt8Wn3Hy6Bc1Jd5Gf0Ts", occurrence, "buu-dien", issued=issued))
    assert other.returncode == 2

    whole = run("link", "revoke", "--occurrence", str(occurrence))
    assert whole.stdout.startswith(f"Đã thu hồi mọi đường dẫn báo cáo của kỳ thực hiện #{occurrence} cấp đến lúc này")
    later = links.report_token(SECRET, occurrence, "buu-dien", issued=dt.datetime(2022, 3, 21, tzinfo=dt.UTC))
    with Ledger(ledger_url) as ledger:
        assert not ledger.link_revoked(later)
    assert run("link", "revoke").returncode == 2
    assert run("link", "revoke", token, "--occurrence", "1").returncode == 2
    missing = run("link", "revoke", "--occurrence", "999999")
    assert (missing.returncode, missing.stderr) == (1, "lỗi: không có kỳ thực hiện #999999\n")
