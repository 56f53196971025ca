"""What agents send that a person answers or watches, in the console (headless Chromium, real
binary): an agent's approval request shows its approvers and, only to a named person, a button per
option; the answer (with a comment) is stored and seen live in the other browser, which was never
offered the buttons; an agent's streamed reply grows live from its `message.delta`s and ends with
the final text. Every wait is on a condition of the page."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from helpers_agents import create_agent_ok, create_key_ok
from helpers_identity import bearer
from helpers_messaging import add_member_ok, post_ok

from .accessibility import assert_accessible
from .chat_pages import click, owner_headers, showing, stored_messages, wait_for_messages
from .test_console_chat import tag, two_in_a_channel

MAIN = ".channel-pane .message-items"


def agent_in(server, owner, channel) -> str:
    """An agent in the channel, and its key (messages:read, messages:write)."""
    headers = owner_headers(server, owner)
    with server.client() as c:
        agent = create_agent_ok(c, headers, owner["workspace_id"], f"Ops {tag()}")
        add_member_ok(c, headers, channel["id"], agent["id"])
        return create_key_ok(c, headers, owner["workspace_id"], agent["id"], ["messages:read", "messages:write"])["key"]


def approval_text(browser, message_id: str) -> str | None:
    return browser.driver.execute_script(
        "return document.querySelector(arguments[0])?.textContent ?? null;", f"{MAIN} article[data-id='{message_id}'] .approval")


def choices(browser, message_id: str) -> list[str]:
    return [b.text for b in browser.driver.find_elements(By.CSS_SELECTOR, f"{MAIN} article[data-id='{message_id}'] .approval-answer button")]


def test_a_named_person_answers_an_agents_approval_request(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    key = agent_in(server, owner, channel)
    with server.client() as c:
        asked = post_ok(c, bearer(key), channel["id"], "May I restart the database?", kind="approval_request",
                        approval={"approvers": [owner["user_id"]], "options": ["approve", "deny"]})
    for browser in (a, b):
        wait_for_messages(browser, showing("May I restart the database?"), "the request did not show")
        browser.wait_until(lambda d: "Waiting for approval" in (approval_text(browser, asked["id"]) or ""), "no pending approval shown")
    # only the named person (the owner, browser A) is offered the choices
    a.wait_until(lambda d: choices(a, asked["id"]) == ["approve", "deny"], "A is not offered approve/deny")
    assert choices(b, asked["id"]) == [], "B, not named, was offered the choices"
    assert_accessible(a, "an open approval request")

    a.driver.find_element(By.CSS_SELECTOR, f"{MAIN} article[data-id='{asked['id']}'] .approval-answer input").send_keys("after the backup")
    click(a, f"{MAIN} article[data-id='{asked['id']}'] .approval-answer button[data-choice='approve']", "no approve button")
    for browser, who in ((a, "A"), (b, "B")):
        browser.wait_until(lambda d: (approval_text(browser, asked["id"]) or "").startswith("Approved"), f"{who} does not show it approved")
    assert "after the backup" in approval_text(b, asked["id"])
    assert choices(a, asked["id"]) == [], "the choices stayed after the answer"
    stored = [m for m in stored_messages(server, bea["headers"], channel["id"]) if m["id"] == asked["id"]][0]
    assert stored["approval"]["status"] == "approved" and stored["approval"]["by"] == owner["user_id"], stored
    assert stored["approval"]["comment"] == "after the backup", stored


def test_an_agents_streamed_reply_grows_live_and_ends_with_the_final(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    key = agent_in(server, owner, channel)
    with server.client() as c:
        reply = c.post(f"/api/v1/channels/{channel['id']}/messages", headers=bearer(key), json={"stream": True, "text": "Checking"}).json()
        wait_for_messages(b, showing("Checking"), "the streamed reply did not show")
        for piece in (" the logs", "…", " found it."):
            assert c.post(f"/api/v1/messages/{reply['id']}/stream", headers=bearer(key), json={"append": piece}).status_code == 200
        wait_for_messages(b, showing("Checking the logs… found it."), "the appends did not show live")
        assert b.driver.find_elements(By.CSS_SELECTOR, f"{MAIN} article[data-id='{reply['id']}'] .streaming-badge"), "no writing… badge"
        done = c.post(f"/api/v1/messages/{reply['id']}/stream", headers=bearer(key), json={"final": True, "text": "The disk was full; I cleaned it."})
        assert done.status_code == 200, done.text
    for browser in (a, b):
        wait_for_messages(browser, showing("The disk was full; I cleaned it."), "the final text did not replace the stream")
    b.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"{MAIN} article[data-id='{reply['id']}'] .streaming-badge"),
                 "the writing… badge stayed after the final")
