"""The web app in a real browser (headless chromium, tests/browser.py) against `commplan serve`:
/healthz, the Vietnamese error page (on a phone too), and the CSP that keeps any script out."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from browser import PHONE, console_messages, fetch, foreign_requests, png_size, reset, screenshot, use_size
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.server  # a `commplan serve` process and a chromium

# Run in the page by WebDriver (which the CSP does not govern): it adds what a stored XSS would, an
# inline <script>, an <img onerror=...> handler and an inline <style>; returns what took effect and
# what the CSP refused. (eval is not probed: called from WebDriver's own code, no CSP applies to it.)
PROBE = """
const done = arguments[arguments.length - 1];
const refused = [];
document.addEventListener("securitypolicyviolation", e => refused.push(e.violatedDirective));
window.__inline_ran = false;
const script = document.createElement("script");
script.textContent = "window.__inline_ran = true;";
document.body.appendChild(script);
const style = document.createElement("style");
style.textContent = "body { margin-left: 77px !important; }";
document.head.appendChild(style);
window.__handler_ran = false;
const holder = document.createElement("div");
holder.innerHTML = '<img src="/no-such-image.png" onerror="window.__handler_ran = true">';
document.body.appendChild(holder);
// the image fails and the violation events are dispatched later: collect after a moment
setTimeout(() => done({inline: window.__inline_ran, handler: window.__handler_ran, refused: refused.sort(),
                       margin: getComputedStyle(document.body).marginLeft}), 300);
"""


def probe(browser) -> dict:
    return browser.execute_async_script(PROBE)


def test_healthz_in_the_browser(web_server, browser):
    browser.get(web_server.url("/healthz"))
    health = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert health["status"] == "ok" and health["ledger"] is True and health["migration"] == health["head"]


def test_a_missing_page_is_the_vietnamese_error_page_without_script(web_server, browser):
    reply = fetch(web_server.url("/khong-co"))
    assert reply.status == 404 and reply.headers["content-type"].startswith("text/html")
    browser.get(web_server.url("/khong-co"))
    assert browser.title == "Không tìm thấy trang · commplan"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Không tìm thấy trang"
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Lỗi 404" in text and "Địa chỉ có thể bị gõ sai, hoặc trang không còn tồn tại." in text
    assert "Địa chỉ: /khong-co" in text
    home = browser.find_element(By.LINK_TEXT, "Về trang chủ")
    assert home.get_attribute("href") == web_server.url("/")
    assert browser.find_elements(By.TAG_NAME, "script") == []
    # the stylesheet loaded (the CSP allows our own): the button is styled, not a bare link
    assert home.value_of_css_property("min-height") == "44px"
    assert foreign_requests(browser, web_server.base) == []
    # the console tells only of the 404s themselves (the page's and the favicon's), nothing refused
    expected = {web_server.url("/khong-co"), web_server.url("/favicon.ico")}
    assert [m for m in console_messages(browser) if m.split(" - ")[0] not in expected or "404" not in m] == []


def test_a_script_in_the_address_is_shown_as_text(web_server, browser):
    path = "/<script>window.__xss=1</script>"
    browser.get(web_server.url(urllib.parse.quote(path)))
    assert browser.find_element(By.TAG_NAME, "code").text == path
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.execute_script("return window.__xss === undefined")


def test_the_csp_refuses_inline_script_handlers_and_style(web_server, browser):
    browser.get(web_server.url("/khong-co"))
    console_messages(browser)
    got = probe(browser)
    assert got == {"inline": False, "handler": False, "margin": "0px",
                   "refused": ["script-src-attr", "script-src-elem", "style-src-elem"]}
    refusals = [m for m in console_messages(browser) if "Content Security Policy" in m]
    # chromium's words: "Executing inline script violates ... The action has been blocked."
    assert len(refusals) == 3 and all("blocked" in m for m in refusals), refusals
    assert any("inline script" in m for m in refusals) and any("inline event handler" in m for m in refusals), refusals


def test_the_same_probe_runs_where_no_csp_forbids_it(browser):
    """The probe can see script run: without the header all three take effect."""
    browser.get("data:text/html,<!doctype html><title>t</title><body></body>")
    assert probe(browser) == {"inline": True, "handler": True, "refused": [], "margin": "77px"}


def test_the_error_page_fits_a_phone(web_server, browser):
    use_size(browser, PHONE)
    browser.get(web_server.url("/khong-co"))
    width = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert width == [PHONE[0], PHONE[0]]  # the viewport meta is honoured and nothing overflows sideways
    assert browser.find_element(By.TAG_NAME, "body").value_of_css_property("font-size") == "16px"
    button = browser.find_element(By.LINK_TEXT, "Về trang chủ")
    assert button.size["height"] >= 44  # a finger-sized target
    shot = screenshot(browser, "error-404-phone")
    assert png_size(shot)[0] == PHONE[0]


def test_screenshots_show_the_whole_page_at_the_size_asked(browser, tmp_path, monkeypatch):
    import browser as harness

    monkeypatch.setattr(harness, "SCREENSHOTS", tmp_path)
    browser.get("data:text/html,<!doctype html><meta name='viewport' content='width=device-width'>"
                "<body style='margin:0'><div style='height:2500px'>long</div></body>")
    assert png_size(screenshot(browser, "long")) == (1280, 2500)
    assert png_size(screenshot(browser, "top", full_page=False)) == (1280, 900)
    use_size(browser, PHONE)
    assert png_size(screenshot(browser, "phone")) == (360, 2500)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.png", "phone.png", "top.png"]


def test_selenium_manager_is_never_asked_for_a_driver(monkeypatch):
    """Were the driver's path ever left out, starting fails here instead of downloading one."""
    from browser import no_selenium_manager
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchDriverException

    monkeypatch.setenv("PATH", "")  # no chromedriver to find by name either
    monkeypatch.delenv("SE_CHROMEDRIVER", raising=False)
    no_selenium_manager()
    with pytest.raises(NoSuchDriverException) as failed:
        webdriver.Chrome(options=webdriver.ChromeOptions())
    assert "SE_MANAGER_PATH does not point to a file" in str(failed.value.__cause__)


def test_each_test_gets_a_browser_without_the_last_ones_cookies(web_server, browser):
    browser.get(web_server.url("/healthz"))
    browser.add_cookie({"name": "left", "value": "behind"})
    browser.get("about:blank")  # the next test may start anywhere
    reset(browser)
    browser.get(web_server.url("/healthz"))
    assert browser.get_cookies() == []


def test_the_server_logged_no_traceback(web_server):
    """Last in the module: whatever the pages above met, the server wrote no traceback."""
    assert "Traceback" not in web_server.log()
