"""The console's settings page in a real browser (issue 14): TOTP enrolled in the page (pyotp
computes the code from the secret shown), the backup codes shown once, then sign-out and sign-in
with password + TOTP; a passkey added through Chromium's virtual authenticator and used to sign
in; another session ended from the list (its tokens then refused); the password changed (the
other session ended). axe finds no serious or critical violation, and the fixture fails the test
on any CSP violation. A sign-in older than 10 minutes makes the page ask for the password
and retry (reauthentication_required)."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import create_owner, strong_password
from helpers_identity import age_sign_in

from .accessibility import assert_accessible
from .screenshots import save_screenshots
from .console_pages import (confirm, element_with_text, open_dialog, open_section, page_holds, read_secret,
                            settled_labelled, sign_in)
from .passkeys import add_passkey_authenticator, stored_passkeys

API = "/api/v1"


def person_in_settings(server, browser, tag: str) -> dict:
    owner = create_owner(server, f"{tag}-{uuid.uuid4().hex[:8]}@example.com", f"{tag.title()} {uuid.uuid4().hex[:6]}")
    sign_in(browser, owner["email"], owner["password"])
    open_section(browser, "settings")
    browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions-box tbody tr"), "the sessions did not load")
    return owner


def sign_out(browser) -> None:
    browser.driver.find_element(By.ID, "sign-out").click()
    settled_labelled(browser, "Email")


def browser_session_id(server, person) -> str:
    """The browser's session: the person's one that is not the test client's."""
    with server.client() as c:
        sessions = c.get(f"{API}/auth/sessions", headers=person["headers"]).json()["data"]
    ids = [s["id"] for s in sessions if s["id"] != person["session_id"]]
    assert len(ids) == 1, sessions
    return ids[0]


def test_totp_enrolled_in_browser_then_sign_in_with_password_and_code(server, browser):
    person = person_in_settings(server, browser, "totp")
    assert_accessible(browser, "the settings page")

    # The browser's sign-in is older than 10 minutes: the page asks for the password and retries.
    age_sign_in(server, browser_session_id(server, person))
    browser.driver.find_element(By.ID, "totp-enroll").click()
    assert "Confirm it is you" in open_dialog(browser).text
    browser.labelled("Your password").send_keys(person["password"])
    confirm(browser, "Continue")
    secret = browser.wait_until(lambda d: d.find_element(By.ID, "totp-secret").text.strip(), "no TOTP secret shown")
    assert re.fullmatch(r"[A-Z2-7]+", secret), secret
    assert browser.driver.find_element(By.ID, "totp-uri").text.startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)
    step = int(time.time() // 30)
    browser.labelled("Code from the app").send_keys(totp.generate_otp(step), Keys.ENTER)

    codes = read_secret(browser).split("\n")
    assert len(codes) == 10 and len(set(codes)) == 10, f"not ten backup codes: {codes}"
    assert "only this once" in open_dialog(browser).text
    assert_accessible(browser, "the backup codes dialog", "dialog[open]")
    confirm(browser, "Done")
    assert not any(page_holds(browser, code) for code in codes), "a backup code stayed in the page"
    assert not page_holds(browser, secret), "the TOTP secret stayed in the page after enrolment"

    # The page knows TOTP is on (GET /me totp_enabled): it offers turning it off, not setting it up.
    browser.wait_until(lambda d: "is on" in d.find_element(By.ID, "totp-state").text, "the page does not say TOTP is on")
    assert not browser.driver.find_elements(By.ID, "totp-enroll") and browser.driver.find_elements(By.ID, "totp-disable")

    sign_out(browser)
    settled_labelled(browser, "Email").send_keys(person["email"])
    browser.labelled("Password").send_keys(person["password"], Keys.ENTER)
    # The next step's code: the confirming one was spent (a TOTP step is accepted once).
    settled_labelled(browser, "Authentication code").send_keys(totp.generate_otp(step + 1), Keys.ENTER)
    browser.wait_until(lambda d: d.find_element(By.ID, "nav-settings"), "password + TOTP did not sign in")


def test_passkey_added_in_settings_then_signs_in(server, browser):
    person = person_in_settings(server, browser, "passkey")
    add_passkey_authenticator(browser)

    browser.wait_for_labelled("Name for the new passkey (optional)").send_keys("Laptop <b>key</b>")
    browser.driver.find_element(By.ID, "passkey-add").click()
    row = browser.wait_until(lambda _: element_with_text(browser, "#passkeys-box tbody tr", "Laptop <b>key</b>"), "the new passkey was not listed")
    assert "this session" in row.text, row.text
    assert len(stored_passkeys(browser)) == 1
    assert_accessible(browser, "the settings page with a passkey")
    save_screenshots(browser, "settings")

    sign_out(browser)
    browser.driver.find_element(By.ID, "passkey-sign-in").click()
    browser.wait_until(lambda d: d.find_element(By.ID, "nav-settings"), "the passkey did not sign in")
    with server.client() as c:
        listed = c.get(f"{API}/auth/webauthn/credentials", headers=person["headers"]).json()["data"]
    assert len(listed) == 1 and listed[0]["last_used_at"], f"the passkey was not used to sign in: {listed}"


def test_other_session_ended_and_password_changed(server, browser):
    person = person_in_settings(server, browser, "sessions")
    with server.client() as c:
        other = c.post(f"{API}/auth/login", json={"email": person["email"], "password": person["password"]},
                       headers={"User-Agent": "OtherDevice/1.0"}).json()
    browser.driver.find_element(By.ID, "nav-chat").click()
    open_section(browser, "settings")
    end = browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-end-session='{other['session_id']}']"),
                             "the other session is not listed")
    assert "OtherDevice/1.0" in end.find_element(By.XPATH, "ancestor::tr").text
    assert "this session" in browser.driver.find_element(By.ID, "session-sign-out").find_element(By.XPATH, "ancestor::tr").text
    end.click()
    confirm(browser, "End session")
    browser.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"[data-end-session='{other['session_id']}']"),
                       "the ended session is still listed")
    with server.client() as c:
        assert c.get(f"{API}/me", headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 401
        assert c.post(f"{API}/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 401

    # A password change ends every other session and says so.
    with server.client() as c:
        third = c.post(f"{API}/auth/login", json={"email": person["email"], "password": person["password"]}).json()
    new_password = strong_password()
    browser.labelled("Current password").send_keys(person["password"])
    browser.labelled("New password").send_keys(new_password)
    browser.labelled("Repeat the new password").send_keys(new_password, Keys.ENTER)
    result = browser.wait_until(lambda d: d.find_element(By.ID, "password-result").text, "no password change result")
    # The other two: the test client's own session (create_owner signed in) and the third.
    assert "2 other sessions were signed out" in result, result
    assert not page_holds(browser, new_password)
    with server.client() as c:
        assert c.get(f"{API}/me", headers={"Authorization": f"Bearer {third['access_token']}"}).status_code == 401
        assert c.get(f"{API}/me", headers=person["headers"]).status_code == 401
    assert browser.driver.find_elements(By.ID, "session-sign-out"), "the browser's own session did not survive"
    assert_accessible(browser, "the settings page after a password change")
