"""Known vulnerabilities of the installed packages (pip-audit), as CI runs it.

    .venv/bin/python -m scripts.dependency_audit

Runs `pip-audit` on this virtual environment (the hashstop package itself, installed editable,
is left out: it is not on PyPI). Exits 1 if any installed package has a known vulnerability,
listing each with its fix. pip-audit needs PyPI's JSON API: when the service cannot be reached
(no network), or does not know some installed versions (a package index that answers only part
of the API, or a version newer than the service's data), it says so in a NOTICE line and exits
0, so CI fails on a vulnerability, never on the network alone. The notice names how many
packages were audited and how many could not be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PIP_AUDIT = str(Path(sys.executable).parent / "pip-audit")
NETWORK_ERRORS = (
    "ConnectionError",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
)


def main() -> int:
    done = subprocess.run(  # noqa: S603 - a fixed command
        [PIP_AUDIT, "--skip-editable", "--progress-spinner", "off", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        if any(marker in done.stderr for marker in NETWORK_ERRORS):
            last = done.stderr.strip().splitlines()[-1][:300]
            print(
                "pip-audit: NOTICE: NOTHING WAS AUDITED: the vulnerability service is "
                f"unreachable ({last})"
            )
            return 0
        print(done.stderr, file=sys.stderr)
        print("pip-audit: failed (see above)", file=sys.stderr)
        return 1
    code, lines = interpret(report)
    print("\n".join(lines))
    return code


def interpret(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and the lines to print for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = len(dependencies) - len(skipped)
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fix: {fixes})")
    if vulnerable:
        lines.append(f"pip-audit: {len(vulnerable)} vulnerable package(s) of {audited} audited")
        return 1, lines
    if audited == 0:
        # Say it plainly: "no known vulnerability" about zero packages would read as a pass.
        why = f"; first: {skipped[0]['skip_reason'][:120]}" if skipped else ""
        lines.append(
            f"pip-audit: NOTICE: NOTHING WAS AUDITED: 0 of {len(dependencies)} package(s) "
            f"checked{why}. This is not a clean result."
        )
        return 0, lines
    if skipped:
        lines.append(
            f"pip-audit: NOTICE: {len(skipped)} of {len(dependencies)} package(s) could not be "
            "audited (the vulnerability service does not know their versions; first: "
            f"{skipped[0]['skip_reason'][:120]}); {audited} audited, no known vulnerability"
        )
        return 0, lines
    lines.append(f"pip-audit: {audited} package(s) audited, no known vulnerability")
    return 0, lines


if __name__ == "__main__":
    sys.exit(main())
