"""`events.listen()`: live typed events, mentions_only, and exactly once across everything that
breaks a connection (cut, silently dead, server restarted), a saved cursor, a cursor the server
cannot resume, and the long-poll transport (chosen, or fallen back to)."""

from __future__ import annotations

import threading

import pytest

from conclave import Conclave, ResumeFailedError
from conclave._stream_core import StreamCore, StreamOptions
from conclave import PermissionDeniedError
from conclave.events import ApprovalEvent, ChannelEvent, MessageDeltaEvent, MemberEvent, MessageEvent, ReactionEvent, StatusEvent
from conftest import SERVER_ENV, harness, make_agent, make_channel, tcp_proxy
from freezable_proxy import FreezableProxy
from http_proxy import HttpProxy


@pytest.fixture
def agent(client, ws):
    """An agent (key with messages and channels read), and a channel it and the owner are in."""
    bot, key = make_agent(client, ws)
    channel = make_channel(client, ws, bot.id)
    return bot, key, channel


def read_until(stream, message_id: str, limit: int = 200) -> list[MessageEvent]:
    """The `message.created` events read until (and including) the one of `message_id`."""
    got: list[MessageEvent] = []
    for _ in range(limit):
        event = next(stream)
        if isinstance(event, MessageEvent) and event.event == "message.created":
            got.append(event)
            if event.data.id == message_id:
                return got
    raise AssertionError(f"no message {message_id} in {limit} events")


def texts(events: list[MessageEvent]) -> list[str]:
    return [e.data.text or "" for e in events]


def post_all(client, channel, prefix: str, n: int) -> list[str]:
    return [client.messages.send(channel.id, f"{prefix}{i}").text for i in range(n)]


def test_listen_receives_typed_live_events(client, server, ws, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot, as_bot.events.listen() as stream:
        assert stream.transport == "websocket" and stream.cursor and stream.cursor.startswith("c1.")
        plain = client.messages.send(channel.id, "hello")
        mention = client.messages.send(channel.id, f"<@{bot.id}> look")
        events = read_until(stream, mention.id)
        assert [(e.data.id, e.mentioned) for e in events] == [(plain.id, False), (mention.id, True)]
        assert events[-1].data.mentions == [bot.id] and events[-1].workspace_id == ws
        assert stream.cursor == events[-1].cursor

        other = make_channel(client, ws)
        client.channels.add_member(other.id, bot.id)
        kinds = []
        for event in stream:
            kinds.append(type(event))
            if isinstance(event, MemberEvent):
                assert (event.data.channel_id, event.data.member_id) == (other.id, bot.id)
                break
        assert ChannelEvent in kinds or MemberEvent in kinds


def test_reactions_arrive_typed(client, server, agent):
    bot, key, channel = agent
    message = client.messages.send(channel.id, "react here")
    with Conclave(key, base_url=server.base_url) as as_bot, as_bot.events.listen() as stream:
        client.messages.react(message.id, "🎉")
        client.messages.unreact(message.id, "🎉")
        got = []
        for event in stream:
            if isinstance(event, ReactionEvent):
                got.append((event.event, event.data.message_id, event.data.emoji, event.data.count))
                if len(got) == 2:
                    break
        assert got == [("reaction.added", message.id, "🎉", 1), ("reaction.removed", message.id, "🎉", 0)]


def test_statuses_arrive_typed_and_leave_the_cursor_alone(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot, as_bot.events.listen() as stream:
        answer = client.channels.set_status(channel.id, "thinking", text="Planning", ttl_s=30)
        assert answer.state == "thinking" and answer.expires_at is not None
        event = next(e for e in stream if isinstance(e, StatusEvent))
        assert event.ephemeral and event.status.state == "thinking" and event.status.text == "Planning"
        assert event.status.principal_id == answer.principal_id and event.channel_id == channel.id
        sent = client.messages.send(channel.id, "here is the plan")
        message = next(e for e in stream if isinstance(e, MessageEvent))
        assert message.data.id == sent.id
        cleared = next(e for e in stream if isinstance(e, StatusEvent))
        assert (cleared.status.state, cleared.status.reason) == ("idle", "message")
        # an ephemeral event has no position of its own: resuming from here misses nothing
        assert stream.cursor == message.cursor == cleared.cursor


def test_an_agent_asks_a_person_and_hears_the_answer(client, server, agent):
    bot, key, channel = agent
    owner_id = client.me().id
    with Conclave(key, base_url=server.base_url) as as_bot, as_bot.events.listen(mentions_only=True) as stream:
        asked = as_bot.messages.request_approval(channel.id, "Deploy to production?", [owner_id], expires_in=600)
        assert asked.kind == "approval_request" and asked.approval.status == "pending" and asked.approval.expires_at
        with pytest.raises(PermissionDeniedError):
            as_bot.messages.answer_approval(asked.id, "approve")
        answered = client.messages.answer_approval(asked.id, "approve", comment="ship it")
        assert (answered.approval.status, answered.approval.by, answered.approval.comment) == ("approved", owner_id, "ship it")
        event = next(e for e in stream if isinstance(e, ApprovalEvent))
        assert event.data.message_id == asked.id and event.data.requester_id == bot.id
        assert event.data.approval.status == "approved"


def test_a_streamed_reply_arrives_as_typed_deltas_then_the_final(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot, client.events.listen() as stream:
        reply = as_bot.messages.start_stream(channel.id)
        assert reply.streaming is True and reply.text == ""
        offsets = [as_bot.messages.append_stream(reply.id, piece).offset for piece in ("Let me ", "check… ", "done.")]
        assert offsets == [0, 7, 14]
        finished = as_bot.messages.finish_stream(reply.id)
        assert (finished.streaming, finished.text) == (False, "Let me check… done.")
        deltas, final = [], None
        for event in stream:
            if isinstance(event, MessageDeltaEvent) and event.data.message_id == reply.id:
                assert event.ephemeral
                deltas.append((event.data.offset, event.data.append))
            elif isinstance(event, MessageEvent) and event.event == "message.updated" and event.data.id == reply.id:
                final = event
                break
        assert deltas == [(0, "Let me "), (7, "check… "), (14, "done.")]
        assert final.data.streaming is False and final.data.text == "Let me check… done."
        assert stream.cursor == final.cursor


def test_mentions_only(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot, as_bot.events.listen(mentions_only=True) as stream:
        client.messages.send(channel.id, "chatter")
        mention = client.messages.send(channel.id, f"<@{bot.id}> only this")
        event = next(stream)
        assert isinstance(event, MessageEvent) and event.data.id == mention.id and event.mentioned is True


def test_cut_connection_reconnects_and_resumes_exactly_once(client, server, agent):
    bot, key, channel = agent
    proxy = tcp_proxy.CuttableProxy(server.host, server.port)
    try:
        with Conclave(key, base_url=f"http://127.0.0.1:{proxy.port}") as as_bot, \
                as_bot.events.listen(reconnect_initial=0.05, reconnect_max=0.3) as stream:
            first = client.messages.send(channel.id, "before")
            assert texts(read_until(stream, first.id)) == ["before"]
            proxy.cut()  # the socket drops and new connections are refused
            missed = post_all(client, channel, "missed-", 5)
            restore = threading.Timer(0.5, proxy.restore)
            restore.start()
            live = client.messages.send(channel.id, "live")
            got = texts(read_until(stream, live.id))
            restore.join()
            assert got == missed + ["live"], got
            assert stream.connections == 2 and stream.transport == "websocket"
    finally:
        proxy.close()


def test_silent_connection_is_noticed_by_the_heartbeat(client, server, agent):
    bot, key, channel = agent
    proxy = FreezableProxy(server.host, server.port)
    try:
        with Conclave(key, base_url=proxy.base_url) as as_bot, \
                as_bot.events.listen(ping_interval=0.3, pong_timeout=0.5, reconnect_initial=0.05) as stream:
            # quiet for well over a few ping intervals: pongs keep the one connection alive
            later = threading.Timer(1.5, lambda: client.messages.send(channel.id, "after quiet"))
            later.start()
            assert texts([next(stream)]) == ["after quiet"]
            later.join()
            assert stream.connections == 1

            proxy.freeze()  # nothing closes; the socket just goes silent
            sent = post_all(client, channel, "while frozen-", 3)
            live = client.messages.send(channel.id, "live")
            assert texts(read_until(stream, live.id)) == sent + ["live"]
            assert stream.connections == 2
    finally:
        proxy.close()


def test_server_restart_on_the_same_port_resumes(make_server):
    server = make_server(env=SERVER_ENV)
    owner = harness.create_owner(server)
    with Conclave(base_url=server.base_url) as c:
        c.auth.login(owner["email"], owner["password"])
        bot, key = make_agent(c, owner["workspace_id"])
        channel = make_channel(c, owner["workspace_id"], bot.id)
        with Conclave(key, base_url=server.base_url) as as_bot, \
                as_bot.events.listen(reconnect_initial=0.1, reconnect_max=0.5) as stream:
            first = c.messages.send(channel.id, "before restart")
            assert texts(read_until(stream, first.id)) == ["before restart"]
            port = server.port
            server.stop()
            server.extra_env["CONCLAVE_PORT"] = str(port)
            server.start()
            assert server.port == port
            after = c.messages.send(channel.id, "after restart")
            assert texts(read_until(stream, after.id)) == ["after restart"]
            assert stream.connections >= 2


def test_a_saved_cursor_resumes_in_a_new_stream(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot:
        with as_bot.events.listen() as stream:
            seen = client.messages.send(channel.id, "seen")
            read_until(stream, seen.id)
            saved = stream.cursor
        missed = post_all(client, channel, "while away-", 4)
        with as_bot.events.listen(cursor=saved) as stream:
            last = client.messages.send(channel.id, "back")
            assert texts(read_until(stream, last.id)) == missed + ["back"]


def test_unresumable_cursor_raises_resume_failed_then_goes_on(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot:
        with as_bot.events.listen(cursor="c1.bm90LWEtY3Vyc29y") as stream:
            with pytest.raises(ResumeFailedError) as info:
                next(stream)
            assert info.value.previous_cursor == "c1.bm90LWEtY3Vyc29y" and info.value.cursor == stream.cursor
            live = client.messages.send(channel.id, "after the failure")
            assert texts(read_until(stream, live.id)) == ["after the failure"]

        reported: list[ResumeFailedError] = []
        with as_bot.events.listen(cursor="garbage", on_resume_failed=reported.append) as stream:
            live = client.messages.send(channel.id, "callback instead")
            assert texts(read_until(stream, live.id)) == ["callback instead"]
            assert len(reported) == 1 and reported[0].previous_cursor == "garbage"


def test_long_poll_transport(client, server, agent):
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot:
        with as_bot.events.listen(transport="longpoll", poll_wait=5) as stream:
            assert stream.transport == "longpoll" and stream.cursor
            plain = client.messages.send(channel.id, "polled")
            mention = client.messages.send(channel.id, f"<@{bot.id}> polled too")
            events = read_until(stream, mention.id)
            assert [(e.data.text, e.mentioned) for e in events] == [("polled", False), (f"<@{bot.id}> polled too", True)]
            saved = stream.cursor
        missed = post_all(client, channel, "poll-missed-", 3)
        with as_bot.events.listen(transport="longpoll", cursor=saved, poll_wait=5) as stream:
            last = client.messages.send(channel.id, "poll-last")
            assert texts(read_until(stream, last.id)) == missed + ["poll-last"]
        with as_bot.events.listen(transport="longpoll", cursor="c1.bm90LWEtY3Vyc29y", poll_wait=5) as stream:
            with pytest.raises(ResumeFailedError):
                next(stream)
            live = client.messages.send(channel.id, "poll after failure")
            assert texts(read_until(stream, live.id)) == ["poll after failure"]
        assert plain.text == "polled"


def test_auto_falls_back_to_long_poll_when_the_upgrade_is_refused(client, server, agent):
    bot, key, channel = agent
    proxy = HttpProxy(server.host, server.port,
                      lambda req: "refuse" if req.headers.get("upgrade", "").lower() == "websocket" else "forward")
    try:
        with Conclave(key, base_url=proxy.base_url) as as_bot, as_bot.events.listen(poll_wait=5) as stream:
            assert stream.transport == "longpoll"
            assert proxy.requests("GET", "/api/v1/ws")[0].action == "refuse"
            msg = client.messages.send(channel.id, "through the proxy")
            assert texts(read_until(stream, msg.id)) == ["through the proxy"]
    finally:
        proxy.close()


def test_repeated_and_out_of_date_frames_are_dropped(client, server, agent):
    """The dedupe that keeps reconnects exactly once, fed the server's own frames twice."""
    bot, key, channel = agent
    with Conclave(key, base_url=server.base_url) as as_bot:
        start = as_bot.events.poll(wait=0).cursor
        sent = post_all(client, channel, "frame-", 4)
        frames = as_bot.request("GET", "/api/v1/events", params={"after": start, "wait": 0})["events"]
    assert [f["data"]["text"] for f in frames] == sent
    core = StreamCore(start, StreamOptions(), None)
    for frame in frames[:3] + frames[:2] + frames + frames[1:2]:
        core.offer(frame)
    delivered = []
    while (event := core.take()) is not None:
        delivered.append(event.data.text)
    assert delivered == sent and core.delivered_cursor == frames[-1]["cursor"]
