"""Screenshots of the console for docs/console/, taken only when CONCLAVE_SCREENSHOTS=1 (so a
normal run, CI's included, never writes into the work tree)."""

from __future__ import annotations

import os
from pathlib import Path

from .session import DESKTOP, BrowserSession

REPO = Path(__file__).resolve().parents[3]
SCREENSHOT_DIR = REPO / "docs" / "console"
NARROW = (360, 780)
# Let layout and paint settle after an emulation change: two animation frames.
SETTLE = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""


def screenshots_wanted() -> bool:
    return os.environ.get("CONCLAVE_SCREENSHOTS") == "1"


def save_screenshots(browser: BrowserSession, name: str) -> list[Path]:
    """docs/console/<name>-<desktop|narrow>-<light|dark>.png of the current page, when wanted.
    Width and colour scheme are emulated through CDP and put back afterwards."""
    if not screenshots_wanted():
        return []
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    driver = browser.driver
    # Notices of what the test just did would cover the screen being documented.
    driver.execute_script("document.getElementById('toasts')?.replaceChildren()")
    saved = []
    try:
        for layout, (width, height) in (("desktop", DESKTOP), ("narrow", NARROW)):
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": layout == "narrow"})
            for scheme in ("light", "dark"):
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                    "features": [{"name": "prefers-color-scheme", "value": scheme}]})
                driver.execute_async_script(SETTLE)
                path = SCREENSHOT_DIR / f"{name}-{layout}-{scheme}.png"
                assert driver.save_screenshot(str(path)), f"could not save {path}"
                saved.append(path)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    return saved
