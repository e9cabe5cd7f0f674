"""A document uploaded on the report page, through the real app on SQLite and PostgreSQL: recorded as
evidence from the web, stored once by its SHA-256, served back byte for byte only to the link's holder
and to the users whose scope sees it; and the attacks: oversized, wrong-type and path-traversing
uploads, CSRF, script in a note or a file name.

The multipart bodies are written here byte for byte, as a browser sends them, so that a file name
reaches the server exactly as an attacker would write it."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import tracemalloc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request
from test_calendar_feeds import SECRET
from test_web_auth import csrf, log_in
from two_provinces import PLAIN_PROVINCE_A, PROVINCE_B, add_users, plan_file, synced, web_app

from commplan.ledger import Ledger
from commplan.ledger import tables as t
from commplan.links import report_token
from commplan.web.upload_form import read_form

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=VN)  # a Tuesday: the weekly report is due Thursday 12/03
TODAY = NOW.date()
BOUNDARY = "----commplanTestBoundary7MA4YWxkTrZu0gW"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def plan(ident: str, issuer: str, coordinator: str, lead: str) -> str:
    return plan_file(ident, issuer, coordinator, f"""\
  - id: bao-cao-van-ban
    title: Báo cáo bằng văn bản
    kind: report
    evidence: document
    lead: {lead}
    every: week
    from: 2026-01-05
    until: 2026-06-28
    due: {{weekday: thu, time: "14:00"}}
""", effective="2026-01-01")


class Site:
    """Two provinces, a weekly duty reported by a document in each; a coordinator (the Sở) in each."""

    def __init__(self, url: str, ledger: Ledger, folder: Path):
        self.url, self.ledger, self.folder = url, ledger, folder

    def client(self, **settings: object) -> TestClient:
        return TestClient(web_app(self.url, self.folder, NOW, **settings), raise_server_exceptions=False,
                          follow_redirects=False)

    def occurrence(self, unit: str, day: dt.date = TODAY) -> int:
        [found] = [s.id for s in self.ledger.statuses(as_of=NOW, units=[unit], include_scheduled=True)
                   if s.window_start <= day <= s.window_end and s.unit == unit]
        return found

    def stored_documents(self) -> int:
        with self.ledger.transaction(read_only=True) as connection:
            return connection.execute(select(func.count()).select_from(t.DocumentRow)).scalar_one()

    def files(self) -> set[str]:
        """Every file under the test's folder (the SQLite ledger's data folder), relative to it."""
        return {str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file()}

    def uploads(self) -> set[str]:
        return {name for name in self.files() if name.startswith("uploads/")}


@pytest.fixture
def site(ledger_url, ledger, tmp_path) -> Site:
    synced(ledger, tmp_path, {
        "a.units.yaml": PLAIN_PROVINCE_A, "b.units.yaml": PROVINCE_B,
        "plan-a.yaml": plan("ke-hoach-a", "ubnd-tinh", "so-tttt", "[buu-dien, ubnd-xa-a]"),
        "plan-b.yaml": plan("ke-hoach-b", "ubnd-tinh-lg", "so-tttt-lg", "buu-dien-lg")}, NOW)
    add_users(ledger, {"so-tttt": ("coordinator", "so-tttt"), "so-tttt-lg": ("coordinator", "so-tttt-lg")})
    return Site(ledger_url, ledger, tmp_path)


def link(occurrence: int, unit: str) -> str:
    return f"/bao-cao/{report_token(SECRET, occurrence, unit, issued=NOW)}"


def multipart(fields: dict[str, str], file: tuple[bytes, bytes] | None = None,
              content_type: bytes = b"application/pdf") -> tuple[bytes, dict[str, str]]:
    """A form as a browser encodes it; `file` is (file name as sent, content), in the field `file`."""
    body = b""
    for name, value in fields.items():
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    if file is not None:
        filename, data = file
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".encode() + filename
                 + b"\"\r\nContent-Type: " + content_type + b"\r\n\r\n" + data + b"\r\n")
    body += f"--{BOUNDARY}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload(client: TestClient, path: str, data: bytes, filename: bytes = b"bao-cao.pdf", *,
           content_type: bytes = b"application/pdf", token: str | None = None, **fields: str):
    body, headers = multipart({"csrf_token": csrf(client, path) if token is None else token, **fields},
                              (filename, data), content_type)
    return client.post(path, content=body, headers=headers)


def document_link(page: str) -> str:
    found = re.search(r'<a href="(/bao-cao/[^"]+/tai-lieu/[0-9a-f]{64})" class="document-file"', page)
    assert found, "no document link on the page"
    return found.group(1)


# ---------------------------------------------------------------- the round trip


def test_a_pdf_uploaded_is_recorded_and_served_back_to_the_link_holder_and_the_coordinator(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    sha = hashlib.sha256(PDF).hexdigest()
    with site.client() as client:
        page = client.get(path).text
        assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "tối đa 20 MB" in page
        sent = upload(client, path, PDF, "Báo cáo tuần 10.pdf".encode(), note="Bản ký số", name="Trần Thị B")
        assert sent.status_code == 303 and sent.headers["location"] == f"{path}?gui=moi"
        shown = client.get(sent.headers["location"]).text
        assert "hoàn thành đúng hạn" in shown and "<dd>1/1</dd>" in shown and "Bản ký số" in shown
        href = document_link(shown)
        assert href == f"{path}/tai-lieu/{sha}" and f'{href}" class="document-file" rel="noopener noreferrer nofollow">Báo cáo tuần 10.pdf</a>' in shown
        served = client.get(href)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"] == (
        "attachment; filename=\"Bao cao tuan 10.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20tu%E1%BA%A7n%2010.pdf")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"].startswith("sandbox;")
    assert served.headers["cache-control"] == "private, no-store"
    [item] = site.ledger.evidence(occurrence_id=occurrence)
    assert (item.kind, item.document, item.document_sha256, item.source, item.recorded_by, item.note) == (
        "document", "Báo cáo tuần 10.pdf", sha, "web", "Trần Thị B", "Bản ký số")
    stored = site.ledger.document(sha)
    assert stored is not None and (stored.size, stored.media_type, stored.name) == (len(PDF), "application/pdf", "Báo cáo tuần 10.pdf")
    with site.client() as coordinator:  # the Sở of the unit's province, logged in
        assert log_in(coordinator).status_code == 303
        mine = coordinator.get(f"/tai-lieu/{sha}")
        assert mine.status_code == 200 and mine.content == PDF and mine.headers["cache-control"] == "private, no-store"
        # the occurrence's page on the dashboard links the same document, through the scope-checked address
        page = coordinator.get(f"/ky/{occurrence}").text
        assert f'<a href="/tai-lieu/{sha}" class="document-file" rel="noopener noreferrer nofollow">Báo cáo tuần 10.pdf</a>' in page
    if site.url.startswith("sqlite"):  # the bytes in the data folder, 0600, under their digest only
        assert site.uploads() == {f"uploads/{sha[:2]}/{sha}"}
        assert (site.folder / "uploads" / sha[:2] / sha).stat().st_mode & 0o777 == 0o600
    else:  # in the database, which every worker shares
        assert site.uploads() == set()


def test_no_one_else_gets_the_document_and_cannot_tell_it_exists(site):
    occurrence = site.occurrence("buu-dien")
    sha = hashlib.sha256(PDF).hexdigest()
    with site.client() as client:
        assert upload(client, link(occurrence, "buu-dien"), PDF).status_code == 303
        unknown = hashlib.sha256(b"never uploaded").hexdigest()
        orphan = site.ledger.store_document(PNG, name="x.png").sha256  # stored, evidence of nothing
        others = [link(site.occurrence("ubnd-xa-a"), "ubnd-xa-a"),  # another unit of the same plan
                  link(site.occurrence("buu-dien", TODAY + dt.timedelta(days=7)), "buu-dien"),  # its next week
                  link(site.occurrence("buu-dien-lg"), "buu-dien-lg")]  # another province
        for other in others:
            answers = [client.get(f"{other}/tai-lieu/{digest}") for digest in (sha, unknown, orphan)]
            assert [a.status_code for a in answers] == [404] * 3, other
            assert answers[0].text == answers[1].text.replace(unknown, sha)  # the same page as for nothing
        # a coordinator of another province, logged in
        assert log_in(client, "so-tttt-lg").status_code == 303
        assert [client.get(f"/tai-lieu/{digest}").status_code for digest in (sha, unknown, orphan)] == [404] * 3
    with site.client() as nobody:  # not logged in: the login page, the same for any digest, then back
        answers = [nobody.get(f"/tai-lieu/{digest}") for digest in (sha, unknown)]
        assert [a.status_code for a in answers] == [303, 303] and PDF not in answers[0].content
        assert [a.headers["location"] for a in answers] == [f"/dang-nhap?tiep=/tai-lieu/{d}" for d in (sha, unknown)]
    with site.client() as coordinator:  # the digest is checked before anything: 64 lower-case hex digits
        assert log_in(coordinator).status_code == 303
        assert coordinator.get(f"/tai-lieu/{orphan}").status_code == 404  # in its province's ledger, yet no one's evidence
        for bad in (sha.upper(), sha[:-1], sha + "0", "..%2F..%2Fetc%2Fpasswd", f"{sha[:-1]}%00"):
            assert coordinator.get(f"/tai-lieu/{bad}").status_code == 404, bad
            assert coordinator.get(f"{link(occurrence, 'buu-dien')}/tai-lieu/{bad}").status_code == 404, bad


def test_the_same_file_twice_is_stored_once(site):
    mine, theirs = site.occurrence("buu-dien"), site.occurrence("ubnd-xa-a")
    with site.client() as client:
        first = upload(client, link(mine, "buu-dien"), PDF, b"bao-cao.pdf")
        again = upload(client, link(mine, "buu-dien"), PDF, b"ten-khac.pdf")  # the same bytes, another name
        assert (first.headers["location"].endswith("?gui=moi"), again.headers["location"].endswith("?gui=trung")) == (True, True)
        assert upload(client, link(theirs, "ubnd-xa-a"), PDF, b"xa-a.pdf").headers["location"].endswith("?gui=moi")
    assert [i.document for i in site.ledger.evidence(occurrence_id=mine)] == ["bao-cao.pdf"]
    assert [i.document for i in site.ledger.evidence(occurrence_id=theirs)] == ["xa-a.pdf"]
    assert site.stored_documents() == 1
    assert len(site.uploads()) == (1 if site.url.startswith("sqlite") else 0)
    # each unit downloads it under the name it gave, never the other's
    with site.client() as client:
        served = client.get(f"{link(theirs, 'ubnd-xa-a')}/tai-lieu/{hashlib.sha256(PDF).hexdigest()}")
    assert served.status_code == 200 and "xa-a.pdf" in served.headers["content-disposition"]


def test_a_typed_name_goes_with_its_file_and_an_image_is_shown_inline(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        assert upload(client, path, PNG, b"IMG_2041.PNG", content_type=b"image/png",
                      document="Ảnh buổi họp 12/3").status_code == 303
        served = client.get(document_link(client.get(path).text))
    assert served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"] == (
        "inline; filename=\"Anh buoi hop 12-3.png\"; filename*=UTF-8''%E1%BA%A2nh%20bu%E1%BB%95i%20h%E1%BB%8Dp%2012-3.png")
    [item] = site.ledger.evidence(occurrence_id=occurrence)
    assert (item.document, item.document_sha256) == ("Ảnh buổi họp 12/3", hashlib.sha256(PNG).hexdigest())


def test_a_file_and_a_link_together_are_refused(site):
    occurrence = site.occurrence("buu-dien")
    with site.client() as client:
        got = upload(client, link(occurrence, "buu-dien"), PDF, link="https://a.vn/x")
    assert got.status_code == 422 and "Chỉ điền một trong các mục" in got.text
    assert site.ledger.evidence(occurrence_id=occurrence) == [] and site.stored_documents() == 0


# ---------------------------------------------------------------- attacks


def test_an_oversized_upload_is_a_413_page_and_nothing_is_stored(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    before = site.files()
    with site.client(upload_max_mb=1) as client:
        assert "tối đa 1 MB" in client.get(path).text
        too_big = upload(client, path, PDF + b"0" * (1_000_001 - len(PDF)), note="Bản quét 600 dpi")
        assert too_big.status_code == 413
        assert "Tệp lớn hơn 1 MB, mức tối đa trang này nhận: chưa có gì được ghi nhận." in too_big.text
        assert ">Bản quét 600 dpi</textarea>" in too_big.text and 'name="csrf_token"' in too_big.text  # the form kept
        # far past the limit: not even read to its end, still a clear page
        huge = upload(client, path, PDF + b"0" * 6_000_000)
        assert huge.status_code == 413 and "Tệp lớn hơn 1 MB" in huge.text
        assert site.ledger.evidence(occurrence_id=occurrence) == [] and site.stored_documents() == 0
        assert site.files() == before
        # exactly the limit is taken
        assert upload(client, path, PDF + b"0" * (1_000_000 - len(PDF))).status_code == 303
    assert site.stored_documents() == 1


def test_the_reader_never_holds_more_than_the_limit_and_stops_reading_far_past_it():
    """read_form on a 40 MB body with a 1 MB limit: at most the limit + 1 byte of the file is kept
    (measured: the peak of what Python allocated), and the body is not read to its end."""
    limit, chunk = 1_000_000, 64 * 1024
    head, _headers = multipart({"csrf_token": "x"}, (b"big.pdf", b""))
    head = head[: head.rindex(b"\r\n--")]  # up to the file's content
    chunks_sent = 0

    async def receive() -> dict:
        nonlocal chunks_sent
        chunks_sent += 1
        if chunks_sent == 1:
            return {"type": "http.request", "body": head, "more_body": True}
        return {"type": "http.request", "body": b"%PDF" + b"0" * (chunk - 4), "more_body": chunks_sent < 640}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]}
    tracemalloc.start()
    try:
        form = asyncio.run(read_form(Request(scope, receive), file_field="file", max_bytes=limit))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert form.too_large and form.cut and form.fields == {"csrf_token": "x"}
    assert form.upload is None  # cut before the file's end
    assert chunks_sent < 100  # of 640: stopped at twice the largest acceptable body
    assert peak < 2 * limit  # the limit + 1 byte, the chunk in hand, the parser's own


@pytest.mark.parametrize(("data", "filename"), [
    (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, b"bao-cao.pdf"),  # a program renamed .pdf
    (b"<html><script>alert(document.cookie)</script></html>", b"bao-cao.pdf"),  # a page renamed .pdf
    (b"MZ\x90\x00\x03\x00\x00\x00", b"bao-cao.docx"),  # a Windows program
    (b"", b"trong.pdf"),  # empty
])
def test_a_file_of_another_type_is_refused_by_its_content_not_its_name(site, data, filename):
    occurrence = site.occurrence("buu-dien")
    before = site.files()
    with site.client() as client:
        got = upload(client, link(occurrence, "buu-dien"), data, filename, note="Báo cáo tháng")
    assert got.status_code == 422 and "Tệp không được nhận: " in got.text
    assert ("chỉ tải lên được PDF" in got.text) or ("tệp rỗng" in got.text)
    assert ">Báo cáo tháng</textarea>" in got.text and "<script>alert" not in got.text
    assert site.ledger.evidence(occurrence_id=occurrence) == [] and site.stored_documents() == 0
    assert site.files() == before


@pytest.mark.parametrize(("filename", "shown"), [
    (b"../../etc/passwd.pdf", "passwd.pdf"),
    (b"..\\..\\win.ini", "win.ini"),
    (b"C:\\x\\y.pdf", "y.pdf"),
    (b"/tmp/../../root/.ssh/authorized_keys", "authorized_keys"),
    ("bao\x00cao\x1b[31m\u202egpj.pdf".encode(), "baocao[31mgpj.pdf"),  # NUL, escape, right-to-left override
    (b"..", "văn bản tải lên"),
])
def test_a_path_in_the_file_name_is_never_a_path(site, filename, shown):
    occurrence = site.occurrence("buu-dien")
    sha = hashlib.sha256(PDF).hexdigest()
    before = site.files()
    with site.client() as client:
        path = link(occurrence, "buu-dien")
        assert upload(client, path, PDF, filename).status_code == 303
        served = client.get(f"{path}/tai-lieu/{sha}")
    [item] = site.ledger.evidence(occurrence_id=occurrence)
    assert (item.document, item.document_sha256) == (shown, sha)
    assert served.content == PDF and "/" not in served.headers["content-disposition"].split("filename=")[1]
    assert "\\" not in served.headers["content-disposition"] and "\x00" not in served.headers["content-disposition"]
    added = site.files() - before
    assert added == ({f"uploads/{sha[:2]}/{sha}"} if site.url.startswith("sqlite") else set())
    assert not Path("/etc/passwd.pdf").exists() and not (site.folder.parent / "win.ini").exists()


def test_an_upload_without_this_sessions_csrf_token_is_refused_and_nothing_is_stored(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    before = site.files()
    with site.client() as client:
        client.get(path)  # a session, with its own token
        body, headers = multipart({"note": "x"}, (b"a.pdf", PDF))
        assert client.post(path, content=body, headers=headers).status_code == 403  # no token
        forged = upload(client, path, PDF, token="forged")
        assert forged.status_code == 403 and "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này." in forged.text
    assert site.ledger.evidence(occurrence_id=occurrence) == [] and site.stored_documents() == 0
    assert site.files() == before


def test_script_in_a_note_and_a_file_name_is_shown_as_text(site):
    occurrence = site.occurrence("buu-dien")
    path = link(occurrence, "buu-dien")
    with site.client() as client:
        assert upload(client, path, PDF, b"<img src=x onerror=alert(6)>.pdf", note="<script>alert(5)</script>",
                      name="<b>Trần</b>").status_code == 303
        page = client.get(path).text
        served = client.get(document_link(page))
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(6)&gt;.pdf" in page
    assert "&lt;b&gt;Trần&lt;/b&gt;" in page and "<script" not in page and "<img" not in page
    assert served.headers["content-disposition"].startswith('attachment; filename="_img src_x onerror_alert_6_.pdf"')
