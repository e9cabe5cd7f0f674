"""The browser tests' harness: Debian's chromium, headless, driven by Selenium through chromium-driver,
against a real `commplan serve` process (uvicorn on a free loopback port, its own data folder, the
seed plans synced into its ledger).

Nothing is downloaded at run time: the driver's path is given to Selenium (so Selenium Manager is
never asked) and SE_MANAGER_PATH names no file, so that any attempt to reach it fails instead of
fetching a browser. `scripts/browser.sh` (run by `scripts/test`) installs both packages when missing.

The fixtures (`web_server`, `browser`) are in conftest.py; a test module that uses them is marked
`server`. Screenshots go to docs/screenshots/ (COMMPLAN_SCREENSHOTS to change it): the README shows
the few that .gitignore lets through, each run refreshes them, the rest stay out of git.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest
from conftest import PLANS, REPO

if TYPE_CHECKING:  # selenium is imported when a browser starts, not by every test run that imports this
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path(os.environ.get("COMMPLAN_CHROMIUM") or "/usr/bin/chromium")
CHROMEDRIVER = Path(os.environ.get("COMMPLAN_CHROMEDRIVER") or "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("COMMPLAN_SCREENSHOTS") or REPO / "docs" / "screenshots")
SECRET = "browser-tests-link-secret-0123456789abcdef"

PHONE = (360, 800)  # a common small Android phone, in CSS pixels
DESKTOP = (1280, 900)

# Chromium's own calls home (updates, sync, field trials): the tests run offline
QUIET = ("--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
         "--disable-dev-shm-usage", "--lang=vi-VN")


# ---------------------------------------------------------------- the browser


def browser_missing() -> str | None:
    """None when chromium and its driver are there, else what is missing."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} missing (scripts/test installs chromium and chromium-driver when it can)"
    return None


def require_browser() -> None:
    """Skip without chromium, but fail under CI, which must run the browser tests."""
    why = browser_missing()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why}: CI must run the browser tests", pytrace=False)
    pytest.skip(f"SKIPPED WITHOUT A BROWSER: {why}")


def no_selenium_manager() -> None:
    """Selenium Manager downloads a driver or a browser when none is given: make any call to it fail."""
    os.environ["SE_MANAGER_PATH"] = str(REPO / "no-selenium-manager")  # no such file
    os.environ["SE_OFFLINE"] = "true"  # and were it run, it would stay offline


def start_browser() -> WebDriver:
    """A headless chromium (a Selenium WebDriver) at the desktop size; `quit()` it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    no_selenium_manager()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.add_argument("--headless=new")
    if os.geteuid() == 0:  # chromium refuses to start as root with its sandbox (containers, CI)
        options.add_argument("--no-sandbox")
    for argument in QUIET:
        options.add_argument(argument)
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for console_messages()
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    use_size(driver, DESKTOP)
    return driver



def wait_for_next_page(driver: WebDriver, page: WebElement, timeout: float = 15) -> None:
    """Wait until `page` (the old document's <html>) is gone after a submit. While Chromium swaps the
    document, asking about the old node can fail with "Node with given id does not belong to the
    document" (a WebDriverException, not a stale reference): that means "not yet", so ask again."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(staleness_of(page))

def use_size(driver: WebDriver, size: tuple[int, int], *, mobile: bool | None = None) -> None:
    """Show pages at `size` CSS pixels. Headless chromium keeps a window at least 500 px wide, so the
    viewport is set through the DevTools protocol; `mobile` (default: narrower than 600 px) makes the
    page's <meta name="viewport"> count as it does on a phone."""
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 if mobile is None else mobile})


def reset(driver: WebDriver) -> None:
    """A clean browser for the next test: no cookies, desktop size, a blank page, an empty console."""
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every site's, not only the open page's
    use_size(driver, DESKTOP)
    driver.get("about:blank")
    console_messages(driver)


def console_messages(driver: WebDriver) -> list[str]:
    """What the console said since the last call (chromium's console, CSP refusals included)."""
    return [entry["message"] for entry in driver.get_log("browser")]


def foreign_requests(driver: WebDriver, base: str) -> list[str]:
    """What the current page loaded from anywhere but `base` (no CDN: everything is served by us)."""
    loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [url for url in loaded if not url.startswith(base + "/")]


def screenshot(driver: WebDriver, name: str, *, full_page: bool = True) -> Path:
    """The page as `name`.png in SCREENSHOTS, at the current size; the whole page's height unless
    `full_page` is false (then only what the viewport shows). A page without <meta name="viewport">
    comes out as a phone lays it out, 980 px wide."""
    parameters: dict[str, Any] = {"format": "png"}
    if full_page:
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        width = driver.execute_script("return window.innerWidth")  # the scrollbar's strip too
        parameters |= {"captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}}
    data = driver.execute_cdp_cmd("Page.captureScreenshot", parameters)["data"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(data))
    return path


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


def fetch(url: str) -> Reply:
    """GET `url` without a browser (the status and headers, which WebDriver does not show)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass
class WebServer:
    """A running `commplan serve`: its address, its ledger and data folder, its log."""

    base: str
    database_url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def url(self, path: str = "/") -> str:
        return self.base + path

    def log(self) -> str:
        """What the server has written so far (uvicorn's and the app's lines)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serve(data_dir: Path, *, database_url: str | None = None, plans: Sequence[Path] = (PLANS,), sync: bool = True,
          workers: int = 1, env: Mapping[str, str] | None = None) -> Iterator[WebServer]:
    """`commplan serve` on a free loopback port with `data_dir` as its data folder (and its SQLite ledger
    unless `database_url`), the `plans` synced into the ledger first; stopped on exit. `env` adds to
    (or, with "", removes from) the environment the server gets."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{data_dir / 'commplan.sqlite3'}"
    if sync:
        from commplan.ledger import Ledger
        from commplan.plan import load_catalog

        catalog, _ = load_catalog(list(plans), strict=True)
        with Ledger(database_url) as ledger:
            ledger.sync(catalog)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "COMMPLAN_DATA_DIR": str(data_dir), "COMMPLAN_LINK_SECRET": SECRET,
                   "COMMPLAN_PUBLIC_URL": base, **(env or {})}
    for name in ("COMMPLAN_LANG", "COMMPLAN_NOW", "COMMPLAN_DATABASE_URL"):  # the developer's shell stays out
        if name not in (env or {}):
            environment.pop(name, None)
    environment = {k: v for k, v in environment.items() if v != ""}
    log_path = data_dir / f"serve-{port}.log"
    log: IO[bytes] = log_path.open("wb")  # a file, not a pipe: a chatty server never blocks on a full pipe
    process = subprocess.Popen(
        [sys.executable, "-m", "commplan", "serve", "--port", str(port), "--workers", str(workers),
         "--plans", *map(str, plans), "--database", database_url],
        cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = WebServer(base, database_url, data_dir, log_path, process)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_healthy(server: WebServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"commplan serve exited with {server.process.returncode}:\n{server.log()}")
        with contextlib.suppress(OSError):
            reply = fetch(server.url("/healthz"))
            if reply.status == 200 and json.loads(reply.body)["status"] == "ok":
                return
        time.sleep(0.1)
    raise RuntimeError(f"commplan serve did not answer /healthz within {timeout:.0f} s:\n{server.log()}")
