"""Automatic quarantine: suspend a hash that behaves like a poisoned one, pending review.

A victim's photo is re-uploaded on a platform or two; a poisoned hash (a meme, a news photo
submitted as if it were intimate) suddenly matches everywhere, or platforms keep telling us the
matches are wrong. Two triggers, both configurable (`HASHSTOP_QUARANTINE_*`):

- rate: more than N match records within a window, from at least K distinct platforms;
- false positives: M match records of the hash stand as false positives, from M distinct
  uploads and at least K distinct platforms.

No single party can trigger either (issue 12, attack 1): a platform key is all an attacker needs
to match and judge, so one platform's evidence alone never suspends anything. When one platform
(or fewer than K) judged M uploads of a hash false positives, the hash's *photo* is flagged
instead: its matches go to the top of the review queue, marked, and it keeps matching until a
moderator decides. A platform whose false-positive verdicts spike (more than
`platform_false_positives` distinct records within the window) is flagged itself: an audit entry
(`platform.flagged`), a metric, and the platform listed on `/review/flags`.

A tripped hash is suspended with kind `quarantine` (actor `system`, audited, with the figures in
the reason); its matches go to the top of the review queue, where a moderator releases it
(restore) or confirms the suspension. After a release, only matches and verdicts that come later
count, so a popular but genuine hash is not caught again by the same evidence.

Where it runs: in the transaction that writes the evidence. The rate check runs when a match
request stored records (one grouped query over the hit hashes, reading only the window's hits
through an index; requests that match nothing never reach it), and the false-positive check when
a platform's false-positive verdict sets a record's status. A periodic job would cost nothing on
the match path but needs a leader among the workers and leaves a poisoned hash matching until
its next run; counting at write time is exact, needs no coordination, and costs one indexed
query on the rare requests that match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashstop.config import Settings
from hashstop.service.actors import SYSTEM
from hashstop.service.suspension import suspend_active
from hashstop.storage.audit import AuditLog
from hashstop.storage.flags import FlagRepository, platform_false_positives_since
from hashstop.storage.matches import FalsePositives, false_positive_counts, recent_hit_counts
from hashstop.storage.models import FlagKind, Hash, SuspensionKind, utcnow
from hashstop.storage.suspensions import SuspensionRepository

PENDING_REVIEW = "automatic quarantine, pending review"


@dataclass(frozen=True, slots=True)
class QuarantinePolicy:
    enabled: bool = True
    matches: int = 50
    window: timedelta = timedelta(hours=1)
    platforms: int = 3
    false_positives: int = 3
    platform_false_positives: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> QuarantinePolicy:
        return cls(
            enabled=settings.quarantine_enabled,
            matches=settings.quarantine_matches,
            window=timedelta(seconds=settings.quarantine_window),
            platforms=settings.quarantine_platforms,
            false_positives=settings.quarantine_false_positives,
            platform_false_positives=settings.quarantine_platform_false_positives,
        )


def _window_text(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def check_match_rate(
    session: Session, policy: QuarantinePolicy, hash_ids: Iterable[int]
) -> list[int]:
    """Quarantine the hashes among `hash_ids` whose recent match rate trips the policy."""
    if not policy.enabled:
        return []
    now = utcnow()
    start = now - policy.window
    counts = recent_hit_counts(session, hash_ids, start)
    tripped: list[tuple[int, str]] = []
    for hash_id, (records, platforms) in sorted(counts.items()):
        if records <= policy.matches or platforms < policy.platforms:
            continue
        released = SuspensionRepository(session).last_release(hash_id)
        if released is not None and released > start:
            records, platforms = recent_hit_counts(session, [hash_id], released).get(
                hash_id, (0, 0)
            )
            if records <= policy.matches or platforms < policy.platforms:
                continue
        tripped.append(
            (
                hash_id,
                f"{PENDING_REVIEW}: {records} matches from {platforms} platforms within "
                f"{_window_text(policy.window)} (more than {policy.matches} from at least "
                f"{policy.platforms} trips it)",
            )
        )
    return _quarantine(session, tripped, "match_rate")


def check_false_positives(
    session: Session, policy: QuarantinePolicy, hash_ids: Iterable[int]
) -> list[int]:
    """Quarantine the hashes among `hash_ids` whose false positives come from enough uploads
    and platforms; flag the photo of those whose false positives come from too few platforms."""
    if not policy.enabled:
        return []
    counts = false_positive_counts(session, hash_ids)
    tripped: list[tuple[int, str]] = []
    flagged: list[tuple[int, str]] = []
    for hash_id, fp in sorted(counts.items()):
        if fp.uploads < policy.false_positives:
            continue
        released: datetime | None = SuspensionRepository(session).last_release(hash_id)
        if released is not None:
            fp = false_positive_counts(session, [hash_id], released).get(
                hash_id, FalsePositives(0, 0)
            )
            if fp.uploads < policy.false_positives:
                continue
        figures = (
            f"{fp.uploads} uploads judged false positives by {fp.platforms} platform"
            f"{'' if fp.platforms == 1 else 's'}"
        )
        if fp.platforms < policy.platforms:
            flagged.append(
                (
                    hash_id,
                    f"{figures}; suspending needs at least {policy.platforms} platforms, so a "
                    "moderator decides",
                )
            )
            continue
        tripped.append(
            (
                hash_id,
                f"{PENDING_REVIEW}: {figures} ({policy.false_positives} uploads from at least "
                f"{policy.platforms} platforms trip it)",
            )
        )
    _flag_photos(session, flagged)
    return _quarantine(session, tripped, "false_positives")


def _flag_photos(session: Session, flagged: list[tuple[int, str]]) -> None:
    """Flag the photo of each hash (once while a flag is open), audited as `photo.flagged`."""
    if not flagged:
        return
    repo = FlagRepository(session)
    rows = session.execute(
        select(Hash.id, Hash.photo_id).where(Hash.id.in_([h for h, _ in flagged]))
    )
    photos: dict[int, int] = {r.id: r.photo_id for r in rows}
    for hash_id, reason in flagged:
        photo_id = photos.get(hash_id)
        if photo_id is None or repo.open_photo_flag(photo_id) is not None:
            continue
        flag = repo.add(FlagKind.PHOTO, reason, photo_id=photo_id)
        AuditLog(session).record(
            str(SYSTEM), "photo.flagged", f"hash:{hash_id}", flag=flag.id, reason=reason
        )


def check_platform_spike(session: Session, policy: QuarantinePolicy, platform: str) -> bool:
    """Flag `platform` if its false-positive verdicts within the window exceed the policy's
    limit (once while the flag is open). True when this call raised the flag."""
    if not policy.enabled:
        return False
    since = utcnow() - policy.window
    n = platform_false_positives_since(session, platform, since)
    if n <= policy.platform_false_positives:
        return False
    repo = FlagRepository(session)
    if repo.open_platform_flag(platform) is not None:
        return False
    reason = (
        f"{n} matches judged false positives within {_window_text(policy.window)} (more than "
        f"{policy.platform_false_positives} flags a platform): its verdicts may be an attack"
    )
    flag = repo.add(FlagKind.PLATFORM, reason, platform=platform)
    AuditLog(session).record(
        str(SYSTEM), "platform.flagged", f"platform:{platform}", flag=flag.id, verdicts=n
    )
    return True


def _quarantine(session: Session, tripped: list[tuple[int, str]], trigger: str) -> list[int]:
    done: list[int] = []
    for hash_id, reason in tripped:
        suspended = suspend_active(
            session,
            [hash_id],
            kind=SuspensionKind.QUARANTINE,
            reason=reason,
            actor=SYSTEM,
            action="hash.quarantined",
            details={"trigger": trigger},
        )
        done.extend(s.hash_id for s in suspended)
    return done
