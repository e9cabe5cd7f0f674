"""Feed items: link normalisation, folding, phrase matching, and who an item credits (intake.matching)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import pytest
from conftest import UNITS_YAML, plan_yaml

from commplan.intake.items import FeedItem, normalise_link
from commplan.intake.matching import Credit, Matcher, credits, find_phrase, fold, words
from commplan.plan import load_catalog

NFD = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731


# ---------------------------------------------------------------- links

@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("HTTPS://Tin.Example.VN:443/Tin-Tuc/Bai-1.html", "https://tin.example.vn/Tin-Tuc/Bai-1.html"),
        ("http://tin.example.vn:80/a/", "http://tin.example.vn/a/"),
        ("http://tin.example.vn:8080/a", "http://tin.example.vn:8080/a"),
        ("https://tin.example.vn/a?id=3&utm_source=zalo&UTM_Medium=share#binh-luan", "https://tin.example.vn/a?id=3"),
        ("https://tin.example.vn/a?fbclid=IwAR0&gclid=x", "https://tin.example.vn/a"),
        ("https://tin.example.vn/a?b=2&a=1", "https://tin.example.vn/a?b=2&a=1"),  # order kept: a site may care
        ("https://tin.example.vn/a", "https://tin.example.vn/a"),  # no trailing slash added
        ("  https://tin.example.vn/a/  ", "https://tin.example.vn/a/"),
        ("/tin-tuc/a.html", "/tin-tuc/a.html"),  # not absolute: as written
    ],
)
def test_it_normalises_a_link(link, expected):
    assert normalise_link(link) == expected


# ---------------------------------------------------------------- folding and phrases

def test_nfc_and_nfd_fold_alike_with_đ_as_d_and_punctuation_as_spaces():
    text = "Chuyển đổi SỐ: Đồng-bộ,  hoà hợp!"
    assert fold(text) == fold(NFD(text)) == "chuyen doi so dong bo hoa hop"
    assert fold("ĐĂNG KÝ") == fold("dang ky") == "dang ky"
    assert fold("thuỷ sản") == fold("thủy sản") == "thuy san"


def _found(keyword: str, text: str) -> bool:
    return find_phrase(words(keyword), words(text)) is not None


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("chuyển đổi số", "Đẩy mạnh CHUYỂN ĐỔI SỐ trong nông nghiệp", True),
        ("chuyển đổi số", NFD("Đẩy mạnh chuyển đổi số"), True),  # the text in NFD
        (NFD("chuyển đổi số"), "Đẩy mạnh chuyển đổi số", True),  # the keyword in NFD
        ("chuyển đổi số", "Chuyen doi so nong nghiep", True),  # an unaccented title
        ("chuyen doi so", "Chuyển đổi số nông nghiệp", True),  # an unaccented keyword
        ("chuyển đổi số", "Hội thảo \"Chuyển-đổi-số\"", True),  # punctuation between the words
        ("số", "Số ca sốt xuất huyết", True),  # the word itself
        ("số", "sốt xuất huyết", False),  # never inside another word
        ("chuyển đổi số", "Chuyển đổi sổ đỏ", False),  # the same letters, another tone mark
        ("quả cam", "Hành động quả cảm", False),  # an unmarked word against a marked one
        ("quả cam", "Qua cam Ha Tinh", True),  # the text has no accent at all
        ("hòa hợp", "hoà hợp", True),  # old and new tone placement
        ("sàn thương mại điện tử", "Sàn nhà gỗ và thương mại đồ gỗ", False),  # the words apart
        ("OCOP", "sản phẩm OCOP 3 sao", True),
        ("OCOP", "OCOPs", False),
        ("Postmart", "Postmart.vn", True),
        ("06-NQ/TU", "Nghị quyết số 06-NQ/TU ngày 10/11/2021", True),
        ("06-NQ/TU", "Nghị quyết số 16-NQ/TU", False),
    ],
)
def test_phrases_match_whole_words_with_accents_compared_when_both_have_them(keyword, text, found):
    assert _found(keyword, text) is found


# ---------------------------------------------------------------- credits

UNITS = UNITS_YAML.replace(
    "    name: Bưu điện tỉnh Thử Nghiệm\n",
    "    name: Bưu điện tỉnh Thử Nghiệm\n    short: Bưu điện tỉnh\n    feeds: [\"https://buudien.example.vn/rss\"]\n",
).replace(
    "    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n",
    "    name: Chi nhánh Viettel Post tỉnh Thử Nghiệm\n    aliases: [Bưu chính Viettel]\n"
    "    feeds: [{url: \"https://viettel.example.vn/rss\", section: /tinh/}]\n",
).replace(
    "    name: UBND tỉnh Thử Nghiệm\n",
    "    name: UBND tỉnh Thử Nghiệm\n    feeds: [\"https://tinh.example.vn/rss\"]\n",
).replace(
    "    name: UBND huyện A\n",
    "    name: UBND huyện A\n    feeds: [\"https://huyen-a.example.vn/rss\"]\n",
)
OBLIGATIONS = """
- id: tin-san
  title: Tin về sàn TMĐT trên cổng tỉnh
  lead: [buu-dien, viettel-post]
  every: month
  match:
    keywords: [sàn thương mại điện tử, postmart]
    watch: [ubnd-tinh, buu-dien, viettel-post]
- id: tin-rieng
  title: Tin trên trang riêng
  lead: buu-dien
  every: month
  match: [dịch vụ công]
- id: tin-muc
  title: Tin trong một mục của cổng tỉnh
  lead: buu-dien
  every: month
  match: {keywords: [bưu chính công ích], watch: [ubnd-tinh], url_prefix: "https://tinh.example.vn/buu-chinh/"}
- id: khong-doc
  title: Không đọc nguồn tin
  lead: buu-dien
  every: month
"""


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "units.yaml").write_text(UNITS, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    return catalog


def item(feed: str, title: str, summary: str = "", link: str | None = None) -> FeedItem:
    return FeedItem(feed_url=feed, link=normalise_link(link or feed.replace("/rss", "/tin-tuc/bai-1.html")),
                    title=title, summary=summary, published=dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC))


PORTAL, POST, VIETTEL, DISTRICT = ("https://tinh.example.vn/rss", "https://buudien.example.vn/rss",
                                  "https://viettel.example.vn/rss", "https://huyen-a.example.vn/rss")


def _given(found: list[Credit]) -> set[tuple[str, str, str]]:
    return {(c.obligation_id, c.holder, c.via) for c in found}


def test_the_holders_own_feed_credits_it_and_says_why(catalog):
    found = credits(item(POST, "Đưa nông sản lên sàn Postmart"), "buu-dien", catalog)
    assert _given(found) == {("tin-san", "buu-dien", "own-feed")}
    assert found[0].plan_id == "ke-hoach-thu"
    assert json.loads(found[0].reason) == {"keyword": "postmart", "via": "own-feed", "source": "buu-dien", "feed": POST}


def test_a_watched_feed_credits_the_holders_the_item_names(catalog):
    found = credits(item(PORTAL, "Bưu điện tỉnh và Bưu chính Viettel hỗ trợ nông dân",
                         "Hướng dẫn bán hàng trên sàn thương mại điện tử."), "ubnd-tinh", catalog)
    assert _given(found) == {("tin-san", "buu-dien", "named"), ("tin-san", "viettel-post", "named")}
    assert {c.holder: json.loads(c.reason)["name"] for c in found} == {"buu-dien": "Bưu điện tỉnh",
                                                                       "viettel-post": "Bưu chính Viettel"}


def test_a_watched_feed_that_names_no_holder_credits_nobody(catalog):
    assert credits(item(PORTAL, "Tập huấn bán hàng trên sàn thương mại điện tử"), "ubnd-tinh", catalog) == []


def test_the_same_kind_of_unit_elsewhere_is_not_the_holder(catalog):
    assert credits(item(PORTAL, "Bưu điện tỉnh Nghệ An đưa nông sản lên Postmart"), "ubnd-tinh", catalog) == []
    # punctuation ends the name: "Bưu điện tỉnh, Chi nhánh …" names the holder
    found = credits(item(PORTAL, "Bưu điện tỉnh, Chi nhánh Viettel đưa nông sản lên Postmart"), "ubnd-tinh", catalog)
    assert _given(found) == {("tin-san", "buu-dien", "named")}


def test_a_feed_not_watched_credits_nobody_even_when_it_names_the_holder(catalog):
    assert credits(item(DISTRICT, "Bưu điện tỉnh đưa nông sản lên Postmart"), "ubnd-huyen-a", catalog) == []


def test_without_watch_only_the_holders_own_feeds_count(catalog):
    assert _given(credits(item(POST, "Dịch vụ công trực tuyến tại bưu cục"), "buu-dien", catalog)) == {
        ("tin-rieng", "buu-dien", "own-feed")}
    assert credits(item(PORTAL, "Bưu điện tỉnh nhận hồ sơ dịch vụ công"), "ubnd-tinh", catalog) == []


def test_another_topic_on_the_holders_own_feed_credits_nothing(catalog):
    assert credits(item(POST, "Chi trả lương hưu tháng 3"), "buu-dien", catalog) == []


def test_url_prefix_and_section_bound_the_links(catalog):
    inside = item(PORTAL, "Bưu điện tỉnh: bưu chính công ích", link="https://tinh.example.vn/buu-chinh/a.html?utm_source=x")
    outside = item(PORTAL, "Bưu điện tỉnh: bưu chính công ích", link="https://tinh.example.vn/tin-tuc/a.html")
    assert _given(credits(inside, "ubnd-tinh", catalog)) == {("tin-muc", "buu-dien", "named")}
    assert credits(outside, "ubnd-tinh", catalog) == []
    in_section = item(VIETTEL, "Voso và sàn thương mại điện tử", link="https://viettel.example.vn/tinh/a.html")
    off_section = item(VIETTEL, "Voso và sàn thương mại điện tử", link="https://viettel.example.vn/toan-quoc/a.html")
    assert _given(credits(in_section, "viettel-post", catalog)) == {("tin-san", "viettel-post", "own-feed")}
    assert credits(off_section, "viettel-post", catalog) == []


def test_a_unit_that_does_not_own_the_feed_is_not_its_source(catalog):
    assert credits(item(POST, "Đưa nông sản lên sàn Postmart"), "viettel-post", catalog) == []
    assert credits(item(POST, "Đưa nông sản lên sàn Postmart"), "no-such-unit", catalog) == []


def test_the_matcher_finds_the_feeds_owners(catalog):
    matcher = Matcher(catalog)
    post = item(POST, "Đưa nông sản lên sàn Postmart")
    assert matcher.owners(post) == ("buu-dien",)
    assert _given(matcher.credits_for(post)) == {("tin-san", "buu-dien", "own-feed")}
    assert matcher.owners(item("https://nobody.example.vn/rss", "Postmart")) == ()


def test_nfd_text_credits_as_nfc_does(catalog):
    nfc = item(PORTAL, "Bưu điện tỉnh đưa nông sản lên sàn thương mại điện tử")
    nfd = item(PORTAL, NFD(nfc.title))
    assert _given(credits(nfd, "ubnd-tinh", catalog)) == _given(credits(nfc, "ubnd-tinh", catalog)) == {
        ("tin-san", "buu-dien", "named")}


def test_the_successor_on_the_publication_day_is_credited(tmp_path):
    units = UNITS.replace("    name: Bưu điện tỉnh Thử Nghiệm\n",
                          "    name: Bưu điện tỉnh Thử Nghiệm\n    succeeded_by: {unit: viettel-post, from: 2026-03-01}\n")
    (tmp_path / "units.yaml").write_text(units, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml(OBLIGATIONS), encoding="utf-8")
    catalog, _ = load_catalog([tmp_path], strict=True)
    # published 10/3/2026, after the succession: both leads' shares are Viettel Post's, credited once
    found = credits(item(PORTAL, "Bưu chính Viettel đưa nông sản lên Postmart"), "ubnd-tinh", catalog)
    assert _given(found) == {("tin-san", "viettel-post", "named")}


def test_a_holders_feed_never_credits_another_holder_it_names(catalog):
    found = credits(item(POST, "Bưu chính Viettel cùng Bưu điện tỉnh đưa nông sản lên Postmart"), "buu-dien", catalog)
    assert _given(found) == {("tin-san", "buu-dien", "own-feed")}


def test_an_upper_case_name_or_a_locality_after_the_name_is_another_unit(catalog):
    assert credits(item(PORTAL, "BƯU ĐIỆN TỈNH NGHỆ AN ĐƯA NÔNG SẢN LÊN POSTMART"), "ubnd-tinh", catalog) == []
    assert credits(item(PORTAL, "Bưu chính Viettel tỉnh Nghệ An đưa nông sản lên Postmart"), "ubnd-tinh", catalog) == []
    # "tỉnh" before a common word is no name (the own province's name: the labelled set's i214)
    common = item(PORTAL, "Bưu chính Viettel tỉnh nhà đưa nông sản lên Postmart")
    assert _given(credits(common, "ubnd-tinh", catalog)) == {("tin-san", "viettel-post", "named")}
