"""The ledger's commands as a clerk runs them: sync, status, record, event, excuse (both databases)."""

from __future__ import annotations

import json

import pytest
from cli_in_process import run_cli
from conftest import REPO


@pytest.fixture
def run(ledger_url, tmp_path):
    env = {"COMMPLAN_DATABASE_URL": ledger_url, "COMMPLAN_DATA_DIR": str(tmp_path / "data"), "COMMPLAN_USER": "chuyen-vien"}

    def commplan(*args: str):
        return run_cli(*args, env=env)

    return commplan


def buckets(run, *args) -> dict:
    result = run("status", "--summary", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)["by_plan"]}


def test_sync_then_replay_2021_then_record_moves_buckets(run):
    synced = run("sync", "plans/")
    assert synced.returncode == 0, synced.stderr
    assert "cập nhật 0, xóa 0, mồ côi 0, giữ nguyên 0." in synced.stdout
    assert "chờ sự kiện: thanh-hoa-241-2021/tin-bai-cong-ttdt-thang" in synced.stdout
    again = run("sync", "plans/")
    assert "kỳ thực hiện mới 0, cập nhật 0, xóa 0, mồ côi 0," in again.stdout

    table = run("status", "--as-of", "2021-12-31", "--summary")
    assert table.returncode == 0, table.stderr
    assert "Tình hình thực hiện đến 23:59 31/12/2021" in table.stdout
    assert "Theo kế hoạch" in table.stdout and "Theo đơn vị" in table.stdout

    before = buckets(run, "--as-of", "2021-12-31")["bo-tttt-2980-2021"]
    # the weekly report of Thanh Hóa's Sở TTTT for the week of 6/12/2021, sent on time
    recorded = run("record", "bo-tttt-2980-2021/bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoa",
                   "--on", "2021-12-09T10:00", "--document", "BC tuần 49.docx", "--by", "Nguyễn Văn A")
    assert recorded.returncode == 0, recorded.stderr
    assert "Đã nộp 1/1: hoàn thành đúng hạn." in recorded.stdout
    after = buckets(run, "--as-of", "2021-12-31")["bo-tttt-2980-2021"]
    assert after["done-on-time"] == before["done-on-time"] + 1
    assert after["overdue"] == before["overdue"] - 1
    # as of the day before it was sent, it was still open: the ledger replays history
    replay = buckets(run, "--as-of", "2021-12-08")["bo-tttt-2980-2021"]
    assert replay["done-on-time"] == 0


def test_overdue_listing_filters_and_formats(run):
    assert run("sync", "plans/").returncode == 0
    listing = run("status", "--as-of", "2021-12-31", "--overdue", "--unit", "so-tttt-ha-tinh", "--format", "json")
    rows = json.loads(listing.stdout)
    assert rows and {r["status"] for r in rows} == {"overdue"} and {r["unit"] for r in rows} == {"so-tttt-ha-tinh"}
    assert list(rows[0]) == ["id", "plan", "obligation", "unit", "window_start", "window_end", "due", "at_least",
                             "delivered", "status", "orphaned"]
    table = run("status", "--as-of", "2021-12-31", "--overdue", "--plan", "ha-tinh-cam-ocop-2021")
    assert "quá hạn, chưa hoàn thành" in table.stdout
    csv = run("status", "--as-of", "2021-12-31", "--plan", "ha-tinh-cam-ocop-2021", "--format", "csv")
    assert csv.stdout.splitlines()[0] == "id,plan,obligation,unit,window_start,window_end,due,at_least,delivered,status,orphaned"


def test_event_opens_waiting_obligations_and_excuse_round_trip(run):
    assert run("sync", "plans/").returncode == 0
    event = run("event", "banner-nong-san-viet", "--date", "2021-11-22")
    assert event.returncode == 0, event.stderr
    assert "Đã ghi nhận sự kiện thanh-hoa-241-2021/banner-nong-san-viet ngày 22/11/2021." in event.stdout
    assert "chờ sự kiện" not in event.stdout
    rows = json.loads(run("status", "--as-of", "2021-11-30", "--plan", "thanh-hoa-241-2021", "--unit", "van-phong-ubnd-thanh-hoa",
                          "--format", "json").stdout)
    assert [(r["obligation"], r["window_start"], r["due"]) for r in rows] == [
        ("lap-chuyen-muc-cong-ttdt", "2021-11-22", "2021-11-29T23:59:59+07:00")]
    excused = run("excuse", str(rows[0]["id"]), "--reason", "Chuyên mục đã có từ trước")
    assert excused.returncode == 0 and "Lý do miễn: Chuyên mục đã có từ trước" in excused.stdout
    again = run("excuse", str(rows[0]["id"]), "--reason", "lần hai")
    assert again.returncode == 1 and "kỳ thực hiện #{} đã được miễn (Chuyên mục đã có từ trước)".format(rows[0]["id"]) in again.stderr
    undo = run("excuse", str(rows[0]["id"]), "--undo")
    assert undo.returncode == 0 and "(lý do miễn trước đó: Chuyên mục đã có từ trước)." in undo.stdout


def test_status_of_one_province(run):
    from commplan.plan import load_catalog

    assert run("sync", "plans/").returncode == 0
    directory = load_catalog([REPO / "plans"], strict=False)[0].directory

    def province_of(ident: str) -> set[str | None]:  # a group (a shared duty): its members' provinces
        return {directory.province_of(u) for u in directory.members(ident)}

    listing = run("status", "--as-of", "2021-12-31", "--overdue", "--province", "ha-tinh", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert rows and {r["status"] for r in rows} == {"overdue"}
    assert all("ha-tinh" in province_of(r["unit"]) for r in rows)
    everyone = json.loads(run("status", "--as-of", "2021-12-31", "--overdue", "--format", "json").stdout)
    assert {r["id"] for r in rows} == {r["id"] for r in everyone if "ha-tinh" in province_of(r["unit"])}
    summary = json.loads(run("status", "--as-of", "2021-12-31", "--summary", "--province", "thanh-hoa", "--format", "json").stdout)
    assert summary["by_unit"] and all("thanh-hoa" in province_of(r["id"]) for r in summary["by_unit"])
    wrong = run("status", "--province", "thanh-hoá")
    assert wrong.returncode == 1 and "không có tỉnh, thành phố 'thanh-hoá' (có phải 'thanh-hoa'" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_mistakes_get_clear_errors(run):
    assert run("sync", "plans/").returncode == 0
    wrong = run("record", "bao-cao-tuan-kh1043", "--unit", "so-tttt-thanh-hoa", "--count", "1")
    assert wrong.returncode == 1
    assert "lỗi: không có nhiệm vụ 'bao-cao-tuan-kh1043' (có phải 'bao-cao-tuan-kh1034'" in wrong.stderr
    unit = run("record", "bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoá", "--count", "1")
    assert "lỗi: không có đơn vị 'so-tttt-thanh-hoá' (có phải 'so-tttt-thanh-hoa'" in unit.stderr
    outside = run("record", "bao-cao-tuan-kh1034", "--unit", "so-tttt-thanh-hoa", "--on", "2022-03-01", "--count", "1")
    assert outside.returncode == 1 and "không kỳ nào chứa ngày 01/03/2022; gần nhất là #" in outside.stderr
    both = run("record", "bao-cao-tuan-kh1034", "--unit", "x", "--link", "a", "--count", "2")
    assert both.returncode == 2 and "tham số --count: không dùng cùng với tham số --link" in both.stderr


def test_an_event_with_broken_plans_records_nothing(run, tmp_path):
    assert run("sync", "plans/").returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("commplan: 1\nunits: [\n", encoding="utf-8")
    failed = run("event", "banner-nong-san-viet", "--date", "2021-11-22", "--plans", "plans/", str(broken))
    assert failed.returncode == 1 and "lỗi: kế hoạch có lỗi: chưa ghi nhận sự kiện" in failed.stderr
    listing = run("status", "--as-of", "2021-11-30", "--unit", "van-phong-ubnd-thanh-hoa", "--format", "json")
    assert json.loads(listing.stdout) == []  # still waiting: nothing was recorded


def test_out_of_range_numbers_and_dates_are_usage_errors(run):
    huge = run("excuse", "99999999999999999999", "--reason", "x")
    assert huge.returncode == 2 and "không phải là số nguyên từ 1 trở lên" in huge.stderr
    ancient = run("status", "--as-of", "0001-01-01T01:00")
    assert ancient.returncode == 2 and "năm phải trong khoảng 1900 đến 9000" in ancient.stderr
    missing = run("excuse", "424242", "--reason", "x")
    assert missing.returncode == 1 and "lỗi: không có kỳ thực hiện #424242" in missing.stderr


@pytest.mark.slow  # composes and sends a morning of the seed plans
def test_remind_writes_each_message_once_and_outbox_lists_them(run, tmp_path, ledger_url, monkeypatch, clock_at):
    # file stand-ins are the embedded default's; on a shared PostgreSQL ledger they must be asked for
    monkeypatch.setenv("COMMPLAN_FILE_CHANNELS", "true")
    assert run("sync", "plans/").returncode == 0
    clock_at("2021-12-10T09:00")  # COMMPLAN_NOW: the commands below run as if it were then
    dry = run("remind", "--dry-run")
    assert dry.returncode == 0 and "không ghi và không gửi gì)" in dry.stdout
    assert dry.stdout.startswith("Chạy thử 09:00 ngày 10/12/2021: không ghi, không gửi gì; sẽ gửi ")
    assert "Bưu điện tỉnh" in dry.stdout and "quá hạn" in dry.stdout
    assert not (tmp_path / "data" / "outbox.jsonl").exists()
    sent = run("remind")
    assert sent.returncode == 0, sent.stderr
    count = int(sent.stdout.split("đã lập ")[1].split(" tin nhắn")[0])
    assert count > 0 and f"đã gửi {count}," in sent.stdout
    assert f"sẽ gửi {count} tin:" in dry.stdout  # the dry run showed exactly what went out
    written = (tmp_path / "data" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(written) == count and all('"written_at": "2021-12-10T02:0' in line for line in written)
    again = run("remind", "--as-of", "2021-12-10T09:00")
    assert "Đã xếp 0 bước nhắc việc (0 bước cũ được thay thế); đã lập 0 tin nhắn; đã gửi 0," in again.stdout
    listing = run("outbox")
    assert listing.returncode == 0 and "đã gửi" in listing.stdout and "[Nhắc việc]" in listing.stdout
    assert "Trạng thái" in listing.stdout.splitlines()[0] and " sent " not in listing.stdout
    assert run("outbox", "--failed").stdout.strip() == "Không có tin nhắn lỗi."


def test_a_worker_without_credentials_on_postgresql_takes_nothing(run, ledger_url, tmp_path, clock_at):
    """On a shared PostgreSQL ledger a machine without the secrets must not take real messages off the
    outbox and write them to its own disk: without channels it plans and sends nothing."""
    if not ledger_url.startswith("postgresql"):
        pytest.skip("the SQLite ledger is the embedded default, where the file channels stand in")
    assert run("sync", "plans/").returncode == 0
    clock_at("2021-12-10T09:00")
    sent = run("remind")
    assert sent.returncode == 0 and "đã lập 0 tin nhắn; đã gửi 0," in sent.stdout
    assert not (tmp_path / "data" / "outbox.jsonl").exists()
