"""The life of a match record, and who may move it.

States:
- `pending`: the upload matched; nobody has judged it yet.
- `confirmed`: it is the victim's image (a platform's verdict or a moderator's decision).
- `false_positive`: it is not (likewise).
- `dismissed`: a moderator closed it without a verdict (a test upload, a duplicate record, a
  match on a hash that turned out to be poisoned).

Transitions:
- A platform's verdict (`confirmed` / `false_positive`, with the action it took) moves a record
  from `pending`, or from a status a platform set (a platform may change its mind).
- A moderator's decision (`confirmed` / `false_positive` / `dismissed`) moves a record from any
  status, and may also ratify a platform's verdict (same status, now the moderator's word).
  `pending` reopens a record that someone judged. A decision that changes nothing is a 409.
- Once a moderator has decided, the moderator's word is final for platforms: later verdicts are
  still kept and counted (the feedback's `applied` is false), but the status stays.

Every verdict and decision is kept with who and when (`feedback`, `match_decisions`) and audited.
This module does not look at hashes; the quarantine's false-positive trigger is called by the
feedback use case after a verdict is applied.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, Forbidden, InvalidInput
from hashstop.service.match_review import visible_match
from hashstop.service.suspension import MAX_REASON
from hashstop.storage.audit import AuditLog
from hashstop.storage.matches import MatchRepository
from hashstop.storage.models import DecidedBy, MatchRecord, MatchStatus

MODERATOR_DECISIONS = frozenset(
    {MatchStatus.CONFIRMED, MatchStatus.FALSE_POSITIVE, MatchStatus.DISMISSED, MatchStatus.PENDING}
)


def verdict_applies(record: MatchRecord) -> bool:
    """Whether a platform's verdict may set this record's status now."""
    return record.decided_by != DecidedBy.MODERATOR


def check_decision(record: MatchRecord, decision: str) -> MatchStatus:
    """The decision as a status if a moderator may make it on `record`; a 422 or 409 if not."""
    try:
        target = MatchStatus(decision)
    except ValueError:
        target = None
    if target is None or target not in MODERATOR_DECISIONS:
        raise InvalidInput(
            "decision is confirmed, false_positive, dismissed, or pending (to reopen a record)"
        )
    if target == record.status:
        if target is MatchStatus.PENDING:
            raise Conflict(f"match {record.public_id} is already pending")
        if record.decided_by == DecidedBy.MODERATOR:
            raise Conflict(f"match {record.public_id} is already {target.value} by a moderator")
    return target


def decide(
    session: Session, actor: Actor, match_id: str, decision: str, note: str | None
) -> MatchRecord:
    """A moderator decides the match record `match_id`, if `actor` may see it (404 if not)."""
    if actor.key_id is None:
        raise Forbidden("only a moderator or admin key decides matches")
    record = visible_match(session, actor, match_id)
    target = check_decision(record, decision)
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_REASON:
        raise InvalidInput(f"the note is at most {MAX_REASON} characters")
    previous = record.status
    MatchRepository(session).add_decision(
        record, decision=target.value, api_key_id=actor.key_id, note=text
    )
    AuditLog(session).record(
        str(actor),
        "match.decided",
        f"match:{record.public_id}",
        decision=target.value,
        previous=previous,
        note=text,
    )
    return record
