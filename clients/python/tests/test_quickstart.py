"""The README's quickstart (`examples/quickstart.sh`) runs as written against a fresh server: an
owner, a session, a channel, an agent and its key by curl, the SDK's echo bot, a person's
`@handle` mention, and the bot's answer in the mention's thread."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, SERVER_ENV


def test_the_quickstart_gets_an_agent_answering_a_mention(make_server, conclave_bin):
    server = make_server(SERVER_ENV)
    env = {k: v for k, v in server.env().items()}
    env.update(CONCLAVE_URL=server.base_url, CONCLAVE_BIN=conclave_bin, EMAIL="quickstart@example.com",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run(["bash", "examples/quickstart.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"quickstart failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip().endswith("the agent answered: echo: hello"), done.stdout


def test_the_readme_shows_the_quickstart_script():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "examples/quickstart.sh" in readme
    script = (REPO / "examples" / "quickstart.sh").read_text(encoding="utf-8")
    # every command the README's quickstart shows is one the script runs
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    shown = [line.strip() for block in section.split("```sh")[1:] for line in block.split("```")[0].splitlines()
             if line.strip() and not line.strip().startswith("#")]
    assert shown, "no commands in the README's quickstart"
    for line in shown:
        assert line in script, f"the README shows a command the script does not run: {line}"
