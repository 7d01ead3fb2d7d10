"""Verdicts sent back where the hash came from (issue 17): a platform's verdict on a match of a
subscribed bank's hash becomes an opinion for the bank's exchange (pytx `report_opinion`).

- Queued (`bank_opinions`) in the verdict's own transaction, one row per hash of a subscribed
  bank that the match record hit, only when the verdict applies (a moderator's decision is
  final; a verdict it overrides is not sent). A match on a victim's hash queues nothing.
- The row names the verdict and the hash, never the platform, its `ref` or a value; the value
  is read when the opinion is sent (a hash withdrawn meanwhile is `gone`, never sent).
- `hashstop subscribe feedback` (cli/subscribe.py, which speaks pytx) takes the pending rows of
  one bank, sends each, and records its outcome here in a transaction of its own: `sent`,
  `not_supported` (final: never retried), or a failure (stays `pending`, `attempts` + 1, retried
  at the next run). A crash between the exchange's answer and that record sends the opinion
  again at the next run: delivery is at least once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import (
    BankEntry,
    BankOpinion,
    Feedback,
    Hash,
    MatchRecord,
    OpinionState,
    Subscription,
    utcnow,
)

FAILED = "failed"  # an outcome, not a state: the row stays pending


@dataclass(frozen=True, slots=True)
class PendingOpinion:
    id: int
    verdict: str
    algorithm: str
    value: str  # hex; held in memory only while it is sent


def queue_opinions(session: Session, actor: Actor, record: MatchRecord, feedback: Feedback) -> int:
    """Queue the verdict `feedback` for the exchange of every subscribed bank whose hash the
    match record hit; return how many were queued. Only the record's own hits count: a platform
    cannot name another hash."""
    hit_ids = sorted({h.hash_id for h in record.hits})
    if not hit_ids:
        return 0
    rows = session.execute(
        select(BankEntry.subscription_id, BankEntry.hash_id)
        .join(Hash, Hash.id == BankEntry.hash_id)
        .where(BankEntry.hash_id.in_(hit_ids), Hash.value.is_not(None))
        .distinct()
        .order_by(BankEntry.hash_id, BankEntry.subscription_id)
    ).all()
    if not rows:
        return 0
    now = utcnow()
    for r in rows:
        session.add(
            BankOpinion(
                subscription_id=r.subscription_id,
                feedback_id=feedback.id,
                hash_id=r.hash_id,
                verdict=feedback.verdict,
                state=OpinionState.PENDING,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    AuditLog(session).record(
        str(actor),
        "bank.opinion_queued",
        f"match:{record.public_id}",
        verdict=feedback.verdict,
        opinions=len(rows),
    )
    return len(rows)


def pending_opinions(
    session: Session, actor: Actor, sub: Subscription
) -> tuple[list[PendingOpinion], int]:
    """The bank's opinions still to send, oldest first, and how many were found `gone`: one
    whose hash was erased meanwhile is marked so here (and audited), with nothing to send."""
    actor.require_admin("send a bank's feedback to its exchange")
    rows = session.execute(
        select(BankOpinion, Hash.algorithm, Hash.value)
        .join(Hash, Hash.id == BankOpinion.hash_id)
        .where(BankOpinion.subscription_id == sub.id, BankOpinion.state == OpinionState.PENDING)
        .order_by(BankOpinion.id)
    ).all()
    out: list[PendingOpinion] = []
    gone = 0
    for opinion, algorithm, value in rows:
        if value is None:
            _settle(session, actor, sub, opinion, OpinionState.GONE, None)
            gone += 1
            continue
        out.append(PendingOpinion(opinion.id, opinion.verdict, algorithm, bytes(value).hex()))
    return out, gone


def record_outcome(
    session: Session,
    actor: Actor,
    sub: Subscription,
    opinion_id: int,
    outcome: str,
    error: str | None = None,
) -> None:
    """Record what the exchange made of one opinion: `sent`, `not_supported`, or `failed`
    (stays pending, retried at the next run). An opinion already settled is left as it is."""
    actor.require_admin("send a bank's feedback to its exchange")
    opinion = session.get(BankOpinion, opinion_id)
    if (
        opinion is None
        or opinion.subscription_id != sub.id
        or opinion.state != OpinionState.PENDING
    ):
        return
    if outcome == FAILED:
        opinion.attempts += 1
        opinion.last_error = (error or "")[:200] or None
        opinion.updated_at = utcnow()
        AuditLog(session).record(
            str(actor),
            "bank.opinion_failed",
            f"bank:{sub.bank}",
            opinion=opinion.id,
            hash=opinion.hash_id,
            attempts=opinion.attempts,
            error=opinion.last_error,
        )
        return
    _settle(session, actor, sub, opinion, OpinionState(outcome), error)


def _settle(
    session: Session,
    actor: Actor,
    sub: Subscription,
    opinion: BankOpinion,
    state: OpinionState,
    error: str | None,
) -> None:
    if state is not OpinionState.GONE:
        opinion.attempts += 1
    opinion.state = state
    opinion.last_error = error
    opinion.updated_at = utcnow()
    AuditLog(session).record(
        str(actor),
        f"bank.opinion_{state.value}",
        f"bank:{sub.bank}",
        opinion=opinion.id,
        hash=opinion.hash_id,
        verdict=opinion.verdict,
    )


def opinion_counts(session: Session, sub: Subscription) -> dict[str, int]:
    """How many of the bank's opinions are in each state (every state named, 0 included)."""
    counts: Counter[str] = Counter({s.value: 0 for s in OpinionState})
    for state, n in session.execute(
        select(BankOpinion.state, func.count())
        .where(BankOpinion.subscription_id == sub.id)
        .group_by(BankOpinion.state)
    ):
        counts[state] = n
    return dict(counts)
