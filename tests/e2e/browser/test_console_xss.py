"""A malicious agent against the console (issue 14): an agent's API key posts the XSS corpus —
HTML that would run script, `javascript:`/`data:`/`vbscript:` links, an RTL override, 40,000
characters — under a name of zero-width characters and an RTL override that spoofs the owner's.
In headless Chromium the person reading the channel sees nothing but text: no script ran (the
page guard's `window.__xss` canary and CSP violation record), the message list holds no element
a message could have smuggled in, every link is an http(s) link with rel="noopener noreferrer",
the long message folds behind "Show more" without freezing the page, the agent is marked as one,
and axe finds no serious or critical violation."""

from __future__ import annotations

import re

from selenium.webdriver.common.keys import Keys

from helpers_agents import bearer, create_agent_ok, create_key_ok
from helpers_messaging import add_member_ok, post_ok

from .accessibility import assert_accessible
from .chat_pages import (
    MAIN_LIST, channel_with, click, composer, messages, open_channel, owner_headers, showing, sign_in_to_chat,
    wait_for_messages,
)

LONG_TEXT_LIMIT = 40_000
LONG = ("A wall of text. " * (LONG_TEXT_LIMIT // 16 + 1))[:LONG_TEXT_LIMIT - 4] + " end"
HTTP_LINK = "https://example.com/docs?page=1"

# (posted text, what the reader must see: the same text, or the text an unsafe link becomes)
CORPUS = [
    ("<img src=x onerror=window.__xss=1>", None),
    ("<svg onload=window.__xss=1>", None),
    ("<script>window.__xss=1</script>", None),
    ('<iframe srcdoc="<script>window.__xss=1</script>"></iframe>', None),
    ('<a href="javascript:window.__xss=1">x</a>', None),
    ('<object data="javascript:window.__xss=1"></object>', None),
    ("[x](javascript:window.__xss=1)", "x (javascript:window.__xss=1)"),
    ("[data](data:text/html,<script>window.__xss=1</script>)", "data (data:text/html,<script>window.__xss=1</script>)"),
    ("[vb](vbscript:window.__xss=1)", "vb (vbscript:window.__xss=1)"),
    ("invoice_\u202Efdp.exe", "invoice_fdp.exe"),
    (f"the docs: {HTTP_LINK}", None),
    (LONG, None),
]
# Characters that reorder or hide text: none may reach the screen from a name or a message.
SPOOFING = re.compile("[\u200B-\u200D\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069]")

# The message list, looked at once: elements a message must never become, and every link.
INSPECT_LIST = """
const list = document.querySelector(arguments[0]);
return {
  smuggled: [...list.querySelectorAll('img, svg, iframe, frame, script, object, embed, video, audio, style, link, base, form, input, math')]
    .map((e) => e.outerHTML.slice(0, 120)),
  links: [...list.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel') || '', text: a.textContent })),
  scripts: [...document.scripts].map((s) => s.src),
  frames: document.querySelectorAll('iframe, frame, object, embed').length,
};
"""


def test_an_agents_xss_corpus_is_only_text(server, owner, browser):
    headers = owner_headers(server, owner)
    channel = channel_with(server, owner)
    with server.client() as c:
        owner_name = c.get("/api/v1/me", headers=headers).json()["name"]
        spoof = "\u200B" + owner_name[:1] + "\u200D" + owner_name[1:] + "\u202E\u2066"
        agent = create_agent_ok(c, headers, owner["workspace_id"], spoof)
        key = create_key_ok(c, headers, owner["workspace_id"], agent["id"],
                            ["messages:read", "messages:write", "channels:read"])["key"]
        add_member_ok(c, headers, channel["id"], agent["id"])
        # Half the corpus is there when the channel opens (the REST page), half arrives live.
        half = len(CORPUS) // 2
        posted = [post_ok(c, bearer(key), channel["id"], text) for text, _ in CORPUS[:half]]

        sign_in_to_chat(browser, owner["email"], owner["password"])
        open_channel(browser, channel["id"])
        wait_for_messages(browser, lambda ms: len(ms) == half, "the corpus posted before did not show")
        posted += [post_ok(c, bearer(key), channel["id"], text) for text, _ in CORPUS[half:]]
    shown = wait_for_messages(browser, lambda ms: len(ms) == len(CORPUS) and ms, "the corpus posted live did not show")

    browser.assert_clean()
    assert [m["id"] for m in shown] == [p["id"] for p in posted], "the corpus shows out of order"
    for (text, expected), message in zip(CORPUS, shown):
        if text is LONG:
            assert message["text"] == LONG[:1500] + "…", "the long message is not folded to its start"
            continue
        assert message["text"] == (expected or text), f"not shown as the literal text: {message['text']!r} for {text!r}"
        assert not SPOOFING.search(message["text"]), f"a bidi or invisible character reached the screen: {message['text']!r}"
    for message in shown:
        assert "from-agent" in message["classes"] and "agent" in message["badges"], f"not marked as an agent's: {message}"
        assert not SPOOFING.search(message["sender"]), f"the agent's name keeps spoofing characters: {message['sender']!r}"
        assert message["sender"] == owner_name, message["sender"]

    found = browser.driver.execute_script(INSPECT_LIST, MAIN_LIST)
    assert found["smuggled"] == [], f"the message list holds elements from messages: {found['smuggled']}"
    assert found["frames"] == 0 and found["scripts"] == [f"{browser.base_url}/console/app.js"], found
    assert found["links"], "no link at all: the http link in a message was not made a link"
    for link in found["links"]:
        assert re.match(r"^https?://", link["href"] or ""), f"a link that is not http(s): {link}"
        assert {"noopener", "noreferrer"} <= set(link["rel"].split()), f"a link without noopener noreferrer: {link}"
    assert [link["href"] for link in found["links"]] == [HTTP_LINK], found["links"]
    assert_accessible(browser, "a channel with the XSS corpus")

    # The 40,000 characters unfold on request, and the page still answers afterwards.
    long_id = posted[[text for text, _ in CORPUS].index(LONG)]["id"]
    assert [m["toggle"] for m in shown if m["id"] == long_id] == ["Show more"], "the long message has no Show more"
    click(browser, f"{MAIN_LIST} article[data-id='{long_id}'] button[aria-expanded]", "no Show more button")
    wait_for_messages(browser, lambda ms: [m for m in ms if m["id"] == long_id and m["text"] == LONG],
                      "Show more did not show the whole message")
    composer(browser, f"#{channel['name']}").send_keys("still responsive", Keys.ENTER)
    wait_for_messages(browser, showing("still responsive"), "the page stopped answering after the long message")
    assert [m["text"] for m in messages(browser)][-1] == "still responsive"
    browser.assert_clean()
