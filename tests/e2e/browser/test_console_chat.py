"""The console's chat in headless Chromium against the real binary (issue 14): an invite link opened
in a fresh browser signs a person up into the chat; two people in two browsers see each other's
messages, thread replies, edits and deletions live; the live stream resumes after the server
restarts with nothing lost or doubled; a viewer cannot post; DMs and unread/mention badges.

Every wait is on a condition of the page; every read of a list is one script (chat_pages.py)."""

from __future__ import annotations

import secrets
import signal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from helpers_identity import create_invite_ok
from helpers_messaging import post_ok

from .chat_pages import (
    MAIN_LIST, THREAD_LIST, assert_not_reloaded, click, channel_with, composer, connection_state, invited_person, mark_page, press_message_action,
    messages, open_channel, owner_headers, path_of, showing, sidebar, sign_in_to_chat, stored_messages, wait_for_messages,
    wait_live, web_storage,
)
from .screenshots import save_screenshots

API = "/api/v1"


def tag() -> str:
    return secrets.token_hex(3)


def two_in_a_channel(server, owner, open_browser):
    """The owner (browser A) and an invited member (browser B) in a new channel, both looking at
    it with a live stream, and a first message both see (so the list had loaded before a test
    acts)."""
    bea = invited_person(server, owner, f"Bea {tag()}")
    channel = channel_with(server, owner, bea["user_id"])
    with server.client() as c:
        post_ok(c, owner_headers(server, owner), channel["id"], "hello before")
    a, b = open_browser(), open_browser()
    for browser, person in ((a, owner), (b, bea)):
        sign_in_to_chat(browser, person["email"], person["password"])
        open_channel(browser, channel["id"])
        wait_for_messages(browser, showing("hello before"), "the channel's first message did not show")
        mark_page(browser)
    return a, b, bea, channel


def send(browser, channel, *keys) -> None:
    box = composer(browser, f"#{channel['name']}")
    box.send_keys(*keys)


# 1 -------------------------------------------------------------------------------------------

def test_invite_link_signs_up_into_the_chat(server, owner, browser):
    headers = owner_headers(server, owner)
    lobby = channel_with(server, owner)
    with server.client() as c:
        post_ok(c, headers, lobby["id"], "Welcome aboard")
        invite = create_invite_ok(c, headers, owner["workspace_id"], "member")
    token = invite["token"]
    assert invite["url"] == f"{browser.base_url}/invite#{token}", invite["url"]

    browser.open(path_of(invite["url"]))
    name = browser.wait_for_labelled("Your name")
    assert token not in browser.driver.current_url, "the invite token stayed in the address bar"
    save_screenshots(browser, "invite-sign-up")
    email = f"newcomer-{tag()}@example.com"
    name.send_keys("Newcomer")
    browser.labelled("Email").send_keys(email)
    browser.labelled("Password").send_keys("Pw-" + secrets.token_urlsafe(18), Keys.ENTER)

    wait_live(browser)
    browser.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, ".sidebar-title").text == "Acme",
                       "the new member did not land in the workspace's chat")
    location = browser.driver.execute_script("return [location.pathname, location.hash, location.href];")
    assert location[:2] == ["/", ""], f"the address after joining is {location[2]!r}"
    assert token not in browser.driver.execute_script("return document.documentElement.outerHTML;")
    stored = web_storage(browser)
    assert stored[:2] == [0, 0], f"the console wrote to web storage: {stored[:2]}"
    assert "conclave_refresh" not in stored[2], "the refresh cookie is readable by page scripts"

    # And chats with no other tool: the public channel is offered, joined, and its message read.
    open_channel(browser, lobby["id"], member=False)
    browser.driver.find_element(By.ID, "join-channel").click()
    wait_for_messages(browser, showing("Welcome aboard"), "the joined channel's message did not show")
    with server.client() as c:
        r = c.get(f"{API}/workspaces/{owner['workspace_id']}/members", headers=headers, params={"limit": 200})
    joined = [m for m in r.json()["data"] if m.get("name") == "Newcomer"]
    assert [m["role"] for m in joined] == ["member"], joined


# 2 -------------------------------------------------------------------------------------------

def test_messages_go_live_both_ways_with_newlines_and_mentions(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)

    send(a, channel, "from A to B", Keys.ENTER)
    wait_for_messages(b, showing("from A to B"), "B did not see A's message live")
    send(b, channel, "from B to A", Keys.ENTER)
    wait_for_messages(a, showing("from B to A"), "A did not see B's message live")

    send(a, channel, "line one", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "line two", Keys.ENTER)
    two_lines = wait_for_messages(b, showing("line one\nline two"), "Shift+Enter did not make a two-line message")
    assert len(two_lines) == 1

    box = composer(a, f"#{channel['name']}")
    box.send_keys("ping @" + bea["handle"][:5])
    option = a.wait_until(
        lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]") if o.is_displayed()
                   and f"@{bea['handle']}" in o.text],
        f"no suggestion for @{bea['handle']}")
    assert option
    box.send_keys(Keys.ENTER)
    assert box.get_attribute("value") == f"ping @{bea['handle']} ", "Enter did not pick the suggestion"
    box.send_keys("look", Keys.ENTER)
    mention = wait_for_messages(b, showing(f"ping @{bea['handle']} look"), "B did not see the mention")[0]
    assert "mentions-me" in mention["classes"], mention
    stored = [m for m in stored_messages(server, bea["headers"], channel["id"]) if m["id"] == mention["id"]]
    assert stored and stored[0]["mentions"] == [bea["user_id"]], stored

    for browser in (a, b):
        assert_not_reloaded(browser)
        shown = [m["text"] for m in messages(browser)]
        assert shown == ["hello before", "from A to B", "from B to A", "line one\nline two",
                         f"ping @{bea['handle']} look"], shown
    save_screenshots(b, "channel")


# 3 -------------------------------------------------------------------------------------------

def test_thread_reply_is_seen_live_as_a_count(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    root = wait_for_messages(b, showing("hello before"), "no root message")[0]

    press_message_action(b, root["id"], "Reply in thread")
    wait_for_messages(b, showing("hello before"), "the thread did not open with its root", where=THREAD_LIST)
    reply_box = b.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, ".thread-pane textarea[aria-label='Reply in thread']"),
                             "no thread composer")
    reply_box.send_keys("a reply in the thread", Keys.ENTER)
    wait_for_messages(b, showing("a reply in the thread"), "B's reply did not show in the thread", where=THREAD_LIST)

    wait_for_messages(a, lambda ms: [m for m in ms if m["id"] == root["id"] and "1 reply" in m["actions"]],
                      "A did not see '1 reply' live")
    main_of_a = [m["text"] for m in messages(a, MAIN_LIST)]
    assert "a reply in the thread" not in main_of_a, f"the reply showed in A's main list: {main_of_a}"
    main_of_b = [m["text"] for m in messages(b, MAIN_LIST)]
    assert "a reply in the thread" not in main_of_b, main_of_b
    assert_not_reloaded(a)
    stored = stored_messages(server, bea["headers"], channel["id"], thread_id=root["id"])
    assert [m["text"] for m in stored if m.get("thread_id") == root["id"]] == ["a reply in the thread"], stored
    save_screenshots(b, "thread")


# 4 -------------------------------------------------------------------------------------------

def test_edit_and_delete_are_seen_live(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    send(a, channel, "first draft", Keys.ENTER)
    mine = wait_for_messages(a, showing("first draft"), "A's message did not show")[0]
    wait_for_messages(b, showing("first draft"), "B did not see A's message")

    press_message_action(a, mine["id"], "Edit message")
    editor = a.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, f"article[data-id='{mine['id']}'] textarea.edit-input"),
                          "no editor opened")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("final text", Keys.ENTER)
    edited = wait_for_messages(b, showing("final text"), "B did not see the edit live")[0]
    assert edited["id"] == mine["id"] and edited["edited"], edited

    press_message_action(a, mine["id"], "Delete message")
    a.wait_until(lambda d: d.switch_to.alert, "no confirmation asked before deleting").accept()
    gone = wait_for_messages(b, lambda ms: [m for m in ms if m["id"] == mine["id"] and m["text"] == "This message was deleted."],
                             "B did not see the deletion live")[0]
    assert "deleted" in gone["classes"] and not gone["edited"], gone
    assert "final text" not in b.page_text()
    assert_not_reloaded(b)
    stored = [m for m in stored_messages(server, bea["headers"], channel["id"]) if m["id"] == mine["id"]]
    assert stored and stored[0].get("deleted") and not stored[0].get("text"), stored


# 5 -------------------------------------------------------------------------------------------

@pytest.fixture
def restartable(server):
    """The module's server, which the test may stop and start again (same port, data dir and
    database); it is running again afterwards whatever the test did."""
    yield server
    if not server.running:
        server.start()


def test_reconnect_after_a_server_restart_loses_nothing(restartable, owner, open_browser):
    server = restartable
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    headers = owner_headers(server, owner)

    assert server.stop(signal.SIGTERM) == 0
    for browser in (a, b):
        browser.wait_until(lambda _: connection_state(browser) not in ("live", None),
                           "the connection badge still says live with the server down")
    server.start()
    texts = [f"after restart {n}" for n in (1, 2, 3)]
    with server.client() as c:
        for text in texts:
            post_ok(c, headers, channel["id"], text)

    for browser in (a, b):
        wait_live(browser, timeout=60)
        wait_for_messages(browser, lambda ms: all(showing(t)(ms) for t in texts),
                          "the messages posted around the restart did not all show", timeout=60)
        shown_texts = [m["text"] for m in messages(browser)]
        assert shown_texts == ["hello before", *texts], f"lost, doubled or out of order: {shown_texts}"
        assert_not_reloaded(browser)
        assert not browser.driver.find_elements(By.ID, "login-email"), "the restart signed the person out"


# 7 -------------------------------------------------------------------------------------------

def test_a_viewer_cannot_post(server, owner, browser):
    viewer = invited_person(server, owner, f"Vic {tag()}", role="viewer")
    channel = channel_with(server, owner, viewer["user_id"])
    sign_in_to_chat(browser, viewer["email"], viewer["password"])
    open_channel(browser, channel["id"])
    box = composer(browser, f"#{channel['name']}")
    assert not box.is_enabled(), "a viewer's composer accepts input"
    pane = browser.driver.find_element(By.CSS_SELECTOR, ".channel-pane .composer").text
    assert "as a viewer, not post" in pane, pane
    send_button = browser.driver.find_element(By.CSS_SELECTOR, ".channel-pane .composer button[type=submit]")
    assert not send_button.is_enabled()


def test_a_direct_message_appears_for_the_other_with_an_unread_badge(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    click(a, "#new-dm", "no New direct message button")
    people = Select(a.wait_for_labelled("People and agents"))
    option = next(o for o in people.options if f"(@{bea['handle']})" in o.text)
    people.select_by_value(option.get_attribute("value"))
    a.driver.find_element(By.CSS_SELECTOR, "dialog[open] button[type=submit]").click()
    a.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the DM dialog stayed open")
    dm = a.wait_until(lambda d: [i for i in sidebar(a).values() if i["current"] and i["id"] != channel["id"]],
                      "the DM did not open for A")[0]
    a.wait_for_labelled(f"Message {dm['label'].split(',')[0]}").send_keys("a direct word", Keys.ENTER)
    wait_for_messages(a, showing("a direct word"), "A's DM message did not show")

    item = b.wait_until(lambda d: (i := sidebar(b).get(dm["id"])) and "1 unread" in i["label"] and i,
                        "the DM did not appear in B's sidebar with an unread count")
    assert "1" in item["badges"] and not item["current"], item
    assert_not_reloaded(b)


# 8 -------------------------------------------------------------------------------------------

def test_unread_and_mention_badges_clear_when_the_channel_is_read(server, owner, browser):
    bea = invited_person(server, owner, f"Bea {tag()}")
    first, second = channel_with(server, owner, bea["user_id"]), channel_with(server, owner, bea["user_id"])
    # The console opens the first channel of the list: B views that one (Y) and not the other (X).
    with server.client() as c:
        listed = c.get(f"{API}/workspaces/{owner['workspace_id']}/channels", headers=bea["headers"],
                       params={"limit": 200}).json()["data"]
    order = [ch["id"] for ch in listed if ch["id"] in (first["id"], second["id"])]
    x = first if order[1] == first["id"] else second
    headers = owner_headers(server, owner)

    def post_two(n: int) -> None:
        with server.client() as c:
            post_ok(c, headers, x["id"], f"news {n} without a mention")
            post_ok(c, headers, x["id"], f"news {n} for @{bea['handle']}")

    def badges_say(unread: int, mentions: int, what: str) -> dict:
        item = browser.wait_until(lambda _: (i := sidebar(browser).get(x["id"])) and f"{unread} unread" in i["label"] and i,
                                  f"B's sidebar does not count {unread} unread {what}")
        assert f"{mentions} mentions" in item["label"] and {str(unread), f"@{mentions}"} <= set(item["badges"]), item
        assert not item["current"], item
        return item

    # Posted before B signs in: the counts come from the server's read state.
    post_two(1)
    sign_in_to_chat(browser, bea["email"], bea["password"])
    badges_say(2, 1, "from the server when the page loads")
    mark_page(browser)
    # Posted while B looks at the other channel: counted live.
    post_two(2)
    badges_say(4, 2, "live")

    open_channel(browser, x["id"])
    wait_for_messages(browser, showing(f"news 2 for @{bea['handle']}"), "the channel's new messages did not show")
    browser.wait_until(lambda _: "unread" not in sidebar(browser)[x["id"]]["label"], "opening the channel left it unread")
    assert "mentions" not in sidebar(browser)[x["id"]]["label"]

    def read_on_server(_):
        with server.client() as c:
            state = c.get(f"{API}/channels/{x['id']}", headers=bea["headers"]).json()
        return state.get("unread_count") == 0 and state.get("mention_count") == 0
    browser.wait_until(read_on_server, "the read marker did not move on the server")
    assert_not_reloaded(browser)
