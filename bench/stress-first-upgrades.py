#!/usr/bin/env python3
"""Stresses the first WebSocket upgrades of fresh servers (issue 12, suspected finding S4: one
SIGSEGV in the Swift runtime was seen once during the first concurrent upgrades of a fresh debug
server).

    bench/stress-first-upgrades.py [--bin PATH] [--servers 20] [--sockets 200]

For each of `--servers` fresh servers (SQLite, new data dir): create an owner with the CLI, start
`conclave serve`, log in once, then open `--sockets` WebSockets at the same moment from as many
threads, each sending its auth frame as soon as the upgrade is answered, and wait for every
`ready`. Reports per server how many sockets got `ready`, and whether the process is still alive
(a crash shows as a negative exit code, the signal). Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from bench_support import stop, upgraded

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    return bytes([0x80 | opcode]) + length + mask + body


def one_socket(port: int, token: str, go: threading.Event, results: list, lock: threading.Lock) -> None:
    outcome = "error"
    try:
        go.wait()
        opened = upgraded(port, timeout=30)
        if opened is None:
            raise ConnectionError("closed during the upgrade")
        sock, data = opened
        sock.sendall(masked(0x1, json.dumps({"type": "auth", "token": token}).encode()))
        while b'"ready"' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before ready")
            data += chunk
        outcome = "ready"
        sock.close()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        outcome = type(exc).__name__
    with lock:
        results.append(outcome)


def run_server(binary: str, sockets: int) -> tuple[int, int | None, str]:
    root = tempfile.mkdtemp(prefix="conclave-stress-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCLAVE_")}
    env.update({"CONCLAVE_DATA_DIR": os.path.join(root, "data"), "CONCLAVE_HOST": "127.0.0.1", "CONCLAVE_PORT": "0",
                "CONCLAVE_LOG_LEVEL": "warning", "CONCLAVE_WS_SOCKETS_PER_SESSION": "1000",
                "CONCLAVE_RATE_LIMITS": "ws_connect=100000/1m,login=1000/1m"})
    password = "Pw-" + secrets.token_urlsafe(24)
    subprocess.run([binary, "admin", "create-owner", "--email", "s4@example.com", "--workspace", "S4", "--password-stdin"],
                   input=password + "\n", env=env, capture_output=True, text=True, check=True, timeout=60)
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = None
    for line in proc.stdout:
        m = re.match(r"conclave listening on http://[^:]+:(\d+)", line.strip())
        if m:
            port = int(m.group(1))
            break
    try:
        if port is None:
            return 0, proc.wait(), proc.stderr.read()[-2000:]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login",
                                         data=json.dumps({"email": "s4@example.com", "password": password}).encode(),
                                         headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(request, timeout=30))["access_token"]
        go, lock, results = threading.Event(), threading.Lock(), []
        threads = [threading.Thread(target=one_socket, args=(port, token, go, results, lock)) for _ in range(sockets)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(timeout=60)
        ready = results.count("ready")
        return ready, proc.poll(), "" if proc.poll() is None else proc.stderr.read()[-2000:]
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "debug", "conclave"))
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--sockets", type=int, default=200)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    crashes = 0
    started = time.monotonic()
    for n in range(1, args.servers + 1):
        ready, exit_code, stderr = run_server(args.bin, args.sockets)
        alive = exit_code is None
        crashes += not alive
        print(f"server {n}: {ready}/{args.sockets} ready, {'alive' if alive else f'DIED (exit {exit_code})'}", flush=True)
        if not alive:
            print(stderr, flush=True)
    print(f"summary: {args.servers} fresh servers x {args.sockets} concurrent first upgrades, {crashes} crashed, "
          f"{time.monotonic() - started:.0f} s; binary {args.bin}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
