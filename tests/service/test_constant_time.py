"""Secrets are compared in constant time, or found by a keyed hash an attacker cannot steer.

How each credential is checked (reviewed; the tests below hold the code to it):

- API keys (`hsk_`) and /review session tokens: looked up by their HMAC-SHA256 under the server
  key (`Keyring.api_key_hash`, `Keyring.digest("review-session", ...)`), an indexed equality on
  the digest. Timing can at most reveal bytes of a digest of the attacker's own guess, which
  says nothing about any stored token without the server key.
- Case secrets (`hsc_`): the case is found by its public id, then the HMAC of the presented
  secret is compared with the stored one by `Keyring.same` (`hmac.compare_digest`).
- CSRF tokens of the /review forms and the sign-in form: `csrf_matches`, `secrets.compare_digest`.

`test_no_secret_is_compared_with_plain_equality` reads every module of the package and fails on
an `==`, `!=` or `in` whose operands name a secret, token, CSRF value, password or cookie,
unless it is one of the reviewed comparisons listed in `REVIEWED`. It is a scan of names, not a
measurement of time: a secret compared under a name none of those words is in passes it.
"""

from __future__ import annotations

import ast
import hmac
import re
import secrets
from pathlib import Path

from hashstop.service.moderator_sessions import csrf_matches, csrf_token
from hashstop.service.tokens import Keyring, new_case_secret
from tests import sample_hashes
from tests.service_fixtures import bearer

REAL_COMPARE_DIGEST = hmac.compare_digest
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "hashstop"
SECRETISH = re.compile(r"secret|token|csrf|password|api_key|cookie", re.IGNORECASE)
REVIEWED = {
    # Indexed lookups on keyed hashes (HMAC under the server key), not on tokens.
    ("storage/keys.py", "ApiKey.token_hash == token_hash"),
    ("storage/sessions.py", "ReviewSession.token_hash == token_hash"),
    # Joins on key ids, and the length of a typed case secret (public structure).
    ("storage/sessions.py", "ApiKey.id == ReviewSession.api_key_id"),
    ("storage/matches.py", "ApiKey.id == Feedback.api_key_id"),
    ("storage/matches.py", "ApiKey.id == MatchDecision.api_key_id"),
    ("service/tokens.py", "len(body) != SECRET_GROUPS * SECRET_GROUP_LEN"),
    # At start-up: refuse a server key that is one of the documented example values.
    ("config.py", "value.strip().lower() in _DEFAULT_SECRETS"),
}


def _names(node: ast.AST) -> list[str]:
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.append(n.id)
        elif isinstance(n, ast.Attribute):
            found.append(n.attr)
    return found


def plain_comparisons_of_secrets() -> set[tuple[str, str]]:
    out = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops):
                continue
            operands = [node.left, *node.comparators]
            if any(SECRETISH.search(name) for op in operands for name in _names(op)):
                out.add((path.relative_to(PACKAGE).as_posix(), ast.unparse(node)))
    return out


def test_no_secret_is_compared_with_plain_equality():
    found = plain_comparisons_of_secrets()
    assert found - REVIEWED == set(), "compare secrets with hmac.compare_digest"
    assert REVIEWED - found == set(), "reviewed comparisons that are gone: update REVIEWED"


def test_the_scan_catches_a_plain_comparison():
    source = "def check(presented, stored_secret):\n    return presented == stored_secret\n"
    tree = ast.parse(source)
    (compare,) = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    assert any(SECRETISH.search(name) for name in _names(compare.comparators[0]))


def test_case_secrets_and_csrf_tokens_go_through_compare_digest(monkeypatch):
    calls: list[tuple[bytes | str, bytes | str]] = []

    def recording(a, b):
        calls.append((a, b))
        return REAL_COMPARE_DIGEST(a, b)

    monkeypatch.setattr("hashstop.service.tokens.hmac.compare_digest", recording)
    keyring = Keyring(b"k" * 32)
    secret = new_case_secret()
    stored = keyring.case_secret_hash(secret)
    assert stored is not None
    assert keyring.same(stored, stored) and len(calls) == 1
    assert not keyring.same(stored, keyring.case_secret_hash(new_case_secret()) or b"")

    monkeypatch.setattr("hashstop.service.moderator_sessions.secrets.compare_digest", recording)
    session_token = secrets.token_urlsafe(32)
    good = csrf_token(keyring, session_token)
    assert csrf_matches(keyring, session_token, good)
    assert not csrf_matches(keyring, session_token, "0" * 64)
    assert calls[-1] == (good.encode(), b"0" * 64)


def test_the_case_endpoints_check_the_secret_with_compare_digest(client, monkeypatch):
    """Right or wrong, a presented case secret is compared by hmac.compare_digest."""
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}).json()
    compared: list[int] = []

    def recording(a, b):
        compared.append(len(a))
        return REAL_COMPARE_DIGEST(a, b)

    monkeypatch.setattr("hashstop.service.tokens.hmac.compare_digest", recording)
    case = f"/v1/cases/{opened['case_id']}"
    assert client.get(case, headers=bearer(opened["secret"])).status_code == 200
    assert client.get(case, headers=bearer(new_case_secret())).status_code == 404
    assert compared == [32, 32]  # both HMAC-SHA256 digests, both through compare_digest
