"""The console's first screen in a real browser (issue 14): the sign-in form is there, labelled,
accessible (axe: no serious or critical violation) and loads without any CSP or Trusted Types
violation; a workspace owner signs in with the keyboard alone and reaches the main view, and
no token is left where page scripts could read it (web storage, document.cookie)."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import create_owner

from .accessibility import assert_accessible
from .screenshots import save_screenshots


def test_sign_in_form_then_main_view(server, browser):
    workspace = f"Smoke {uuid.uuid4().hex[:6]}"
    owner = create_owner(server, f"smoke-{uuid.uuid4().hex[:8]}@example.com", workspace)

    browser.open("/")
    email = browser.wait_for_labelled("Email")
    password = browser.labelled("Password")
    assert email.get_attribute("type") == "email" and password.get_attribute("type") == "password"
    browser.assert_clean()
    assert_accessible(browser, "the sign-in page")
    save_screenshots(browser, "sign-in")

    email.send_keys(owner["email"])
    password.send_keys(owner["password"], Keys.ENTER)
    main = browser.wait_until(
        lambda d: (el := d.find_element(By.ID, "main")) and workspace in el.text and el,
        f"the main view with the workspace {workspace!r} did not appear after signing in")
    assert owner["password"] not in browser.page_text()

    stored = browser.driver.execute_script(
        "return [localStorage.length, sessionStorage.length, document.cookie];")
    assert stored[:2] == [0, 0], f"the console wrote to web storage: {stored[:2]}"
    assert "conclave_refresh" not in stored[2], "the refresh cookie is readable by page scripts"

    browser.assert_clean()
    assert_accessible(browser, "the main view")
    save_screenshots(browser, "chat")
    assert main.is_displayed()
