"""Case secrets and API keys: made here, stored only as keyed hashes, compared in constant time.

A case secret is what a victim writes down, so it is made to be copied by hand: `hsc_` and
25 characters of Crockford's base32 (no I, L, O or U; 125 bits) in five groups of five. Reading
it back forgives what people do: lower case, spaces instead of dashes, O for 0 and I or L for 1.
API keys (`hsk_`, 160 bits) are pasted by machines and need no such care.

This module refuses to log or return a token anywhere but to the one caller that made it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

CASE_SECRET_PREFIX = "hsc_"  # noqa: S105 - a prefix, not a secret  # nosec B105
API_KEY_PREFIX = "hsk_"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_READ = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
SECRET_GROUPS = 5
SECRET_GROUP_LEN = 5


def _crockford(nchars: int) -> str:
    return "".join(secrets.choice(_CROCKFORD) for _ in range(nchars))


def new_case_secret() -> str:
    """A fresh case secret: hsc_XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (125 random bits)."""
    return _case_secret(_crockford(SECRET_GROUPS * SECRET_GROUP_LEN))


def _case_secret(body: str) -> str:
    groups = [body[i : i + SECRET_GROUP_LEN] for i in range(0, len(body), SECRET_GROUP_LEN)]
    return CASE_SECRET_PREFIX + "-".join(groups)


def normalise_case_secret(text: str) -> str | None:
    """The canonical form of a case secret as typed, or None if it cannot be one."""
    text = text.strip()
    if not text.lower().startswith(CASE_SECRET_PREFIX):
        return None
    body = text[len(CASE_SECRET_PREFIX) :].upper().translate(_CROCKFORD_READ)
    if len(body) != SECRET_GROUPS * SECRET_GROUP_LEN or any(c not in _CROCKFORD for c in body):
        return None
    return CASE_SECRET_PREFIX + body


def new_case_id() -> str:
    """A public case id: 13 lower-case Crockford characters (65 random bits), no meaning."""
    return _crockford(13).lower()


MATCH_ID = re.compile(r"m_[0-9a-z]{1,30}")
"""What a public match id looks like (anything else is not looked up)."""


def new_match_id() -> str:
    """A public match id, random so that it reveals nothing about other platforms' volume."""
    return "m_" + _crockford(16).lower()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(20)


class Keyring:
    """Keyed hashes (HMAC-SHA256) of tokens under the server's secret key."""

    def __init__(self, secret_key: bytes) -> None:
        self._key = secret_key

    def digest(self, purpose: str, token: str) -> bytes:
        return hmac.new(self._key, f"{purpose}\0{token}".encode(), hashlib.sha256).digest()

    def case_secret_hash(self, secret: str) -> bytes | None:
        canonical = normalise_case_secret(secret)
        return None if canonical is None else self.digest("case", canonical)

    def derived_case_secret(self, idempotency_key: str, case_id: str) -> str:
        """The case secret of the case `case_id` opened with `idempotency_key`.

        125 bits of an HMAC under the server key, in the case secret's own format: only the
        server can compute it, and only when shown the idempotency key again (see
        `hashstop.service.idempotency` for why that is sound).
        """
        digest = self.digest("case-secret-of-idempotency-key", f"{idempotency_key}\0{case_id}")
        bits = int.from_bytes(digest, "big") >> (len(digest) * 8 - 125)
        body = "".join(_CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(25)))
        return _case_secret(body)

    def idempotency_key_hash(self, idempotency_key: str) -> bytes:
        return self.digest("idempotency-key", idempotency_key)

    def api_key_hash(self, token: str) -> bytes:
        return self.digest("api-key", token.strip())

    def platform_photo_ref(self, platform: str, photo: str) -> str:
        """The name platform `platform` sees for the photo `photo` (issue 12, attack 5): keyed,
        so two platforms cannot join their feeds or matches by photo, and stable, so one
        platform still sees which of its hits and entries are the same picture."""
        return "p_" + self.digest("platform-photo", f"{platform}\0{photo}")[:8].hex()

    def feed_order(self, seq: int) -> bytes:
        """The sort key of a change-log entry within its hash-list batch: a keyed shuffle."""
        return self.digest("feed-order", str(seq))

    @staticmethod
    def same(a: bytes, b: bytes) -> bool:
        return hmac.compare_digest(a, b)
