"""Suspending and restoring hashes: stop a hash matching everywhere, or let it match again.

Three hands suspend a hash, each with its own kind: a moderator (`moderator`), the automatic
quarantine (`quarantine`, pending review, actor `system`) and the allowlist (`allowlist`).
Suspending and restoring act on every platform, so a moderator scoped to one platform may do
neither (`Actor.require_global`).
A suspension keeps the hash's value (a restore brings it back); a withdrawal by the victim erases
it, so a withdrawn hash can be neither suspended nor restored.

Every suspension or restore is one change-log entry (kinds `suspended`/`restored`): the hash list
feed shows a suspended hash with value null and a restored one with its value again, and every
worker's index follows within its poll interval. The worker that commits the change drops the
hash from its own index before answering, and the match path re-checks the database for every
hit, so a suspension stops matching in every worker as soon as it commits.

Suspending a hash that the quarantine holds *confirms* it: the quarantine ends (outcome
`confirmed`) and a moderator's suspension takes its place, without touching matching. A restore
is refused while the hash lies within match distance of an allowlist entry.

Lock order (PostgreSQL): every writer of hash statuses takes the change-log lock *before* it
locks or updates a hash row (the allowlist scan holds it while suspending many rows), so two
writers never wait on each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, InvalidInput, NotFound
from hashstop.service.matchable import hold, publish
from hashstop.service.screening import AllowlistScreen, MatchDistances
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import (
    ChangeKind,
    Hash,
    HashStatus,
    HashSuspension,
    SuspensionKind,
    SuspensionOutcome,
    utcnow,
)
from hashstop.storage.suspensions import SuspensionRepository

MAX_REASON = 500


def check_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"a reason is required to {what}: say why, for the audit log")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"the reason is at most {MAX_REASON} characters")
    return text


@dataclass(frozen=True, slots=True)
class Suspended:
    """A hash that a call suspended (or whose suspension it confirmed)."""

    hash_id: int
    algorithm: str
    suspension: HashSuspension


def suspend_active(
    session: Session,
    hash_ids: Sequence[int],
    *,
    kind: SuspensionKind,
    reason: str,
    actor: Actor,
    action: str = "hash.suspended",
    details: Mapping[str, object] | None = None,
) -> list[Suspended]:
    """Suspend those of `hash_ids` that are active now, in one change-log append; each is
    audited as `action` with the kind, the reason and `details`.

    Hashes in any other state are left alone (a concurrent suspension wins once).
    """
    ids = sorted(set(hash_ids))
    if not ids:
        return []
    hold(session)  # before any hash row lock: one lock order everywhere
    now = utcnow()
    rows = session.execute(
        update(Hash)
        .where(Hash.id.in_(ids), Hash.status == HashStatus.ACTIVE)
        .values(status=HashStatus.SUSPENDED, updated_at=now)
        .returning(Hash.id, Hash.algorithm)
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return []
    repo = SuspensionRepository(session)
    done = [Suspended(r.id, r.algorithm, repo.start(r.id, kind, reason, str(actor))) for r in rows]
    publish(session, ChangeKind.SUSPENDED, [(s.hash_id, s.algorithm) for s in done])
    audit = AuditLog(session)
    for s in done:
        audit.record(
            str(actor),
            action,
            f"hash:{s.hash_id}",
            kind=kind.value,
            reason=reason,
            **(details or {}),
        )
    return done


def replace_quarantine(
    session: Session, hash_id: int, *, kind: SuspensionKind, reason: str, actor: Actor
) -> Suspended | None:
    """End the open quarantine of a suspended hash in favour of a `kind` suspension."""
    repo = SuspensionRepository(session)
    current = repo.open_for(hash_id)
    hash_row = repo.hash(hash_id)
    if (
        current is None
        or current.kind != SuspensionKind.QUARANTINE
        or hash_row is None
        or hash_row.status != HashStatus.SUSPENDED
    ):
        return None
    outcome = (
        SuspensionOutcome.ALLOWLISTED
        if kind is SuspensionKind.ALLOWLIST
        else SuspensionOutcome.CONFIRMED
    )
    repo.end(current, by=str(actor), reason=reason, outcome=outcome)
    new = repo.start(hash_id, kind, reason, str(actor))
    AuditLog(session).record(
        str(actor), "hash.quarantine_ended", f"hash:{hash_id}", outcome=outcome.value, reason=reason
    )
    return Suspended(hash_id, hash_row.algorithm, new)


def suspend_hash(session: Session, hash_id: int, *, reason: str | None, actor: Actor) -> Suspended:
    """A moderator suspends a hash, or confirms the quarantine holding it."""
    actor.require_global("suspend hashes")
    text = check_reason(reason, "suspend a hash")
    hold(session)
    hash_row = SuspensionRepository(session).hash(hash_id, for_update=True)
    if hash_row is None:
        raise NotFound(f"no hash {hash_id}")
    if hash_row.status == HashStatus.WITHDRAWN:
        raise Conflict(f"hash {hash_id} was withdrawn by the victim: it no longer matches")
    if hash_row.status == HashStatus.SUSPENDED:
        confirmed = replace_quarantine(
            session, hash_id, kind=SuspensionKind.MODERATOR, reason=text, actor=actor
        )
        if confirmed is None:
            raise Conflict(f"hash {hash_id} is already suspended; restore it first to change why")
        return confirmed
    done = suspend_active(
        session, [hash_id], kind=SuspensionKind.MODERATOR, reason=text, actor=actor
    )
    if not done:
        raise Conflict(f"hash {hash_id} changed meanwhile; reload and try again")
    return done[0]


def restore_hash(
    session: Session,
    hash_id: int,
    *,
    reason: str | None,
    actor: Actor,
    distances: MatchDistances,
) -> Hash:
    """Let a suspended hash match again (a quarantine released, or a mistake undone)."""
    actor.require_global("restore hashes")
    text = check_reason(reason, "restore a hash")
    repo = SuspensionRepository(session)
    hold(session)
    hash_row = repo.hash(hash_id, for_update=True)
    if hash_row is None:
        raise NotFound(f"no hash {hash_id}")
    if hash_row.status != HashStatus.SUSPENDED or hash_row.value is None:
        raise Conflict(f"hash {hash_id} is {hash_row.status}, not suspended: nothing to restore")
    near = AllowlistScreen(session, distances).nearest([(hash_row.algorithm, hash_row.value)])[0]
    if near is not None:
        raise Conflict(
            f"hash {hash_id} is within the match distance of allowlist entry {near}; an admin "
            "must remove that entry before this hash may match again"
        )
    if not repo.set_status(hash_id, HashStatus.SUSPENDED, HashStatus.ACTIVE):
        raise Conflict(f"hash {hash_id} changed meanwhile; reload and try again")
    current = repo.open_for(hash_id)
    was = current.kind if current is not None else None
    if current is not None:
        repo.end(current, by=str(actor), reason=text, outcome=SuspensionOutcome.RESTORED)
    publish(session, ChangeKind.RESTORED, [(hash_id, hash_row.algorithm)])
    AuditLog(session).record(str(actor), "hash.restored", f"hash:{hash_id}", was=was, reason=text)
    session.refresh(hash_row)
    return hash_row
