"""Connections that cost the server a descriptor each, held by one client that never gets
anywhere: silent WebSockets that never authenticate (cut at the 10 s deadline, whether or not the
client answers the close), bare connects and idle keep-alives (cut after 30 s of silence), and
caps on open connections per client IP and in total, derived from the process's descriptor
limit, past which a connection is closed as soon as it is accepted while everyone else is still
served. The servers here run with a low descriptor limit (4,096), and every client is a raw
Python socket that answers nothing.
"""

from __future__ import annotations

import re
import subprocess
import time

import httpx

from conftest import CONCLAVE_BIN
from helpers_connections import (LOW_DESCRIPTOR_LIMIT, close_all, connect, low_descriptor_limit, open_descriptors,
                                 open_websocket, raise_own_descriptor_limit, still_open, wait_for_server_to_close)
from helpers_messaging import MESSAGING_SERVER_ENV

AUTH_DEADLINE = 10.0
# How long after the deadline a client that ignores the close may still hold the connection.
CUT_GRACE = 2.0


def metric(server, name: str, source_ip: str = "127.0.0.99", **labels) -> float | None:
    """A value from /metrics, asked from an address the test's own floods do not use."""
    transport = httpx.HTTPTransport(local_address=source_ip)
    with httpx.Client(base_url=server.base_url, transport=transport, timeout=10) as c:
        text = c.get("/metrics").text
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        rest = line[len(name):]
        if labels:
            if not rest.startswith("{"):
                continue
            found = dict(re.findall(r'(\w+)="([^"]*)"', rest[:rest.index("}") + 1]))
            if any(found.get(k) != v for k, v in labels.items()):
                continue
        elif rest.startswith("{"):
            continue
        return float(line.rsplit(" ", 1)[1])
    return None


def health_from(server, source_ip: str, timeout: float = 5.0) -> float:
    """GET /health from another client address; returns how long it took."""
    started = time.monotonic()
    transport = httpx.HTTPTransport(local_address=source_ip)
    with httpx.Client(base_url=server.base_url, transport=transport, timeout=timeout) as c:
        r = c.get("/health")
    assert r.status_code == 200, f"/health from {source_ip}: {r.status_code} {r.text[:200]}"
    return time.monotonic() - started


def test_silent_websockets_are_cut_at_the_auth_deadline_even_if_they_ignore_the_close(make_server):
    raise_own_descriptor_limit(LOW_DESCRIPTOR_LIMIT)
    count = 1000
    server = make_server({**MESSAGING_SERVER_ENV, "CONCLAVE_MAX_CONNECTIONS_PER_IP": "2000"},
                         preexec_fn=low_descriptor_limit())
    pid = server.proc.pid
    baseline = open_descriptors(pid)
    socks = []
    try:
        started = time.monotonic()
        for _ in range(count):
            sock = open_websocket(server)
            assert sock is not None, f"upgrade {len(socks) + 1} was refused"
            socks.append(sock)
        last_opened = time.monotonic()
        assert open_descriptors(pid) >= baseline + count * 9 // 10, "the sockets are not open on the server"
        # The client reads but never answers the 4401 close, as an attacker would. Ending the
        # output (a FIN the client sees) is not enough: the server must give the descriptor back.
        ended = wait_for_server_to_close(socks, timeout=AUTH_DEADLINE + CUT_GRACE + 10)
        assert len(ended) == count, f"{count - len(ended)} of {count} silent sockets never saw the server end them"
        cut_by = last_opened + AUTH_DEADLINE + CUT_GRACE + 5
        while open_descriptors(pid) > baseline + 10 and time.monotonic() < cut_by:
            time.sleep(0.2)
        held = open_descriptors(pid) - baseline
        assert held <= 10, (f"the server still holds {held} of the {count} silent sockets "
                            f"{time.monotonic() - last_opened:.0f} s after the last was opened")
        early = [t - started for t in ended.values() if t - started < AUTH_DEADLINE - 1]
        assert not early, f"{len(early)} sockets were cut before the 10 s deadline"
    finally:
        close_all(socks)
    assert server.running


def test_one_ip_holds_at_most_its_cap_and_everyone_else_is_still_served(make_server):
    raise_own_descriptor_limit(LOW_DESCRIPTOR_LIMIT)
    server = make_server(MESSAGING_SERVER_ENV, preexec_fn=low_descriptor_limit())
    baseline = open_descriptors(server.proc.pid)
    socks = []
    try:
        # Three kinds of idle connection from one address: bare connects, kept-alive connections
        # after one request, and WebSockets that never authenticate.
        for _ in range(200):
            socks.append(connect(server))
        for _ in range(200):
            sock = connect(server)
            try:
                sock.sendall(f"GET /health HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                pass
            socks.append(sock)
        for _ in range(200):
            sock = connect(server)
            try:
                sock.sendall(f"GET /api/v1/ws HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                pass
            socks.append(sock)
        # A socket the server keeps either sent nothing back or its answer (200, 101); a refused
        # one is closed at once. Drain the answers, then count what is still open.
        held = still_open(socks, settle=2.0)
        assert len(held) <= 256, f"one client IP holds {len(held)} connections (cap 256)"
        assert len(held) >= 200, f"only {len(held)} connections were kept; the cap is 256"
        assert open_descriptors(server.proc.pid) - baseline <= 256 + 5, "the server holds more sockets than the cap"

        # Another client is served at once while the first sits at its cap.
        elapsed = max(health_from(server, "127.0.0.2") for _ in range(5))
        assert elapsed < 1.0, f"/health from another address took {elapsed:.2f}s"
        assert metric(server, "conclave_connection_cap", scope="per_ip") == 256
        refused = metric(server, "conclave_connections_refused_total", reason="per_ip") or 0
        assert refused >= 600 - 256, f"refusals counted in /metrics: {refused}"
        assert server.running
    finally:
        close_all(socks)

    # Once they close, the address may connect again.
    time.sleep(0.5)
    again = [connect(server) for _ in range(10)]
    try:
        assert len(still_open(again, settle=1.0)) == 10, "connections are refused after the earlier ones closed"
    finally:
        close_all(again)


def test_the_total_cap_holds_across_addresses(make_server):
    raise_own_descriptor_limit(LOW_DESCRIPTOR_LIMIT)
    server = make_server({**MESSAGING_SERVER_ENV, "CONCLAVE_MAX_CONNECTIONS": "100"}, preexec_fn=low_descriptor_limit())
    socks = []
    try:
        for i in range(4):
            socks += [connect(server, f"127.0.0.{10 + i}") for _ in range(40)]
        held = still_open(socks, settle=2.0)
        assert len(held) <= 100, f"{len(held)} connections held from four addresses (total cap 100)"
        assert len(held) >= 90, f"only {len(held)} connections were kept; the total cap is 100"
    finally:
        close_all(socks)
    time.sleep(0.5)
    assert (metric(server, "conclave_connections_refused_total", reason="total") or 0) >= 50


def test_caps_follow_the_descriptor_limit_which_is_raised_to_the_hard_limit(make_server):
    # Soft 1,024 with a hard 4,096, as many systems start services: the server raises the soft one.
    server = make_server(MESSAGING_SERVER_ENV, preexec_fn=low_descriptor_limit(soft=1024, hard=LOW_DESCRIPTOR_LIMIT))
    with open(f"/proc/{server.proc.pid}/limits") as f:
        limits = f.read()
    assert re.search(r"Max open files\s+4096\s+4096", limits), limits
    assert metric(server, "conclave_descriptor_limit") == LOW_DESCRIPTOR_LIMIT
    assert metric(server, "conclave_connection_cap", scope="total") == LOW_DESCRIPTOR_LIMIT * 3 // 4
    assert metric(server, "conclave_connection_cap", scope="per_ip") == 256

    # `doctor` reports the caps and the limit, and warns when the limit is low for them.
    doctor = server.run_cli(["doctor"], preexec_fn=low_descriptor_limit())
    line = next((l for l in doctor.stdout.splitlines() if "connections:" in l), "")
    assert line.startswith("ok"), doctor.stdout
    assert "3072" in line and "256" in line and "4096" in line, line
    low = server.run_cli(["doctor"], preexec_fn=low_descriptor_limit(soft=512, hard=512))
    line = next((l for l in low.stdout.splitlines() if "connections:" in l), "")
    assert line.startswith("warn") and "LimitNOFILE" in line, low.stdout
    asked = server.run_cli(["doctor"], env={"CONCLAVE_MAX_CONNECTIONS": "100000"}, preexec_fn=low_descriptor_limit())
    line = next((l for l in asked.stdout.splitlines() if "connections:" in l), "")
    assert line.startswith("warn") and "CONCLAVE_MAX_CONNECTIONS=100000" in line, asked.stdout


def test_a_connection_silent_between_requests_is_closed_after_30s(make_server):
    server = make_server(MESSAGING_SERVER_ENV)
    sock = connect(server)
    try:
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
        answered = time.monotonic()
        ended = wait_for_server_to_close([sock], timeout=50)
        assert sock in ended, "an idle kept-alive connection was still open after 50 s"
        idle = ended[sock] - answered
        assert 25 <= idle <= 40, f"idle kept-alive connection closed after {idle:.1f} s, want about 30 s"
    finally:
        sock.close()


def test_bad_connection_settings_are_refused_at_start(make_server):
    for name, value in (("CONCLAVE_MAX_CONNECTIONS", "5"), ("CONCLAVE_MAX_CONNECTIONS_PER_IP", "0"),
                        ("CONCLAVE_MAX_CONNECTIONS_PER_IP", "many")):
        server = make_server({name: value}, start=False)
        proc = subprocess.run([CONCLAVE_BIN, "serve"], env=server.env(), capture_output=True, text=True, timeout=30)
        assert proc.returncode == 2, f"{name}={value}: exit {proc.returncode}\n{proc.stderr}"
        assert name in proc.stderr, proc.stderr
