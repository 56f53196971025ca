"""Durability and shutdown under load, over real sockets:

- kill -9 in the middle of a send storm (REST and WebSocket senders) loses no acknowledged message:
  after a restart on the same data dir / database every 201 and every `ack` is there, with its text,
  and the channel's seqs are gapless;
- SIGTERM with sockets whose clients stopped reading still exits promptly (a full socket never
  holds the shutdown hostage), with exit code 0.
"""

from __future__ import annotations

import json
import signal
import threading
import time

import httpx

from conftest import create_owner
from helpers_messaging import (API, MESSAGING_SERVER_ENV, Stream, channel_name, create_channel_ok, list_messages,
                               non_reading_stream, ws_connect)


def _rest_sender(base_url: str, headers: dict, ch: str, tag: str, stop: threading.Event, acked: dict, lock: threading.Lock):
    n = 0
    with httpx.Client(base_url=base_url, timeout=10) as c:
        while not stop.is_set():
            n += 1
            text = f"{tag}-{n}"
            try:
                r = c.post(f"{API}/channels/{ch}/messages", json={"text": text, "client_msg_id": text}, headers=headers)
            except httpx.HTTPError:
                return  # the server is gone; this one was never acknowledged
            if r.status_code == 201:
                with lock:
                    acked[r.json()["id"]] = text
            elif r.status_code >= 500:
                return


def _ws_sender(server, token: str, ch: str, stop: threading.Event, acked: dict, lock: threading.Lock):
    stream = Stream(ws_connect(server, max_queue=None))
    try:
        stream.send({"type": "auth", "token": token})
        while stream.recv(timeout=10).get("type") != "ready":
            pass
        n = 0
        while not stop.is_set():
            # One in flight at a time, so each ack matches its send.
            n += 1
            text = f"ws-{n}"
            stream.send({"type": "send", "channel_id": ch, "text": text, "client_msg_id": text})
            while True:
                frame = stream.recv(timeout=10)
                if frame.get("type") == "ack":
                    assert frame["client_msg_id"] == text, frame
                    with lock:
                        acked[frame["message"]["id"]] = text
                    break
                if frame.get("type") == "error":
                    raise AssertionError(f"send refused: {frame}")
    except Exception:
        return  # the server was killed mid-flight
    finally:
        stream.close()


def test_kill_9_during_a_send_storm_loses_no_acknowledged_message(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "storm@example.com", "Storm")
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("storm"))["id"]

    acked: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()
    senders = [threading.Thread(target=_rest_sender, args=(server.base_url, owner["headers"], ch, f"rest{i}", stop, acked, lock),
                                daemon=True) for i in range(8)]
    senders.append(threading.Thread(target=_ws_sender, args=(server, owner["access_token"], ch, stop, acked, lock), daemon=True))
    for t in senders:
        t.start()

    # Let the storm build, then pull the plug while requests are in flight.
    deadline = time.monotonic() + 30
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for t in senders:
        t.join(timeout=20)
    with lock:
        acknowledged = dict(acked)
    assert len(acknowledged) >= 300, f"only {len(acknowledged)} messages acknowledged before the kill"
    assert any(text.startswith("ws-") for text in acknowledged.values()), "the WebSocket sender got no ack"

    server.start()
    with server.client() as c:
        stored = list_messages(c, owner["headers"], ch)
    by_id = {m["id"]: m for m in stored}
    lost = [mid for mid in acknowledged if mid not in by_id]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged messages are gone after kill -9: {lost[:5]}"
    changed = [mid for mid, text in acknowledged.items() if by_id[mid]["text"] != text]
    assert not changed, f"acknowledged messages came back with other text: {changed[:5]}"
    seqs = [m["seq"] for m in stored]
    assert seqs == list(range(1, len(stored) + 1)), "seqs are not gapless after recovery"
    # Every stored message was sent by one of our senders exactly once (no duplicates from retries).
    texts = [m["text"] for m in stored]
    assert len(texts) == len(set(texts)), "a message was stored twice"


def test_sigterm_with_clients_that_stopped_reading_exits_promptly(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "stuck@example.com", "Stuck")
    with server.client() as c:
        ch = create_channel_ok(c, owner["headers"], owner["workspace_id"], channel_name("stuck"))["id"]

    # Sockets that authenticate, then never read again, with tiny receive buffers.
    stuck = [non_reading_stream(server, owner["access_token"]) for _ in range(4)]

    # Enough traffic to fill their socket buffers, not enough to hit the 4408 queue bound.
    filler = "x" * 8000
    with server.client() as c:
        for i in range(300):
            r = c.post(f"{API}/channels/{ch}/messages", json={"text": f"{i} {filler}"}, headers=owner["headers"])
            assert r.status_code == 201, r.text
    time.sleep(1)

    started = time.monotonic()
    code = server.stop(signal.SIGTERM, timeout=30)
    took = time.monotonic() - started
    for s in stuck:
        s.close()
    assert code == 0, f"exit code {code}\n{server.stderr[-2000:]}"
    assert took < 20, f"shutdown took {took:.1f}s with non-reading clients"


def test_sigterm_answers_waiting_long_polls_and_exits_promptly(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    owner = create_owner(server, "poll@example.com", "Poll")
    answers: list[httpx.Response] = []

    def poll():
        with httpx.Client(base_url=server.base_url, timeout=40) as c:
            answers.append(c.get(f"{API}/events", params={"wait": 25}, headers=owner["headers"]))

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(3)]
    for t in pollers:
        t.start()
    time.sleep(1.0)
    started = time.monotonic()
    code = server.stop(signal.SIGTERM, timeout=30)
    took = time.monotonic() - started
    for t in pollers:
        t.join(timeout=10)
    assert code == 0
    assert took < 10, f"shutdown waited {took:.1f}s for long polls"
    assert len(answers) == 3 and all(r.status_code == 200 for r in answers), [r.status_code for r in answers]
    assert all(r.json()["events"] == [] and r.json()["cursor"] for r in answers)
