"""One headless Chromium driven by Selenium, pointed at a Conclave server, with the page guard
installed (page_guard.py) and helpers to find the console's labelled controls."""

from __future__ import annotations

from typing import Callable

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from .page_guard import GUARD_SCRIPT, POLICY_LOG, read_page_guard

DESKTOP = (1280, 800)
WAIT_SECONDS = 15.0


def chromium_options(browser_path: str) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        "--lang=en-US",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    # The console's messages (CSP and Trusted Types refusals among them) reach get_log('browser').
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


class BrowserSession:
    """A browser on one server's console. `open(path)` loads a page; the guard's findings of
    every document loaded so far (and Chromium's console log) are kept for `assert_clean()`."""

    def __init__(self, base_url: str, browser_path: str, driver_path: str):
        self.base_url = base_url.rstrip("/")
        self.driver = webdriver.Chrome(service=Service(driver_path), options=chromium_options(browser_path))
        self.driver.set_script_timeout(60)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": GUARD_SCRIPT})
        self._violations: list[dict] = []
        self._xss: list[str] = []
        self._policy_logs: list[str] = []
        self._opened = False

    # -- pages ----------------------------------------------------------------------

    def open(self, path: str = "/") -> None:
        """Navigate to `path` on the server; the document being left is read first, since its
        guard's record goes with it."""
        self._harvest()
        self.driver.get(self.base_url + path)
        self._opened = True

    def wait_until(self, condition: Callable, message: str, timeout: float = WAIT_SECONDS):
        """WebDriverWait on `condition(driver)`; fails with `message` and what the page shows."""
        try:
            return WebDriverWait(self.driver, timeout, ignored_exceptions=(NoSuchElementException,)).until(
                condition)
        except WebDriverException as error:
            raise AssertionError(f"{message} (waited {timeout:.0f}s; page text: {self.page_text()[:600]!r})") from error

    def page_text(self) -> str:
        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return ""

    # -- the console's controls, found as a person finds them: by their labels -----------

    def labelled(self, label: str) -> WebElement:
        """The control whose <label> (or aria-label) reads `label` (case and spacing ignored).
        The console labels every control, so the tests never depend on ids or markup."""
        wanted = " ".join(label.split()).lower()
        for element in self.driver.find_elements(By.TAG_NAME, "label"):
            if " ".join(element.text.split()).lower() != wanted:
                continue
            target = element.get_attribute("for")
            if target:
                return self.driver.find_element(By.ID, target)
            inner = element.find_elements(By.CSS_SELECTOR, "input, select, textarea")
            if inner:
                return inner[0]
        for element in self.driver.find_elements(By.CSS_SELECTOR, "[aria-label]"):
            if " ".join((element.get_attribute("aria-label") or "").split()).lower() == wanted:
                return element
        raise NoSuchElementException(f"no control labelled {label!r}")

    def wait_for_labelled(self, label: str, timeout: float = WAIT_SECONDS) -> WebElement:
        return self.wait_until(lambda _: self.labelled(label), f"no control labelled {label!r} appeared", timeout)

    def button(self, text: str) -> WebElement:
        """The visible button whose text (or aria-label) is `text`."""
        wanted = " ".join(text.split()).lower()
        for element in self.driver.find_elements(By.CSS_SELECTOR, "button, [role=button], input[type=submit]"):
            name = element.text or element.get_attribute("aria-label") or element.get_attribute("value") or ""
            if " ".join(name.split()).lower() == wanted and element.is_displayed():
                return element
        raise NoSuchElementException(f"no button {text!r}")

    # -- what the guard saw -----------------------------------------------------------

    def _harvest(self) -> None:
        if self._opened:
            try:
                violations, xss = read_page_guard(self.driver)
            except WebDriverException:
                violations, xss = [], []
            self._violations += violations
            self._xss += xss
        for entry in self.driver.get_log("browser"):
            if POLICY_LOG.search(entry.get("message", "")):
                self._policy_logs.append(entry["message"])

    def guard_findings(self) -> tuple[list[dict], list[str], list[str]]:
        """(CSP violation events, XSS canary assignments, CSP/Trusted Types console errors)
        of every document opened so far, the current one included."""
        self._harvest()
        return list(self._violations), list(self._xss), list(self._policy_logs)

    def assert_clean(self) -> None:
        """Fail if any page so far violated the Content Security Policy (Trusted Types
        included) or ran a script that touched the XSS canary."""
        violations, xss, logs = self.guard_findings()
        problems = []
        if violations:
            problems.append("CSP violations: " + "; ".join(
                f"{v.get('directive')} blocked {v.get('blocked')!r} sample {v.get('sample')!r} "
                f"at {v.get('source')}:{v.get('line')} on {v.get('document')}" for v in violations))
        if xss:
            problems.append(f"a script ran and set window.__xss: {xss}")
        if logs:
            problems.append("CSP/Trusted Types errors in the browser console: " + " | ".join(logs))
        assert not problems, "\n".join(problems)

    def quit(self) -> None:
        try:
            self.driver.quit()
        except WebDriverException:
            pass
