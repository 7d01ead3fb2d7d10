"""Who is acting: the one value every use case receives, audits by name, and checks rules on.

An `Actor` is a key's holder (platform, moderator, admin), a victim acting through a case secret,
the operator at the server's command line, or the service itself (the quarantine). The audit log
names actors by `str(actor)` (`key:<name>`, `case:<id>`, `cli`, `system`), so that text is built
here and nowhere else.

Rules about *who may* live here too, beside the identity they are about: a moderator key may be
scoped to one platform, and whatever acts on every platform (suspending a hash, the hash views,
the allowlist) needs a global moderator or an admin. Services call these checks themselves, so a
new router or page cannot forget them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashstop.service.errors import Forbidden
from hashstop.storage.models import ApiKey, Role


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something. Build one with `of_key`, `of_case`, `CLI` or `SYSTEM`."""

    kind: str  # "key", "case", "cli" or "system"
    name: str
    role: Role | None = None
    key_id: int | None = None
    platform: str | None = None  # a platform key's platform
    scope_platform: str | None = None  # a moderator key limited to one platform

    @classmethod
    def of_key(cls, key: ApiKey) -> Actor:
        return cls(
            kind="key",
            name=key.name,
            role=Role(key.role),
            key_id=key.id,
            platform=key.platform,
            scope_platform=key.scope_platform,
        )

    @classmethod
    def of_case(cls, public_id: str) -> Actor:
        return cls(kind="case", name=public_id)

    def __str__(self) -> str:
        if self.kind in ("key", "case"):
            return f"{self.kind}:{self.name}"
        return self.kind

    @property
    def scope(self) -> str | None:
        """The one platform a moderator key is limited to; None for global keys and the rest."""
        return self.scope_platform if self.role is Role.MODERATOR else None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN or self.kind == "cli"

    def require_global(self, what: str) -> None:
        """Refuse (403) a moderator scoped to one platform: `what` affects every platform."""
        if self.scope is not None:
            raise Forbidden(
                f"this moderator key is limited to platform {self.scope!r} and cannot {what}: it "
                "affects every platform; a global moderator or an admin can"
            )

    def require_admin(self, what: str) -> None:
        if not self.is_admin:
            raise Forbidden(f"only admins {what}")


CLI = Actor(kind="cli", name="cli")
"""The operator at the server's command line (`hashstop keys`, `hashstop allowlist`)."""

SYSTEM = Actor(kind="system", name="system")
"""The service itself: the automatic quarantine."""
