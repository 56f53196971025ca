"""The security documents point at real tests (no server needed).

- docs/security/asvs-l2.md is what scripts/gen-asvs makes of the ASVS sheet and our status sheet,
  every in-scope Level 1/2 requirement has a status, and every evidence reference resolves.
- Every test SECURITY.md names as a proof exists under tests/e2e/ or Tests/.
- Every `met` row of docs/security/asvs-status.csv names a test (or, for a documentation
  requirement, a document) that exists.

SECURITY.md names tests like this (one table row's proof cell, read left to right):
  `test_identity.py::test_forged_access_token_is_401`   e2e test in tests/e2e/
  `::test_session_list_and_revoke`                       another test of the last named e2e file
  `test_foundation.py` (`test_login_malformed_json_is_400`, …)
                                                          a file, then bare test names of it
  `AccessTokenServiceTests/forgeriesAreRefused`          Swift suite / test function
  `/aTamperedPayloadIsRefused`                           another function of the last named suite
  `PasswordPolicyTests`, `ConclaveSecurityTests/PasswordHasherTests`
                                                          a whole Swift suite (optionally module/suite)
  `bench/RESULTS.md`                                     a file of the repository
Anything else in backticks (`alg: none`, `CONCLAVE_…`, commands) is not a reference.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
E2E = REPO / "tests" / "e2e"
SWIFT_TESTS = REPO / "Tests"
GEN_ASVS = REPO / "scripts" / "gen-asvs"
SECURITY_MD = REPO / "SECURITY.md"


def load_gen_asvs():
    loader = SourceFileLoader("gen_asvs", str(GEN_ASVS))
    module = module_from_spec(spec_from_loader("gen_asvs", loader))
    sys.modules["gen_asvs"] = module  # dataclasses look their module up here
    loader.exec_module(module)
    return module


gen_asvs = load_gen_asvs()


# ------------------------------------------------------------------------------------------ (a)

def test_asvs_sheet_is_current_and_its_evidence_resolves():
    proc = subprocess.run([sys.executable, str(GEN_ASVS), "--check"], cwd=REPO, capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"scripts/gen-asvs --check failed:\n{proc.stderr}{proc.stdout}"


# ------------------------------------------------------------------------------------------ (b)

E2E_FILE_TEST = re.compile(r"^(?P<file>[\w./-]*test_\w+\.py)(?:::(?P<names>[\w:]+))?$")
CONTINUED_E2E = re.compile(r"^::(?P<name>\w+)$")
BARE_E2E = re.compile(r"^test_\w+$")
SWIFT_PAIR = re.compile(r"^(?P<first>[A-Z]\w*Tests)/(?P<second>[A-Za-z_]\w*)$")
CONTINUED_SWIFT = re.compile(r"^/(?P<name>[a-z_]\w*)$")
SWIFT_SUITE = re.compile(r"^[A-Z]\w*Tests$")
REPO_FILE = re.compile(r"^[\w.-]+(?:/[\w.-]+)+\.\w+$")


def e2e_path(name: str) -> Path:
    path = Path(name)
    return REPO / path if len(path.parts) > 1 else E2E / path


def references(markdown: str) -> list[tuple[int, str, str | None]]:
    """(line number, reference as written, problem or None) for every test or file reference."""
    suites = gen_asvs.swift_suites(SWIFT_TESTS)
    modules = {p.name for p in SWIFT_TESTS.iterdir() if p.is_dir()}
    found = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        last_py: Path | None = None
        last_suite: str | None = None

        def python_test(path: Path, name: str) -> str | None:
            if not path.is_file():
                return f"{path.relative_to(REPO)} does not exist"
            if not gen_asvs.python_defines(path, name):
                return f"no test {name} in {path.relative_to(REPO)}"
            return None

        def swift_test(suite: str, name: str) -> str | None:
            files = suites.get(suite)
            if not files:
                return f"no Swift suite {suite} under Tests/"
            if not any(gen_asvs.swift_defines(path, name) for path in files):
                return f"no function {name} in suite {suite} ({', '.join(str(p.relative_to(REPO)) for p in files)})"
            return None

        for span in re.findall(r"`([^`\n]+)`", line):
            span = span.strip()
            problem: str | None
            if m := E2E_FILE_TEST.match(span):
                last_py = e2e_path(m["file"])
                if m["names"]:
                    problem = python_test(last_py, m["names"].split("::")[-1])
                else:
                    problem = None if last_py.is_file() else f"{last_py.relative_to(REPO)} does not exist"
            elif m := CONTINUED_E2E.match(span):
                problem = python_test(last_py, m["name"]) if last_py else "'::' with no test file named before it"
            elif BARE_E2E.match(span):
                if last_py:
                    problem = python_test(last_py, span)
                else:
                    hits = [p for p in sorted(E2E.glob("test_*.py")) if gen_asvs.python_defines(p, span)]
                    problem = None if hits else f"no test {span} in tests/e2e"
            elif m := SWIFT_PAIR.match(span):
                if m["first"] in modules:  # Module/Suite
                    last_suite = m["second"]
                    in_module = [p for p in suites.get(last_suite, []) if (SWIFT_TESTS / m["first"]) in p.parents]
                    problem = None if in_module else f"no Swift suite {last_suite} in Tests/{m['first']}"
                else:  # Suite/function
                    last_suite = m["first"]
                    problem = swift_test(last_suite, m["second"])
            elif m := CONTINUED_SWIFT.match(span):
                problem = swift_test(last_suite, m["name"]) if last_suite else "'/' with no Swift suite named before it"
            elif SWIFT_SUITE.match(span):
                last_suite = span
                problem = None if span in suites else f"no Swift suite {span} under Tests/"
            elif REPO_FILE.match(span) and not span.startswith(("http", "/")):
                problem = None if (REPO / span).exists() else f"{span} does not exist"
            else:
                continue
            found.append((number, span, problem))
    return found


def test_references_parser_reads_the_formats_security_md_uses():
    sample = "\n".join([
        "| a | `test_foundation.py::test_health`, `::test_health_ready`; `PasswordPolicyTests` |",
        "| b | `test_foundation.py` (`test_login_malformed_json_is_400`, `test_no_such_test_anywhere`) |",
        "| c | `AccessTokenServiceTests/forgeriesAreRefused`, `/noSuchFunction`; `ConclaveSecurityTests/TOTPTests` |",
        "| d | `alg: none`, `CONCLAVE_JWT_SECRET`, `Suite/test`, `file::test`; `bench/NO_SUCH.md` |",
        "| e | `::test_health` |",
    ])
    got = [(line, ref, problem is None) for line, ref, problem in references(sample)]
    assert got == [
        (1, "test_foundation.py::test_health", True), (1, "::test_health_ready", True), (1, "PasswordPolicyTests", True),
        (2, "test_foundation.py", True), (2, "test_login_malformed_json_is_400", True), (2, "test_no_such_test_anywhere", False),
        (3, "AccessTokenServiceTests/forgeriesAreRefused", True), (3, "/noSuchFunction", False),
        (3, "ConclaveSecurityTests/TOTPTests", True),
        (4, "bench/NO_SUCH.md", False),
        (5, "::test_health", False),
    ], got


def test_every_test_security_md_names_exists():
    refs = references(SECURITY_MD.read_text(encoding="utf-8"))
    assert len(refs) >= 50, f"found only {len(refs)} references in SECURITY.md: has its format changed?"
    broken = [f"SECURITY.md:{line}: `{ref}`: {problem}" for line, ref, problem in refs if problem]
    assert not broken, "SECURITY.md names tests or files that do not exist:\n" + "\n".join(broken)


# ------------------------------------------------------------------------------------------ (c)

def test_every_met_requirement_names_evidence_that_resolves():
    problems: list[str] = []
    requirements = {r.req_id: r for r in gen_asvs.load_scope(problems)}
    with gen_asvs.STATUS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert not problems, problems
    met = [row for row in rows if row["status"].strip() == "met"]
    assert met, "no met rows in docs/security/asvs-status.csv"
    bad = []
    for row in met:
        requirement = requirements.get(row["req_id"].strip())
        refs = gen_asvs.split_evidence(row["evidence"])
        resolving = [ref for ref in refs if gen_asvs.resolve(ref) is None]
        if requirement is None:
            bad.append(f"{row['req_id']}: not an ASVS 5.0.0 requirement")
        elif requirement.documentary:
            if not resolving:
                bad.append(f"{row['req_id']}: met, but no evidence that exists ({refs})")
        elif not any(gen_asvs.is_test_reference(ref) for ref in resolving):
            bad.append(f"{row['req_id']}: met, but no test reference that resolves ({refs})")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("ref,ok", [
    ("tests/e2e/test_foundation.py::test_health", True),
    ("tests/e2e/test_foundation.py::test_no_such_test", False),
    ("Tests/ConclaveServerTests/ErrorEnvelopeTests.swift::anUnexpectedErrorIsA500ThatRevealsNothing", True),
    ("Tests/ConclaveServerTests/ErrorEnvelopeTests.swift::noSuchFunction", False),
    ("docs/ARCHITECTURE.md", True),
    ("docs/NO_SUCH.md", False),
    ("../outside.txt", False),
])
def test_evidence_resolver(ref, ok):
    assert (gen_asvs.resolve(ref) is None) == ok, gen_asvs.resolve(ref)
