"""axe-core (shipped by the axe-selenium-python package) run in the page under test."""

from __future__ import annotations

from axe_selenium_python import Axe

from .session import BrowserSession

BLOCKING_IMPACTS = ("serious", "critical")

# axe-selenium-python 2.1.6 ships axe-core 3.1.1 (2018), which predates two changes to the HTML
# standard's autofill rules that later axe-core releases follow: `autocomplete="username"` is
# allowed on `<input type=email>` (whatwg/html#5881, axe-core#2896), and a trailing `webauthn`
# token offers passkeys in the browser's autofill (the console's sign-in email field has
# `username webauthn`). Both checks are taught exactly that and nothing more: a trailing
# `webauthn` is set aside, then axe's own check runs on the rest.
MODERN_AUTOFILL_RULES = r"""
function withoutWebauthn(node) {
  var value = node.getAttribute('autocomplete') || '';
  var rest = value.replace(/\s+webauthn\s*$/i, '');
  if (rest === value) return node;
  var copy = node.cloneNode(false);
  copy.setAttribute('autocomplete', rest);
  return copy;
}
var checks = axe._audit.checks;
var valid = checks['autocomplete-valid'].evaluate;
var appropriate = checks['autocomplete-appropriate'].evaluate;
axe.configure({ checks: [
  { id: 'autocomplete-valid',
    evaluate: function (node, options, virtualNode, context) {
      return valid.call(this, withoutWebauthn(node), options, virtualNode, context);
    } },
  { id: 'autocomplete-appropriate',
    options: { username: ['text', 'search', 'email'] },
    evaluate: function (node, options, virtualNode, context) {
      return appropriate.call(this, withoutWebauthn(node), options, virtualNode, context);
    } },
] });
"""


def assert_accessible(browser: BrowserSession, what: str, context: str | None = None) -> list[dict]:
    """Inject axe into the current page, run it (on `context`, a CSS selector, or the whole
    document) and fail on any violation of serious or critical impact, naming each rule and the
    elements it found. Returns the milder violations, for a test that wants to look at them."""
    axe = Axe(browser.driver)
    axe.inject()
    browser.driver.execute_script(MODERN_AUTOFILL_RULES)
    results = axe.run(context=context)
    violations = results.get("violations", [])
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {what}: {len(blocking)} serious/critical violation(s)\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(" ".join(node.get("target", [])) for node in v.get("nodes", [])[:8])
        for v in blocking)
    return [v for v in violations if v not in blocking]
