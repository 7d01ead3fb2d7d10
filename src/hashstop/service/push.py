"""Push mode (issue 17): keep a bank of an HMA (OpenMediaMatch) equal to the hash list.

`hashstop push hma --url URL --bank BANK` runs on the hashstop server, like `hashstop export`,
and follows the *published hash list* in-process (`hash_list_page`, the same batched and shuffled
feed `/v1/hashlist` serves, never the raw change log: the HMA is a platform, and must not learn
which hashes came in together, issue 12 attack 5). For every PDQ or MD5 entry it makes HMA agree
with the hash's current state: a matchable hash is bank content (added once through
`POST /c/bank/<bank>/signal`, HMA's content id recorded in `push_entries`), any other (withdrawn,
suspended, gone) is deleted (`DELETE /c/bank/<bank>/content/<id>`). An entry's current state is
read, not the change it records, so entries may be applied in any order and applied twice.

Crash safety. Before each HMA call its intent is committed (`push_entries.state` `adding` or
`deleting`); after it, the outcome. At start-up every row still in flight is reconciled:

- `deleting`: the DELETE is sent again (HMA answers `{"deleted": 0}` for content already gone).
- `adding`, content id unknown: HMA's add is not idempotent and HMA has no way to list a bank, so
  the hash is added again and the new id recorded; then every content id between the target's
  high-water mark at the time of the intent (`floor`) and the new id is read
  (`GET /c/bank/<bank>/content/<id>`), and one that is in our bank and carries the intent's note
  (`hashstop <token>`, a random token, never the value) is deleted. HMA's content ids only grow,
  so content made by the lost call lies in that range: no duplicate survives. The cost is one GET
  per content id HMA handed out (to any bank) between our last recorded add and the restart.
  If the hash was withdrawn meanwhile (its value erased), a random PDQ is added and deleted at
  once to get that bounding id, and the row is dropped.

A final sweep of each pass deletes the content of every pushed hash that is no longer matchable,
so a withdrawal is applied even if its hash-list entry were never seen.

A bank that is not republished (issue 17) is never pushed: the hash list passes over its entries,
and a hash of it is treated as not matchable here (its content is deleted, as a withdrawn one's,
when its republishing is turned off; added when it is turned on again).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import InvalidInput
from hashstop.service.hashlist import BatchPolicy, close_due_batch, hash_list_page
from hashstop.service.tokens import Keyring
from hashstop.storage.audit import AuditLog
from hashstop.storage.changelog import published_expression
from hashstop.storage.database import Database
from hashstop.storage.models import Case, Hash, HashStatus, PushEntry, PushTarget, utcnow

# our algorithm -> HMA's signal type name
SIGNAL_TYPES = {"pdq": "pdq", "md5": "video_md5"}
BANK_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")  # HMA's own rule for bank names
URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
NOTE_PREFIX = "hashstop "
PAGE = 500

ADDING = "adding"
ADDED = "added"
DELETING = "deleting"


class Curator(Protocol):
    """HMA's curator routes the pusher uses (`hashstop.service.hma.HmaCurator`)."""

    def create_bank(self, bank: str) -> None: ...

    def add_signal(self, bank: str, signal_type: str, value: str, note: str) -> int: ...

    def get_content(self, bank: str, content_id: int) -> dict[str, Any] | None: ...

    def delete_content(self, bank: str, content_id: int) -> None: ...


@dataclass
class PushResult:
    added: int = 0
    deleted: int = 0
    reconciled: int = 0  # in-flight calls found at start-up and settled
    duplicates_removed: int = 0
    position: int = 0
    changed: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.added or self.deleted or self.reconciled or self.duplicates_removed)


def check_target(url: str, bank: str) -> None:
    if not URL.fullmatch(url):
        raise InvalidInput(f"--url is the HMA's base URL (http:// or https://), got {url!r}")
    if not BANK_NAME.fullmatch(bank) or len(bank) > 64:
        raise InvalidInput(
            f"--bank is an HMA bank name: capitals, digits and _, not starting with a digit "
            f"(HMA's rule), got {bank!r}"
        )


def _target(session: Session, url: str, bank: str) -> PushTarget:
    target = session.scalar(
        select(PushTarget).where(PushTarget.url == url, PushTarget.bank == bank)
    )
    if target is None:
        target = PushTarget(url=url, bank=bank, position=0, high_water=0)
        session.add(target)
        session.flush()
    return target


class Pusher:
    """One HMA bank followed from the hash list. Every database write is its own transaction,
    committed before the HMA call it announces, so a crash anywhere leaves a state `start`
    reconciles. `fault(point)` is a test hook called at the points a crash matters."""

    def __init__(
        self,
        database: Database,
        curator: Curator,
        keyring: Keyring,
        url: str,
        bank: str,
        actor: Actor,
        policy: BatchPolicy | None = None,
        fault: Callable[[str], None] | None = None,
    ) -> None:
        actor.require_admin("push the hash list to HMA")
        check_target(url, bank)
        self.policy = policy or BatchPolicy()
        self.database = database
        self.curator = curator
        self.keyring = keyring
        self.url = url
        self.bank = bank
        self.actor = actor
        self.fault = fault or (lambda _point: None)
        with database.transaction() as session:
            self.target_id = _target(session, url, bank).id

    # -- one pass -------------------------------------------------------------------------

    def run_once(self) -> PushResult:
        """Create the bank if needed, reconcile calls left in flight, apply the hash list up to
        its end, sweep; audited when anything changed."""
        result = PushResult()
        self.curator.create_bank(self.bank)
        self.reconcile(result)
        self.follow(result)
        self.sweep(result)
        if result.anything:
            with self.database.transaction() as session:
                AuditLog(session).record(
                    str(self.actor),
                    "hma.pushed",
                    f"hma:{self.bank}",
                    url=self.url,
                    added=result.added,
                    deleted=result.deleted,
                    reconciled=result.reconciled,
                    duplicates_removed=result.duplicates_removed,
                    position=result.position,
                )
        return result

    def reconcile(self, result: PushResult) -> None:
        with self.database.transaction(write=False) as session:
            pending = [
                (e.hash_id, e.state)
                for e in session.scalars(
                    select(PushEntry).where(
                        PushEntry.target_id == self.target_id, PushEntry.state != ADDED
                    )
                )
            ]
        for hash_id, state in pending:
            result.reconciled += 1
            if state == DELETING:
                self._delete(hash_id, result)
            else:
                self._resolve_add(hash_id, result)
            self.settle(hash_id, result)

    def follow(self, result: PushResult) -> None:
        # Close a due batch as `/v1/hashlist` does, so the list moves without a server running.
        close_due_batch(self.database, self.policy)
        while True:
            with self.database.transaction(write=False) as session:
                target = self._target_row(session)
                page = hash_list_page(session, target.position, PAGE, PAGE, self.keyring)
            for entry in page.entries:
                if entry.algorithm in SIGNAL_TYPES:
                    self.settle(entry.hash_id, result)
            with self.database.transaction() as session:
                target = self._target_row(session)
                target.position = page.next
                target.updated_at = utcnow()
            result.position = page.next
            if not page.has_more:
                return

    def sweep(self, result: PushResult) -> None:
        """Delete the content of every pushed hash that is not matchable now."""
        with self.database.transaction(write=False) as session:
            stale = list(
                session.scalars(
                    select(PushEntry.hash_id)
                    .outerjoin(Hash, Hash.id == PushEntry.hash_id)
                    .outerjoin(Case, Case.id == Hash.case_id)
                    .where(
                        PushEntry.target_id == self.target_id,
                        or_(
                            Hash.id.is_(None),
                            Hash.status != HashStatus.ACTIVE,
                            ~published_expression(),
                        ),
                    )
                    .order_by(PushEntry.hash_id)
                )
            )
        for hash_id in stale:
            self.settle(hash_id, result)

    # -- one hash ---------------------------------------------------------------------------

    def settle(self, hash_id: int, result: PushResult) -> None:
        """Make HMA agree with the hash's current state."""
        with self.database.transaction(write=False) as session:
            row = session.execute(
                select(
                    Hash.algorithm,
                    Hash.status,
                    Hash.value,
                    published_expression().label("published"),
                )
                .join(Case, Case.id == Hash.case_id)
                .where(Hash.id == hash_id)
            ).first()
            entry = self._entry(session, hash_id)
            state = entry.state if entry is not None else None
        matchable = (
            row is not None
            and row.published
            and row.status == HashStatus.ACTIVE
            and row.value is not None
            and row.algorithm in SIGNAL_TYPES
        )
        if matchable and state is None and row is not None and row.value is not None:
            self._add(hash_id, row.algorithm, row.value.hex(), result)
        elif not matchable and state is not None:
            self._delete(hash_id, result)

    def _target_row(self, session: Session) -> PushTarget:
        target = session.get(PushTarget, self.target_id)
        if target is None:
            raise LookupError("the push target was deleted while pushing")
        return target

    def _entry(self, session: Session, hash_id: int) -> PushEntry | None:
        return session.scalar(
            select(PushEntry).where(
                PushEntry.target_id == self.target_id, PushEntry.hash_id == hash_id
            )
        )

    def _add(self, hash_id: int, algorithm: str, value: str, result: PushResult) -> None:
        token = secrets.token_hex(8)
        with self.database.transaction() as session:
            target = self._target_row(session)
            session.add(
                PushEntry(
                    target_id=self.target_id,
                    hash_id=hash_id,
                    state=ADDING,
                    content_id=None,
                    token=token,
                    floor=target.high_water,
                    updated_at=utcnow(),
                )
            )
        self.fault("before_add")
        content_id = self.curator.add_signal(
            self.bank, SIGNAL_TYPES[algorithm], value, NOTE_PREFIX + token
        )
        self.fault("after_add")
        self._record(hash_id, content_id)
        result.added += 1

    def _record(self, hash_id: int, content_id: int) -> None:
        with self.database.transaction() as session:
            entry = self._entry(session, hash_id)
            target = self._target_row(session)
            if entry is None:
                raise LookupError(f"push entry of hash {hash_id} vanished")
            entry.content_id = content_id
            entry.state = ADDED
            entry.updated_at = utcnow()
            target.high_water = max(target.high_water, content_id)

    def _resolve_add(self, hash_id: int, result: PushResult) -> None:
        """An add whose answer was lost: add again, then delete what the lost call made."""
        with self.database.transaction(write=False) as session:
            entry = self._entry(session, hash_id)
            if entry is None:
                return
            token, floor = entry.token, entry.floor
            row = session.execute(
                select(Hash.algorithm, Hash.value)
                .join(Case, Case.id == Hash.case_id)
                .where(Hash.id == hash_id, published_expression())
            ).first()
            recorded = set(
                session.scalars(
                    select(PushEntry.content_id).where(
                        PushEntry.target_id == self.target_id,
                        PushEntry.content_id.is_not(None),
                    )
                )
            )
        note = NOTE_PREFIX + token
        if row is not None and row.value is not None and row.algorithm in SIGNAL_TYPES:
            ceiling = self.curator.add_signal(
                self.bank, SIGNAL_TYPES[row.algorithm], row.value.hex(), note
            )
            self._record(hash_id, ceiling)
        else:
            # The value is gone (withdrawn since): a fresh id still bounds the search. A random
            # PDQ (256 random bits: hundreds of bits from any picture's) is added and removed.
            ceiling = self.curator.add_signal(
                self.bank, "pdq", secrets.token_hex(32), NOTE_PREFIX + "probe"
            )
            self.curator.delete_content(self.bank, ceiling)
        for candidate in range(floor + 1, ceiling):
            if candidate in recorded:
                continue
            content = self.curator.get_content(self.bank, candidate)
            if content is None:
                continue
            bank = (content.get("bank") or {}).get("name")
            if bank == self.bank and content.get("note") == note:
                self.curator.delete_content(self.bank, candidate)
                result.duplicates_removed += 1
        if row is None or row.value is None or row.algorithm not in SIGNAL_TYPES:
            with self.database.transaction() as session:
                entry = self._entry(session, hash_id)
                if entry is not None:
                    session.delete(entry)

    def _delete(self, hash_id: int, result: PushResult) -> None:
        content_id: int | None = None
        with self.database.transaction() as session:
            entry = self._entry(session, hash_id)
            if entry is None:
                return
            if entry.content_id is not None:
                entry.state = DELETING
                entry.updated_at = utcnow()
                content_id = entry.content_id
        if content_id is None:  # an add in doubt: resolve it first
            self._resolve_add(hash_id, result)
            self.settle(hash_id, result)
            return
        self.fault("before_delete")
        self.curator.delete_content(self.bank, content_id)
        self.fault("after_delete")
        with self.database.transaction() as session:
            entry = self._entry(session, hash_id)
            if entry is not None:
                session.delete(entry)
        result.deleted += 1
