"""Where Chromium and its driver are, and what to do when they are not there."""

from __future__ import annotations

import os
import shutil

import pytest

# Debian's `chromium` and `chromium-driver` packages (scripts/prerequisites --test installs them).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)


def _first_on_path(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_paths() -> tuple[str, str]:
    """(browser binary, chromedriver). Without them the browser tests skip on a developer's
    machine, but fail in CI (CI=true): there a missing browser is a broken install step, not a
    reason to pass without having tested the console."""
    browser, driver = _first_on_path(BROWSER_NAMES), _first_on_path(DRIVER_NAMES)
    if browser and driver:
        return browser, driver
    missing = " and ".join(name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path)
    reason = (f"{missing} not found on PATH: the console's browser tests need Debian's chromium and "
              f"chromium-driver (scripts/prerequisites --test installs them as root)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " — CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)
