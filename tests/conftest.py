"""Fixtures shared by the whole suite, and the rule that CI skips nothing.

Tests that need a real PostgreSQL or a real Chromium skip on a laptop without them. Under
`HASHSTOP_TEST_REQUIRE=1` (set by `.ci/run`) a skip of any kind fails the run instead, so CI
always exercises the real components.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# The service's database and app fixtures (issue 4).
pytest_plugins = ["tests.service_fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE_DIR = Path(
    os.environ.get("HASHSTOP_CONFORMANCE_DIR", REPO_ROOT / "tests" / "data" / "pdq-conformance")
)


def services_required() -> bool:
    """True when missing services must fail the run rather than skip (CI)."""
    return os.environ.get("HASHSTOP_TEST_REQUIRE", "") not in ("", "0")


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; fail under HASHSTOP_TEST_REQUIRE."""
    if services_required():
        pytest.fail(f"required by HASHSTOP_TEST_REQUIRE but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def conformance() -> dict[str, Any]:
    """expected.json of the PDQ conformance set, with absolute paths in each case's `path`."""
    data: dict[str, Any] = json.loads((CONFORMANCE_DIR / "expected.json").read_text())
    for case in data["cases"]:
        case["path"] = CONFORMANCE_DIR / case["file"]
    return data


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not services_required():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(
                f"HASHSTOP_TEST_REQUIRE is set and {len(skipped)} test(s) were skipped: failing.",
                red=True,
            )
