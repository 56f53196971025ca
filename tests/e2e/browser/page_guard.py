"""What every page the tests open is watched for: Content Security Policy (and Trusted Types)
violations, and an XSS canary.

The guard is installed with CDP `Page.addScriptToEvaluateOnNewDocument`, so it runs in every new
document before any of the page's own scripts, and is not itself subject to the page's policy.
"""

from __future__ import annotations

import re

# `window.__xss` is the canary: the XSS corpus's payloads assign it (`onerror="window.__xss=1"`);
# a setter records every assignment, so even a payload that writes a falsy value is caught.
GUARD_SCRIPT = r"""
(() => {
  const violations = [];
  const xss = [];
  Object.defineProperty(window, '__cspViolations', { value: violations });
  Object.defineProperty(window, '__xssHits', { value: xss });
  Object.defineProperty(window, '__xss', {
    configurable: false,
    get: () => xss.length > 0,
    set: (value) => { xss.push(String(value)); },
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    violations.push({
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      sample: event.sample,
      source: event.sourceFile,
      line: event.lineNumber,
      document: String(location.pathname),
    });
  }, true);
})();
"""

# Chromium's console messages for a CSP or Trusted Types refusal (collected through
# goog:loggingPrefs browser=ALL), e.g. "... violates the following Content Security Policy
# directive ..." or "This document requires 'TrustedHTML' assignment."
POLICY_LOG = re.compile(r"Content Security Policy|Trusted ?Type|'Trusted(HTML|Script|ScriptURL)'")


def read_page_guard(driver) -> tuple[list[dict], list[str]]:
    """(CSP violations, canary assignments) recorded by the current document's guard since it
    was last read: reading empties the record, so nothing is counted twice."""
    found = driver.execute_script(
        "return [(window.__cspViolations || []).splice(0), (window.__xssHits || []).splice(0)];")
    return list(found[0]), list(found[1])
