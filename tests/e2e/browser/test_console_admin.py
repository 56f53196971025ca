"""The console's administration page in a real browser (issue 14): an agent created, given an API
key (shown once, then gone from the page; it works against the API), paused (its key then gets
423) and resumed, the key revoked (then 401); an invite link created, copied with the Copy button
and used to join, another revoked (its token then 404); a member's role changed; a channel
created, renamed and deleted; the audit log with its chain verification. axe finds no serious or
critical violation on each tab, and the fixture fails the test on any CSP violation."""

from __future__ import annotations

import re
import uuid

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import create_owner, strong_password

from .accessibility import assert_accessible
from .screenshots import save_screenshots
from .console_pages import (confirm, dialog_button, dialog_text, element_with_text, grant_clipboard, open_dialog, open_section, open_tab, page_holds,
                            read_clipboard, read_secret, sign_in)

API = "/api/v1"


def owner_in_console(server, browser, tag: str) -> dict:
    owner = create_owner(server, f"{tag}-{uuid.uuid4().hex[:8]}@example.com", f"{tag.title()} {uuid.uuid4().hex[:6]}")
    sign_in(browser, owner["email"], owner["password"])
    open_section(browser, "admin")
    return owner


def me_with(server, key: str) -> httpx.Response:
    with server.client() as c:
        return c.get(f"{API}/me", headers={"Authorization": f"Bearer {key}"})


def test_agent_key_shown_once_works_pause_resume_and_revoke(server, browser):
    owner_in_console(server, browser, "keys")
    panel = open_tab(browser, "agents")
    assert_accessible(browser, "the agents tab")

    name = f"Builder {uuid.uuid4().hex[:6]}"
    browser.labelled("Agent name").send_keys(name)
    browser.labelled("Description (optional)").send_keys("Builds things <b>bold</b>")
    browser.driver.find_element(By.ID, "create-agent").click()
    card = browser.wait_until(
        lambda _: element_with_text(browser, ".agent-card", name),
        "the new agent's card did not appear")
    agent_id = card.get_attribute("data-agent")
    assert "<b>bold</b>" in card.text, "the description was not shown as text"

    # A key with the default scopes and an allowed network, created from the agent's card.
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-create-key-for='{agent_id}']"),
                       "the new agent's key list did not open").click()
    open_dialog(browser)
    browser.labelled("Allowed networks (optional)").send_keys("127.0.0.1/32\n::1")
    assert_accessible(browser, "the new API key dialog", "dialog[open]")
    dialog_button(browser, "Create key").click()
    browser.wait_until(lambda _: "API key created" in dialog_text(browser), "the key was not shown")
    key = read_secret(browser)
    assert re.fullmatch(r"ck_[0-9A-Za-z]{49}", key), f"the dialog did not show a key: {key!r}"
    assert "only this once" in open_dialog(browser).text
    confirm(browser, "Done")
    assert not page_holds(browser, key), "the key stayed in the page after its dialog closed"
    row = browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"#keys-{agent_id} tbody tr"), "no key listed")
    assert key[:12] in row.text and "Active" in row.text, row.text

    r = me_with(server, key)
    assert r.status_code == 200 and r.json()["id"] == agent_id, f"the key shown does not work: {r.status_code} {r.text}"

    # Paused: the agent's key is answered 423; resumed: 200 again.
    card.find_element(By.CSS_SELECTOR, "[data-action='pause']").click()
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-agent='{agent_id}'] [data-status='paused']"),
                       "the agent did not show as paused")
    assert me_with(server, key).status_code == 423, "a paused agent's key was not refused with 423"
    browser.driver.find_element(By.CSS_SELECTOR, f"[data-agent='{agent_id}'] [data-action='resume']").click()
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-agent='{agent_id}'] [data-status='active']"),
                       "the agent did not show as active again")
    assert me_with(server, key).status_code == 200, "a resumed agent's key still fails"

    # Revoked after a confirmation: 401 from the next request on.
    browser.driver.find_element(By.CSS_SELECTOR, f"#keys-{agent_id} [data-revoke-key]").click()
    assert "cannot be undone" in open_dialog(browser).text
    confirm(browser, "Revoke key")
    browser.wait_until(lambda d: "Revoked" in d.find_element(By.CSS_SELECTOR, f"#keys-{agent_id} tbody tr").text,
                       "the key did not show as revoked")
    assert me_with(server, key).status_code == 401, "a revoked key still works"
    assert_accessible(browser, "the agents tab with a key list")
    save_screenshots(browser, "admin-agents")


def test_invite_link_copied_joins_and_revoked_invite_stops(server, browser):
    owner = owner_in_console(server, browser, "invites")
    open_tab(browser, "invites")
    assert_accessible(browser, "the invites tab")
    grant_clipboard(browser)

    Select(browser.labelled("Role")).select_by_value("viewer")
    max_uses = browser.labelled("Max uses")
    max_uses.clear()
    max_uses.send_keys("2")
    browser.driver.find_element(By.ID, "create-invite").click()
    link = read_secret(browser)
    assert re.fullmatch(rf"http://localhost:{server.port}/invite#inv_[A-Za-z0-9_-]{{43}}", link), f"not an invite link: {link!r}"
    dialog_button(browser, "Copy").click()
    browser.wait_until(lambda _: "Copied" in dialog_text(browser), "the Copy button did not report copying")
    assert read_clipboard(browser) == link, "the clipboard does not hold the link shown"
    confirm(browser, "Done")
    assert not page_holds(browser, link.split("#", 1)[1]), "the invite token stayed in the page"
    row = browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, "#admin-panel tbody tr"), "no invite listed")
    assert "viewer" in row.text and "0 / 2" in row.text and "Active" in row.text, row.text

    # The copied link works: someone signs up with its token and holds the role it granted.
    token = link.split("#", 1)[1]
    with server.client() as c:
        r = c.post(f"{API}/invites/{token}/accept",
                   json={"email": f"joiner-{uuid.uuid4().hex[:8]}@example.com", "password": strong_password()})
    assert r.status_code == 201 and r.json()["role"] == "viewer", f"the copied link did not work: {r.status_code} {r.text}"

    # Revoked from the list: the token stops working.
    browser.driver.find_element(By.CSS_SELECTOR, "#admin-panel tbody tr .danger").click()
    confirm(browser, "Revoke")
    browser.wait_until(lambda d: "Revoked" in d.find_element(By.CSS_SELECTOR, "#admin-panel tbody tr").text,
                       "the invite did not show as revoked")
    with server.client() as c:
        r = c.post(f"{API}/invites/{token}/accept",
                   json={"email": f"late-{uuid.uuid4().hex[:8]}@example.com", "password": strong_password()})
    assert r.status_code == 404, f"a revoked invite still accepted: {r.status_code} {r.text}"
    assert owner["password"] not in browser.page_text()


def test_member_role_change_and_tabs_by_keyboard(server, browser):
    owner = owner_in_console(server, browser, "roles")
    with server.client() as c:
        invite = c.post(f"{API}/workspaces/{owner['workspace_id']}/invites", headers=owner["headers"],
                        json={"role": "member"}).json()
        email = f"member-{uuid.uuid4().hex[:8]}@example.com"
        joined = c.post(f"{API}/invites/{invite['token']}/accept", json={"email": email, "password": strong_password(),
                                                                        "name": "Mallory <img src=x onerror=window.__xss=1>"})
    assert joined.status_code == 201, joined.text
    member_id = joined.json()["user_id"]

    # The tabs follow the WAI-ARIA pattern: arrow keys move between them and show them.
    members_tab = browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=tab][data-tab='members']"), "no tabs")
    members_tab.click()
    members_tab.send_keys(Keys.ARROW_RIGHT)
    browser.wait_until(lambda d: d.switch_to.active_element.get_attribute("data-tab") == "invites"
                       and d.find_element(By.CSS_SELECTOR, "[data-tab='invites']").get_attribute("aria-selected") == "true",
                       "ArrowRight did not select the next tab")
    open_tab(browser, "members")
    row = browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-id='{member_id}']"), "the new member is not listed")
    assert "<img src=x onerror=window.__xss=1>" in row.text, "the member's name was not rendered as text"
    assert_accessible(browser, "the members tab")

    Select(row.find_element(By.CSS_SELECTOR, f"select[data-role='{member_id}']")).select_by_value("viewer")
    browser.wait_until(lambda _: any(m["id"] == member_id and m["role"] == "viewer" for m in
                                     server_members(server, owner)), "the role change did not reach the server")


def server_members(server, owner) -> list[dict]:
    with server.client() as c:
        return c.get(f"{API}/workspaces/{owner['workspace_id']}/members", headers=owner["headers"]).json()["data"]


def test_channel_created_renamed_deleted_and_audit_log(server, browser):
    owner = owner_in_console(server, browser, "channels")
    open_tab(browser, "channels")
    name = f"ops-{uuid.uuid4().hex[:6]}"
    browser.labelled("Channel name").send_keys(name)
    browser.labelled("Topic (optional)").send_keys("Deploys <script>window.__xss=1</script>")
    browser.driver.find_element(By.ID, "create-channel").click()
    row = browser.wait_until(lambda _: element_with_text(browser, "#admin-panel tbody tr", f"#{name}"), "the channel was not listed")
    assert "<script>window.__xss=1</script>" in row.text
    assert_accessible(browser, "the channels tab")

    row.find_element(By.CSS_SELECTOR, "button:not(.danger)").click()
    open_dialog(browser)
    new_name = browser.labelled("Name")
    new_name.clear()
    new_name.send_keys(f"{name}-renamed")
    confirm(browser, "Save")
    row = browser.wait_until(lambda _: element_with_text(browser, "#admin-panel tbody tr", f"#{name}-renamed"), "the rename did not show")
    with server.client() as c:
        listed = c.get(f"{API}/workspaces/{owner['workspace_id']}/channels", headers=owner["headers"]).json()["data"]
    assert f"{name}-renamed" in {ch["name"] for ch in listed}

    row.find_element(By.CSS_SELECTOR, "button.danger").click()
    assert "cannot be undone" in open_dialog(browser).text
    confirm(browser, "Delete channel")
    browser.wait_until(lambda d: f"#{name}-renamed" not in d.find_element(By.ID, "admin-panel").text,
                       "the deleted channel is still listed")

    # The audit log lists what was just done, and says what the chain verification found.
    open_tab(browser, "audit")
    status = browser.wait_until(lambda d: (el := d.find_element(By.ID, "audit-chain-status")).text
                                and "Verifying" not in el.text and el, "no chain verification result")
    assert re.fullmatch(r"Chain verified \(\d+ entries\)|Verification unavailable", status.text), status.text
    browser.wait_until(lambda d: "channel.deleted" in d.find_element(By.ID, "admin-panel").text,
                       "the audit log does not show channel.deleted")
    browser.labelled("Action").send_keys("channel.deleted", Keys.ENTER)
    browser.wait_until(lambda d: all("channel.deleted" in r.text for r in d.find_elements(By.CSS_SELECTOR, ".audit-table tbody tr")),
                       "the action filter was not applied")
    assert_accessible(browser, "the audit log tab")
    save_screenshots(browser, "admin-audit")
