"""Admin endpoints: API keys, the allowlist of known benign hashes, and the audit log (admin
keys). Creating and revoking a key is audited (`key.created`, `key.revoked`) with the admin key
that did it; a key's token is shown once, in the creation's answer, and never again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from hashstop.api.deps import Admin, DistancesDep, RuntimeDep, SessionDep
from hashstop.api.review_schemas import (
    AllowlistAddedOut,
    AllowlistEntryOut,
    AllowlistIn,
    AllowlistPictureIn,
    AllowlistPictureOut,
    AuditOut,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
)
from hashstop.service.allowlist import add_entry, add_picture, list_entries, remove_entry
from hashstop.service.audit import audit_page
from hashstop.service.keys import KeyService

router = APIRouter(tags=["admin"])
MAX_ID = 2**62


@router.get("/v1/admin/keys", response_model=list[KeyOut])
def list_keys(actor: Admin, session: SessionDep, runtime: RuntimeDep) -> list[KeyOut]:
    """Every API key (never its token), revoked ones included."""
    service = KeyService(session, runtime.keyring)
    return [KeyOut.of(k) for k in service.list(actor=actor)]


@router.post("/v1/admin/keys", status_code=201, response_model=KeyCreatedOut)
def create_key(
    body: KeyIn, actor: Admin, session: SessionDep, runtime: RuntimeDep
) -> KeyCreatedOut:
    """Create a key; the answer holds it, once (audited as key.created)."""
    service = KeyService(session, runtime.keyring)
    created = service.create(name=body.name, role=body.role, platform=body.platform, actor=actor)
    return KeyCreatedOut.of_created(created)


@router.delete("/v1/admin/keys/{name}", response_model=KeyOut)
def revoke_key(
    name: Annotated[str, Path(min_length=1, max_length=64)],
    actor: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> KeyOut:
    """Revoke a key: refused from the next request on (audited as key.revoked)."""
    revoked = KeyService(session, runtime.keyring).revoke(name, actor=actor)
    session.commit()  # before this worker forgets what it knew of the key
    runtime.key_cache.clear()  # the other workers hear of it through the revocation notice
    return KeyOut.of(revoked)


@router.get("/v1/admin/allowlist", response_model=list[AllowlistEntryOut])
def allowlist(actor: Admin, session: SessionDep) -> list[AllowlistEntryOut]:
    """The allowlist of known benign hashes."""
    return [AllowlistEntryOut.of(e) for e in list_entries(session, actor)]


@router.post("/v1/admin/allowlist", status_code=201, response_model=AllowlistAddedOut)
def add_to_allowlist(
    body: AllowlistIn, actor: Admin, session: SessionDep, distances: DistancesDep
) -> AllowlistAddedOut:
    """Allowlist a benign hash: submissions near it are refused, stored ones near it suspended."""
    added = add_entry(
        session,
        algorithm=body.algorithm,
        value=body.value,
        reason=body.reason,
        actor=actor,
        distances=distances,
    )
    return AllowlistAddedOut.of_added(added)


@router.post("/v1/admin/allowlist/pictures", status_code=201, response_model=AllowlistPictureOut)
def add_picture_to_allowlist(
    body: AllowlistPictureIn, actor: Admin, session: SessionDep, distances: DistancesDep
) -> AllowlistPictureOut:
    """Allowlist a benign picture by every hash derived from it: a submission with any hash
    near one is refused whole, and every stored photo near one is suspended."""
    added = add_picture(
        session,
        hashes=[(h.algorithm, h.value) for h in body.hashes],
        reason=body.reason,
        actor=actor,
        distances=distances,
    )
    return AllowlistPictureOut.of(added)


@router.delete("/v1/admin/allowlist/{entry_id}", status_code=204)
def remove_from_allowlist(
    entry_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    actor: Admin,
    session: SessionDep,
    reason: Annotated[str, Query(min_length=1, max_length=500, description="why")],
) -> None:
    """Remove an allowlist entry, with the other entries of its picture (the hashes it
    suspended stay suspended)."""
    remove_entry(session, entry_id, reason=reason, actor=actor)


@router.get("/v1/audit", response_model=AuditOut)
def audit(
    actor: Admin,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="older than this id")] = None,
    limit: Annotated[int, Query(description="1-500")] = 100,
    action: Annotated[str | None, Query(max_length=65, description="e.g. hash.suspended")] = None,
) -> AuditOut:
    """The audit log, newest first: who did what to which thing, and when."""
    page = audit_page(session, actor, before=before, limit=limit, action=action)
    return AuditOut.of(page)
