"""`commplan backup` / `restore` (SQLite's online backup, PostgreSQL's pg_dump/pg_restore) and
`commplan contact export|erase` (Decree 13/2023/NĐ-CP), on real SQLite files and the real PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import UNITS_YAML, postgres_schema, require_postgres
from sqlalchemy import create_engine, inspect, text
from test_outbox import PLAN, Recording, at

from commplan.cli import main
from commplan.ledger import Ledger
from commplan.ledger.backup import pg_connection
from commplan.ledger.engine import current_revision, head_revision, upgrade
from commplan.notify.notifier import Notifier
from commplan.plan import load_catalog
from commplan.settings import get_settings

PHONE, PHONE_WRITTEN, EMAIL, ZALO = "84912000001", "0912 000 001", "bd@example.gov.vn", "8400000001"
CONTACTS = f'''\
  - id: buu-dien
    name: Bưu điện tỉnh Thử Nghiệm
    contacts:
      - {{name: Nguyễn Văn A, email: {EMAIL}, phone: "{PHONE_WRITTEN}"}}
  - id: viettel-post
    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm
    contacts:
      - {{name: Nguyễn Văn A, email: vtp@example.gov.vn, zalo: "{ZALO}", phone: "+84912000001"}}
'''
CONTACT_LINE = UNITS_YAML.split("  - id: buu-dien")[0].count("\n") + 4  # the flow mapping's line
SECOND_LINE = CONTACT_LINE + 4  # the same person, as Viettel Post's Zalo contact


@pytest.fixture
def catalog(write_plan, tmp_path):
    write_plan(PLAN)
    units = UNITS_YAML.replace(
        "  - id: buu-dien\n    name: Bưu điện tỉnh Thử Nghiệm\n  - id: viettel-post\n    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
        CONTACTS)
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    catalog, errors = load_catalog([tmp_path])
    assert not errors
    return catalog


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("COMMPLAN_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def used_ledger(url: str, catalog, clock_at, outbox: Path) -> None:
    """A ledger with occurrences, evidence and two days of reminders sent to the contacts."""
    with Ledger(url) as ledger:
        ledger.sync(catalog, now=at("2022-03-01T08:00"))
        channels = {name: Recording(name, outbox) for name in ("email", "zalo", "sms")}
        for moment in ("2022-03-10T15:00", "2022-03-12T15:00"):
            ledger.queue_reminders(catalog, as_of=clock_at(moment), now=at(moment))
            assert Notifier(ledger, catalog, channels).run(at(moment)).sent == 4
        from commplan.ledger import EvidenceInput

        ledger.record_evidence("bao-cao-tuan", "viettel-post", EvidenceInput(kind="link", link="https://example.vn/bc"),
                               on=at("2022-03-10T09:00"), actor="Trần Thị B")


def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what a round trip must give back."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {name: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                    for name in sorted(inspect(connection).get_table_names())}
    finally:
        engine.dispose()


def dump(url: str) -> str:
    """The whole database as text, to grep for an address."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return "\n".join(connection.iterdump())
    dbname, env, schema = pg_connection(url)
    return subprocess.run(["pg_dump", *dbname, f"--schema={schema}"], env=env, capture_output=True, text=True,
                          check=True).stdout


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- SQLite backup and restore


def test_sqlite_backup_then_restore_gives_every_row_back(tmp_path, catalog, clock_at, data_dir, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    used_ledger(url, catalog, clock_at, data_dir / "outbox.jsonl")
    before = rows(url)
    assert before["delivery"] and before["evidence"] and before["audit_log"]
    backup = tmp_path / "backups" / "commplan-2022-03-12.sqlite3"
    backup.parent.mkdir()

    code, out, err = run(capsys, "backup", str(backup), "--database", url)
    assert code == 0, err
    assert f"Đã sao lưu sổ theo dõi vào {backup}" in out and f"lược đồ {head_revision()}" in out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not list(backup.parent.glob(".*.part"))  # the temporary copy was renamed, nothing left over

    restored = f"sqlite:///{tmp_path / 'elsewhere' / 'ledger.sqlite3'}"
    code, out, err = run(capsys, "restore", str(backup), "--database", restored)
    assert code == 0, err
    assert out == f"Đã khôi phục sổ theo dõi SQLite {tmp_path / 'elsewhere' / 'ledger.sqlite3'} từ {backup}.\n"
    assert rows(restored) == before


def test_sqlite_backup_refuses_to_overwrite_and_names_a_bad_path(tmp_path, catalog, clock_at, data_dir, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    used_ledger(url, catalog, clock_at, data_dir / "outbox.jsonl")
    backup = tmp_path / "copy.sqlite3"
    backup.write_text("an older copy")

    code, _out, err = run(capsys, "backup", str(backup), "--database", url)
    assert code == 1 and err == f"lỗi: {backup} đã tồn tại: chọn tên khác, hoặc thêm --force để ghi đè\n"
    assert backup.read_text() == "an older copy"
    assert run(capsys, "backup", str(backup), "--database", url, "--force")[0] == 0
    assert rows(f"sqlite:///{backup}") == rows(url)

    for bad, says in ((tmp_path / "no-such-folder" / "x.sqlite3", "không tồn tại"),
                      (tmp_path, "là một thư mục")):
        code, _out, err = run(capsys, "backup", str(bad), "--database", url)
        assert code == 1 and err.startswith("lỗi: ") and says in err and err.count("\n") == 1, err

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere
        code, _out, err = run(capsys, "backup", str(locked / "x.sqlite3"), "--database", url)
        assert code == 1 and "không có quyền ghi" in err and err.count("\n") == 1


def test_sqlite_restore_refuses_a_used_ledger_and_a_file_that_is_no_backup(tmp_path, catalog, clock_at, data_dir, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    used_ledger(url, catalog, clock_at, data_dir / "outbox.jsonl")
    backup = tmp_path / "copy.sqlite3"
    assert run(capsys, "backup", str(backup), "--database", url)[0] == 0
    with Ledger(url) as ledger:
        ledger.excuse(1, "nghỉ lễ", actor="x")  # work done after the backup
    after = rows(url)

    code, _out, err = run(capsys, "restore", str(backup), "--database", url)
    assert code == 1 and "đã có dữ liệu: thêm --force" in err and err.count("\n") == 1
    assert rows(url) == after  # nothing lost

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello " * 1000)
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for source in (not_a_backup, tmp_path / "missing.sqlite3"):
        code, _out, err = run(capsys, "restore", str(source), "--database", fresh)
        assert code == 1 and err.startswith("lỗi: ") and err.count("\n") == 1, err

    code, _out, err = run(capsys, "restore", str(backup), "--database", url, "--force")
    assert code == 0, err
    assert rows(url) != after and rows(url) == rows(f"sqlite:///{backup}")


def test_an_older_backup_is_upgraded_by_the_normal_open(tmp_path, capsys):
    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old}")
    upgrade(engine, "0009")
    engine.dispose()
    target = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"

    code, out, err = run(capsys, "restore", str(old), "--database", target)
    assert code == 0, err
    assert f"bản sao lưu ở lược đồ 0009, đã nâng lên {head_revision()}" in out
    engine = create_engine(target)
    assert current_revision(engine) == head_revision()
    engine.dispose()


# ---------------------------------------------------------------- PostgreSQL: pg_dump and pg_restore


@pytest.mark.postgres
def test_postgresql_backup_is_pg_dump_and_restores_into_an_emptied_schema(catalog, clock_at, data_dir, tmp_path, capsys):
    require_postgres()
    with postgres_schema() as url:
        used_ledger(url, catalog, clock_at, data_dir / "outbox.jsonl")
        before = rows(url)
        # trust auth takes any password: this one must reach pg_dump through PGPASSWORD, never be printed
        secret_url = url.replace("postgres@", "postgres:pw-Secret-123@")
        backup = tmp_path / "ledger.dump"
        code, out, err = run(capsys, "backup", str(backup), "--database", secret_url)
        assert code == 0, err
        assert "pg_dump" in out and "pw-Secret-123" not in out + err
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert backup.read_bytes().startswith(b"PGDMP")  # the custom format pg_restore reads

        code, out, err = run(capsys, "restore", str(backup), "--database", url)
        assert code == 1 and "đã có dữ liệu" in err

        _, _, schema = pg_connection(url)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        assert rows(url) == {}

        code, out, err = run(capsys, "restore", str(backup), "--database", secret_url)
        assert code == 0, err
        assert rows(url) == before
        assert "pw-Secret-123" not in out + err

        with Ledger(url) as ledger:  # work after the backup, then --force puts the backup's rows back
            ledger.excuse(1, "nghỉ lễ", actor="x")
        assert rows(url) != before
        code, out, err = run(capsys, "restore", str(backup), "--database", url, "--force")
        assert code == 0, err
        assert rows(url) == before


# ---------------------------------------------------------------- contact export and erase


def test_contact_export_finds_the_directory_line_and_every_message_sent(ledger_url, catalog, clock_at, data_dir,
                                                                        tmp_path, capsys):
    used_ledger(ledger_url, catalog, clock_at, data_dir / "outbox.jsonl")
    out_file = tmp_path / "export.json"
    code, out, err = run(capsys, "contact", "export", "--phone", "+84 912 000 001", "--plans", str(tmp_path),
                         "--database", ledger_url, "-o", str(out_file))
    assert code == 0, err
    assert out.startswith("Đã xuất 2 mục danh bạ và 2 tin nhắn")
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    document = json.loads(out_file.read_text(encoding="utf-8"))
    assert document["identity"] == {"kind": "phone", "value": PHONE}
    entry, second = document["directory"]
    assert (entry["file"], entry["line"], entry["unit"]) == (str(tmp_path / "units.yaml"), CONTACT_LINE, "buu-dien")
    assert (second["line"], second["unit"], second["contact"]["zalo"]) == (SECOND_LINE, "viettel-post", ZALO)
    assert entry["contact"]["name"] == "Nguyễn Văn A"
    assert [(d["channel"], d["address"], d["status"]) for d in document["deliveries"]] == [("sms", PHONE, "sent")] * 2
    assert [d["subject"] for d in document["deliveries"]] == [
        "[Nhắc việc] Đến hạn hôm nay: Báo cáo tuần", "[Nhắc việc] Quá hạn 2 ngày: Báo cáo tuần"]
    assert document["deliveries"][0]["sent_at"].endswith("+07:00")

    code, out, err = run(capsys, "contact", "export", "--email", EMAIL.upper(), "--plans", str(tmp_path),
                         "--database", ledger_url)
    assert code == 0, err
    assert [d["channel"] for d in json.loads(out)["deliveries"]] == ["email", "email"]

    code, out, err = run(capsys, "contact", "export", "--phone", "12345", "--database", ledger_url)
    assert code == 1 and err == "lỗi: '12345' không phải số di động Việt Nam\n"
    code, out, err = run(capsys, "contact", "export", "--zalo", ZALO, "--plans", str(tmp_path),
                         "--database", ledger_url, "-o", str(tmp_path / "nowhere" / "x.json"))
    assert code == 1 and err.startswith("lỗi: không ghi được") and err.count("\n") == 1


def test_contact_erase_removes_the_address_everywhere_and_keeps_counts_and_statuses(ledger_url, catalog, clock_at,
                                                                                    data_dir, tmp_path, capsys):
    used_ledger(ledger_url, catalog, clock_at, data_dir / "outbox.jsonl")
    with Ledger(ledger_url) as ledger:
        before = [(d["id"], d["recipient"], d["channel"], d["status"], d["attempts"], d["sent_at"])
                  for d in ledger.deliveries()]
        evidence = ledger.evidence()
        statuses = [(s.id, s.status) for s in ledger.statuses(as_of=at("2022-03-13T00:00"))]
    assert PHONE in dump(ledger_url) and "sms:" + PHONE in dump(ledger_url)  # a Zalo message's fallback

    code, out, err = run(capsys, "contact", "erase", "--phone", PHONE_WRITTEN, "--plans", str(tmp_path),
                         "--reason", "yêu cầu của chủ thể dữ liệu", "--by", "Trần Thị B", "--database", ledger_url)
    assert code == 0, err
    assert "2 tin nhắn nay mang bí danh erased:" in out
    assert f"{tmp_path / 'units.yaml'}:{CONTACT_LINE}  (đơn vị buu-dien, số điện thoại)" in out
    assert f"{tmp_path / 'units.yaml'}:{SECOND_LINE}  (đơn vị viettel-post, số điện thoại)" in out
    assert "Cũng đã thay địa chỉ trong 2 tuyến dự phòng" in out
    assert "outbox.jsonl (bản ghi của kênh thử) còn chứa địa chỉ này ở 2 dòng" in out

    text_dump = dump(ledger_url)
    assert PHONE not in text_dump and "0912000001" not in text_dump
    assert EMAIL in text_dump  # only the phone was asked for
    with Ledger(ledger_url) as ledger:
        assert [(d["id"], d["recipient"], d["channel"], d["status"], d["attempts"], d["sent_at"])
                for d in ledger.deliveries()] == before
        assert ledger.evidence() == evidence  # evidence is never erased
        assert [(s.id, s.status) for s in ledger.statuses(as_of=at("2022-03-13T00:00"))] == statuses
        erased = [d for d in ledger.deliveries() if d["address"].startswith("erased:")]
        assert len(erased) == 2 and {d["body_text"] for d in erased} == {""}
    audit = [line for line in text_dump.splitlines() if "erase-contact" in line]
    assert audit and "Trần Thị B" in audit[0] and "yêu cầu của chủ thể dữ liệu" in audit[0]

    code, out, err = run(capsys, "contact", "export", "--phone", PHONE, "--plans", str(tmp_path),
                         "--database", ledger_url)
    assert code == 0 and json.loads(out)["deliveries"] == []

    code, out, err = run(capsys, "contact", "erase", "--email", EMAIL.upper(), "--plans", str(tmp_path),
                         "--database", ledger_url)
    assert code == 0 and "2 tin nhắn nay mang bí danh" in out, err
    assert EMAIL not in dump(ledger_url)
    with Ledger(ledger_url) as ledger:
        assert len(ledger.deliveries()) == len(before)
        assert {d["subject"] for d in ledger.deliveries() if d["address"].startswith("erased:")} == {
            "[Nhắc việc] Đến hạn hôm nay: Báo cáo tuần", "[Nhắc việc] Quá hạn 2 ngày: Báo cáo tuần"}


def test_without_pg_dump_the_error_gives_the_recipe_and_no_password(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on this PATH
    url = "postgresql+psycopg://clerk:pw-Secret-123@db.example:5433/commplan"
    code, _out, err = run(capsys, "backup", str(tmp_path / "x.dump"), "--database", url)
    assert code == 1 and err.count("\n") == 1 and "pw-Secret-123" not in err
    assert ("pg_dump --format=custom --no-owner --dbname='dbname=commplan host=db.example port=5433 user=clerk' "
            f"--file={tmp_path / 'x.dump'}") in err


def test_a_sqlite_backup_runs_while_another_command_is_writing(tmp_path, catalog, clock_at, data_dir, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    used_ledger(url, catalog, clock_at, data_dir / "outbox.jsonl")
    before = rows(url)
    backup = tmp_path / "online.sqlite3"
    with Ledger(url) as ledger, ledger.transaction() as writing:  # holds SQLite's write lock (BEGIN IMMEDIATE)
        writing.execute(text("UPDATE occurrence SET excuse_reason = 'chưa ghi xong' WHERE id = 1"))
        code, _out, err = run(capsys, "backup", str(backup), "--database", url)
        assert code == 0, err
    assert rows(f"sqlite:///{backup}") == before  # the committed state, not the writer's half
    assert rows(url) != before
