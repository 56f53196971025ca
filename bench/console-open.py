#!/usr/bin/env python3
"""How long the web console takes to open a channel with 100,000 messages, next to an empty one
(issue 14: "a channel with 100,000 messages opens as fast as an empty one").

Starts the server under test (CONCLAVE_BIN, default .build/release/conclave) on a scratch data dir
with send limits raised, seeds one channel with N messages over keep-alive connections, then
signs in with headless Chromium (Debian's chromium + chromium-driver, selenium) and opens each
channel ROUNDS times, alternating. Reported per channel: the median and worst time from the click
to the message list being ready (its aria-busy turns false), the messages rendered, and the bytes
the browser received for the open. Usage: bench/console-open.py [N] [ROUNDS]
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from bench_support import stop

ROOT = pathlib.Path(__file__).resolve().parent.parent
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
SENDERS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    binary = os.environ.get("CONCLAVE_BIN", str(ROOT / ".build/release/conclave"))
    port = free_port()
    base = f"http://localhost:{port}"
    data = tempfile.mkdtemp(prefix="conclave-console-bench-")
    env = dict(os.environ, CONCLAVE_DATA_DIR=data, CONCLAVE_PORT=str(port), CONCLAVE_PUBLIC_URL=base,
               CONCLAVE_LOG_LEVEL="error",
               CONCLAVE_RATE_LIMITS="api=1000000/1s,send=1000000/1s:1000000,send_workspace=1000000/1s:1000000")
    owner = json.loads(subprocess.run([binary, "admin", "create-owner", "--email", "bench@example.com", "--workspace", "Bench"],
                                      env=env, check=True, capture_output=True, text=True).stdout)
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]}).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        ws = owner["workspace_id"]
        channels = {name: httpx.post(f"{base}/api/v1/workspaces/{ws}/channels", json={"name": name}, headers=headers).json()["id"]
                    for name in ("empty", "big")}

        started = time.monotonic()

        def send(worker: int) -> None:
            with httpx.Client(base_url=base, headers=headers) as c:
                for i in range(worker, N, SENDERS):
                    r = c.post(f"/api/v1/channels/{channels['big']}/messages", json={"text": f"message {i}: the quick brown fox"})
                    r.raise_for_status()

        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(send, range(SENDERS)))
        print(f"seeded {N} messages in {time.monotonic() - started:.1f} s")

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(base + "/")
            wait = WebDriverWait(driver, 30)
            wait.until(lambda d: d.find_elements(By.ID, "login-email"))
            driver.find_element(By.ID, "login-email").send_keys(owner["email"])
            driver.find_element(By.ID, "login-password").send_keys(owner["password"], Keys.ENTER)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-channel-id]"))
            results: dict[str, list[float]] = {"empty": [], "big": []}
            rendered: dict[str, int] = {}
            transferred: dict[str, int] = {}
            for _ in range(ROUNDS):
                for name in ("empty", "big", "empty", "big"):
                    elapsed, count, size = driver.execute_async_script("""
                        const [id, done] = [arguments[0], arguments[arguments.length - 1]];
                        const before = performance.getEntriesByType('resource').length;
                        const start = performance.now();
                        document.querySelector(`[data-channel-id="${id}"]`).click();
                        const poll = () => {
                          const list = document.querySelector('.channel-pane .messages');
                          if (list && list.getAttribute('aria-busy') === 'false') {
                            const bytes = performance.getEntriesByType('resource').slice(before)
                              .reduce((sum, entry) => sum + (entry.transferSize || 0), 0);
                            done([performance.now() - start, list.querySelectorAll('.message').length, bytes]);
                          } else requestAnimationFrame(poll);
                        };
                        requestAnimationFrame(poll);
                    """, channels[name])
                    results[name].append(elapsed)
                    rendered[name] = count
                    transferred[name] = size
        finally:
            driver.quit()
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.2f}; binary {binary}")
        for name, times in results.items():
            label = "0 messages" if name == "empty" else f"{N:,} messages"
            print(f"open {label:>16}: median {statistics.median(times):6.1f} ms, worst {max(times):6.1f} ms "
                  f"over {len(times)} opens; {rendered[name]} messages rendered, {transferred[name]:,} bytes received")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
