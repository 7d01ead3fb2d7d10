"""Signed-in browsers of the /review pages: server-side sessions and their CSRF tokens.

A moderator (or admin) signs in with an API key once; the browser then holds a random session
token in a cookie. Only the token's keyed hash is stored, beside the key it belongs to and an
expiry; a session ends when it expires, when its key is revoked (checked on every request), or
when the moderator signs out (the row is deleted). Nothing here ever stores or logs a token.

CSRF: every form carries a synchroniser token derived from the session token with the server's
key (HMAC), so it is bound to the session, needs no storage and dies with it. The sign-in form,
which comes before any session, is bound the same way to a short-lived random pre-session
cookie. Comparisons are constant-time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import ApiKey, Role, utcnow
from hashstop.storage.sessions import ReviewSessionRepository

REVIEWER_ROLES = (Role.MODERATOR, Role.ADMIN)
MAX_TOKEN_LENGTH = 128


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(keyring: Keyring, session_token: str, purpose: str = "review-csrf") -> str:
    """The synchroniser token of the forms of one session (or pre-session)."""
    return keyring.digest(purpose, session_token).hex()


def csrf_matches(
    keyring: Keyring,
    session_token: str | None,
    presented: str | None,
    *,
    purpose: str = "review-csrf",
) -> bool:
    if not session_token or not presented or len(presented) > MAX_TOKEN_LENGTH:
        return False
    expected = csrf_token(keyring, session_token, purpose)
    return secrets.compare_digest(expected.encode(), presented.encode())


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # for the cookie only
    key: ApiKey
    expires_at: datetime


class ReviewSessions:
    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session = session
        self.keyring = keyring
        self.repo = ReviewSessionRepository(session)

    def _hash(self, token: str) -> bytes:
        return self.keyring.digest("review-session", token)

    def sign_in(self, api_token: str, ttl: timedelta) -> SignedIn:
        """Start a session for a live moderator or admin key (401/403 otherwise)."""
        key = KeyService(self.session, self.keyring).authenticate(api_token, REVIEWER_ROLES)
        now = utcnow()
        self.repo.delete_dead(now)
        token = new_session_token()
        expires_at = now + ttl
        self.repo.add(token_hash=self._hash(token), api_key_id=key.id, expires_at=expires_at)
        actor = Actor.of_key(key)
        AuditLog(self.session).record(
            str(actor), "review.signed_in", str(actor), expires_at=expires_at
        )
        return SignedIn(token, key, expires_at)

    def current(self, token: str | None) -> ApiKey | None:
        """The key of a live session, or None (absent, unknown, expired or key revoked)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = self.repo.live(self._hash(token), utcnow())
        return None if found is None else found[1]

    def sign_out(self, token: str, key: ApiKey) -> None:
        self.repo.delete(self._hash(token))
        actor = str(Actor.of_key(key))
        AuditLog(self.session).record(actor, "review.signed_out", actor)
