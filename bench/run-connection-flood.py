#!/usr/bin/env python3
"""Resident memory of the server before, during and after a burst of silent connections.

    bench/run-connection-flood.py [--bin PATH] [--sockets 2000] [--kind ws|tcp] [--rounds 2]

Starts `conclave serve` (SQLite, a fresh data dir, CONCLAVE_MAX_CONNECTIONS_PER_IP raised so that
one address may open them all), then per round: opens `--sockets` connections from one address
(`ws`: upgraded WebSockets that never authenticate; `tcp`: bare connects), reads VmRSS at the
peak, lets the server end them (the auth deadline for `ws`, the 30 s silence for `tcp`) or closes
them from the client side (`--client-close`), and reads VmRSS again after `--settle` seconds. The
server's RSS is read from /proc/<pid>/status. Prints one line per measurement and a summary line.
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from bench_support import stop, upgraded

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def start(binary: str, data: str, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCLAVE_")}
    env.update({"CONCLAVE_DATA_DIR": data, "CONCLAVE_HOST": "127.0.0.1", "CONCLAVE_PORT": "0",
                "CONCLAVE_MAX_CONNECTIONS_PER_IP": "100000", "CONCLAVE_LOG_LEVEL": "warning", **(extra or {})})
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        m = re.match(r"conclave listening on http://[^:]+:(\d+)", line.strip())
        if m:
            return proc, int(m.group(1))
    raise SystemExit("server did not start")


def open_one(port: int, kind: str) -> socket.socket | None:
    if kind == "tcp":
        return socket.create_connection(("127.0.0.1", port), timeout=10)
    opened = upgraded(port)
    return opened[0] if opened else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release", "conclave"))
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--kind", choices=("ws", "tcp"), default="ws")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--client-close", action="store_true", help="close from the client instead of waiting for the server")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    data = tempfile.mkdtemp(prefix="conclave-flood-")
    proc, port = start(args.bin, os.path.join(data, "data"))
    pid = proc.pid
    try:
        time.sleep(2)
        baseline = rss_mib(pid)
        print(f"binary {args.bin}; {args.sockets} {args.kind} sockets per round; baseline RSS {baseline:.0f} MiB")
        for round_number in range(1, args.rounds + 1):
            socks = []
            started = time.monotonic()
            for _ in range(args.sockets):
                sock = open_one(port, args.kind)
                if sock is not None:
                    socks.append(sock)
            peak = rss_mib(pid)
            print(f"round {round_number}: opened {len(socks)} in {time.monotonic() - started:.1f} s; "
                  f"server fds {open_descriptors(pid)}; RSS at peak {peak:.0f} MiB")
            if args.client_close:
                for sock in socks:
                    sock.close()
            else:
                wait = 45 if args.kind == "tcp" else 16
                deadline = time.monotonic() + wait
                while open_descriptors(pid) > 40 and time.monotonic() < deadline:
                    time.sleep(0.5)
                for sock in socks:
                    sock.close()
            time.sleep(args.settle)
            after = rss_mib(pid)
            print(f"round {round_number}: server fds {open_descriptors(pid)}; RSS {args.settle:.0f} s after they closed "
                  f"{after:.0f} MiB ({after - baseline:+.0f} MiB over baseline)")
        print(f"summary: baseline {baseline:.0f} MiB, last peak {peak:.0f} MiB, after {after:.0f} MiB")
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
