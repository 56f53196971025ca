"""The README's echo bot (examples/echo_bot.py, ≤ 10 lines), run as a real process: it answers
each mention in the mention's thread, and across kill -9 and restarts it answers every mention
exactly once (none missed, none doubled)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_agent, make_channel

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "echo_bot.py"


def test_the_echo_bot_example_is_at_most_ten_lines():
    lines = EXAMPLE.read_text().splitlines()
    assert len(lines) <= 10, f"{EXAMPLE.name} has {len(lines)} lines"
    assert "Bot(state_path=" in EXAMPLE.read_text()


class BotProcess:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "bot.log"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, str(EXAMPLE)], cwd=self.workdir, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"the bot died on its own:\n{self.output()}"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_for(condition, what: str, bot: BotProcess, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert bot.alive(), f"the bot exited while waiting for {what}:\n{bot.output()}"
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout}s\n--- bot output ---\n{bot.output()}")


@pytest.fixture
def bot_setup(client, server, ws, tmp_path):
    agent, key = make_agent(client, ws)
    channel = make_channel(client, ws, agent.id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCLAVE_")}
    env.update(CONCLAVE_URL=server.base_url, CONCLAVE_API_KEY=key)
    bot = BotProcess(tmp_path, env)
    yield agent, channel, bot
    bot.stop()


def test_echo_bot_answers_each_mention_once_across_kill_9(client, bot_setup, tmp_path):
    agent, channel, bot = bot_setup
    state = tmp_path / "echo-bot.cursor"
    mentions: list = []

    def mention(n: int) -> None:
        for _ in range(n):
            mentions.append(client.messages.send(channel.id, f"<@{agent.id}> ping {len(mentions)}"))

    def replies() -> dict[str, list]:
        by_thread: dict[str, list] = {}
        for m in client.messages.list(channel.id, limit=200):
            if m.sender.id == agent.id:
                by_thread.setdefault(m.thread_id or "", []).append(m)
        return by_thread

    def answered() -> int:
        got = replies()
        return sum(1 for m in mentions if m.id in got)

    bot.start()
    wait_for(state.exists, "cursor file (the bot is listening)", bot)
    mention(15)
    wait_for(lambda: answered() >= 2, "first answers", bot)
    bot.kill9()                       # killed in the middle of the batch
    mention(4)                        # posted while no bot runs
    bot.start()
    wait_for(lambda: answered() >= 17, "answers after the first restart", bot)
    bot.kill9()
    mention(3)
    bot.start()
    mention(1)                        # the last one: answered after everything before it
    wait_for(lambda: mentions[-1].id in replies(), "the answer to the last mention", bot)

    got = replies()
    assert set(got) - {m.id for m in mentions} == set(), f"replies outside the mentions' threads: {got.keys()}"
    for i, m in enumerate(mentions):
        texts = [r.text for r in got.get(m.id, [])]
        assert texts == [f"echo: ping {i}"], f"mention {i}: replies {texts} (want exactly one)"
        assert all(r.kind == "notice" for r in got[m.id])
