"""What counts as one piece of evidence: links normalised, documents by name, limits (pure, no database)."""

from __future__ import annotations

import argparse
import re
import unicodedata

import pytest

from commplan.ledger import EvidenceInput, LedgerError
from commplan.ledger.evidence import KINDS, LIMITS, SOURCES, identity, normal_document, normal_link, normalised


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://stttt.thanhhoa.gov.vn/tin/bao-cao-10", "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"),
        ("  https://stttt.thanhhoa.gov.vn/tin/bao-cao-10/  ", "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"),
        ("HTTPS://STTTT.ThanhHoa.gov.VN/tin/bao-cao-10", "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"),
        ("https://stttt.thanhhoa.gov.vn/tin/bao-cao-10#binh-luan", "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"),
        ("https://stttt.thanhhoa.gov.vn:443/tin/bao-cao-10", "https://stttt.thanhhoa.gov.vn/tin/bao-cao-10"),
        ("http://baothanhhoa.vn:80/", "http://baothanhhoa.vn"),
        ("http://baothanhhoa.vn:8080/a/", "http://baothanhhoa.vn:8080/a"),
        # the path keeps its case (servers may tell /Tin from /tin), the query is kept as typed
        ("https://A.vn/Tin/Bai?id=12&Trang=2#x", "https://a.vn/Tin/Bai?id=12&Trang=2"),
        ("https://[2001:DB8::1]:443/x/", "https://[2001:db8::1]/x"),
        ("https://báothanhhoá.vn/tin-tức/", "https://báothanhhoá.vn/tin-tức"),
    ],
)
def test_links_are_stored_in_one_normal_form(typed, stored):
    assert normal_link(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("javascript:alert(1)", "đường dẫn 'javascript:alert(1)' phải bắt đầu bằng http:// hoặc https://"),
        ("data:text/html;base64,PHNjcmlwdD4=", "phải bắt đầu bằng http:// hoặc https://"),
        ("ftp://ftp.example.vn/bc.pdf", "phải bắt đầu bằng http:// hoặc https://"),
        ("baothanhhoa.vn/tin/1", "đường dẫn 'baothanhhoa.vn/tin/1' phải bắt đầu bằng http:// hoặc https://"),
        ("Báo cáo tháng 10", "có dấu cách hoặc ký tự điều khiển ở giữa"),
        ("https://", "đường dẫn 'https://' thiếu tên miền"),
        ("http:///tin/1", "thiếu tên miền"),
        ("https://a.vn:cong/x", "có số cổng không hợp lệ"),
        ("https://[::1", "đường dẫn 'https://[::1' không đúng dạng địa chỉ web"),
        ("", "đường dẫn trống"),
        ("   \t ", "đường dẫn trống"),
    ],
)
def test_links_that_are_not_web_addresses_are_refused(typed, message):
    with pytest.raises(LedgerError, match=re.escape(message)):
        normal_link(typed)


def test_the_same_page_typed_differently_is_one_item_and_a_different_query_is_another():
    same = ["https://A.vn/tin/1", "https://a.vn/tin/1/", " https://a.vn/tin/1 ", "https://a.vn/tin/1#top",
            "https://a.vn:443/tin/1"]
    assert {identity("link", link, None) for link in same} == {("link", "https://a.vn/tin/1")}
    assert identity("link", "https://a.vn/tin?id=1", None) != identity("link", "https://a.vn/tin?id=2", None)
    assert identity("link", "http://a.vn/tin/1", None) != identity("link", "https://a.vn/tin/1", None)
    # a link stored before links were checked still compares
    assert identity("link", "not a link at all", None) == ("link", "not a link at all")


def test_a_document_counts_once_per_name_whatever_the_spacing_case_or_unicode_form():
    composed = "Báo cáo tháng 10/2021 số 215/BC-STTTT"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert normal_document(f"  {decomposed.replace(' ', '   ')}\n") == composed
    assert identity("document", None, decomposed) == identity("document", None, composed.upper()) \
        == identity("document", None, composed)
    assert identity("document", None, "Báo cáo tháng 11/2021") != identity("document", None, composed)
    assert identity("count", None, None) is None  # counts add up, never "the same"
    assert normal_document(" \t\n ") is None


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (EvidenceInput(kind="link", link="https://a.vn/" + "x" * 2000), "đường dẫn dài 2.013 ký tự, quá giới hạn 2.000 ký tự"),
        (EvidenceInput(kind="document", document="B" * 501), "tên văn bản dài 501 ký tự, quá giới hạn 500 ký tự"),
        (EvidenceInput(kind="count", note="n" * 2001), "ghi chú dài 2.001 ký tự, quá giới hạn 2.000 ký tự"),
        (EvidenceInput(kind="document", document=""), "minh chứng là văn bản cần có tên văn bản"),
        (EvidenceInput(kind="link", link=" "), "đường dẫn trống"),
        (EvidenceInput(kind="count", quantity=100_001), "số lần phải là số nguyên từ 1 đến 100.000, không phải 100001"),
        (EvidenceInput(kind="count", quantity=True), "không phải True"),
        (EvidenceInput(kind="count", source="fax"), "nguồn không hợp lệ 'fax'"),
    ],
)
def test_every_text_has_a_limit_and_blank_items_are_refused(item, message):
    with pytest.raises(LedgerError, match=message):
        normalised(item)


def test_the_limits_are_the_stated_ones_and_a_text_at_the_limit_is_accepted():
    assert {field: size for field, (size, _) in LIMITS.items()} == {
        "link": 2000, "document": 500, "note": 2000, "reason": 1000, "actor": 200, "name": 200, "label": 200}
    at_limit = normalised(EvidenceInput(kind="document", document="B" * 500, note="  " + "n" * 2000 + " "))
    assert at_limit.document is not None and at_limit.note is not None
    assert len(at_limit.document) == 500 and len(at_limit.note) == 2000
    assert normalised(EvidenceInput(kind="count", note="   ")).note is None


def test_every_kind_and_source_has_its_vietnamese_label_and_the_command_line_offers_each_source():
    from commplan.cli import build_parser

    assert set(KINDS) == {"link", "document", "count"}
    assert set(SOURCES) == {"manual", "web", "feed", "import", "api", "zalo", "email"}
    assert all(label and label == label.strip() for label in [*KINDS.values(), *SOURCES.values()])
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    record = commands.choices["record"]
    source = next(a for a in record._actions if a.dest == "source")
    assert tuple(source.choices) == tuple(SOURCES)
