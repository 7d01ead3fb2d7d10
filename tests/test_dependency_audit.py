"""How CI reads pip-audit's report: fail on a vulnerability, never on what it could not audit."""

from __future__ import annotations

from scripts.dependency_audit import interpret


def test_a_vulnerability_fails_with_its_id_and_fix():
    report = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "3.1.2",
                "vulns": [{"id": "GHSA-x", "fix_versions": ["3.1.3"]}],
            },
            {"name": "numpy", "version": "2.0.0", "vulns": []},
        ]
    }
    code, lines = interpret(report)
    assert code == 1
    assert "jinja2 3.1.2: GHSA-x (fix: 3.1.3)" in lines[0]
    assert "1 vulnerable package(s) of 2 audited" in lines[-1]


def test_unknown_versions_are_a_notice_not_a_failure():
    report = {
        "dependencies": [
            {"name": "alembic", "skip_reason": "Dependency not found on PyPI: alembic (9.9)"},
            {"name": "numpy", "version": "2.0.0", "vulns": []},
        ]
    }
    code, lines = interpret(report)
    assert code == 0 and "NOTICE: 1 of 2" in lines[-1] and "1 audited" in lines[-1]


def test_a_clean_report():
    code, lines = interpret({"dependencies": [{"name": "numpy", "version": "2.0.0", "vulns": []}]})
    assert (code, lines) == (0, ["pip-audit: 1 package(s) audited, no known vulnerability"])


def test_nothing_audited_says_so_plainly():
    """Issue 12: a report where every package was skipped is not 'no known vulnerability'."""
    report = {
        "dependencies": [
            {"name": "alembic", "skip_reason": "Dependency not found on PyPI: alembic (9.9)"},
            {"name": "numpy", "skip_reason": "Dependency not found on PyPI: numpy (2.0.0)"},
        ]
    }
    code, lines = interpret(report)
    assert code == 0
    assert "NOTHING WAS AUDITED" in lines[-1] and "0 of 2" in lines[-1]
    assert not any("no known vulnerability" in line for line in lines)
    empty_code, empty = interpret({"dependencies": []})
    assert "NOTHING WAS AUDITED" in empty[-1] and "no known vulnerability" not in empty[-1]
