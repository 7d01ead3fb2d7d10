"""A platform's verdict on one of its own matches.

A platform sees only the match records its keys created; another platform's match id answers
404, exactly like an id that does not exist. Every verdict is kept (who, when); the latest sets
the record's status. Moderator decisions (issue 6) build on the same records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.errors import InvalidInput, NotFound
from hashstop.storage.audit import AuditLog
from hashstop.storage.matches import MatchRepository
from hashstop.storage.models import ApiKey, Feedback, FeedbackAction, MatchRecord, Verdict

MATCH_ID = re.compile(r"m_[0-9a-z]{1,30}")


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    match: MatchRecord
    feedback: Feedback


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


def give_feedback(
    session: Session, key: ApiKey, match_id: str, verdict: str, action: str | None
) -> FeedbackResult:
    try:
        verdict_value = Verdict(verdict)
        action_value = FeedbackAction(action or FeedbackAction.NONE)
    except ValueError:
        raise InvalidInput(
            "verdict is confirmed or false_positive; action is blocked, removed or none"
        ) from None
    record = own_match(session, key, match_id)
    feedback = MatchRepository(session).add_feedback(
        record, verdict=verdict_value, action=action_value, api_key_id=key.id
    )
    AuditLog(session).record(
        f"key:{key.name}",
        "match.feedback",
        f"match:{record.public_id}",
        verdict=verdict_value.value,
        action=action_value.value,
    )
    return FeedbackResult(record, feedback)
