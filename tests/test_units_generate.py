"""`commplan units generate`: a province's communes from the official list, as a directory that validates."""

from __future__ import annotations

import subprocess

import pytest
from cli_in_process import run_cli
from conftest import PLANS, REPO

from commplan.plan import load_catalog
from commplan.plan import official_units as official


def run(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return run_cli("units", *args, cwd=cwd)


def test_it_writes_thanh_hoas_communes_under_the_existing_provincial_ubnd(tmp_path):
    out = tmp_path / "thanh-hoa-communes.yaml"
    done = run("generate", "--province", "38", "--parent", "ubnd-thanh-hoa", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Đã ghi 166 đơn vị cấp xã của Thanh Hóa (mã 38) vào {out}."
    catalog, errors = load_catalog([out, PLANS / "units" / "thanh-hoa.yaml"], strict=False)
    assert [str(e) for e in errors] == []
    directory = catalog.directory
    communes = directory.members("ubnd-cap-xa-thanh-hoa")
    assert len(communes) == 166 == len(set(communes))
    units = [directory.units[u] for u in communes]
    assert all(u.parent == "ubnd-thanh-hoa" and directory.province_of(u.id) == "thanh-hoa" for u in units)
    # official codes: the province's, and communes inside its block of the national list
    assert directory.units["ubnd-thanh-hoa"].code == "38"
    by_code = {u.code: u for u in units}
    assert len(by_code) == 166
    assert by_code["14797"].name == "Ủy ban nhân dân phường Hạc Thành"
    assert by_code["14797"].id == "ubnd-p-hac-thanh-thanh-hoa"
    assert by_code["14797"].aliases == ("Phường Hạc Thành",)
    assert by_code["14758"].short == "UBND phường Hàm Rồng"
    assert all(code is not None and len(code) == 5 and "14755" <= code <= "16660" for code in by_code)
    assert all(u.id.isascii() for u in units)
    # the existing directory's units are untouched, and not written again
    assert "- id: ubnd-thanh-hoa\n" not in out.read_text(encoding="utf-8")


def test_it_writes_another_province_with_its_own_ubnd():
    done = run("generate", "--province", "42")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "province: ha-tinh\n" in text and "vietnam-provinces 2025" in text
    assert '- id: ubnd-ha-tinh\n  code: "42"\n  name: Ủy ban nhân dân tỉnh Hà Tĩnh\n' in text
    assert '- id: ubnd-p-thanh-sen-ha-tinh\n  code: "18073"\n' in text


def test_the_output_of_any_province_validates_and_its_ids_are_unique(tmp_path):
    for code in ("01", "42", "80"):  # Hà Nội (a city), Hà Tĩnh, Tây Ninh (two communes with one slug)
        province = official.find_province(code)
        (tmp_path / f"{code}.yaml").write_text(official.directory_for(province), encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    assert [str(e) for e in errors] == []
    assert catalog.directory.units["ubnd-ha-noi"].name == "Ủy ban nhân dân thành phố Hà Nội"
    assert catalog.directory.units["ubnd-ha-noi"].code == "01"
    hoan_kiem = [u for u in catalog.directory.units.values() if u.code == "00070"]
    assert [(u.id, u.province) for u in hoan_kiem] == [("ubnd-p-hoan-kiem-ha-noi", "ha-noi")]
    tay_ninh = official.find_province("80")
    shared = [ident for ident in official.commune_ids(tay_ninh).values() if ident.startswith("ubnd-x-tan-thanh-tay-ninh")]
    assert len(shared) == 2 and all(ident.rsplit("-", 1)[1].isdigit() for ident in shared)


def test_regenerating_keeps_the_contacts_entered_since(tmp_path):
    out = tmp_path / "communes.yaml"
    assert run("generate", "--province", "38", "--parent", "ubnd-thanh-hoa", "-o", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8").replace(
        '  code: "14797"\n',
        '  code: "14797"\n  contacts:\n  - name: Văn phòng\n    email: hac-thanh@example.gov.vn\n  note: Đài truyền thanh phường\n', 1)
    out.write_text(text, encoding="utf-8")
    assert run("generate", "--province", "38", "--parent", "ubnd-thanh-hoa", "-o", str(out)).returncode == 0
    catalog, errors = load_catalog([out, PLANS / "units" / "thanh-hoa.yaml"], strict=False)
    assert errors == []
    unit = catalog.directory.units["ubnd-p-hac-thanh-thanh-hoa"]
    assert unit.contacts[0].email == "hac-thanh@example.gov.vn" and unit.note == "Đài truyền thanh phường"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate", "--province", "99"), "lỗi: không có tỉnh mã '99' trong danh mục; xem `commplan units provinces`"),
        (("generate", "--province", "38", "--parent", "UBND Thanh Hóa"),
         "lỗi: --parent: 'UBND Thanh Hóa' không phải là mã id: chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ ubnd-thanh-hoa)"),
    ],
)
def test_it_refuses_bad_arguments_in_one_line(args, message):
    done = run(*args)
    assert done.returncode == 2 and done.stderr.strip() == message and done.stdout == ""


def test_it_does_not_overwrite_a_file_it_cannot_read(tmp_path):
    out = tmp_path / "broken.yaml"
    out.write_text("units: [unclosed\n", encoding="utf-8")
    done = run("generate", "--province", "38", "-o", str(out))
    assert done.returncode == 1 and done.stderr.startswith(f"lỗi: {out}: dòng ")
    assert out.read_text(encoding="utf-8") == "units: [unclosed\n"


def test_it_lists_the_34_provinces():
    done = run("provinces")
    lines = done.stdout.splitlines()
    assert len(lines) == 34
    assert "38  Thanh Hóa (166 đơn vị cấp xã)" in lines and lines[0].startswith("01  Thành phố Hà Nội")


def test_the_committed_thanh_hoa_directory_is_the_generators_output():
    """plans/units/thanh-hoa-communes.yaml is what the command in its header writes (regenerate on a new list)."""
    committed = (PLANS / "units" / "thanh-hoa-communes.yaml").read_text(encoding="utf-8")
    command = next(line for line in committed.splitlines() if line.startswith("# Tạo bằng lệnh: "))
    assert command == "# Tạo bằng lệnh: commplan units generate --province 38 --parent ubnd-thanh-hoa -o plans/units/thanh-hoa-communes.yaml"
    expected = official.directory_for(official.find_province("38"), parent="ubnd-thanh-hoa",
                                      command=command.removeprefix("# Tạo bằng lệnh: "))
    assert committed == expected


def test_a_missing_output_folder_is_one_line_in_vietnamese(tmp_path):
    out = tmp_path / "no-such-folder" / "communes.yaml"
    done = run("generate", "--province", "38", "-o", str(out))
    assert done.returncode == 1 and done.stderr.strip() == f"lỗi: không ghi được {out}: thư mục không tồn tại"
    assert not out.exists()


def test_the_header_is_in_the_readers_language(monkeypatch):
    # the clerk who opens the file reads its header: Vietnamese by default, English when asked
    province = official.find_province("38")
    monkeypatch.delenv("COMMPLAN_LANG", raising=False)
    lines = official.directory_for(province).splitlines()
    assert lines[0] == "# Danh mục đơn vị cấp xã của Thanh Hóa (mã 38): 166 đơn vị (147 xã, 19 phường),"
    assert lines[3] == "# Tạo bằng lệnh: commplan units generate --province 38"
    monkeypatch.setenv("COMMPLAN_LANG", "en")
    lines = official.directory_for(province).splitlines()
    assert lines[0] == "# Directory of the communes of Thanh Hóa (code 38): 166 units (147 xã, 19 phường),"
    assert lines[3] == "# Written by: commplan units generate --province 38"
