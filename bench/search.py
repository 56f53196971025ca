#!/usr/bin/env python3
"""Search latency benchmark (issue 16): `GET /api/v1/workspaces/{ws}/search` over a workspace of
1,000,000 messages, through the real release server on loopback.

    bench/search.py [--messages 1000000] [--channels 100] [--queries 100] [--postgres URL]
                    [--keep | --reuse DIR]

1. A fresh `conclave admin create-owner` + `conclave serve` (SQLite data dir, or with --postgres a
   fresh database on that loopback server, dropped afterwards); the owner signs in and creates
   --channels channels over the API (half of them private), then the server stops.
2. The messages are written straight into the server's own tables (the server is not running):
   SQLite through apsw (a current SQLite with FTS5, as the server's), PostgreSQL through
   `psql \\copy`. On SQLite the insert fires the server's own triggers (migration 0016), so the
   FTS index is built exactly as sends build it; on PostgreSQL the GIN index is maintained by the
   insert. Text: 12 words per message drawn from a Zipf(1) vocabulary of 20,000 made-up words,
   seeded, so runs are comparable. Nothing here is a product path: the server has no bulk loader.
3. The server starts again on the loaded database; the owner searches sequentially on one
   keep-alive connection (httpx): words of several frequencies (the vocabulary rank says how
   common: rank 10 is in about 1 message in 9), prefixes, and two-word phrases taken from real
   messages. Each kind gets --queries distinct queries after a warm-up; the script prints
   p50/p90/p99/max of the client-side latency and the typical number of matches.

`--keep` leaves the data dir (and database) in place and prints where; `--reuse DIR` measures
again on such a loaded data set without loading it anew (another binary, another moment).

Loopback only; every loop is bounded; the server started here is always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from bench_support import find_binary, stop, use_project_venv  # noqa: E402
try:
    import apsw
    import httpx
except ImportError:   # started with a Python that lacks the dependencies: use the project's venv
    use_project_venv(__file__)
    sys.exit("needs httpx and apsw: .venv/bin/pip install httpx apsw")

API = "/api/v1"
RATE_LIMITS = "api=1000000/1m,login=1000/1m,api_anonymous=1000000/1m"
VOCABULARY = 20_000
WORDS_PER_MESSAGE = 12


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def vocabulary(rng: random.Random) -> list[str]:
    """Distinct made-up lowercase words of 2 to 4 syllables; index = Zipf rank - 1."""
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Server:
    """`conclave serve` on an ephemeral loopback port with its own data dir (or database)."""

    def __init__(self, binary: Path, postgres: str | None):
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="conclave-search-bench-"))
        self.env = dict(os.environ, CONCLAVE_DATA_DIR=str(self.dir / "data"), CONCLAVE_HOST="127.0.0.1",
                        CONCLAVE_PORT="0", CONCLAVE_LOG_LEVEL="warning", CONCLAVE_RATE_LIMITS=RATE_LIMITS)
        self.env.pop("CONCLAVE_DATABASE_URL", None)
        self.admin_url = postgres
        self.database: str | None = None
        if postgres:
            parsed = urllib.parse.urlsplit(postgres)
            if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--postgres must point to a loopback server")
            self.database = f"conclave_search_bench_{secrets.token_hex(4)}"
            self.env["CONCLAVE_DATABASE_URL"] = urllib.parse.urlunsplit(parsed._replace(path="/" + self.database))
        self.email, self.password = "bench@example.com", "Pw-" + secrets.token_urlsafe(18)
        self.proc: subprocess.Popen | None = None

    def psql(self, *args: str, url: str | None = None, stdin=None) -> str:
        out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url or self.env["CONCLAVE_DATABASE_URL"], *args],
                             stdin=stdin, capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()[:500]}")
        return out.stdout

    def create(self) -> None:
        if self.database:
            self.psql("-c", f'CREATE DATABASE "{self.database}"', url=self.admin_url)
        out = subprocess.run([str(self.binary), "admin", "create-owner", "--email", self.email, "--workspace", "Bench",
                              "--password-stdin"], input=self.password + "\n", env=self.env, capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"create-owner failed: {out.stderr.strip()}")
        self.workspace_id = json.loads(out.stdout)["workspace_id"]

    def start(self) -> None:
        log_path = self.dir / "server.log"
        self.logfile = open(log_path, "ab")
        start_offset = log_path.stat().st_size
        self.proc = subprocess.Popen([str(self.binary), "serve"], env=self.env, stdout=self.logfile,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")[start_offset:]
            found = re.search(r"conclave listening on (http://[0-9.]+:\d+)", text)
            if found:
                self.base_url = found.group(1)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{text[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("server did not start within 120 s")

    def stop(self) -> None:
        if self.proc:
            stop(self.proc)

    def cleanup(self) -> None:
        self.stop()
        if self.database:
            try:
                self.psql("-c", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)', url=self.admin_url)
            except RuntimeError as exc:
                log(f"warning: could not drop {self.database}: {exc}")
        shutil.rmtree(self.dir, ignore_errors=True)


def sign_in(c: httpx.Client, server: Server) -> dict:
    r = c.post(f"{API}/auth/login", json={"email": server.email, "password": server.password})
    r.raise_for_status()
    return {"authorization": f"Bearer {r.json()['access_token']}"}


def make_channels(server: Server, count: int) -> tuple[str, list[str]]:
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        headers = sign_in(c, server)
        me = c.get(f"{API}/me", headers=headers).json()
        owner_id = me["id"]
        channels = []
        for i in range(count):
            r = c.post(f"{API}/workspaces/{server.workspace_id}/channels", headers=headers,
                       json={"name": f"bench-{i}", "private": i % 2 == 1})
            r.raise_for_status()
            channels.append(r.json()["id"])
    return owner_id, channels


def generate(rng: random.Random, words: list[str], count: int, channels: list[str], sender: str, workspace: str,
             phrases: list[str]):
    """Rows of `messages` in column order (see COLUMNS) with each channel's last seq so far;
    collects a two-word phrase of every 10,000th message into `phrases`."""
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    seqs = {ch: 0 for ch in channels}
    now = int(time.time() * 1000) - count
    for i in range(count):
        picks = rng.choices(words, cum_weights=cumulative, k=WORDS_PER_MESSAGE)
        text = " ".join(picks).capitalize() + "."
        if i % 10_000 == 0:
            phrases.append(f"{picks[4]} {picks[5]}")
        ch = channels[i % len(channels)]
        seqs[ch] += 1
        ident = f"msg_{rng.getrandbits(128):032x}"
        yield (ident, workspace, ch, seqs[ch], sender, "human", "message", text, "", now + i), seqs


COLUMNS = "id, workspace_id, channel_id, seq, sender_id, sender_kind, kind, text, mentions, created_at"


def load_sqlite(server: Server, rows) -> dict:
    db = apsw.Connection(str(Path(server.env["CONCLAVE_DATA_DIR"]) / "conclave.db"))
    db.execute("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA journal_mode = WAL")
    seqs: dict = {}
    with db:
        for row, seqs in rows:
            db.execute(f"INSERT INTO messages ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", row)
        for ch, last in seqs.items():
            db.execute("UPDATE channels SET last_seq = ? WHERE id = ?", (last, ch))
    db.execute("INSERT INTO message_search (message_search) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return seqs


def load_postgres(server: Server, rows) -> dict:
    data = server.dir / "messages.tsv"
    seqs: dict = {}
    with open(data, "w") as out:
        for row, seqs in rows:
            out.write("\t".join(str(v) for v in row) + "\n")
    with open(data) as source:
        server.psql("-c", f"\\copy messages ({COLUMNS}) FROM STDIN", stdin=source)
    values = ",".join(f"('{ch}', {last})" for ch, last in seqs.items())
    server.psql("-c", f"UPDATE channels SET last_seq = v.last FROM (VALUES {values}) AS v(id, last) WHERE channels.id = v.id")
    server.psql("-c", "VACUUM ANALYZE messages")
    data.unlink()
    return seqs


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure(c: httpx.Client, headers: dict, workspace: str, queries: list[str]) -> tuple[list[float], list[int]]:
    latencies, matches = [], []
    for q in queries:
        started = time.perf_counter()
        r = c.get(f"{API}/workspaces/{workspace}/search", params={"q": q, "limit": 20}, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"search {q!r}: {r.status_code} {r.text[:300]}")
        matches.append(len(r.json()["data"]))
    return latencies, matches


def count_matches(c: httpx.Client, headers: dict, workspace: str, q: str) -> str:
    """Whether `q` has more than a page of matches (the API does not count)."""
    r = c.get(f"{API}/workspaces/{workspace}/search", params={"q": q, "limit": 200}, headers=headers)
    return ">200" if r.json()["next_cursor"] else str(len(r.json()["data"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--postgres", help="admin URL of a loopback PostgreSQL server (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the loaded data set for --reuse")
    parser.add_argument("--reuse", metavar="DIR", help="measure on a data set kept by --keep")
    args = parser.parse_args()
    rng = random.Random(16)
    words = vocabulary(rng)
    server = Server(find_binary(), args.postgres)
    keep = args.keep or args.reuse
    try:
        if args.reuse:
            shutil.rmtree(server.dir, ignore_errors=True)
            state = json.loads((Path(args.reuse) / "bench.json").read_text())
            server.dir = Path(args.reuse)
            server.env.update(state["env"])
            server.workspace_id, server.email, server.password = state["workspace_id"], state["email"], state["password"]
            server.database, phrases = state["database"], state["phrases"]
            args.messages, args.channels = state["messages"], state["channels"]
        else:
            server.create()
            server.start()
            owner_id, channels = make_channels(server, args.channels)
            server.stop()
            log(f"loading {args.messages:,} messages into {'PostgreSQL' if args.postgres else 'SQLite'} ...")
            started = time.monotonic()
            phrases = []
            rows = generate(rng, words, args.messages, channels, owner_id, server.workspace_id, phrases)
            (load_postgres if args.postgres else load_sqlite)(server, rows)
            log(f"loaded in {time.monotonic() - started:.0f} s")
            if args.keep:
                env = {k: server.env[k] for k in ("CONCLAVE_DATA_DIR", "CONCLAVE_DATABASE_URL") if k in server.env}
                (server.dir / "bench.json").write_text(json.dumps({
                    "env": env, "workspace_id": server.workspace_id, "email": server.email, "password": server.password,
                    "database": server.database, "phrases": phrases, "messages": args.messages, "channels": args.channels}))
                log(f"kept: --reuse {server.dir}")
        server.start()
        n = args.queries
        kinds = {
            "word, rank 10-19 (very common)": [words[10 + i % 10] for i in range(n)],
            "word, rank 100-199": [words[100 + i % 100] for i in range(n)],
            "word, rank 1000-1999": [words[1000 + i] for i in range(n)],
            "word, rank 10000+ (rare)": [words[10_000 + i] for i in range(n)],
            "two words, ranks 100+ and 1000+": [f"{words[100 + i]} {words[1000 + i]}" for i in range(n)],
            "prefix, 3 letters*": [words[200 + i][:3] + "*" for i in range(n)],
            "prefix, 5 letters*": [words[200 + i][:5] + "*" for i in range(n)],
            "phrase from a message": [f'"{phrases[i % len(phrases)]}"' for i in range(n)],
        }
        with httpx.Client(base_url=server.base_url, timeout=60) as c:
            headers = sign_in(c, server)
            measure(c, headers, server.workspace_id, [words[50 + i] for i in range(50)])   # warm-up
            load_before = os.getloadavg()
            print(f"| query | n | typical results | p50 ms | p90 ms | p99 ms | max ms |")
            print("|---|---:|---|---:|---:|---:|---:|")
            for name, queries in kinds.items():
                latencies, _ = measure(c, headers, server.workspace_id, queries)
                typical = count_matches(c, headers, server.workspace_id, queries[len(queries) // 2])
                print(f"| {name} | {len(latencies)} | {typical} | {statistics.median(latencies):.1f} | "
                      f"{percentile(latencies, 0.90):.1f} | {percentile(latencies, 0.99):.1f} | {max(latencies):.1f} |",
                      flush=True)
            load_after = os.getloadavg()
        print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
              f"{args.messages:,} messages in {args.channels} channels; "
              f"backend {'PostgreSQL' if args.postgres else 'SQLite'}")
    finally:
        if keep:
            server.stop()
        else:
            server.cleanup()


if __name__ == "__main__":
    main()
