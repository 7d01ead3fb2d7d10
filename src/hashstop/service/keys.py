"""API keys for platforms, moderators and admins: create (shown once), list, revoke, authenticate.

A key is an `hsk_` token; only its keyed hash is stored. `KeyService.authenticate` reads the
database each time. The API's hot path goes through `KeyCache`, which trusts a key it has just
authenticated for `key_cache_seconds` (one second by default): reading the key on every match
request halved the throughput of single-item matching (317 against 635 requests/s, side by side
on one worker), and a revocation is a rare, deliberate act. On PostgreSQL the revocation also
sends a notification at commit, and every worker's sync thread drops its cached keys when it
arrives (milliseconds); without it (SQLite, or a lost listener) the cache time bounds the delay.
Unknown and revoked tokens are never cached, so a new key works at once and a guessed token
always costs a database read.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.actors import CLI, Actor
from hashstop.service.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from hashstop.service.tokens import API_KEY_PREFIX, CASE_SECRET_PREFIX, Keyring, new_api_key
from hashstop.storage.audit import AuditLog
from hashstop.storage.keys import ApiKeyRepository
from hashstop.storage.models import ApiKey, Role, utcnow

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    token: str  # shown once, never stored


class KeyService:
    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session = session
        self.keyring = keyring
        self.keys = ApiKeyRepository(session)

    def create(
        self, *, name: str, role: str, platform: str | None = None, actor: Actor = CLI
    ) -> CreatedKey:
        """Create a key. `platform` names a platform key's platform, or a moderator's scope.
        Only an admin (or the operator at the command line) may; audited as `key.created`."""
        actor.require_admin("create keys")
        if not _NAME.fullmatch(name):
            raise InvalidInput(
                "a key name is 1-64 characters of letters, digits, '.', '_' and '-', "
                f"starting with a letter or digit; got {name!r}"
            )
        try:
            role_value = Role(role)
        except ValueError:
            raise InvalidInput(f"unknown role {role!r}; use platform, moderator or admin") from None
        if platform is not None and not _NAME.fullmatch(platform):
            raise InvalidInput(
                f"a platform name is 1-64 letters, digits, '.', '_' or '-'; got {platform!r}"
            )
        if role_value is Role.PLATFORM and platform is None:
            raise InvalidInput("a platform key needs --platform NAME (whose uploads it matches)")
        if role_value is Role.ADMIN and platform is not None:
            raise InvalidInput("an admin key is not tied to a platform; leave out --platform")
        if self.keys.by_name(name) is not None:
            raise Conflict(f"a key named {name!r} exists already; choose another name")
        token = new_api_key()
        key = self.keys.add(
            name=name,
            role=role_value.value,
            token_hash=self.keyring.api_key_hash(token),
            platform=platform if role_value is Role.PLATFORM else None,
            scope_platform=platform if role_value is Role.MODERATOR else None,
        )
        AuditLog(self.session).record(
            str(actor), "key.created", f"key:{name}", role=role_value.value, platform=platform
        )
        return CreatedKey(key, token)

    def list(self, *, actor: Actor = CLI) -> list[ApiKey]:
        actor.require_admin("list keys")
        return self.keys.all()

    def revoke(self, name: str, *, actor: Actor = CLI) -> ApiKey:
        """Revoke a key (refused from the next request on); audited as `key.revoked`."""
        actor.require_admin("revoke keys")
        key = self.keys.by_name(name)
        if key is None:
            raise NotFound(f"no key named {name!r}; `hashstop keys list` shows the keys")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            AuditLog(self.session).record(str(actor), "key.revoked", f"key:{name}")
            self.keys.announce_revocation()
            self.session.flush()
        return key

    def authenticate(self, token: str, roles: tuple[Role, ...]) -> ApiKey:
        """The live key for `token` if its role is one of `roles`; otherwise a 401 or 403."""
        if token.startswith(CASE_SECRET_PREFIX):
            raise Forbidden(
                "a case secret cannot be used here: this endpoint needs an API key (hsk_...) "
                f"with the role {' or '.join(r.value for r in roles)}"
            )
        if not token.startswith(API_KEY_PREFIX):
            raise Unauthenticated("the bearer token is not a hashstop API key (hsk_...)")
        key = self.keys.by_token_hash(self.keyring.api_key_hash(token))
        if key is None or key.revoked_at is not None:
            raise Unauthenticated("this API key is unknown or was revoked; ask for a new one")
        return check_role(key, roles)


def check_role(key: ApiKey, roles: tuple[Role, ...]) -> ApiKey:
    """`key` if its role is one of `roles`; a 403 otherwise."""
    if key.role not in {r.value for r in roles}:
        raise Forbidden(
            f"a {key.role} key cannot do this; it needs a {' or '.join(r.value for r in roles)} key"
        )
    return key


class KeyCache:
    """The API keys this worker authenticated in the last `ttl` seconds, by token.

    Thread-safe (a lock around a small dict). The cached `ApiKey` objects are detached and only
    read. Entries are keyed by the keyed hash of the token, never the token itself.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, keyring: Keyring, ttl: float) -> None:
        self.keyring = keyring
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[float, ApiKey]] = {}

    def clear(self) -> None:
        """Forget every cached key (another process revoked one)."""
        with self._lock:
            self._entries.clear()

    def fresh(self, token: str, roles: tuple[Role, ...]) -> ApiKey | None:
        """The cached key for `token` if it is fresh (a 403 if its role is not in `roles`);
        None when the database must be asked. No I/O."""
        if self.ttl <= 0 or not token.startswith(API_KEY_PREFIX):
            return None
        digest = self.keyring.api_key_hash(token)
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry[0] >= self.ttl:
            return None
        return check_role(entry[1], roles)

    def authenticate(
        self,
        session_factory: Callable[[], AbstractContextManager[Session]],
        token: str,
        roles: tuple[Role, ...],
    ) -> ApiKey:
        """Like `KeyService.authenticate`, answering from the cache while an entry is fresh."""
        if self.ttl <= 0 or not token.startswith(API_KEY_PREFIX):
            with session_factory() as session:
                return KeyService(session, self.keyring).authenticate(token, roles)
        cached = self.fresh(token, roles)
        if cached is not None:
            return cached
        digest = self.keyring.api_key_hash(token)
        now = time.monotonic()
        with session_factory() as session:
            key = KeyService(session, self.keyring).keys.by_token_hash(digest)
        if key is None or key.revoked_at is not None:
            with self._lock:
                self._entries.pop(digest, None)
            raise Unauthenticated("this API key is unknown or was revoked; ask for a new one")
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (now, key)
        return check_role(key, roles)
