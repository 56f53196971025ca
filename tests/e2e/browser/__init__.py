"""Browser tests of the web console (headless Chromium driven by Selenium).

This directory is a package on purpose: its conftest.py is then imported as `browser.conftest`,
so it never takes the module name `conftest` from tests/e2e/conftest.py, which the other test
files import helpers from (`from conftest import create_owner`).
"""
