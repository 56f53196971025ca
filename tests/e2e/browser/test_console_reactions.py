"""Reaction chips in the console (contract v1.1 reactions) in headless Chromium against the real
binary: a person adds a reaction from a message's "React" picker, another browser sees the chip
and its count change live, clicks it (and presses it from the keyboard) to toggle its own
reaction, with `aria-pressed` and an aria-label such as "👍 2, you reacted"; the server holds the
same counts. Every wait is on a condition of the page."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from helpers_messaging import post_ok

from .chat_pages import click, owner_headers, press_message_action, showing, stored_messages, wait_for_chips, wait_for_messages
from .test_console_chat import two_in_a_channel

MAIN = ".channel-pane .message-items"


def chip(message_id: str, emoji: str) -> str:
    return f"{MAIN} article[data-id='{message_id}'] .reactions button.reaction[data-emoji='{emoji}']"


def test_a_reaction_chip_toggles_and_is_seen_live_in_the_other_browser(server, owner, open_browser):
    a, b, bea, channel = two_in_a_channel(server, owner, open_browser)
    with server.client() as c:
        message = post_ok(c, owner_headers(server, owner), channel["id"], "react to this")
    for browser in (a, b):
        wait_for_messages(browser, showing("react to this"), "the message did not show")
    mid = message["id"]

    # A reacts from the picker; B sees the chip appear live, not pressed
    press_message_action(a, mid, "Add a reaction")
    click(a, f"{MAIN} article[data-id='{mid}'] .reaction-picker button[aria-label='React with 👍']", "no 👍 in the picker")
    wait_for_chips(a, mid, [{"label": "👍 1, you reacted", "pressed": "true"}], "A's chip is not pressed")
    wait_for_chips(b, mid, [{"label": "👍 1", "pressed": "false"}], "B did not see A's reaction live")

    # B clicks the chip: both see 2, pressed only where it is one's own
    click(b, chip(mid, "👍"), "B has no 👍 chip")
    wait_for_chips(b, mid, [{"label": "👍 2, you reacted", "pressed": "true"}], "B's click did not add its reaction")
    wait_for_chips(a, mid, [{"label": "👍 2, you reacted", "pressed": "true"}], "A did not see B's reaction live")

    # A takes its reaction back from the keyboard
    a.wait_until(lambda d: d.find_element(By.CSS_SELECTOR, chip(mid, "👍")).send_keys(Keys.ENTER) or True, "A has no 👍 chip")
    wait_for_chips(a, mid, [{"label": "👍 1", "pressed": "false"}], "A's key press did not remove its reaction")
    wait_for_chips(b, mid, [{"label": "👍 1, you reacted", "pressed": "true"}], "B did not see A's removal live")

    stored = [m for m in stored_messages(server, bea["headers"], channel["id"]) if m["id"] == mid]
    assert stored and stored[0]["reactions"] == [{"emoji": "👍", "count": 1, "me": True}], stored
