"""Subscriptions: a named bank kept in step with another exchange (issue 17).

The exchange is read through pytx (StopNCII, NCMEC, ThreatExchange, a local file, pytx's
sample) by the command line (`hashstop subscribe`); this module gets plain data from it: for
each record key of a fetch, the signals it now holds as (algorithm, hex value) pairs, or None
when the record was deleted. It applies them to the bank in the checkpoint's transaction:

- a key's new signals are added to the bank under the case rules (PDQ's quality excepted) and
  the allowlist, and linked to the key (a value the bank already holds is linked, not stored
  twice);
- a key's signals that are gone, or all of them when the key is deleted, are unlinked; a hash no
  key holds any more is erased and stops matching (a `withdrawn` change, as a victim's);
- the checkpoint is stored with them, so a crash repeats at most the last delta, which applies
  the same way again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.banks import add_to_bank, bank_case
from hashstop.service.errors import Conflict, NotFound
from hashstop.service.matchable import hold, publish
from hashstop.service.rules import SubmittedHash
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import BankEntry, ChangeKind, Hash, HashStatus, Subscription, utcnow

Signals = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Applied:
    added: int
    removed: int
    refused: int


def subscribe(
    session: Session,
    actor: Actor,
    bank: str,
    api: str,
    collab: Mapping[str, object],
    *,
    republish: bool = False,
) -> Subscription:
    """Make the bank `bank` follow the exchange `api` with the collaboration `collab`; its
    hashes go out in the feeds only with `republish` (issue 17), they match either way."""
    actor.require_admin("subscribe a bank to an exchange")
    if session.scalars(select(Subscription).where(Subscription.bank == bank)).first():
        raise Conflict(f"the bank {bank} already follows an exchange")
    case = bank_case(session, bank, create=False)
    if case is not None:
        raise Conflict(f"the bank {bank} holds imported hashes; subscribe a new bank")
    bank_case(session, bank, create=True, republish=republish)
    row = Subscription(bank=bank, api=api, collab=json.dumps(dict(collab), sort_keys=True))
    session.add(row)
    session.flush()
    AuditLog(session).record(
        str(actor), "bank.subscribed", f"bank:{bank}", api=api, republish=republish
    )
    return row


def subscription(session: Session, bank: str) -> Subscription:
    row = session.scalars(select(Subscription).where(Subscription.bank == bank)).first()
    if row is None:
        raise NotFound(f"no subscription for a bank named {bank}; `hashstop subscribe add` first")
    return row


def apply_delta(
    session: Session,
    actor: Actor,
    sub: Subscription,
    updates: Mapping[str, Signals | None],
    checkpoint: str,
) -> Applied:
    """Apply one fetched delta and store its checkpoint (see the module docstring)."""
    actor.require_admin("update a subscribed bank")
    hold(session)
    case = bank_case(session, sub.bank, create=True)
    assert case is not None  # noqa: S101 - created  # nosec B101
    keys = list(updates)
    linked: dict[str, list[tuple[int, str, bytes | None]]] = {k: [] for k in keys}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(BankEntry.key, Hash.id, Hash.algorithm, Hash.value)
            .join(Hash, Hash.id == BankEntry.hash_id)
            .where(
                BankEntry.subscription_id == sub.id, BankEntry.key.in_(keys[start : start + 500])
            )
        )
        for r in rows:
            linked[r.key].append((r.id, r.algorithm, r.value))
    unlinked: set[int] = set()
    wanted_by_key: dict[str, set[tuple[str, bytes]]] = {}
    for key, signals in updates.items():
        wanted = {(a, bytes.fromhex(v)) for a, v in (signals or ()) if _is_hex(v)}
        wanted_by_key[key] = wanted
        for hash_id, algorithm, value in linked[key]:
            if value is None or (algorithm, value) not in wanted:
                session.execute(
                    delete(BankEntry).where(
                        BankEntry.subscription_id == sub.id,
                        BankEntry.key == key,
                        BankEntry.hash_id == hash_id,
                    )
                )
                unlinked.add(hash_id)
    # Add what is new, then link every wanted value to its hash in the bank.
    fresh = [
        SubmittedHash(a, v.hex())
        for key, wanted in wanted_by_key.items()
        for a, v in sorted(wanted)
        if (a, v) not in {(alg, val) for _, alg, val in linked[key]}
    ]
    result = add_to_bank(session, case, fresh)
    held: dict[tuple[str, bytes | None], int] = {
        (r.algorithm, r.value): r.id
        for r in session.execute(
            select(Hash.id, Hash.algorithm, Hash.value).where(
                Hash.case_id == case.id, Hash.value.is_not(None)
            )
        )
    }
    for key, wanted in wanted_by_key.items():
        have = {(alg, val) for _, alg, val in linked[key] if val is not None}
        for pair in wanted - have:
            found = held.get(pair)
            if found is not None:
                session.add(BankEntry(subscription_id=sub.id, key=key, hash_id=found))
                unlinked.discard(found)
    session.flush()
    still = set(
        session.scalars(select(BankEntry.hash_id).where(BankEntry.hash_id.in_(unlinked))).all()
    )
    orphans = sorted(
        r.id
        for r in session.execute(
            select(Hash.id).where(Hash.id.in_(unlinked - still), Hash.value.is_not(None))
        )
    )
    if orphans:
        gone = session.execute(select(Hash.id, Hash.algorithm).where(Hash.id.in_(orphans))).all()
        session.execute(
            update(Hash)
            .where(Hash.id.in_(orphans))
            .values(value=None, status=HashStatus.WITHDRAWN, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        publish(session, ChangeKind.WITHDRAWN, [(g.id, g.algorithm) for g in gone])
    sub.checkpoint = checkpoint
    sub.updated_at = utcnow()
    AuditLog(session).record(
        str(actor),
        "bank.fetched",
        f"bank:{sub.bank}",
        added=result.accepted,
        removed=len(orphans),
        refused=len(result.rejected) - result.duplicates,
    )
    return Applied(result.accepted, len(orphans), len(result.rejected) - result.duplicates)


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def keys_held(session: Session, sub: Subscription) -> set[str]:
    """The record keys the bank holds hashes for (a full refetch deletes those not seen)."""
    return set(
        session.scalars(
            select(BankEntry.key).where(BankEntry.subscription_id == sub.id).distinct()
        ).all()
    )
