"""No secret and no hash value in any log, through a whole scenario of every role, at DEBUG.

The scenario (`run_scenario`) opens a case with all four kinds of hash, adds to it, reads it,
matches from two platforms, gives feedback, follows the hash list, works the review queue over
the API and through the /review pages (sign-in, CSRF-protected forms, sign-out), suspends and
restores a hash, refuses a scoped moderator, manages the allowlist, reads the audit log, makes
errors of many kinds (bad tokens, a revoked key, invalid hashes, bad JSON, unknown routes) and
withdraws the case. It returns every secret it saw: case secrets, API keys, session cookies,
CSRF tokens and every hash value it sent.

It runs twice: in-process with every logger at DEBUG (the root, uvicorn's, FastAPI's,
Starlette's, hashstop's, SQLAlchemy's and Alembic's, and any other logger that exists by then;
`test_every_logger_is_at_debug` checks that it is so), every record captured; and against a
real `hashstop serve` at HASHSTOP_LOG_LEVEL=DEBUG, its whole output read. Neither may contain
any of those strings in any of the forms a log could print them (`forms`): hex (whole, first 16
digits, either case), base64 (standard and URL-safe, with and without padding), the bytes'
Python repr (as `%r` of a value would print it), and the decimal integer of the value.

SQLAlchemy's loggers are at DEBUG too: its statements (with their bound parameters) and, at
DEBUG, every result row. The service makes its engines with `hide_parameters` and drops the row
records (`storage/database.py`), and this test is what shows that those two suffice. Left
alone, the service never turns SQLAlchemy's loggers on (HASHSTOP_LOG_LEVEL sets the root, and
SQLAlchemy keeps its own at WARNING): `test_the_service_leaves_sqlalchemy_at_warning`.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hashstop.app import create_app
from tests import sample_hashes
from tests.reliability.server import ServerProcess, hashstop, server_env
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
CLIENT_SIDE = ("httpx", "httpcore")  # the test's own HTTP client logs its URLs, not the service
LOGGERS = (
    "",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "hashstop",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
    "sqlalchemy.dialects",
    "alembic",
)


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def run_scenario(client: httpx.Client, keys: dict[str, str], revoke: Any) -> list[str]:
    """Every role's flow and many errors through `client`; the secrets and hashes it used."""
    seen: list[str] = list(keys.values())
    seed = secrets.randbelow(10**9)
    values = {
        "pdq": sample_hashes.pdq(seed),
        "phash": sample_hashes.phash(seed),
        "md5": sample_hashes.md5(seed),
        "sha256": sample_hashes.sha256(seed),
    }
    entries: list[dict[str, Any]] = [{"algorithm": a, "value": v} for a, v in values.items()]
    entries[0]["quality"] = 100
    opened = client.post("/v1/cases", json={"hashes": entries})
    assert opened.status_code == 201, opened.text
    case_id, secret = opened.json()["case_id"], opened.json()["secret"]
    other = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(seed + 1)]}).json()
    seen += [secret, other["secret"], sample_hashes.pdq(seed + 1)]
    added_md5 = sample_hashes.md5(seed + 2)
    seen.append(added_md5)
    case = f"/v1/cases/{case_id}"
    own, platform_a, platform_b = bearer(secret), bearer(keys["a"]), bearer(keys["b"])
    moderator, scoped, admin = bearer(keys["mod"]), bearer(keys["scoped"]), bearer(keys["admin"])
    add = {"hashes": [{"algorithm": "md5", "value": added_md5}]}
    assert client.post(f"{case}/hashes", json=add, headers=own).status_code == 200
    assert client.get(case, headers=own).status_code == 200
    assert client.get(case, headers=bearer(other["secret"])).status_code == 404

    query = {
        "items": [
            {"ref": "upload-1", "hashes": [{"algorithm": "pdq", "value": values["pdq"]}]},
            {"ref": "upload-2", "hashes": [{"algorithm": "sha256", "value": values["sha256"]}]},
        ]
    }
    results = client.post("/v1/match", json=query, headers=platform_a).json()["results"]
    match_id = results[0]["match_id"]
    hash_id = results[0]["matches"][0]["hash_id"]
    assert client.post("/v1/match", json=query, headers=platform_b).status_code == 200
    feedback = {"verdict": "confirmed", "action": "removed"}
    given = client.post(f"/v1/matches/{match_id}/feedback", json=feedback, headers=platform_a)
    assert given.status_code == 201, given.text
    assert client.get(f"/v1/matches/{match_id}", headers=platform_a).status_code == 200
    assert client.get("/v1/hashlist", headers=platform_a).status_code == 200

    assert client.get("/v1/review/queue", headers=scoped).status_code == 200
    assert client.get(f"/v1/review/matches/{match_id}", headers=moderator).status_code == 200
    decided = client.post(
        f"/v1/review/matches/{match_id}", json={"decision": "confirmed"}, headers=moderator
    )
    assert decided.status_code == 200, decided.text
    suspend = f"/v1/review/hashes/{hash_id}/suspend"
    assert client.post(suspend, json={"reason": "check"}, headers=scoped).status_code == 403
    assert client.post(suspend, json={"reason": "check"}, headers=moderator).status_code == 200
    restore = f"/v1/review/hashes/{hash_id}/restore"
    assert client.post(restore, json={"reason": "fine"}, headers=admin).status_code == 200
    assert client.get(f"/v1/review/hashes/{hash_id}", headers=moderator).status_code == 200
    assert client.get("/v1/review/activity", headers=moderator).status_code == 200

    # The /review pages: a refused sign-in (a case secret), then a moderator's session.
    for refused_key in (secret, keys["a"], "hsk_not-a-key"):
        form = client.get("/review/sign-in")
        refused = client.post("/review/sign-in", data={"key": refused_key, "csrf": _csrf(form)})
        assert refused.status_code in (401, 403)
    form = client.get("/review/sign-in")
    seen.append(_csrf(form))
    signed = client.post(
        "/review/sign-in",
        data={"key": keys["mod"], "csrf": _csrf(form), "next": "/review/queue"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    cookie = re.search(r"hashstop_review=([^;]+)", signed.headers["set-cookie"])
    assert cookie is not None
    seen.append(cookie.group(1))
    page = client.get(f"/review/matches/{match_id}")
    assert page.status_code == 200
    token = _csrf(page)
    seen.append(token)
    decide = client.post(
        f"/review/matches/{match_id}/decide",
        data={"csrf": token, "decision": "dismissed", "note": "seen"},
        follow_redirects=False,
    )
    assert decide.status_code == 303
    forged = client.post(
        f"/review/hashes/{hash_id}/suspend", data={"csrf": "0" * 64, "reason": "x"}
    )
    assert forged.status_code == 403
    assert client.get(f"/review/hashes/{hash_id}").status_code == 200
    assert client.get("/review/queue?status=all").status_code == 200
    out = client.post("/review/sign-out", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303

    benign = sample_hashes.pdq(seed + 3)
    seen.append(benign)
    entry = client.post(
        "/v1/admin/allowlist",
        json={"algorithm": "pdq", "value": benign, "reason": "news photo"},
        headers=admin,
    )
    assert entry.status_code == 201, entry.text
    assert client.get("/v1/admin/allowlist", headers=admin).status_code == 200
    removed = client.delete(
        f"/v1/admin/allowlist/{entry.json()['id']}", params={"reason": "gone"}, headers=admin
    )
    assert removed.status_code == 204
    assert client.get("/v1/audit", headers=admin).status_code == 200

    # Errors: wrong and revoked credentials, invalid hashes, bad bodies, unknown routes.
    bad_value = "ab" * 31 + "zz"
    seen.append(bad_value)
    revoke("revoked")
    for response in (
        client.get(case, headers=bearer("hsc_" + "x" * 40)),
        client.get(case, headers=bearer(keys["a"])),
        client.get("/v1/hashlist", headers=bearer(keys["revoked"])),
        client.get("/v1/hashlist", headers=bearer("hsk_" + "y" * 40)),
        client.post("/v1/cases", json={"hashes": [{"algorithm": "pdq", "value": bad_value}]}),
        client.post(
            "/v1/match",
            content=b"{nope",
            headers={**platform_a, "content-type": "application/json"},
        ),
        client.get(f"/v1/nothing/{secret}"),
        client.put(case, headers=own),
        client.get("/v1/review/queue", params={"since": "yesterday"}, headers=moderator),
    ):
        assert 400 <= response.status_code < 500, response.text

    withdrawn = client.delete(case, headers=own)
    assert withdrawn.status_code == 200
    return seen


HEX = re.compile(r"[0-9a-fA-F]+")


def forms(value: str) -> set[str]:
    """Every way a log line could spell `value` (a secret, or a hash value in hex)."""
    found = {value, value[:16]} if len(value) >= 16 else {value}
    if len(value) >= 16 and len(value) % 2 == 0 and HEX.fullmatch(value):
        raw = bytes.fromhex(value)
        for part in (raw, raw[:8]):
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                found.add(encode(part).decode().rstrip("="))
            found.add(repr(part)[2:-1])  # b'...' as %r prints it, without the quotes
        found.add(str(int(value, 16)))
    return {form for form in found if len(form) >= 8}


def assert_clean(text: str, seen: list[str]) -> None:
    assert len(text) > 500, "the logs were not captured"
    lowered = text.lower()
    for value in seen:
        for form in forms(value):
            if HEX.fullmatch(form):
                hit = form.lower() in lowered
            else:  # base64, repr and decimal are case-sensitive
                hit = form in text
            assert not hit, f"a secret or hash value is in the logs: {form} (of {value})"
    assert "authorization" not in lowered and "bearer " not in lowered
    assert "hashstop_review=" not in lowered


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] not in CLIENT_SIDE:
            self.lines.append(self.format(record))


@pytest.fixture
def everything_logged() -> Iterator[_Capture]:
    capture = _Capture()
    saved = {}
    existing = [n for n in logging.root.manager.loggerDict if n.split(".")[0] not in CLIENT_SIDE]
    for name in {*LOGGERS, *existing}:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(capture)
        for name, (level, disabled) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).disabled = disabled


def test_in_process_at_debug_every_logger(database_url, make_key, everything_logged):
    settings = make_settings(database_url, key_cache_seconds=0)
    keys = {
        "a": make_key("platform", name="plat-a", platform="plat-a"),
        "b": make_key("platform", name="plat-b", platform="plat-b"),
        "scoped": make_key("moderator", name="mod-a", platform="plat-a"),
        "mod": make_key("moderator", name="mod"),
        "admin": make_key("admin", name="root"),
        "revoked": make_key("platform", name="revoked", platform="plat-a"),
    }
    from hashstop.service.keys import KeyService
    from hashstop.service.tokens import Keyring
    from hashstop.storage.database import Database

    def revoke(name: str) -> None:
        database = Database(settings.database_url, pool_size=1)
        try:
            with database.transaction() as session:
                KeyService(session, Keyring(settings.secret_key_bytes)).revoke(name)
        finally:
            database.dispose()

    with running_client(create_app(settings)) as client:
        wait_ready(client)
        seen = run_scenario(client, keys, revoke)
    text = "\n".join(everything_logged.lines)
    assert "/v1/cases/{case_id}" in text and "DEBUG" in text  # the request log, at DEBUG
    assert "INFO sqlalchemy.engine" in text  # SQLAlchemy's statements were logged, and read
    assert "DEBUG sqlalchemy.pool" in text
    assert_clean(text, seen)


def test_every_logger_is_at_debug(everything_logged):
    for name in (*LOGGERS, "sqlalchemy.engine.Engine", "sqlalchemy.pool.impl.QueuePool"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG), name


def test_the_service_leaves_sqlalchemy_at_warning():
    from hashstop.logs import configure_logging
    from hashstop.storage.database import make_engine

    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure_logging("DEBUG")
        assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
        engine = make_engine("sqlite://")
        assert engine.hide_parameters  # an operator's statement log shows no bound values
        rows = logging.getLogger("sqlalchemy.engine.Engine")
        row = rows.makeRecord(rows.name, logging.DEBUG, "f", 1, "Row %r", ((b"\\x01",),), None)
        assert not rows.filter(row)
        engine.dispose()
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]


def test_the_checks_find_every_form_of_a_hash():
    value = sample_hashes.pdq(7)
    raw = bytes.fromhex(value)
    for line in (
        f"x {value.upper()} y",
        f"x {base64.b64encode(raw).decode()} y",
        f"x {base64.urlsafe_b64encode(raw[3:]).decode()} {base64.urlsafe_b64encode(raw).decode()}",
        f"params ({raw!r},)",
        f"n={int(value, 16)}",
    ):
        with pytest.raises(AssertionError, match="in the logs"):
            assert_clean(line + " " * 500, [value])


@pytest.mark.slow
def test_a_real_server_at_debug(tmp_path: Path):
    env = server_env(f"sqlite:///{tmp_path / 'hashstop.db'}", HASHSTOP_LOG_LEVEL="DEBUG")
    hashstop(env, "db", "upgrade", cwd=tmp_path)
    keys: dict[str, str] = {}
    for name, role, platform in (
        ("a", "platform", "plat-a"),
        ("b", "platform", "plat-b"),
        ("scoped", "moderator", "plat-a"),
        ("mod", "moderator", None),
        ("admin", "admin", None),
        ("revoked", "platform", "plat-a"),
    ):
        args = ["keys", "create", "--role", role, "--name", name, "--json"]
        if platform:
            args += ["--platform", platform]
        keys[name] = json.loads(hashstop(env, *args, cwd=tmp_path))["key"]

    def revoke(name: str) -> None:
        hashstop(env, "keys", "revoke", name, cwd=tmp_path)

    server = ServerProcess(env, 1, tmp_path / "server.log", tmp_path)
    try:
        server.start()
        server.wait_ready()
        with httpx.Client(base_url=server.base, timeout=30) as client:
            seen = run_scenario(client, keys, revoke)
    finally:
        server.stop()
    text = server.log_text()
    assert "DEBUG" in text or "INFO" in text
    assert_clean(text, seen)
