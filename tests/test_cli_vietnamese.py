"""A clerk reading any command's output on the seed plans sees Vietnamese.

Every command's and subcommand's `--help`, the main commands on plans/ (validate, preview, sync,
status and its summary and overdue list, record, evidence list, outbox, remind --dry-run, export,
backup) and some mistakes (an unknown unit, a bad date, a missing file) run with the default
language; no line may hold a common English word outside what is not prose: option names (-x,
--unit), ids (buu-dien-thanh-hoa, digest_at), paths, URLs, placeholders (PATH, ID), `commands`
and {choices}. `COMMPLAN_LANG=en` still gives English.
"""

from __future__ import annotations

import argparse
import re

import pytest
from cli_in_process import run_cli
from conftest import PLANS

from commplan.cli import build_parser

# common English words a Vietnamese line never holds ("in", "do", "to", "an" are Vietnamese words too)
_WORDS = """
a the is are was were be been not of and for with no unknown error errors file files day days must
from or at as by this that these those it its has have had will would can cannot should could only
default plan plans unit units occurrence occurrences obligation obligations evidence reminder reminders
message messages sent failed waiting overdue done late date time now today usage options option show
help exit write wrote read found such folder none new updated removed list print set see run steps
between before after than more year years ledger database into what which who when where why how
every each all any some your you there here yet already until since without missing
"""
ENGLISH = frozenset(_WORDS.split())


_NOT_PROSE = re.compile(
    r"`[^`]*`"  # `commplan sync`, `province:`
    r"|\{[^}]*\}"  # {table,json,csv}, {unit}
    r"|\S*(?:://|/|\\)\S*"  # paths, URLs, dates
    r"|(?<!\w)-{1,2}[\w-]+"  # -o, --unit
    r"|\b[\w.]*[\d_.][\w.]*\b"  # ids with digits, dots or underscores: digest_at, 2021, x.ics
    r"|\b\w+(?:-\w+)+\b"  # hyphenated ids: buu-dien-thanh-hoa
    r"|\b[A-Z][A-Z_=]+\b"  # placeholders: PATH, ID, DATE, COMMAND
)


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, as its argv."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = sorted({name for argv in _commands(build_parser()) for name in argv}, key=len, reverse=True)
_NAMES = "|".join(map(re.escape, COMMANDS))
# a command's name where argparse shows it: after `commplan` in a usage line, first in a listing line
_COMMAND_NAMES = re.compile(rf"\bcommplan(?: (?:{_NAMES})\b)*|^\s+(?:{_NAMES})(?=\s{{2,}}|$)")


def english_words(line: str) -> list[str]:
    line = _COMMAND_NAMES.sub(" ", line)
    prose = _NOT_PROSE.sub(" ", line)
    return [word for word in re.findall(r"[^\W\d_]+", prose) if word.lower() in ENGLISH]


def test_the_check_sees_english_and_spares_what_is_not_prose():
    assert english_words("error: the plans have errors") == ["error", "the", "plans", "have", "errors"]
    assert english_words("lỗi: không có kế hoạch hoặc đơn vị: buu-dien-thanh-hoa") == []
    assert english_words("  --plans PATH [PATH ...]  các kế hoạch (mặc định plans/), xem `commplan outbox --failed`") == []
    assert english_words("cách dùng: commplan status [--format {table,json,csv}] --as-of DATETIME digest_at") == []
    assert english_words("Đã sao lưu vào /tmp/the/file.sqlite3 (https://example.org/is/not)") == []
    # a command's name is spared where argparse shows it, not in prose
    assert english_words("cách dùng: commplan evidence list [-h] [--unit ID]") == []
    assert english_words("    run            việc chính: một lượt chạy") == []
    assert english_words("    outbox         the messages planned, sent") == ["the", "messages", "sent"]
    assert english_words("Đã xong: run the tick") == ["run", "the"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """What each command printed, by its argv, with the default language on a ledger of the seed plans."""
    tmp = tmp_path_factory.mktemp("vietnamese")
    env = {"COMMPLAN_LANG": None, "COMMPLAN_DATA_DIR": str(tmp / "data"), "COMMPLAN_DATABASE_URL": None,
           "COMMPLAN_NOW": "2021-12-10T09:00+07:00", "COMMPLAN_PUBLIC_URL": None, "COMMPLAN_ZALO_APP_ID": None}
    runs = [("--help",)] + [(*argv, "--help") for argv in _commands(build_parser())]
    runs += [
        ("validate", str(PLANS)),
        ("preview", str(PLANS), "--from", "01/12/2021", "--to", "10/12/2021"),
        ("sync", str(PLANS)),
        ("status",),
        ("status", "--summary"),
        ("status", "--overdue"),
        ("record", "bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoa", "--link", "https://stttt.thanhhoa.gov.vn/a"),
        ("evidence", "list"),
        ("excuse", "5", "--reason", "Đơn vị đã báo cáo bằng văn bản"),
        ("excuse", "5", "--undo"),
        ("outbox",),
        ("remind", "--dry-run", "--plans", str(PLANS)),
        ("export", "ics", "--plans", str(PLANS), "--unit", "buu-dien-thanh-hoa", "-o", str(tmp / "lich.ics")),
        ("backup", str(tmp / "sao-luu.sqlite3")),
        ("restore", str(tmp / "sao-luu.sqlite3"), "--force"),
        ("units", "provinces"),
        ("feed-url", "--unit", "buu-dien-thanh-hoa"),
        ("user", "list"),
        ("link", "revoke", "--occurrence", "5"),
    ]
    mistakes = [
        ("preview", str(PLANS), "--unit", "khong-co-don-vi"),  # an unknown unit
        ("preview", str(PLANS), "--from", "31/02/2022"),  # a bad date
        ("validate", str(tmp / "khong-co.yaml")),  # a missing file
        ("status", "--as-of", "hôm qua"),
        ("record", "bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoa", "--count", "0"),
        ("event", "khong-co-su-kien", "--date", "01/12/2021", "--plans", str(PLANS)),
        ("export", "ics", "--plans", str(PLANS), "--unit", "buu-dien-thanh-hoa", "-o", str(tmp / "khong-co" / "x.ics")),
        ("zalo-token",),
        ("user", "disable", "khong-co-ai"),
        ("user", "add", "can-bo", "--unit", "khong-co-don-vi"),
    ]
    return {argv: (run_cli(*argv, env=env), argv not in mistakes) for argv in runs + mistakes}


def test_every_command_and_subcommand_has_a_vietnamese_help(outputs):
    helps = {argv: result for argv, (result, _) in outputs.items() if argv[-1] == "--help"}
    assert len(helps) >= 25  # every command, and the actions of evidence, contact and units
    for argv, result in helps.items():
        assert result.returncode == 0 and result.stdout.startswith("cách dùng: commplan"), argv


def test_the_commands_ran_on_the_seeds_and_the_mistakes_failed(outputs):
    def out(*argv):
        return outputs[argv][0].stdout

    assert out("validate", str(PLANS)).startswith("Hợp lệ: 10 tệp, 5 kế hoạch, ")
    assert out("sync", str(PLANS)).startswith("Đã đồng bộ 5 kế hoạch, ")
    assert out("status", "--summary").startswith("Tình hình thực hiện đến 09:00 10/12/2021")
    assert "Đã ghi nhận minh chứng #1" in out("record", "bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoa", "--link",
                                                "https://stttt.thanhhoa.gov.vn/a")
    assert out("outbox") == "Hộp thư đi trống.\n"
    for argv, (result, works) in outputs.items():
        assert (result.returncode == 0) == works, (argv, result.stderr)
        if not works:  # one line says what is wrong (argparse adds its usage above it)
            assert result.stderr.strip() and "Traceback" not in result.stderr, argv


def test_no_english_word_reaches_the_clerk(outputs):
    leaks = [f"{' '.join(argv)}: {line.strip()!r} {words}"
             for argv, (result, _) in outputs.items()
             for line in (result.stdout + result.stderr).splitlines()
             if (words := english_words(line))]
    assert leaks == [], "English in what a clerk reads:\n" + "\n".join(leaks)


def test_english_on_request():
    env = {"COMMPLAN_LANG": "en"}
    helped = run_cli("--help", env=env)
    assert helped.stdout.startswith("usage: commplan") and "check plan files" in helped.stdout
    assert run_cli("validate", str(PLANS), env=env).stdout.startswith("OK: 10 files, 5 plans, ")
    bad = run_cli("preview", str(PLANS), "--unit", "khong-co-don-vi", env=env)
    assert bad.returncode == 2 and bad.stderr == "unknown plan or unit: khong-co-don-vi\n"
