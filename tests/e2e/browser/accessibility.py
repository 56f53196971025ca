"""axe-core (shipped by the axe-selenium-python package) run in the page under test."""

from __future__ import annotations

from axe_selenium_python import Axe

from .session import BrowserSession

BLOCKING_IMPACTS = ("serious", "critical")


def assert_accessible(browser: BrowserSession, what: str, context: str | None = None) -> list[dict]:
    """Inject axe into the current page, run it (on `context`, a CSS selector, or the whole
    document) and fail on any violation of serious or critical impact, naming each rule and the
    elements it found. Returns the milder violations, for a test that wants to look at them."""
    axe = Axe(browser.driver)
    axe.inject()
    results = axe.run(context=context)
    violations = results.get("violations", [])
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {what}: {len(blocking)} serious/critical violation(s)\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(" ".join(node.get("target", [])) for node in v.get("nodes", [])[:8])
        for v in blocking)
    return [v for v in violations if v not in blocking]
