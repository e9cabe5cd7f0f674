"""Uploaded documents in the ledger (SQLite and PostgreSQL): stored once by SHA-256, in the data folder
(0600) on SQLite and in the database on PostgreSQL, only allowed types by their first bytes, a size limit,
and no client-given name ever used as a path."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from commplan.ledger import Ledger
from commplan.ledger import tables as t
from commplan.ledger.documents import UploadRefused
from commplan.ledger.file_types import sniff

NOW = dt.datetime(2022, 3, 20, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(("data", "media_type"), [
    (PDF, "application/pdf"), (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (ODT, "application/vnd.oasis.opendocument.text"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (b"GIF89a" + b"\x00" * 8, "image/gif"), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "application/x-ole-storage"),
    # refused: a page, a script, a program, a plain zip, a zip claiming another type, a broken zip, text
    (b"<html><script>alert(1)</script>", None), (b"#!/bin/sh\nrm -rf /\n", None), (b"MZ\x90\x00", None),
    (zipped({"a.txt": b"x"}), None), (zipped({"mimetype": b"application/x-sh"}), None), (b"PK\x03\x04broken", None),
    (b"Bao cao thang 3", None),
])
def test_the_type_comes_from_the_first_bytes(data, media_type):
    assert sniff(data) == media_type


def test_a_document_is_stored_once_by_its_digest(ledger):
    first = ledger.store_document(PDF, name="Báo cáo tháng 3.pdf", by="Trần Thị B", now=NOW)
    assert (first.sha256, first.size, first.media_type, first.name, first.new) == (
        hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf", "Báo cáo tháng 3.pdf", True)
    again = ledger.store_document(PDF, name="khac.pdf", now=NOW + dt.timedelta(hours=1))
    assert (again.sha256, again.name, again.uploaded_at, again.new) == (first.sha256, "Báo cáo tháng 3.pdf", NOW, False)
    assert ledger.document_content(first.sha256) == PDF
    assert ledger.document(first.sha256) == first.__class__(**{**first.__dict__, "new": False})
    other = ledger.store_document(PNG, name="anh.png", now=NOW)
    assert ledger.document_content(other.sha256) == PNG and other.sha256 != first.sha256


def test_where_the_bytes_live(ledger, ledger_url, tmp_path):
    stored = ledger.store_document(DOCX, name="ke-hoach.docx", now=NOW)
    with ledger.transaction() as connection:
        in_table = connection.execute(select(col(t.DocumentRow.content))).scalar_one()
    folder = tmp_path / "uploads"
    if ledger_url.startswith("sqlite"):  # the data folder, beside the database, readable by its owner only
        path = folder / stored.sha256[:2] / stored.sha256
        assert in_table is None and path.read_bytes() == DOCX
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert [p.name for p in path.parent.iterdir()] == [stored.sha256]  # no temporary file left behind
    else:  # the database: every worker reads what another stored
        assert bytes(in_table) == DOCX and not folder.exists()


def test_another_process_reads_what_one_stored(ledger, ledger_url):
    stored = ledger.store_document(PDF, now=NOW)
    with Ledger(ledger_url) as other:
        assert other.document_content(stored.sha256) == PDF


@pytest.mark.parametrize(("data", "message"), [
    (b"", "tệp rỗng"),
    (b"<script>alert(1)</script>", "chỉ tải lên được PDF"),
    (zipped({"payload.exe": b"MZ"}), "chỉ tải lên được PDF"),
    (PDF + b"\x00" * 2_000, "lớn hơn 0,001 MB"),
])
def test_refused_uploads_store_nothing(ledger, tmp_path, data, message):
    with pytest.raises(UploadRefused, match=message):
        ledger.store_document(data, max_bytes=1_000, now=NOW)
    with ledger.transaction() as connection:
        assert connection.execute(select(col(t.DocumentRow.sha256))).all() == []
    assert not (tmp_path / "uploads").exists()


def test_the_default_limit_is_20_mb_and_configurable(ledger, monkeypatch):
    from commplan.settings import get_settings

    big = PDF + b"\x00" * 20_000_000
    get_settings.cache_clear()
    with pytest.raises(UploadRefused, match="lớn hơn 20 MB"):
        ledger.store_document(big, now=NOW)
    monkeypatch.setenv("COMMPLAN_UPLOAD_MAX_MB", "21")
    get_settings.cache_clear()
    try:
        assert ledger.store_document(big, now=NOW).size == len(big)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("name", ["../../../etc/passwd", "..\\..\\boot.ini", "/abs/path/x.pdf", "..", "a\x00b.pdf"])
def test_a_client_name_is_only_shown_never_a_path(ledger, tmp_path, name):
    stored = ledger.store_document(PDF, name=name, now=NOW)
    assert stored.name is None or ("/" not in stored.name and "\\" not in stored.name and stored.name != "..")
    assert not Path("/etc/passwd.pdf").exists()
    for digest in ("../" + stored.sha256, stored.sha256.upper(), "..", "", stored.sha256 + "/"):
        assert ledger.document(digest) is None and ledger.document_content(digest) is None


def test_writers_of_the_same_bytes_at_once_never_share_a_temporary_file(tmp_path):
    # the ledger writes inside SQLite's write lock today; the file writer is safe without it anyway
    import hashlib
    import threading

    from commplan.ledger.documents import _path, _write_file

    rounds = [b"%PDF-1.7\n" + bytes([n]) * 200_000 for n in range(15)]
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for data in rounds:  # each round: 8 writers of the same new file at the same moment
                start.wait(timeout=30)  # a writer that failed breaks the barrier: the others stop too
                _write_file(tmp_path, hashlib.sha256(data).hexdigest(), data)
        except BaseException as error:  # collected: a thread's exception would be lost
            errors.append(error)
            start.abort()  # the others stop waiting for this one

    threads = [threading.Thread(target=write) for _thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for data in rounds:
        digest = hashlib.sha256(data).hexdigest()
        assert _path(tmp_path, digest).read_bytes() == data
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []  # no temporary left behind


# ---------------------------------------------------------------- evidence that is an uploaded document


def test_evidence_names_a_stored_document_by_its_digest_and_the_same_bytes_count_once(ledger, write_plan):
    from commplan.ledger import EvidenceInput, LedgerError

    ledger.sync(write_plan(
        "\n- id: bao-cao-tuan\n  title: Báo cáo tuần\n  kind: report\n  evidence: document\n  lead: [buu-dien, viettel-post]\n"
        "  every: week\n  from: 2022-03-07\n  until: 2022-04-03\n  due: {weekday: thu, time: \"14:00\"}\n"), now=NOW)
    sha = ledger.store_document(PDF, name="a.pdf", now=NOW).sha256
    first = ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(
        kind="document", document="a.pdf", document_sha256=sha, source="web"), now=NOW)
    again = ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(
        kind="document", document="tên khác.pdf", document_sha256=sha, source="web"), now=NOW)
    assert first.evidence_id is not None and again.duplicate  # the same content, whatever its name
    # another file under the same name is another item
    other = ledger.store_document(PNG, name="a.pdf", now=NOW).sha256
    assert not ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(
        kind="document", document="a.pdf", document_sha256=other), now=NOW).duplicate
    [use] = ledger.document_uses(sha)
    assert (use.occurrence_id, use.plan_id, use.unit_id, use.name, use.withdrawn) == (
        first.occurrence_id, "ke-hoach-thu", "buu-dien", "a.pdf", False)
    assert ledger.document_uses("0" * 64) == [] and ledger.document_uses("../x") == []
    for bad, message in (("0" * 64, "chưa lưu văn bản"), (sha.upper(), "SHA-256"), ("../../etc/passwd", "SHA-256")):
        with pytest.raises(LedgerError, match=message):
            ledger.record_evidence("bao-cao-tuan", "viettel-post", EvidenceInput(
                kind="document", document="x.pdf", document_sha256=bad), now=NOW)
    with pytest.raises(LedgerError, match="SHA-256"):  # only a document names one
        ledger.record_evidence("bao-cao-tuan", "viettel-post", EvidenceInput(
            kind="link", link="https://a.vn/x", document_sha256=sha), now=NOW)
