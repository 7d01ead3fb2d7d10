"""The victim's client stands alone: it never loads the service, its storage or its web stack."""

from __future__ import annotations

import subprocess
import sys


def test_the_client_modules_load_no_service_code():
    code = "import sys, hashstop.cli.submit, hashstop.cli.case;print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "hashstop.client.api_client" in loaded
    forbidden = {"fastapi", "sqlalchemy", "alembic", "starlette", "uvicorn", "jinja2"}
    assert not loaded & forbidden
    assert not {
        m
        for m in loaded
        if m.startswith(
            ("hashstop.service", "hashstop.storage", "hashstop.api", "hashstop.web", "hashstop.app")
        )
    }
