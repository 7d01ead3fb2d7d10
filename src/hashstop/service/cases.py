"""A victim's case: open it with hashes, add more, look at it, withdraw it.

The case secret is the only credential a victim has. It is shown once, at creation, and stored
as a keyed hash; a wrong secret and an unknown case id get the same answer, so a guess reveals
nothing. Withdrawal erases the hash values (the rows stay, with their ids, so that the change log
and match records still make sense) and stops them matching before the call returns.

A request with any hash that screens as allowlisted (near a known benign picture, see
`screening.py`) is refused whole: every hash in `rejected`, with one reason naming none of
them. The allowlist is read after taking the change-log lock, which an admin
adding an entry also takes before scanning the stored hashes: whichever commits second sees the
other, so no hash slips in beside a new entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, InvalidInput, NotFound
from hashstop.service.idempotency import (
    EXPIRED,
    REPLAY_WINDOW,
    REUSED_FOR_ANOTHER_REQUEST,
    check_idempotency_key,
    request_hash,
)
from hashstop.service.matchable import hold, publish
from hashstop.service.rules import Rejection, SubmittedHash, check_hash, sort_submissions
from hashstop.service.screening import AllowlistScreen, MatchDistances
from hashstop.service.stopncii import RETAINED_ALGORITHMS
from hashstop.service.tokens import Keyring, new_case_id, new_case_secret
from hashstop.storage.audit import AuditLog
from hashstop.storage.cases import CaseRepository, NewHash
from hashstop.storage.idempotency import IdempotencyRepository
from hashstop.storage.models import Case, CaseStatus, ChangeKind, utcnow
from hashstop.storage.retractions import purge_retractions, retain_withdrawn

CASE_ID = re.compile(r"[0-9a-z]{1,32}")
NO_SUCH_CASE = (
    "no case with this id for this secret: check the case id and the secret (hsc_...) you were "
    "given when the case was opened"
)


@dataclass(frozen=True, slots=True)
class CaseCaps:
    """The most a case may hold (issue 12, attack 3): a flood through one case is bounded."""

    hashes: int = 40_000
    photos: int = 1000


@dataclass(frozen=True, slots=True)
class Submission:
    accepted: int
    rejected: list[Rejection]
    duplicates: int


@dataclass(frozen=True, slots=True)
class OpenedCase:
    case: Case
    secret: str
    submission: Submission
    replayed: bool = False  # True: an earlier request with the same idempotency key opened it


@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: str
    status: str
    hash_count: int
    photo_count: int
    matches_total: int
    matches_confirmed: int
    created_at: datetime
    withdrawn_at: datetime | None


class CaseService:
    def __init__(
        self,
        session: Session,
        keyring: Keyring,
        distances: MatchDistances | None = None,
        caps: CaseCaps | None = None,
        retraction_days: int = 0,
    ) -> None:
        self.session = session
        self.keyring = keyring
        self.cases = CaseRepository(session)
        self.distances = distances or MatchDistances()
        self.caps = caps or CaseCaps()
        # How long a withdrawal keeps the values the StopNCII-shaped feed needs to tell its
        # followers what to delete (`service/stopncii.py`); 0 keeps none.
        self.retraction_days = retraction_days

    def _screen(self, hashes: Sequence[NewHash], case: Case | None = None) -> list[str | None]:
        hold(self.session)
        case_id = case.id if case is not None else None
        return AllowlistScreen(self.session, self.distances).whole_request(
            [(h.algorithm, h.value) for h in hashes],
            [h.photo_key for h in hashes],
            None if case_id is None else lambda keys: self.cases.local_values(case_id, keys),
        )

    def open(
        self, submitted: Sequence[SubmittedHash], idempotency_key: str | None = None
    ) -> OpenedCase:
        """Open a case with `submitted` hashes; refuse if none of them is acceptable.

        With an `idempotency_key`, a repeat of the same request within the replay window answers
        with the case the first one opened, secret included (`hashstop.service.idempotency`).
        """
        if idempotency_key is None:
            return self._open(submitted, new_case_id(), new_case_secret())
        key = check_idempotency_key(idempotency_key)
        key_hash = self.keyring.idempotency_key_hash(key)
        fingerprint = request_hash(self.keyring, submitted)
        keys = IdempotencyRepository(self.session)
        keys.lock(key_hash)
        earlier = keys.find(key_hash)
        if earlier is None:
            case_id = new_case_id()
            secret = self.keyring.derived_case_secret(key, case_id)
            opened = self._open(submitted, case_id, secret, idempotent=True)
            keys.add(key_hash, opened.case, fingerprint)
            return opened
        if not self.keyring.same(earlier.request_hash, fingerprint):
            raise InvalidInput(REUSED_FOR_ANOTHER_REQUEST)
        if utcnow() - earlier.created_at > REPLAY_WINDOW:
            raise InvalidInput(EXPIRED)
        case = earlier.case
        # The request is the same, so sorting it again gives the first answer's counts.
        accepted, rejected, duplicates = sort_submissions(submitted, set(), self._screen)
        AuditLog(self.session).record(
            str(Actor.of_case(case.public_id)), "case.open_replayed", f"case:{case.public_id}"
        )
        return OpenedCase(
            case,
            self.keyring.derived_case_secret(key, case.public_id),
            Submission(len(accepted), rejected, duplicates),
            replayed=True,
        )

    def _open(
        self,
        submitted: Sequence[SubmittedHash],
        case_id: str,
        secret: str,
        *,
        idempotent: bool = False,
    ) -> OpenedCase:
        accepted, rejected, duplicates = sort_submissions(submitted, set(), self._screen)
        self._check_caps(None, accepted)
        if not accepted:
            raise InvalidInput(
                "none of the hashes was accepted, so no case was opened; see `rejected`",
                rejected=[{"index": r.index, "reason": r.reason} for r in rejected],
            )
        secret_hash = self.keyring.case_secret_hash(secret)
        assert secret_hash is not None  # noqa: S101 - made secrets are well-formed  # nosec B101
        case = self.cases.add(case_id, secret_hash)
        self._store(case, accepted)
        details: dict[str, object] = {"hashes": len(accepted)}
        if idempotent:
            details["idempotent"] = True
        AuditLog(self.session).record(
            str(Actor.of_case(case.public_id)), "case.opened", f"case:{case.public_id}", **details
        )
        return OpenedCase(case, secret, Submission(len(accepted), rejected, duplicates))

    def authorise(self, public_id: str, secret: str, *, for_update: bool = False) -> Case:
        """The case `public_id` if `secret` is its secret; NotFound otherwise (either way)."""
        presented = self.keyring.case_secret_hash(secret)
        if not CASE_ID.fullmatch(public_id):
            raise NotFound(NO_SUCH_CASE)
        case = self.cases.by_public_id(public_id, for_update=for_update)
        if case is None or presented is None or not self.keyring.same(case.secret_hash, presented):
            raise NotFound(NO_SUCH_CASE)
        return case

    def add_hashes(self, case: Case, submitted: Sequence[SubmittedHash]) -> Submission:
        if case.status != CaseStatus.ACTIVE:
            raise Conflict("this case was withdrawn; open a new case to register hashes again")
        # Only the submitted values and photos are looked up, never the whole case: adding
        # hashes costs the same whatever the case's size.
        valid = [h for h in map(check_hash, submitted) if not isinstance(h, str)]
        keys = [h.photo_key for h in valid if h.photo_key is not None]
        accepted, rejected, duplicates = sort_submissions(
            submitted,
            self.cases.existing_values(case.id, [h.value for h in valid]),
            lambda hashes: self._screen(hashes, case),
            local_stored=self.cases.local_counts(case.id, keys),
        )
        self._check_caps(case, accepted)
        if accepted:
            self._store(case, accepted)
            AuditLog(self.session).record(
                str(Actor.of_case(case.public_id)),
                "case.hashes_added",
                f"case:{case.public_id}",
                hashes=len(accepted),
            )
        return Submission(len(accepted), rejected, duplicates)

    def _check_caps(self, case: Case | None, accepted: Sequence[NewHash]) -> None:
        """Refuse (409) a submission that would take the case past its caps of hashes or photos."""
        if not accepted:
            return
        keys = {h.photo_key for h in accepted if h.photo_key is not None}
        keyless = sum(1 for h in accepted if h.photo_key is None)
        if case is None:
            hashes, photos, known = 0, 0, set()
        else:
            counts = self.cases.counts_of(case.id)
            hashes, photos = counts
            known = self.cases.photo_keys(case.id, keys)
        new_photos = len(keys - known) + keyless
        if hashes + len(accepted) > self.caps.hashes or photos + new_photos > self.caps.photos:
            raise Conflict(
                f"a case holds at most {self.caps.photos} photos and {self.caps.hashes} hashes; "
                f"this one holds {photos} photos and {hashes} hashes, and this request would add "
                f"{new_photos} photos and {len(accepted)} hashes. Open a new case for the rest"
            )

    def view(self, case: Case) -> CaseView:
        counts = self.cases.counts(case.id)
        return CaseView(
            case_id=case.public_id,
            status=case.status,
            hash_count=counts.hashes,
            photo_count=counts.photos,
            matches_total=counts.matches,
            matches_confirmed=counts.confirmed,
            created_at=case.created_at,
            withdrawn_at=case.withdrawn_at,
        )

    def withdraw(self, case: Case) -> CaseView:
        """Withdraw the case: its hashes stop matching and their values are erased."""
        if case.status == CaseStatus.WITHDRAWN:
            return self.view(case)
        hold(self.session)  # before the hash rows, like every status writer
        now = utcnow()
        purge_retractions(self.session, now - timedelta(days=self.retraction_days))
        if self.retraction_days > 0:
            retain_withdrawn(self.session, case.id, RETAINED_ALGORITHMS, now)
        erased = self.cases.withdraw(case)
        publish(self.session, ChangeKind.WITHDRAWN, [(i, a) for i, a, _ in erased])
        AuditLog(self.session).record(
            str(Actor.of_case(case.public_id)),
            "case.withdrawn",
            f"case:{case.public_id}",
            hashes_erased=len(erased),
        )
        return self.view(case)

    def _store(self, case: Case, accepted: Sequence[NewHash]) -> None:
        rows = self.cases.add_hashes(case, accepted)
        publish(self.session, ChangeKind.ADDED, [(row.id, row.algorithm) for row in rows])
