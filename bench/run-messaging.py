#!/usr/bin/env python3
"""Messaging benchmark: the scenarios of issue 5 against the real release server on loopback.

    bench/run-messaging.py [--seconds 10] [--only 1,2,3,4] [--postgres URL]

Scenarios (each one starts its own fresh server and database, and stops it afterwards):
  1  send throughput: 16 agents (--senders; 16 principals, members of one channel, keys with messages:write),
     each on its own keep-alive HTTP/1.1 connection, POST /api/v1/channels/{ch}/messages as fast
     as answers come back for --seconds. Reports msgs/s, server CPU ms per message (utime+stime
     of the server pid from /proc), the load generator's own CPU per message, the machine's CPU.
  2  delivery latency: one receiver socket; 8 sender agents paced to a steady --rate (500) msgs/s
     for --seconds. Latency = time the event frame reached the receiver's socket - time the POST
     started, matched by client_msg_id. Reports p50/p90/p99/max.
  3  fan-out: 1,000 agents, one socket each, all members of the channel; one agent posts one
     message; time until the last socket has it (and the median). 1 warm-up + --rounds rounds.
  4  idle sockets: 500 agents x 20 sockets = 10,000 authenticated sockets (opened in batches),
     wait for every `ready`, then the server's VmRSS and RSS per socket; held idle through one
     server ping cycle (--idle-hold seconds) to see that they stay open and memory stays flat.

Backend: SQLite in a temporary data dir, or with --postgres URL a fresh database created on that
server with psql (and dropped afterwards); the server gets CONCLAVE_DATABASE_URL pointing to it.

Clients. The hot paths use a minimal client written on raw asyncio sockets, so that the Python
load generator (which shares the machine's cores with the server) costs as little as possible per
request and per frame: HTTP/1.1 keep-alive with pre-built request heads, and a small RFC 6455
client whose receive time is the kernel's timestamp of the packet (SO_TIMESTAMPNS), so event-loop
delays in this process do not count as server latency. `--http-client httpx` and
`--ws-client websockets` switch to those libraries instead (to compare; they cost more client CPU,
and the websockets receive time is when the library hands the frame to us). Setup uses httpx.

Rate limits are raised (CONCLAVE_RATE_LIMITS) so they do not take part. Loopback only. Every loop
is bounded in count and in time; the server started here is always stopped (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from bench_support import find_binary, use_project_venv  # noqa: E402
try:
    import httpx
except ImportError:   # started with a Python that lacks the dependencies: use the project's venv
    use_project_venv(__file__)
    raise
API = "/api/v1"
RATE_LIMITS = ("send=1000000/1m:1000000,api=1000000/1m,api_anonymous=1000000/1m,ws_connect=1000000/1m,"
               "login=1000000/1m")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # Linux; SCM_TIMESTAMPNS == SO_TIMESTAMPNS
AGENT_SOCKET_CAP = 20                                     # RealtimeConnection.agentSocketsPerAgent
SCOPES = ["messages:read", "messages:write", "channels:read"]
# Client sockets connect from this loopback address. Thousands of client sockets take thousands of
# ephemeral ports; bound to 127.0.0.1 one of them can hold a port that another loopback service
# (e.g. the test PostgreSQL on 127.0.0.1:55432) then cannot bind. From 127.0.0.2 they cannot.
CLIENT_ADDRESS = "127.0.0.2"


def now_ns() -> int:
    """Wall clock in ns: the same clock as the kernel's SO_TIMESTAMPNS receive timestamps."""
    return time.time_ns()


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# /proc readings
# ------------------------------------------------------------------------------------------------

def proc_cpu_ticks(pid: int) -> int:
    """utime + stime of a process (all threads), in clock ticks."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def proc_threads(pid: int) -> int:
    return proc_status_kib(pid, "Threads")


def database_cpu_ticks() -> int:
    """utime + stime of every local `postgres` process (the database server's share of the work
    when the backend is a PostgreSQL on this machine). Processes that come and go in between
    are missed, which is fine for a pool of long-lived connections."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += proc_cpu_ticks(int(entry.name))
        except (OSError, ValueError):
            continue
    return total


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(parts[:8])
    idle = parts[3] + parts[4]
    return total - idle, total


def self_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class CPUWindow:
    """CPU used by the server, by this load generator and by the whole machine over a window."""

    def __init__(self, server_pid: int, database: bool = False):
        self.pid = server_pid
        self.database = database
        self.db_s = 0.0

    def __enter__(self):
        self.t0 = time.monotonic()
        self.server0 = proc_cpu_ticks(self.pid)
        self.self0 = self_cpu_seconds()
        self.busy0, self.total0 = machine_busy_ticks()
        self.db0 = database_cpu_ticks() if self.database else 0
        return self

    def stop(self):
        self.elapsed = time.monotonic() - self.t0
        self.server_s = (proc_cpu_ticks(self.pid) - self.server0) / CLK_TCK
        self.self_s = self_cpu_seconds() - self.self0
        busy1, total1 = machine_busy_ticks()
        self.machine_busy = (busy1 - self.busy0) / max(1, total1 - self.total0)   # fraction of all cores
        if self.database:
            self.db_s = (database_cpu_ticks() - self.db0) / CLK_TCK

    def __exit__(self, *exc):
        if not hasattr(self, "elapsed"):
            self.stop()

    def summary(self) -> str:
        cores = os.cpu_count() or 1
        db = (f"PostgreSQL processes {self.db_s:.2f} s ({self.db_s / self.elapsed / cores:.0%}), "
              if self.database else "")
        return (f"server CPU {self.server_s:.2f} s ({self.server_s / self.elapsed / cores:.0%} of {cores} cores), "
                f"load generator CPU {self.self_s:.2f} s ({self.self_s / self.elapsed / cores:.0%}), "
                f"{db}machine busy {self.machine_busy:.0%}")


async def quiet_cpu(server: "Server", seconds: float) -> float:
    """The server's CPU use, as a fraction of one core, over `seconds` in which the load
    generator sends nothing (it should be near 0)."""
    before, t0 = proc_cpu_ticks(server.pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (proc_cpu_ticks(server.pid) - before) / CLK_TCK / (time.monotonic() - t0)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def ms(ns_or_s: float, unit: str = "ns") -> str:
    value = ns_or_s / 1e6 if unit == "ns" else ns_or_s * 1e3
    if value != value:
        return "—"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


# ------------------------------------------------------------------------------------------------
# The server under test
# ------------------------------------------------------------------------------------------------

class PostgresDatabase:
    """A fresh database on the given server, dropped on close."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"conclave_bench_{secrets.token_hex(4)}"
        parsed = urllib.parse.urlsplit(admin_url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("--postgres must point to a loopback server")
        self.url = urllib.parse.urlunsplit(parsed._replace(path="/" + self.name))

    def psql(self, sql: str) -> None:
        out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.admin_url, "-c", sql],
                             timeout=60, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {out.stderr.strip().splitlines()[0] if out.stderr.strip() else out.returncode}")

    def create(self) -> None:
        self.psql(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def drop(self) -> None:
        if not getattr(self, "created", False):
            return
        try:
            self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - report and go on: the run's results still stand
            log(f"warning: could not drop database {self.name}: {exc}")


class Server:
    """A release `conclave serve` on an ephemeral loopback port with its own data dir."""

    live: list["Server"] = []

    def __init__(self, binary: Path, postgres: str | None):
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="conclave-bench-"))
        self.log_path = self.dir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.pg = PostgresDatabase(postgres) if postgres else None
        self.env = dict(os.environ, CONCLAVE_DATA_DIR=str(self.dir / "data"), CONCLAVE_HOST="127.0.0.1",
                        CONCLAVE_PORT="0", CONCLAVE_LOG_LEVEL="warning", CONCLAVE_RATE_LIMITS=RATE_LIMITS)
        self.env.pop("CONCLAVE_DATABASE_URL", None)
        self.email = "bench@example.com"
        self.password = "Pw-" + secrets.token_urlsafe(18)  # no context word (email, service name)

    def start(self) -> None:
        Server.live.append(self)
        if self.pg:
            self.pg.create()
            self.env["CONCLAVE_DATABASE_URL"] = self.pg.url
        out = subprocess.run([str(self.binary), "admin", "create-owner", "--email", self.email,
                              "--workspace", "Bench", "--password-stdin"], input=self.password + "\n",
                             env=self.env, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"create-owner failed: {out.stderr.strip()}")
        self.workspace_id = json.loads(out.stdout)["workspace_id"]
        self.logfile = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(self.binary), "serve"], env=self.env, stdout=self.logfile,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            found = re.search(r"conclave listening on (http://[0-9.]+:(\d+))", text)
            if found:
                self.base_url, self.port = found.group(1), int(found.group(2))
                self.host = "127.0.0.1"
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{text[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("server did not print 'conclave listening on' within 60 s")

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_mib(self) -> float:
        return proc_status_kib(self.pid, "VmRSS") / 1024

    def hwm_mib(self) -> float:
        return proc_status_kib(self.pid, "VmHWM") / 1024

    def log_findings(self) -> list[str]:
        """Warnings and errors the server logged (it runs at level warning), counted by message."""
        counts: dict[str, int] = {}
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        for line in lines[:200_000]:
            if "conclave listening on" in line or not line.strip():
                continue
            try:
                entry = json.loads(line)
                key = f"{entry.get('level', '?')}: {entry.get('message', entry.get('msg', ''))}"
                extra = {k: v for k, v in entry.items() if k in ("error", "reason", "close_code", "route")}
                if extra:
                    key += " " + json.dumps(extra)[:160]
            except ValueError:
                key = "unstructured: " + line[:200]
            counts[key] = counts.get(key, 0) + 1
        return [f"{n} x {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])][:12]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log("server did not stop within 15 s of SIGTERM: killing it")
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "logfile", None):
            self.logfile.close()
        if self.pg:
            self.pg.drop()
            self.pg = None
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in Server.live:
            Server.live.remove(self)


def stop_all_servers() -> None:
    for server in list(Server.live):
        try:
            server.stop()
        except Exception as exc:  # noqa: BLE001
            log(f"stopping server: {exc}")


# ------------------------------------------------------------------------------------------------
# Setup over REST (httpx)
# ------------------------------------------------------------------------------------------------

@dataclass
class Agent:
    id: str
    key: str


@dataclass
class Setup:
    server: Server
    owner_headers: dict
    channel_id: str
    agents: list[Agent] = field(default_factory=list)


async def setup(server: Server, agents: int, *, tag: str) -> Setup:
    """Owner login, one public channel, `agents` agents with keys, all members of the channel."""
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    transport = httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS, limits=limits)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, transport=transport) as c:
        r = await c.post(f"{API}/auth/login", json={"email": server.email, "password": server.password})
        r.raise_for_status()
        headers = {"authorization": f"Bearer {r.json()['access_token']}"}
        r = await c.post(f"{API}/workspaces/{server.workspace_id}/channels",
                         json={"name": f"bench-{tag}", "private": False}, headers=headers)
        if r.status_code != 201:
            raise RuntimeError(f"create channel: {r.status_code} {r.text[:300]}")
        result = Setup(server, headers, r.json()["id"])
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> Agent:
            async with gate:
                r = await c.post(f"{API}/workspaces/{server.workspace_id}/agents",
                                 json={"name": f"bench-{tag}-{i}", "description": "load generator"}, headers=headers)
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"create agent: {r.status_code} {r.text[:300]}")
                agent_id = r.json()["id"]
                r = await c.post(f"{API}/workspaces/{server.workspace_id}/agents/{agent_id}/keys",
                                 json={"name": "bench", "scopes": SCOPES}, headers=headers)
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"create key: {r.status_code} {r.text[:300]}")
                key = r.json()["key"]
                r = await c.post(f"{API}/channels/{result.channel_id}/members", json={"member_id": agent_id},
                                 headers=headers)
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"add member: {r.status_code} {r.text[:300]}")
                return Agent(agent_id, key)

        started = time.monotonic()
        async with asyncio.timeout(600):
            result.agents = list(await asyncio.gather(*(one(i) for i in range(agents))))
        log(f"  setup: {agents} agents with keys in the channel in {time.monotonic() - started:.1f} s")
        return result


# ------------------------------------------------------------------------------------------------
# HTTP clients for the hot path
# ------------------------------------------------------------------------------------------------

class RawHTTP:
    """One keep-alive HTTP/1.1 connection posting JSON with a pre-built request head."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20,
                                                                 local_addr=(CLIENT_ADDRESS, 0))
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def post(self, path: str, body: bytes, on_send=None) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        if on_send:
            on_send()
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lower = raw.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            payload = await self.reader.readexactly(int(lower[at + 17:end]))
        elif b"transfer-encoding: chunked" in lower:
            chunks = []
            for _ in range(10_000):
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            payload = b"".join(chunks)
        else:
            payload = b""
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:  # noqa: BLE001
                pass
        self.reader = self.writer = None


class HttpxHTTP:
    """The same interface over httpx (one AsyncClient, one connection, per sender)."""

    def __init__(self, host: str, port: int, token: str):
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.client = httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30,
                                        transport=httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS, limits=limits),
                                        headers={"authorization": f"Bearer {token}",
                                                 "content-type": "application/json"})

    async def connect(self) -> None:
        return None

    async def post(self, path: str, body: bytes, on_send=None) -> tuple[int, bytes]:
        if on_send:
            on_send()
        r = await self.client.post(path, content=body)
        return r.status_code, r.content

    async def close(self) -> None:
        await self.client.aclose()


def http_client(kind: str, server: Server, token: str):
    return (RawHTTP if kind == "raw" else HttpxHTTP)(server.host, server.port, token)


# ------------------------------------------------------------------------------------------------
# WebSocket clients
# ------------------------------------------------------------------------------------------------

class RawWS:
    """A minimal RFC 6455 client on a non-blocking socket driven by the event loop's reader
    callbacks: handshake, the auth frame, `ready`, then text frames; answers pings; remembers the
    close code. Receive times are the kernel's packet timestamps (SO_TIMESTAMPNS, wall clock)."""

    __slots__ = ("sock", "loop", "buf", "upgraded", "ready", "closed", "close_code", "token", "watch",
                 "hits", "on_text", "frames", "fd")

    def __init__(self, loop: asyncio.AbstractEventLoop, token: str):
        self.loop = loop
        self.token = token
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.ready: asyncio.Future = loop.create_future()
        self.closed = False
        self.close_code: int | None = None
        self.watch: bytes | None = None          # a marker to timestamp (scenario 3)
        self.hits: dict[bytes, int] = {}          # marker -> receive time (ns)
        self.on_text = None                       # callback(payload: bytes, t_ns: int)
        self.frames = 0
        self.fd = -1

    async def open(self, host: str, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind((CLIENT_ADDRESS, 0))
        self.sock = sock
        await self.loop.sock_connect(sock, (host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {API}/ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        await self.loop.sock_sendall(sock, request)
        self.fd = sock.fileno()
        self.loop.add_reader(self.fd, self._readable)

    @staticmethod
    def frame(opcode: int, payload: bytes) -> bytes:
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | opcode, 0x80 | n])
        elif n < 65536:
            head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        if n:
            full = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(full, "big")).to_bytes(n, "big")
        return head + mask + payload

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if self.closed or self.sock is None:
            return
        data = self.frame(opcode, payload)
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._finish(None)
            return
        if sent < len(data):   # rare for frames this small: finish the write from the loop
            self.loop.create_task(self.loop.sock_sendall(self.sock, data[sent:]))

    def _readable(self) -> None:
        t = 0
        try:
            data, ancillary, _flags, _addr = self.sock.recvmsg(262144, 64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._finish(None)
            return
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                t = sec * 1_000_000_000 + nsec
        if not t:
            t = now_ns()
        if not data:
            self._finish(self.close_code)
            return
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end])
            del self.buf[:end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self._fail(RuntimeError(f"upgrade refused: {head[:120]!r}"))
                return
            self.upgraded = True
            self.send_frame(0x1, json.dumps({"type": "auth", "token": self.token}).encode())
        self._parse(t)

    def _parse(self, t: int) -> None:
        buf = self.buf
        for _ in range(100_000):
            if len(buf) < 2:
                return
            b0, b1 = buf[0], buf[1]
            n = b1 & 0x7F
            at = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = int.from_bytes(buf[2:4], "big")
                at = 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n = int.from_bytes(buf[2:10], "big")
                at = 10
            mask = None
            if b1 & 0x80:
                mask = bytes(buf[at:at + 4])
                at += 4
            if len(buf) < at + n:
                return
            payload = bytes(buf[at:at + n])
            del buf[:at + n]
            if mask:
                full = (mask * (n // 4 + 1))[:n]
                payload = (int.from_bytes(payload, "big") ^ int.from_bytes(full, "big")).to_bytes(n, "big")
            opcode = b0 & 0x0F
            if opcode in (0x1, 0x0):
                self.frames += 1
                self._text(payload, t)
            elif opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_code = code
                self.send_frame(0x8, payload[:2])
                self._finish(code)
                return

    def _text(self, payload: bytes, t: int) -> None:
        if not self.ready.done():
            if b'"ready"' in payload:
                self.ready.set_result(t)
            return
        if self.watch is not None and self.watch in payload and self.watch not in self.hits:
            self.hits[self.watch] = t
        if self.on_text is not None:
            self.on_text(payload, t)

    def _fail(self, exc: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
        self._finish(None)

    def _finish(self, code: int | None) -> None:
        if self.closed:
            return
        self.closed = True
        if self.fd >= 0:
            try:
                self.loop.remove_reader(self.fd)
            except Exception:  # noqa: BLE001
                pass
        if self.sock is not None:
            self.sock.close()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready (code {code})"))

    def close(self) -> None:
        if not self.closed:
            self.send_frame(0x8, (1000).to_bytes(2, "big"))
            self._finish(1000)


class LibWS:
    """The same role over the `websockets` library (asyncio client, no client pings). Receive
    times are taken when the library hands a frame to this code."""

    def __init__(self, loop: asyncio.AbstractEventLoop, token: str):
        self.loop = loop
        self.token = token
        self.ready: asyncio.Future = loop.create_future()
        self.closed = False
        self.close_code: int | None = None
        self.watch: bytes | None = None
        self.hits: dict[bytes, int] = {}
        self.on_text = None
        self.frames = 0
        self.conn = None
        self.task: asyncio.Task | None = None

    async def open(self, host: str, port: int) -> None:
        from websockets.asyncio.client import connect
        self.conn = await connect(f"ws://{host}:{port}{API}/ws", compression=None, ping_interval=None,
                                  open_timeout=30, close_timeout=2, max_size=2**24, max_queue=1024, proxy=None,
                                  local_addr=(CLIENT_ADDRESS, 0))
        await self.conn.send(json.dumps({"type": "auth", "token": self.token}))
        self.task = self.loop.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed
        try:
            async for message in self.conn:
                t = now_ns()
                payload = message.encode() if isinstance(message, str) else message
                self.frames += 1
                if not self.ready.done():
                    if b'"ready"' in payload:
                        self.ready.set_result(t)
                    continue
                if self.watch is not None and self.watch in payload and self.watch not in self.hits:
                    self.hits[self.watch] = t
                if self.on_text is not None:
                    self.on_text(payload, t)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            rcvd = getattr(self.conn, "close_code", None)
            self.close_code = rcvd
            if not self.ready.done():
                self.ready.set_exception(ConnectionError(f"closed before ready (code {rcvd})"))

    def close(self) -> None:
        if self.conn is not None and not self.closed:
            self.loop.create_task(self.conn.close())


async def open_sockets(kind: str, server: Server, tokens: list[str], *, batch: int, timeout: float) -> tuple[list, list[str]]:
    """Opens one socket per token, `batch` at a time, waiting for each one's `ready`.
    Returns the ready sockets and the errors (first few) of those that did not get there."""
    loop = asyncio.get_running_loop()
    cls = RawWS if kind == "raw" else LibWS
    ready: list = []
    errors: list[str] = []
    deadline = time.monotonic() + timeout

    async def one(token: str):
        ws = cls(loop, token)
        try:
            await ws.open(server.host, server.port)
            await ws.ready
            return ws
        except Exception as exc:  # noqa: BLE001 - counted and reported
            ws.close() if hasattr(ws, "close") else None
            return f"{type(exc).__name__}: {exc}"

    for start in range(0, len(tokens), batch):
        left = deadline - time.monotonic()
        if left <= 0:
            errors.append(f"time limit {timeout:.0f} s reached after {len(ready)} sockets")
            break
        try:
            async with asyncio.timeout(min(left, 60)):
                results = await asyncio.gather(*(one(t) for t in tokens[start:start + batch]))
        except TimeoutError:
            errors.append(f"batch at {start} did not get ready within 60 s")
            break
        for item in results:
            if isinstance(item, str):
                errors.append(item)
            else:
                ready.append(item)
        if len(errors) > 50:
            break
    return ready, errors


# ------------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------------

def message_body(text: str, client_msg_id: str) -> bytes:
    return json.dumps({"text": text, "client_msg_id": client_msg_id}).encode()


FILLER = "the quick brown fox jumps over the lazy dog "


async def scenario1(server: Server, args) -> dict:
    s = await setup(server, args.senders, tag="throughput")
    path = f"{API}/channels/{s.channel_id}/messages"
    clients = [http_client(args.http_client, server, a.key) for a in s.agents]
    for c in clients:
        await c.connect()
    statuses: dict[int, int] = {}
    latencies: list[int] = []

    async def run(seconds: float, record: bool, tag: str) -> int:
        end = time.monotonic() + seconds
        done = 0

        async def sender(i: int, c) -> None:
            nonlocal done
            for n in range(10_000_000):
                if time.monotonic() >= end:
                    return
                body = message_body(f"{tag} {i}/{n} {FILLER}", f"{tag}-{i}-{n}")
                t0 = time.perf_counter_ns()
                status, _ = await c.post(path, body)
                if record:
                    latencies.append(time.perf_counter_ns() - t0)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 201:
                        done += 1

        async with asyncio.timeout(seconds + 60):
            await asyncio.gather(*(sender(i, c) for i, c in enumerate(clients)))
        return done

    await run(min(2.0, args.seconds / 5), False, "warmup")
    rss_before = server.rss_mib()
    with CPUWindow(server.pid, server.pg is not None) as cpu:
        sent = await run(args.seconds, True, "s1")
        cpu.stop()
    for c in clients:
        await c.close()
    rate = sent / cpu.elapsed
    result = {
        "scenario": 1, "messages": sent, "seconds": cpu.elapsed, "msgs_per_s": rate,
        "server_cpu_ms_per_msg": cpu.server_s * 1000 / max(1, sent),
        "loadgen_cpu_ms_per_msg": cpu.self_s * 1000 / max(1, sent),
        "machine_busy": cpu.machine_busy, "statuses": statuses,
        "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
        "rss_before": rss_before, "rss_after": server.rss_mib(), "cpu": cpu.summary(),
    }
    print(f"\n### 1. send throughput — {args.senders} agents, one channel, {args.seconds:g} s, {args.http_client} HTTP/1.1 keep-alive")
    print(table(["metric", "value", "target"], [
        ["messages sent (201)", f"{sent:,}", ""],
        ["msgs/s", f"{rate:,.0f}", "≥ 5,000"],
        ["server CPU per message", f"{result['server_cpu_ms_per_msg']:.3f} ms", "≤ 0.2 ms"],
        ["load generator CPU per message", f"{result['loadgen_cpu_ms_per_msg']:.3f} ms", ""],
        *([["PostgreSQL CPU per message", f"{cpu.db_s * 1000 / max(1, sent):.3f} ms", ""]] if server.pg else []),
        ["POST latency p50 / p99", f"{ms(result['p50'])} / {ms(result['p99'])}", ""],
        ["statuses", " ".join(f"{k}×{v}" for k, v in sorted(statuses.items())), "all 201"],
        ["server RSS before → after", f"{rss_before:.0f} → {result['rss_after']:.0f} MiB", ""],
    ]))
    print(f"CPU over the window: {cpu.summary()}")
    return result


async def scenario2(server: Server, args) -> dict:
    senders_n = 8
    s = await setup(server, senders_n + 1, tag="latency")
    receiver_agent, sender_agents = s.agents[0], s.agents[1:]
    path = f"{API}/channels/{s.channel_id}/messages"
    sockets, errors = await open_sockets(args.ws_client, server, [receiver_agent.key], batch=1, timeout=30)
    if not sockets:
        raise RuntimeError(f"receiver socket: {errors}")
    receiver = sockets[0]
    received: dict[str, int] = {}
    pattern = re.compile(rb'"client_msg_id":"(lat-[0-9]+)"')

    def on_text(payload: bytes, t: int) -> None:
        found = pattern.search(payload)
        if found:
            received.setdefault(found.group(1).decode(), t)

    receiver.on_text = on_text
    clients = [http_client(args.http_client, server, a.key) for a in sender_agents]
    for c in clients:
        await c.connect()
    total = int(args.rate * args.seconds)
    sent_at: dict[str, int] = {}
    http_lat: list[int] = []
    statuses: dict[int, int] = {}
    late = 0

    async def warm() -> None:   # a few messages through the whole path before measuring
        for n in range(20):
            await clients[n % senders_n].post(path, message_body(f"warm {n}", f"warm-{n}"))
        await asyncio.sleep(0.5)

    await warm()
    t_start = time.monotonic() + 0.05

    async def sender(k: int, c) -> None:
        nonlocal late
        for i in range(k, total, senders_n):
            due = t_start + i / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.002:
                late += 1
            cid = f"lat-{i}"
            body = message_body(f"latency probe {i} {FILLER}", cid)
            stamp = [0]

            def on_send() -> None:
                stamp[0] = now_ns()

            status, _ = await c.post(path, body, on_send)
            http_lat.append(now_ns() - stamp[0])
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                sent_at[cid] = stamp[0]

    with CPUWindow(server.pid, server.pg is not None) as cpu:
        async with asyncio.timeout(args.seconds + 60):
            await asyncio.gather(*(sender(k, c) for k, c in enumerate(clients)))
        cpu.stop()
    achieved = len(sent_at) / (time.monotonic() - t_start)
    for _ in range(100):   # up to 5 s for the last deliveries
        if all(cid in received for cid in sent_at) or receiver.closed:
            break
        await asyncio.sleep(0.05)
    latencies = [received[cid] - t for cid, t in sent_at.items() if cid in received]
    missing = len(sent_at) - len(latencies)
    closed = receiver.closed
    receiver.close()
    for c in clients:
        await c.close()
    result = {
        "scenario": 2, "sent": len(sent_at), "delivered": len(latencies), "missing": missing,
        "achieved_rate": achieved, "late_sends": late, "statuses": statuses,
        "p50": percentile(latencies, 50), "p90": percentile(latencies, 90), "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "http_p50": percentile(http_lat, 50), "http_p99": percentile(http_lat, 99),
        "receiver_closed": closed, "cpu": cpu.summary(),
    }
    print(f"\n### 2. send → WebSocket delivery latency — {args.rate:g} msgs/s for {args.seconds:g} s, "
          f"{senders_n} paced senders, 1 receiver ({args.ws_client} client)")
    print(table(["metric", "value", "target"], [
        ["sent / delivered / missing", f"{len(sent_at):,} / {len(latencies):,} / {missing}", "missing 0"],
        ["achieved send rate", f"{achieved:,.0f} msgs/s", f"{args.rate:g}"],
        ["late sends (> 2 ms behind schedule)", f"{late}", ""],
        ["delivery p50", ms(result["p50"]), "≤ 1 ms"],
        ["delivery p90", ms(result["p90"]), ""],
        ["delivery p99", ms(result["p99"]), "≤ 5 ms"],
        ["delivery max", ms(result["max"]), ""],
        ["POST answer p50 / p99", f"{ms(result['http_p50'])} / {ms(result['http_p99'])}", ""],
        ["statuses", " ".join(f"{k}×{v}" for k, v in sorted(statuses.items())), "all 201"],
    ]))
    print(f"CPU over the window: {cpu.summary()}" + ("; RECEIVER SOCKET WAS CLOSED" if closed else ""))
    return result


async def scenario3(server: Server, args) -> dict:
    members = args.fanout
    s = await setup(server, members + 1, tag="fanout")
    sender_agent, receivers = s.agents[0], s.agents[1:]
    path = f"{API}/channels/{s.channel_id}/messages"
    opened = time.monotonic()
    sockets, errors = await open_sockets(args.ws_client, server, [a.key for a in receivers], batch=100, timeout=300)
    log(f"  {len(sockets)} sockets ready in {time.monotonic() - opened:.1f} s")
    if errors:
        log(f"  {len(errors)} sockets failed: {errors[:3]}")
    client = http_client(args.http_client, server, sender_agent.key)
    await client.connect()
    await asyncio.sleep(1.0)
    rounds = []
    rss_before = server.rss_mib()
    cpu = CPUWindow(server.pid, server.pg is not None).__enter__()
    for r in range(args.rounds + 1):            # round 0 is a warm-up
        marker = f"fanout-{r}-{secrets.token_hex(4)}"
        watch = marker.encode()
        for ws in sockets:
            ws.watch = watch
        stamp = [0]

        def on_send() -> None:
            stamp[0] = now_ns()

        status, _ = await client.post(path, message_body(f"{marker} {FILLER}", marker), on_send)
        answered = now_ns()
        if status != 201:
            raise RuntimeError(f"fan-out post: {status}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(watch in ws.hits or ws.closed for ws in sockets):
                break
            await asyncio.sleep(0.005)
        got = [ws.hits[watch] - stamp[0] for ws in sockets if watch in ws.hits]
        rounds.append({"round": r, "received": len(got), "last": max(got) if got else float("nan"),
                       "p50": percentile(got, 50), "p99": percentile(got, 99), "first": min(got) if got else float("nan"),
                       "http": answered - stamp[0]})
        await asyncio.sleep(1.0)
    cpu.stop()
    quiet = await quiet_cpu(server, 3.0)
    closed = sum(1 for ws in sockets if ws.closed)
    rss_after = server.rss_mib()
    for ws in sockets:
        ws.close()
    await client.close()
    await asyncio.sleep(0.2)
    measured = rounds[1:]
    lasts = sorted(r["last"] for r in measured)
    result = {"scenario": 3, "sockets": len(sockets), "failed": len(errors), "rounds": rounds,
              "median_last": percentile(lasts, 50), "best_last": lasts[0], "worst_last": lasts[-1],
              "median_p50": percentile([r["p50"] for r in measured], 50), "closed": closed,
              "rss_before": rss_before, "rss_after": rss_after, "cpu": cpu.summary(), "quiet_cpu": quiet}
    print(f"\n### 3. fan-out — one message to {len(sockets):,} connected members "
          f"({args.ws_client} client; {args.rounds} rounds after 1 warm-up)")
    print(table(["round", "received", "first", "p50", "p99", "last", "POST answered"], [
        [("warm-up" if r["round"] == 0 else r["round"]), f"{r['received']:,}", ms(r["first"]), ms(r["p50"]),
         ms(r["p99"]), ms(r["last"]), ms(r["http"])] for r in rounds]))
    print(f"last socket: median {ms(result['median_last'])} (best {ms(lasts[0])}, worst {ms(lasts[-1])}); "
          f"target ≤ 50 ms. p50 median {ms(result['median_p50'])}. Sockets closed by the server: {closed}. "
          f"Server RSS {rss_before:.0f} → {rss_after:.0f} MiB.")
    print(f"CPU over the rounds: {cpu.summary()}")
    print(f"server CPU while nothing happens afterwards (3 s, sockets open): {quiet:.0%} of one core")
    return result


async def scenario4(server: Server, args) -> dict:
    target = args.idle_sockets
    agents_n = -(-target // AGENT_SOCKET_CAP)
    s = await setup(server, agents_n, tag="idle")
    await asyncio.sleep(1.0)
    rss_base = server.rss_mib()
    threads_base = proc_threads(server.pid)
    tokens = [s.agents[i // AGENT_SOCKET_CAP].key for i in range(target)]
    opened = time.monotonic()
    with CPUWindow(server.pid, server.pg is not None) as cpu:
        sockets, errors = await open_sockets(args.ws_client, server, tokens, batch=args.batch, timeout=600)
        cpu.stop()
    open_seconds = time.monotonic() - opened
    log(f"  {len(sockets):,} sockets ready in {open_seconds:.1f} s; {len(errors)} failed")
    await asyncio.sleep(2.0)
    rss_ready = server.rss_mib()
    samples = [(0.0, rss_ready, sum(1 for ws in sockets if ws.closed))]
    hold_start = time.monotonic()
    hold_cpu0 = proc_cpu_ticks(server.pid)
    for _ in range(1000):
        left = args.idle_hold - (time.monotonic() - hold_start)
        if left <= 0:
            break
        await asyncio.sleep(min(5.0, left))
        samples.append((time.monotonic() - hold_start, server.rss_mib(), sum(1 for ws in sockets if ws.closed)))
    hold_cpu = (proc_cpu_ticks(server.pid) - hold_cpu0) / CLK_TCK / max(0.001, time.monotonic() - hold_start)
    rss_end = server.rss_mib()
    hwm = server.hwm_mib()
    threads = proc_threads(server.pid)
    fds = len(os.listdir(f"/proc/{server.pid}/fd"))
    still_open = sum(1 for ws in sockets if not ws.closed)
    close_codes: dict = {}
    for ws in sockets:
        if ws.closed:
            close_codes[ws.close_code] = close_codes.get(ws.close_code, 0) + 1
    for ws in sockets:
        ws.close()
    await asyncio.sleep(0.5)
    n = max(1, len(sockets))
    result = {"scenario": 4, "target": target, "ready": len(sockets), "failed": len(errors), "errors": errors[:5],
              "open_seconds": open_seconds, "rss_base": rss_base, "rss_ready": rss_ready, "rss_end": rss_end,
              "hwm": hwm, "per_socket_kib": (rss_ready - rss_base) * 1024 / n, "still_open": still_open,
              "close_codes": close_codes, "threads": (threads_base, threads), "server_fds": fds,
              "samples": samples, "cpu": cpu.summary(), "open_cpu_ms_per_socket": cpu.server_s * 1000 / n,
              "idle_cpu": hold_cpu}
    print(f"\n### 4. idle authenticated sockets — {target:,} wanted ({agents_n} agents × {AGENT_SOCKET_CAP}, "
          f"{args.ws_client} client, batches of {args.batch})")
    print(table(["metric", "value", "target"], [
        ["sockets ready", f"{len(sockets):,} of {target:,} ({len(errors)} failed)", f"{target:,}"],
        ["time to open them all", f"{open_seconds:.1f} s (server CPU {result['open_cpu_ms_per_socket']:.2f} ms/socket)", ""],
        ["server RSS before sockets", f"{rss_base:.0f} MiB", ""],
        ["server RSS with all sockets ready", f"{rss_ready:.0f} MiB", "≤ 256 MB"],
        ["RSS per socket (increase / count)", f"{result['per_socket_kib']:.1f} KiB", ""],
        [f"after holding {args.idle_hold:g} s idle", f"{rss_end:.0f} MiB, {still_open:,} still open, peak {hwm:.0f} MiB", ""],
        ["server CPU while idle", f"{hold_cpu:.1%} of one core", ""],
        ["server threads / open fds", f"{threads_base} → {threads} / {fds}", ""],
    ]))
    if errors:
        print(f"failures (first 5): {errors[:5]}")
    if close_codes:
        print(f"closed by the server while idle: {close_codes}")
    print("RSS while idle (s, MiB, closed): " + ", ".join(f"({t:.0f}, {r:.0f}, {c})" for t, r, c in samples))
    return result


SCENARIOS = {1: scenario1, 2: scenario2, 3: scenario3, 4: scenario4}


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------

def machine_facts(binary: Path) -> str:
    mem = proc_status_like("/proc/meminfo", "MemTotal") / 1024 / 1024
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True).stdout.strip()
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(binary.stat().st_mtime))
    return (f"machine: {len(os.sched_getaffinity(0))} cores (nproc), {mem:.1f} GiB RAM, {' '.join(platform.uname()[0:3:2])}, "
            f"load average {os.getloadavg()[0]:.2f}\n"
            f"binary: {binary} (built {built}); commit {commit}{' + uncommitted Sources changes' if dirty else ''}; "
            f"python {platform.python_version()}; nofile limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")


def proc_status_like(path: str, key: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        log(f"warning: open-file limit {soft} < {needed} needed; scenario 4 will stop short "
            f"(raise the hard limit: ulimit -Hn)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="duration of scenarios 1 and 2 (default 10)")
    parser.add_argument("--only", default="1,2,3,4", help="comma-separated scenarios to run (default 1,2,3,4)")
    parser.add_argument("--postgres", metavar="URL", help="run against a fresh database on this PostgreSQL server")
    parser.add_argument("--senders", type=int, default=16, help="scenario 1 concurrent senders (default 16)")
    parser.add_argument("--rate", type=float, default=500, help="scenario 2 send rate, msgs/s (default 500)")
    parser.add_argument("--fanout", type=int, default=1000, help="scenario 3 sockets (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="scenario 3 measured rounds (default 5)")
    parser.add_argument("--idle-sockets", type=int, default=10_000, help="scenario 4 sockets (default 10000)")
    parser.add_argument("--idle-hold", type=float, default=40, help="scenario 4 idle hold, s (default 40: one server ping cycle)")
    parser.add_argument("--batch", type=int, default=200, help="scenario 4 sockets opened at a time (default 200)")
    parser.add_argument("--http-client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--ws-client", choices=["raw", "websockets"], default="raw")
    args = parser.parse_args()
    try:
        only = sorted({int(x) for x in args.only.split(",") if x.strip()})
    except ValueError:
        parser.error("--only takes numbers, e.g. 1,2")
    if not only or any(x not in SCENARIOS for x in only):
        parser.error("--only takes scenarios 1..4")
    if not 1 <= args.senders <= 256 or not 1 <= args.batch <= 2000:
        parser.error("--senders 1..256, --batch 1..2000")
    if not 1 <= args.seconds <= 600 or not 1 <= args.rate <= 20_000 or not 1 <= args.fanout <= 5000:
        parser.error("--seconds 1..600, --rate 1..20000, --fanout 1..5000")
    if not 1 <= args.rounds <= 50 or not 1 <= args.idle_sockets <= 50_000 or not 0 <= args.idle_hold <= 600:
        parser.error("--rounds 1..50, --idle-sockets 1..50000, --idle-hold 0..600")
    if args.postgres and not shutil.which("psql"):
        parser.error("--postgres needs psql")

    raise_fd_limit(args.idle_sockets + 1000 if 4 in only else 4096)
    binary = find_binary()
    atexit.register(stop_all_servers)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backend = f"PostgreSQL ({urllib.parse.urlsplit(args.postgres).netloc.split('@')[-1]})" if args.postgres else "SQLite"
    print(machine_facts(binary))
    print(f"backend: {backend}; scenarios {only}; http client {args.http_client}; ws client {args.ws_client}")
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    failures = 0
    for number in only:
        server = Server(binary, args.postgres)
        try:
            server.start()
            log(f"scenario {number}: server pid {server.pid} at {server.base_url}")
            asyncio.run(SCENARIOS[number](server, args))
        except Exception as exc:  # noqa: BLE001 - report, stop this server, go on with the next scenario
            failures += 1
            print(f"\n### {number}. FAILED: {type(exc).__name__}: {exc}")
        finally:
            if server.proc is not None:
                if not server.alive():
                    print(f"SERVER DIED during scenario {number}: exit {server.proc.returncode}")
                    failures += 1
                findings = server.log_findings()
                if findings:
                    print("server log (warnings/errors): " + "; ".join(findings))
            server.stop()
    print(f"\nfinished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
