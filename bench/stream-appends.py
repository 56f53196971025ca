#!/usr/bin/env python3
"""Streamed-reply benchmark (issue 16): how fast one agent can append to one reply, and how soon a
reader's socket sees each append, through the real release server on loopback (SQLite).

    bench/stream-appends.py [--appends 3000] [--rest-appends 1000]

A fresh data dir; the owner creates a channel and an agent with a key; the owner's WebSocket reads
the channel. Then, for one reply each:
  1. REST: the agent appends --rest-appends times, one after another on one keep-alive connection
     (`POST /api/v1/messages/{msg}/stream`), and finishes it;
  2. WebSocket: the agent sends --appends `stream` frames as fast as the socket takes them, then
     the final, and the run ends when the reader has the final `message.updated`.
It prints appends per second, the append latency (REST), the delay from an append being sent to
its `message.delta` at the reader (p50/p99), whether every delta arrived in order, and the
server's RSS. The `stream` limit is raised for the run (it is 3,000 a minute by default: 50 a
second per principal, which is what the contract asks a reply to take). Loopback only; the server
is always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_support import find_binary, stop, use_project_venv

try:
    import httpx
    from websockets.sync.client import connect
except ImportError:
    use_project_venv(__file__)
    sys.exit("needs httpx and websockets: .venv/bin/pip install httpx websockets")

API = "/api/v1"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Reader(threading.Thread):
    """The owner's socket: records when each delta of `message_id` arrives, until its final."""

    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.socket = connect(url.replace("http", "ws", 1) + API + "/ws", max_size=2**22)
        self.socket.send(json.dumps({"type": "auth", "token": token}))
        while json.loads(self.socket.recv(timeout=10)).get("type") != "ready":
            pass
        self.message_id: str | None = None
        self.arrivals: dict[int, float] = {}
        self.order_ok = True
        self.finished = threading.Event()

    def run(self) -> None:
        last = -1
        while not self.finished.is_set():
            frame = json.loads(self.socket.recv(timeout=60))
            data = frame.get("data") or {}
            if frame.get("event") == "message.delta" and data.get("message_id") == self.message_id:
                self.arrivals[data["offset"]] = time.perf_counter()
                self.order_ok &= data["offset"] > last
                last = data["offset"]
            elif frame.get("event") == "message.updated" and data.get("id") == self.message_id and not data.get("streaming"):
                self.finished.set()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--rest-appends", type=int, default=1000)
    args = parser.parse_args()
    binary = find_binary()
    data = tempfile.mkdtemp(prefix="conclave-bench-stream-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCLAVE_")}
    env.update(CONCLAVE_DATA_DIR=data, CONCLAVE_PORT="0", CONCLAVE_LOG_LEVEL="warning",
               CONCLAVE_RATE_LIMITS="api=1000000/1m,stream=1000000/1m,login=1000/1m,send=100000/1m:100000")
    owner = json.loads(subprocess.run([str(binary), "admin", "create-owner", "--email", "bench@example.com", "--workspace", "Bench"],
                                      env=env, capture_output=True, text=True, check=True).stdout)
    log = open(Path(data) / "server.log", "w")
    proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            found = re.search(r"listening on (http://[0-9.]+:\d+)", proc.stdout.readline())
            url = found and found.group(1)
        assert url, "the server did not start"
        with httpx.Client(base_url=url, timeout=30) as c:
            token = c.post(f"{API}/auth/login", json={"email": owner["email"], "password": owner["password"]}).json()["access_token"]
            me = {"authorization": f"Bearer {token}"}
            ws = owner["workspace_id"]
            channel = c.post(f"{API}/workspaces/{ws}/channels", headers=me, json={"name": "stream"}).json()["id"]
            agent = c.post(f"{API}/workspaces/{ws}/agents", headers=me, json={"name": "Streamer"}).json()["id"]
            c.post(f"{API}/channels/{channel}/members", headers=me, json={"member_id": agent})
            key = c.post(f"{API}/workspaces/{ws}/agents/{agent}/keys", headers=me,
                         json={"scopes": ["messages:read", "messages:write"]}).json()["key"]
            bot = {"authorization": f"Bearer {key}"}

            def run(kind: str, count: int) -> None:
                reader = Reader(url, token)
                reply = c.post(f"{API}/channels/{channel}/messages", headers=bot, json={"stream": True}).json()["id"]
                reader.message_id = reply
                reader.start()
                sent: dict[int, float] = {}
                latencies: list[float] = []
                began = time.perf_counter()
                if kind == "REST":
                    for i in range(count):
                        t = time.perf_counter()
                        answer = c.post(f"{API}/messages/{reply}/stream", headers=bot, json={"append": "tok "}).json()
                        latencies.append(time.perf_counter() - t)
                        sent[answer["offset"]] = t
                    c.post(f"{API}/messages/{reply}/stream", headers=bot, json={"final": True})
                else:
                    with connect(url.replace("http", "ws", 1) + API + "/ws") as sock:
                        sock.send(json.dumps({"type": "auth", "token": key}))
                        while json.loads(sock.recv(timeout=10)).get("type") != "ready":
                            pass
                        for i in range(count):
                            sent[i * 4] = time.perf_counter()
                            sock.send(json.dumps({"type": "stream", "message_id": reply, "append": "tok "}))
                        sock.send(json.dumps({"type": "stream", "message_id": reply, "final": True}))
                        assert reader.finished.wait(120), "the reader never got the final"
                assert reader.finished.wait(120), "the reader never got the final"
                elapsed = time.perf_counter() - began
                delays = [reader.arrivals[o] - t for o, t in sent.items() if o in reader.arrivals]
                print(f"{kind}: {count} appends in {elapsed:.2f} s = {count / elapsed:,.0f} appends/s; "
                      + (f"append p50 {percentile(latencies, .5) * 1000:.2f} ms p99 {percentile(latencies, .99) * 1000:.2f} ms; "
                         if latencies else "")
                      + f"delta at the reader p50 {percentile(delays, .5) * 1000:.2f} ms p99 {percentile(delays, .99) * 1000:.2f} ms; "
                      + f"deltas received {len(reader.arrivals)}/{count}, in order: {reader.order_ok}")
                stored = c.get(f"{API}/channels/{channel}/messages", headers=me, params={"order": "desc", "limit": 1}).json()["data"][0]
                assert stored["id"] == reply and len(stored["text"]) == 4 * count, "the saved text is not every append"

            run("REST", args.rest_appends)
            run("WebSocket", args.appends)
            print(f"server RSS {rss_mib(proc.pid):.1f} MiB; load average {os.getloadavg()[0]:.2f}; binary {binary}")
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
