"""A platform's verdict on one of its own matches.

A platform sees only the match records its keys created; another platform's match id answers
404, exactly like an id that does not exist. Every verdict is kept (who, when); the latest sets
the record's status, until a moderator decides it (see `lifecycle.py`: the moderator's word is
final). A false-positive verdict may trip the automatic quarantine of the hashes it hit. An
applied verdict on a match of a subscribed bank's hash is queued for the bank's exchange
(`opinions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import InvalidInput, NotFound
from hashstop.service.lifecycle import verdict_applies
from hashstop.service.opinions import queue_opinions
from hashstop.service.quarantine import (
    QuarantinePolicy,
    check_false_positives,
    check_platform_spike,
)
from hashstop.service.tokens import MATCH_ID
from hashstop.storage.audit import AuditLog
from hashstop.storage.matches import HitSource, MatchRepository, hit_sources
from hashstop.storage.models import ApiKey, Feedback, FeedbackAction, MatchRecord, Verdict


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    match: MatchRecord
    feedback: Feedback
    platform_flagged: bool = False  # this verdict flagged its platform (a spike of them)


def own_match(session: Session, key: ApiKey, match_id: str) -> MatchRecord:
    record = (
        MatchRepository(session).by_public_id(match_id) if MATCH_ID.fullmatch(match_id) else None
    )
    if record is None or key.platform is None or record.platform != key.platform:
        raise NotFound(f"no match {match_id!r} for platform {key.platform!r}")
    return record


def match_with_feedback(
    session: Session, key: ApiKey, match_id: str
) -> tuple[MatchRecord, list[Feedback]]:
    """One of the platform's own match records, with its verdicts oldest first."""
    record = own_match(session, key, match_id)
    return record, MatchRepository(session).feedback_of(record)


def sources_of_hits(session: Session, record: MatchRecord) -> dict[int, HitSource]:
    """The photo and variant of each hash a match record hit (withdrawn ones included)."""
    return hit_sources(session, (h.hash_id for h in record.hits), active=False)


def give_feedback(
    session: Session,
    key: ApiKey,
    match_id: str,
    verdict: str,
    action: str | None,
    quarantine: QuarantinePolicy | None = None,
) -> FeedbackResult:
    try:
        verdict_value = Verdict(verdict)
        action_value = FeedbackAction(action or FeedbackAction.NONE)
    except ValueError:
        raise InvalidInput(
            "verdict is confirmed or false_positive; action is blocked, removed or none"
        ) from None
    record = own_match(session, key, match_id)
    applied = verdict_applies(record)
    feedback = MatchRepository(session).add_feedback(
        record, verdict=verdict_value, action=action_value, api_key_id=key.id, applied=applied
    )
    AuditLog(session).record(
        str(Actor.of_key(key)),
        "match.feedback",
        f"match:{record.public_id}",
        verdict=verdict_value.value,
        action=action_value.value,
        applied=applied,
    )
    if applied:
        # A verdict on a subscribed bank's hash goes back to its exchange (service/opinions.py).
        queue_opinions(session, Actor.of_key(key), record, feedback)
    flagged = False
    if applied and verdict_value is Verdict.FALSE_POSITIVE and quarantine is not None:
        check_false_positives(session, quarantine, [h.hash_id for h in record.hits])
        flagged = check_platform_spike(session, quarantine, record.platform)
    return FeedbackResult(record, feedback, flagged)
