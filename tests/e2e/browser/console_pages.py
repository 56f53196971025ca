"""Steps through the console's admin and settings pages as a person takes them: sign in, open a
section or tab, answer a dialog, read what a one-time dialog shows."""

from __future__ import annotations

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from .session import BrowserSession


def settled_labelled(browser: BrowserSession, label: str) -> WebElement:
    """wait_for_labelled that also waits out a page being re-rendered while it looks (signing
    out renders the sign-in page again when the event stream reports the session gone)."""
    def find(_):
        try:
            element = browser.labelled(label)
            return element if element.is_displayed() else False
        except StaleElementReferenceException:
            return False
    return browser.wait_until(find, f"no control labelled {label!r} appeared")


def sign_in(browser: BrowserSession, email: str, password: str) -> None:
    """Password sign-in from the sign-in page, up to the shell (for an account without TOTP)."""
    browser.open("/")
    settled_labelled(browser, "Email").send_keys(email)
    browser.labelled("Password").send_keys(password, Keys.ENTER)
    browser.wait_until(lambda d: d.find_element(By.ID, "nav-settings"), "the shell did not appear after signing in")


def open_section(browser: BrowserSession, section: str) -> None:
    """`admin` or `settings`, from the top bar."""
    browser.driver.find_element(By.ID, f"nav-{section}").click()
    browser.wait_until(lambda d: d.find_element(By.ID, f"nav-{section}").get_attribute("aria-current") == "page",
                       f"the {section} page did not open")


def open_tab(browser: BrowserSession, tab: str) -> WebElement:
    """Selects an admin tab and waits for its panel to finish loading; returns the panel."""
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"[role=tab][data-tab='{tab}']"),
                       f"no {tab} tab").click()
    return browser.wait_until(
        lambda d: (d.find_element(By.CSS_SELECTOR, f"[role=tab][data-tab='{tab}']").get_attribute("aria-selected") == "true"
                   and (panel := d.find_element(By.ID, "admin-panel")).find_elements(By.TAG_NAME, "h2") and panel),
        f"the {tab} tab did not load")


def open_dialog(browser: BrowserSession) -> WebElement:
    return browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"), "no dialog opened")


def dialog_text(browser: BrowserSession) -> str:
    """The open dialog's text, or "" while none is open (or one is being swapped for another)."""
    try:
        return browser.driver.find_element(By.CSS_SELECTOR, "dialog[open]").text
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def dialog_button(browser: BrowserSession, text: str) -> WebElement:
    dialog = open_dialog(browser)
    for element in dialog.find_elements(By.TAG_NAME, "button"):
        if element.text.strip().lower() == text.lower():
            return element
    raise AssertionError(f"the dialog has no button {text!r}: {dialog.text!r}")


def confirm(browser: BrowserSession, text: str) -> None:
    """Presses `text` in the open dialog and waits for the dialog to go."""
    dialog_button(browser, text).click()
    browser.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"),
                       f"the dialog stayed open after {text!r}")


def read_secret(browser: BrowserSession) -> str:
    """The text of the one-time secret dialog (a key, a link, or codes one per line)."""
    dialog = open_dialog(browser)
    return browser.wait_until(lambda _: dialog.find_element(By.CSS_SELECTOR, ".secret").text.strip(),
                              "the secret dialog shows nothing")


def grant_clipboard(browser: BrowserSession) -> None:
    browser.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": browser.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})


def read_clipboard(browser: BrowserSession) -> str:
    return browser.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('clipboard error: ' + e));")


def page_holds(browser: BrowserSession, text: str) -> bool:
    """Whether `text` is anywhere in the document (markup and attribute values included)."""
    return text in browser.driver.execute_script("return document.documentElement.outerHTML;")


def element_with_text(browser: BrowserSession, selector: str, text: str):
    """The first element matching `selector` whose text contains `text`, or None (for waits)."""
    return next((el for el in browser.driver.find_elements(By.CSS_SELECTOR, selector) if text in el.text), None)
