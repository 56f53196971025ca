"""The console shows who is typing, thinking or working in the open channel (ephemeral
`status.updated`), in headless Chromium against the real binary: a person typing is announced to
the other person; the line clears when the message arrives; an agent's status with its text is
shown, and ends at its TTL; a status in another channel is not shown."""

from __future__ import annotations

from selenium.webdriver.common.keys import Keys

from helpers_agents import create_agent_ok, create_key_ok
from helpers_identity import bearer
from helpers_messaging import add_member_ok

from .chat_pages import channel_with, composer, owner_headers, showing, wait_for_messages
from .test_console_chat import two_in_a_channel, tag


def activity(browser) -> str:
    return browser.driver.execute_script("return document.querySelector('.channel-pane .activity')?.textContent ?? null;")


def wait_activity(browser, check, what: str, timeout: float = 10) -> str:
    seen = [None]

    def holds(_):
        seen[0] = activity(browser)
        return seen[0] is not None and check(seen[0])
    try:
        browser.wait_until(holds, what, timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}; the activity line read {seen[0]!r}") from None
    return seen[0]


def test_typing_is_shown_to_the_other_and_ends_with_the_message(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)

    composer(b, f"#{channel['name']}").send_keys("half a thou")
    line = wait_activity(a, lambda t: "typing" in t, "A was not shown that B is typing")
    assert line.startswith("Bea ") and line.endswith("is typing…"), line
    assert "typing" not in (activity(b) or ""), "a person is shown their own typing"

    composer(b, f"#{channel['name']}").send_keys("ght", Keys.ENTER)
    wait_for_messages(a, showing("half a thought"), "A did not get B's message")
    wait_activity(a, lambda t: t == "", "the typing line stayed after B's message")


def test_an_agents_status_is_shown_with_its_text_until_its_ttl(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    headers = owner_headers(server, owner)
    with server.client() as c:
        agent = create_agent_ok(c, headers, owner["workspace_id"], f"Scout {tag()}")
        add_member_ok(c, headers, channel["id"], agent["id"])
        key = create_key_ok(c, headers, owner["workspace_id"], agent["id"], ["messages:write", "messages:read"])["key"]
        elsewhere = channel_with(server, owner, agent["id"])
        # a status in another channel is not shown in this one
        assert c.post(f"/api/v1/channels/{elsewhere['id']}/status", headers=bearer(key),
                      json={"state": "working", "text": "Elsewhere"}).status_code == 200
        r = c.post(f"/api/v1/channels/{channel['id']}/status", headers=bearer(key),
                   json={"state": "thinking", "text": "Reading <b>the</b> logs", "ttl_s": 3})
        assert r.status_code == 200, r.text
    line = wait_activity(a, lambda t: "thinking" in t, "the agent's status was not shown")
    assert "Scout" in line and "Reading <b>the</b> logs" in line, line
    assert "Elsewhere" not in line, line
    assert not a.driver.execute_script("return document.querySelector('.channel-pane .activity b') !== null;"), \
        "status text became markup"
    wait_activity(a, lambda t: t == "", "the agent's status outlived its TTL", timeout=12)
