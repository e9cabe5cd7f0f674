"""Triage in a real browser (headless chromium against `commplan serve` with the seed plans, on SQLite and
PostgreSQL): Thanh Hóa's Sở TTTT opens the triage list from the menu (its count), assigns a Zalo reply to the
duty it suggests, dismisses a feed article with a reason, then withdraws on the overview an article the feed
reader recorded by itself, with a reason. No JavaScript: plain forms, each a redirect back with what was done."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from browser import DESKTOP, PHONE, foreign_requests, screenshot, use_size, wait_for_next_page
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from commplan.ledger import EvidenceInput, Ledger
from commplan.ledger.triage import TriageInput

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium

LOGIN, UNIT, PROVINCE = "sotttt-thanh-hoa", "so-tttt-thanh-hoa", "thanh-hoa"
PASSWORD = "Sông-Mã-chảy-về-biển-2026!"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def click_and_wait(browser, button: WebElement) -> None:
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    wait_for_next_page(browser, page)


def prepared(database_url: str) -> dict[str, int]:
    """An account for the Sở; two items waiting for units of its province; an article recorded by the feed."""
    since = dt.datetime.now(VIETNAM).date() - dt.timedelta(days=300)
    now = dt.datetime.now(dt.UTC)
    with Ledger(database_url) as ledger:
        if ledger.user(LOGIN) is None:
            ledger.add_user(LOGIN, PASSWORD, role="coordinator", unit=UNIT, display_name="Phòng TTBCXB")
        rows, _total = ledger.overdue_page(province=PROVINCE, due_from=since)
        first, second, third = [r for r in rows if r.holders == (r.unit,)][:3]
        reply = ledger.add_triage(TriageInput(
            source="zalo", external_id="browser-zalo-1", received_at=now - dt.timedelta(hours=3), why="ambiguous",
            unit_id=first.unit, sender="zalo-user-42", link="https://thanhhoa.gov.vn/tin/bai-tuan-nay",
            text="Đơn vị đã đăng bài <b>tuần này</b> ạ", candidates=(first.id,),
            match_reason=json.dumps({"via": "zalo", "reply_to_delivery": 7})), now=now)
        article = ledger.add_triage(TriageInput(
            source="feed", external_id="https://baothanhhoa.vn/quang-cao", received_at=now - dt.timedelta(hours=5),
            why="no-open-duty", unit_id=second.unit, sender="https://baothanhhoa.vn/rss", text="Khuyến mại cuối năm",
            link="https://baothanhhoa.vn/quang-cao",
            match_reason=json.dumps({"keyword": "chuyển đổi số", "via": "own-feed", "source": second.unit})), now=now)
        recorded = ledger.record_evidence(
            f"{third.plan}/{third.obligation}", third.unit, EvidenceInput(
                kind="link", link="https://baothanhhoa.vn/bai-khac-chu-de", note="Bài về chủ đề khác", source="feed",
                match_reason=json.dumps({"keyword": "chuyển đổi số", "via": "own-feed", "source": third.unit,
                                         "feed": "https://baothanhhoa.vn/rss"}, ensure_ascii=False)),
            occurrence_id=third.id, actor="feed", now=now - dt.timedelta(hours=1))
    assert reply is not None and article is not None and recorded.evidence_id is not None
    return {"reply": reply, "article": article, "duty": first.id, "evidence": recorded.evidence_id,
            "evidence_duty": third.id}


def test_a_coordinator_assigns_one_item_dismisses_another_and_withdraws_what_the_feed_recorded(web_server, browser):
    made = prepared(web_server.database_url)
    sqlite = web_server.database_url.startswith("sqlite")
    use_size(browser, DESKTOP)
    browser.get(web_server.url("/hang-cho"))
    browser.find_element(By.ID, "login").send_keys(LOGIN)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.report button[type=submit]"))
    assert browser.current_url == web_server.url("/hang-cho")
    assert browser.find_element(By.CSS_SELECTOR, "a.nav-triage .count-badge").text == "2"
    item = browser.find_element(By.ID, f"muc-{made['reply']}")
    assert "Đơn vị đã đăng bài <b>tuần này</b> ạ" in item.text  # shown as text, never as markup
    assert item.find_element(By.CSS_SELECTOR, ".badge-zalo").text == "trả lời qua Zalo"
    assert foreign_requests(browser, web_server.base) == []
    if sqlite:
        screenshot(browser, "triage-desktop")
        use_size(browser, PHONE)
        browser.get(web_server.url("/hang-cho"))
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        screenshot(browser, "triage-phone")
        use_size(browser, DESKTOP)
        browser.get(web_server.url("/hang-cho"))

    # the Zalo reply goes to the duty it suggests
    Select(browser.find_element(By.ID, f"ky-{made['reply']}")).select_by_value(str(made["duty"]))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/hang-cho/{made['reply']}/gan'] button"))
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith(f"Đã gán mục #{made['reply']}: minh chứng #")
    assert not browser.find_elements(By.ID, f"muc-{made['reply']}")

    # the advertisement is dismissed, with its reason
    browser.find_element(By.ID, f"ly-do-{made['article']}").send_keys("Tin quảng cáo, không phải bài tuyên truyền")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"form[action='/hang-cho/{made['article']}/bo-qua'] button"))
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text == (
        f"Đã bỏ qua mục #{made['article']} (lý do: Tin quảng cáo, không phải bài tuyên truyền).")
    assert not browser.find_elements(By.CSS_SELECTOR, "article.triage-item")
    assert not browser.find_elements(By.CSS_SELECTOR, "a.nav-triage .count-badge")

    # on the overview, what the feed recorded by itself, withdrawn in one click with a reason
    browser.get(web_server.url("/tong-quan"))
    entry = browser.find_element(By.ID, f"minh-chung-{made['evidence']}")
    assert entry.find_element(By.CSS_SELECTOR, ".badge-feed").text == "nguồn tin"
    assert "từ khóa «chuyển đổi số» trên nguồn tin của đơn vị" in entry.text
    if sqlite:
        browser.execute_script("document.getElementById('tu-ghi-nhan').scrollIntoView()")
        screenshot(browser, "overview-recorded-desktop", full_page=False)
    entry.find_element(By.ID, f"rut-{made['evidence']}").send_keys("Bài về chủ đề khác, không phải chuyển đổi số")
    click_and_wait(browser, entry.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.current_url == web_server.url("/tong-quan?xong=rut#tu-ghi-nhan")
    assert browser.find_element(By.CSS_SELECTOR, "[role=status]").text.startswith("Đã thu hồi minh chứng")
    struck = browser.find_element(By.ID, f"minh-chung-{made['evidence']}")
    assert "Bài về chủ đề khác, không phải chuyển đổi số" in struck.text and not struck.find_elements(By.TAG_NAME, "form")

    with Ledger(web_server.database_url) as ledger:
        assigned, dismissed = ledger.triage_item(made["reply"]), ledger.triage_item(made["article"])
        withdrawn = ledger.evidence_item(made["evidence"])
        evidence = ledger.evidence_item(assigned.evidence_id) if assigned and assigned.evidence_id else None
    assert assigned is not None and assigned.outcome == "assigned" and dismissed is not None and dismissed.outcome == "dismissed"
    assert evidence is not None and (evidence.occurrence_id, evidence.source) == (made["duty"], "zalo")
    assert withdrawn is not None and withdrawn.withdraw_reason == "Bài về chủ đề khác, không phải chuyển đổi số"
