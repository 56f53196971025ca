"""`AsyncConclave`: the same resources awaited, `async for` over lists and events, typed errors,
and a cut connection resumed exactly once."""

from __future__ import annotations

import asyncio

import pytest

from conclave import AsyncConclave, NotFoundError
from conclave.events import MessageEvent
from conclave.models import Message
from conftest import make_agent, make_channel, tcp_proxy


async def read_until(stream, message_id: str) -> list[str]:
    texts = []
    async for event in stream:
        if isinstance(event, MessageEvent) and event.event == "message.created":
            texts.append(event.data.text)
            if event.data.id == message_id:
                return texts
    raise AssertionError("stream ended")


def test_async_client(client, server, owner, ws):
    bot, key = make_agent(client, ws)
    channel = make_channel(client, ws, bot.id)
    proxy = tcp_proxy.CuttableProxy(server.host, server.port)

    async def main() -> None:
        async with AsyncConclave(base_url=server.base_url) as person:
            await person.auth.login(owner["email"], owner["password"])
            assert (await person.me()).email == owner["email"]
            sent = [await person.messages.send(channel.id, f"a{i}") for i in range(7)]
            assert all(isinstance(m, Message) for m in sent)
            assert [m.text async for m in person.messages.list(channel.id, limit=3)] == [f"a{i}" for i in range(7)]
            with pytest.raises(NotFoundError) as info:
                await person.channels.get("ch_" + "Z" * 20)
            assert info.value.request_id

            async with AsyncConclave(key, base_url=f"http://127.0.0.1:{proxy.port}") as as_bot:
                async with as_bot.events.listen(reconnect_initial=0.05, reconnect_max=0.3) as stream:
                    first = await person.messages.send(channel.id, "before")
                    assert await read_until(stream, first.id) == ["before"]
                    proxy.cut()
                    missed = [(await person.messages.send(channel.id, f"missed {i}")).text for i in range(3)]
                    asyncio.get_running_loop().call_later(0.5, proxy.restore)
                    live = await person.messages.send(channel.id, "live")
                    assert await read_until(stream, live.id) == missed + ["live"]
                    assert stream.connections == 2

                async with as_bot.events.listen(transport="longpoll", poll_wait=5, mentions_only=True) as stream:
                    await person.messages.send(channel.id, "not for the bot")
                    ping = await person.messages.send(channel.id, f"<@{bot.id}> async ping")
                    event = await stream.__anext__()
                    assert isinstance(event, MessageEvent) and event.data.id == ping.id and event.mentioned

    try:
        asyncio.run(main())
    finally:
        proxy.close()
