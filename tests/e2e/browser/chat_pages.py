"""Steps through the console's chat view as a person takes them (sign in, open a channel, type in
a composer) and reads of what it shows. Reads go through one script per look, so a list being
re-rendered between two WebDriver calls never leaves a test holding stale elements.

The people and channels behind a test are made over the API (httpx), as an outside client would.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from conftest import Server
from helpers_identity import create_invite_ok, login_ok, signup_via_invite
from helpers_messaging import add_member_ok, create_channel_ok

from .console_pages import sign_in
from .session import BrowserSession

API = "/api/v1"
MAIN_LIST = ".channel-pane .message-items"
THREAD_LIST = ".thread-pane .message-items"
LIVE_WAIT = 30.0

# Everything a test asserts about the messages a list shows, read in one go.
READ_MESSAGES = """
const list = document.querySelector(arguments[0]);
if (!list) return null;
return [...list.querySelectorAll('article.message')].map((a) => ({
  id: a.dataset.id,
  seq: Number(a.dataset.seq),
  classes: [...a.classList],
  sender: a.querySelector('.sender')?.textContent ?? '',
  badges: [...a.querySelectorAll('.message-header .badge')].map((b) => b.textContent),
  text: a.querySelector('.body')?.innerText ?? '',
  edited: !!a.querySelector('.message-header .edited'),
  actions: [...a.querySelectorAll('.actions button')].map((b) => b.textContent.trim()),
  toggle: a.querySelector('button[aria-expanded]')?.textContent ?? null,
}));
"""

READ_SIDEBAR = """
return [...document.querySelectorAll('.sidebar button.channel-link')].map((b) => ({
  id: b.dataset.channelId, label: b.getAttribute('aria-label') || '', current: b.getAttribute('aria-current') === 'true',
  badges: [...b.querySelectorAll('.badge')].map((s) => s.textContent),
}));
"""


# -- people and channels, over the API -----------------------------------------------------

def owner_headers(server: Server, owner: dict) -> dict:
    """A fresh access token of the owner: the module's first one may expire (15 min) mid-module."""
    with server.client() as c:
        return login_ok(c, owner["email"], owner["password"])["headers"]


def invited_person(server: Server, owner: dict, name: str, role: str = "member") -> dict:
    """Someone who signed up through an invite of the owner's workspace, with their `handle`."""
    with server.client() as c:
        headers = owner_headers(server, owner)
        invite = create_invite_ok(c, headers, owner["workspace_id"], role)
        person = signup_via_invite(c, invite["token"], role, name=name)
        person["handle"] = member_of(c, headers, owner["workspace_id"], person["user_id"])["handle"]
    return person


def member_of(c: httpx.Client, headers: dict, ws: str, member_id: str) -> dict:
    r = c.get(f"{API}/workspaces/{ws}/members", headers=headers, params={"limit": 200})
    assert r.status_code == 200, f"members of {ws}: {r.status_code} {r.text}"
    return next(m for m in r.json()["data"] if m["id"] == member_id)


def channel_with(server: Server, owner: dict, *member_ids: str, name: str | None = None) -> dict:
    """A public channel of the owner's workspace with the owner and `member_ids` in it."""
    with server.client() as c:
        headers = owner_headers(server, owner)
        channel = create_channel_ok(c, headers, owner["workspace_id"], name)
        for member_id in member_ids:
            add_member_ok(c, headers, channel["id"], member_id)
    return channel


def stored_messages(server: Server, headers: dict, channel_id: str, **params) -> list[dict]:
    with server.client() as c:
        r = c.get(f"{API}/channels/{channel_id}/messages", headers=headers, params={"limit": 200, **params})
    assert r.status_code == 200, f"GET messages of {channel_id}: {r.status_code} {r.text[:300]}"
    return r.json()["data"]


# -- the console -----------------------------------------------------------------------------

def path_of(url: str) -> str:
    """The path (with query and fragment) of a URL on the server, for BrowserSession.open."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def wait_live(browser: BrowserSession, timeout: float = LIVE_WAIT) -> None:
    """The chat view is shown and its event stream is connected (the badge reads live)."""
    browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, "#main .chat") and connection_state(browser) == "live",
                       "the chat view with a live connection did not appear", timeout)


def connection_state(browser: BrowserSession) -> str | None:
    """The connection badge's data-state (live, connecting, reconnecting, …)."""
    return browser.driver.execute_script("return document.getElementById('connection')?.dataset.state ?? null;")


def sign_in_to_chat(browser: BrowserSession, email: str, password: str) -> None:
    """Password sign-in (an account without a second factor), up to the live chat view."""
    sign_in(browser, email, password)
    wait_live(browser)


def open_channel(browser: BrowserSession, channel_id: str, member: bool = True) -> None:
    """Clicks the channel in the sidebar and waits until it is the one shown (with its composer,
    or for a channel the person is not in, its Join button)."""
    shown = ".channel-pane .composer" if member else "#join-channel"
    click(browser, f"button.channel-link[data-channel-id='{channel_id}']", f"the sidebar does not list {channel_id}")
    browser.wait_until(
        lambda d: (sidebar(browser).get(channel_id) or {}).get("current") and d.find_elements(By.CSS_SELECTOR, shown),
        f"{channel_id} did not open")


def click(browser: BrowserSession, selector: str, what: str) -> None:
    """Clicks the element `selector` finds; found again if a re-render (a live event redraws the
    sidebar) replaced it between finding and clicking (wait_until retries a stale element)."""
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, selector).click() or True, what)


def messages(browser: BrowserSession, where: str = MAIN_LIST) -> list[dict]:
    return browser.driver.execute_script(READ_MESSAGES, where) or []


def sidebar(browser: BrowserSession) -> dict[str, dict]:
    return {item["id"]: item for item in browser.driver.execute_script(READ_SIDEBAR)}


def wait_for_messages(browser: BrowserSession, check: Callable[[list[dict]], object], what: str,
                      where: str = MAIN_LIST, timeout: float = LIVE_WAIT):
    """Waits until `check(messages shown)` holds (is truthy); returns what it returned then."""
    seen: list[list[dict]] = [[]]

    def holds(_):
        seen[0] = messages(browser, where)
        return check(seen[0])
    try:
        return browser.wait_until(holds, what, timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}\nlast seen in {where}: {[(m['sender'], m['text'][:80]) for m in seen[0]]}") from None


def showing(text: str) -> Callable[[list[dict]], list[dict]]:
    """A check for wait_for_messages: the messages whose text is exactly `text`."""
    return lambda shown: [m for m in shown if m["text"] == text]


def press_message_action(browser: BrowserSession, message_id: str, label: str, where: str = MAIN_LIST) -> None:
    """Presses the button of one message's actions whose aria-label is `label`."""
    click(browser, f"{where} article[data-id='{message_id}'] .actions button[aria-label='{label}']",
          f"message {message_id} has no {label!r} button")


def composer(browser: BrowserSession, channel_label: str) -> WebElement:
    """The channel's composer, found by its label (`Message #name`)."""
    return browser.wait_for_labelled(f"Message {channel_label}")


def mark_page(browser: BrowserSession) -> None:
    """A mark on the current document; `assert_not_reloaded` then proves the page was not
    reloaded (a reload starts a new document without it)."""
    browser.driver.execute_script("window.__sameDocument = true;")


def assert_not_reloaded(browser: BrowserSession) -> None:
    assert browser.driver.execute_script("return window.__sameDocument === true;"), "the page was reloaded"


def web_storage(browser: BrowserSession) -> list:
    return browser.driver.execute_script("return [localStorage.length, sessionStorage.length, document.cookie];")


# One message's reaction chips as shown: text, aria-label and aria-pressed of each.
READ_REACTIONS = """
const article = document.querySelector(`${arguments[0]} article[data-id='${arguments[1]}']`);
if (!article) return null;
return [...article.querySelectorAll('.reactions button.reaction')].map((b) => ({
  text: b.textContent.trim(), label: b.getAttribute('aria-label') || '', pressed: b.getAttribute('aria-pressed'),
}));
"""


def reaction_chips(browser: BrowserSession, message_id: str, where: str = MAIN_LIST) -> list[dict] | None:
    return browser.driver.execute_script(READ_REACTIONS, where, message_id)


def wait_for_chips(browser: BrowserSession, message_id: str, expected: list[dict], what: str, where: str = MAIN_LIST) -> None:
    """Waits until the message's reaction chips are exactly `expected` (label and pressed state)."""
    def holds(_):
        shown = reaction_chips(browser, message_id, where) or []
        return [{"label": c["label"], "pressed": c["pressed"]} for c in shown] == expected
    try:
        browser.wait_until(holds, what, LIVE_WAIT)
    except AssertionError as error:
        raise AssertionError(f"{error}\nchips shown: {reaction_chips(browser, message_id, where)}") from None
