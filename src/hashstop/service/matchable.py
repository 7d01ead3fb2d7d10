"""The one way to change which hashes match: hold the change-log lock, change the rows, publish.

Every writer of the matchable set (a case's new hashes, a withdrawal, a suspension by a
moderator, the quarantine or the allowlist, a restore) goes through these two calls, so that none
can forget a step:

1. `hold(session)` takes the change-log lock *before* the writer reads or locks any hash row, so
   every writer takes its locks in one order and seqs stay in commit order (see
   `storage/changelog.py`).
2. The writer changes its rows (through `hashstop.storage`).
3. `publish(session, kind, hashes)` appends one change-log entry per hash, in the same
   transaction, and tells this worker's index: right after the commit, before the response is
   sent, it drops what stopped matching and catches up with the log (`service/index.py`). Other
   workers follow the log within their poll interval; the match path re-checks every hit in the
   database meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from hashstop.service.index import note_index_change
from hashstop.storage.changelog import Change, ChangeLog
from hashstop.storage.models import ChangeKind

STOPS_MATCHING = frozenset({ChangeKind.WITHDRAWN, ChangeKind.SUSPENDED})


def hold(session: Session) -> None:
    """Take the change-log lock until the transaction ends (re-entrant)."""
    ChangeLog(session).lock()


def publish(session: Session, kind: ChangeKind, hashes: Iterable[tuple[int, str]]) -> list[int]:
    """Append a `kind` entry for each (hash id, algorithm) and tell this worker's index; return
    the entries' seqs. Call it in the transaction that changed those hashes."""
    entries = [Change(hash_id, algorithm, kind) for hash_id, algorithm in hashes]
    if not entries:
        return []
    seqs = ChangeLog(session).append(entries)
    removals = [(c.algorithm, c.hash_id) for c in entries] if kind in STOPS_MATCHING else []
    note_index_change(session, removals)
    return seqs
