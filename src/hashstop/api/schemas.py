"""Request and response bodies of the v1 API (the contract in docs/architecture.md, plus extras).

Requests refuse unknown fields, so a typo such as `max_distnace` is an error rather than a
silently ignored wish. Limits that depend on settings (hashes per request, items per match) are
checked by the endpoints, which answer 413 with the limit.

One convention for answers: a response model built from a service result has a classmethod
`of(result)` here, and endpoints return `XOut.of(...)`; the mapping from the service's types to
the wire lives in this module (and `review_schemas.py`), not in the routers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from hashstop.service.cases import CaseView, OpenedCase, Submission
    from hashstop.service.feedback import FeedbackResult
    from hashstop.service.hashlist import HashListPage
    from hashstop.service.matching import ItemResult, VideoShare
    from hashstop.storage.matches import Hit, HitSource
    from hashstop.storage.models import Case, Feedback, MatchHit, MatchRecord


# Characters refused in a match ref besides C0 controls: DEL and the C1 controls, and the
# bidirectional formatting characters (marks, embeddings, overrides, isolates).
HIDDEN_CHARACTERS = frozenset(
    [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u061c", "\u200e", "\u200f"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)


PhotoRef = Callable[[str], str] | None
"""Renames a photo's public id for the platform that asks (`Keyring.platform_photo_ref`)."""


def _renamed(photo: str | None, photo_ref: PhotoRef) -> str | None:
    return photo if photo is None or photo_ref is None else photo_ref(photo)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HashIn(_In):
    algorithm: str = Field(
        max_length=16,
        description="pdq, phash, md5, sha256 or local (a local hash: 24 hex, needs its photo)",
    )
    value: str = Field(max_length=128, description="lower- or upper-case hex")
    quality: int | None = Field(
        default=None, ge=-(2**31), le=2**31, description="PDQ quality 0-100 (required for pdq)"
    )
    photo: str | None = Field(
        default=None,
        max_length=64,
        description="groups the hashes of one photo (its variants); default: a photo per hash",
    )
    variant: str | None = Field(
        default=None, max_length=32, description="which variant of the photo (default original)"
    )


class HashesIn(_In):
    hashes: list[HashIn] = Field(min_length=1)


class RejectedOut(BaseModel):
    index: int
    reason: str


class SubmissionOut(BaseModel):
    case_id: str
    status: str
    accepted: int = Field(description="hashes stored by this request")
    rejected: list[RejectedOut] = Field(description="hashes not stored, with the reason")
    duplicates: int = Field(description="rejected entries that repeat a hash (stored once)")

    @classmethod
    def of(cls, case: Case, submission: Submission) -> SubmissionOut:
        return cls(
            case_id=case.public_id,
            status=case.status,
            accepted=submission.accepted,
            rejected=[RejectedOut(index=r.index, reason=r.reason) for r in submission.rejected],
            duplicates=submission.duplicates,
        )


class CaseCreatedOut(SubmissionOut):
    secret: str = Field(description="the case secret: shown once, keep it safe")

    @classmethod
    def of_opened(cls, opened: OpenedCase) -> CaseCreatedOut:
        return cls(
            **SubmissionOut.of(opened.case, opened.submission).model_dump(), secret=opened.secret
        )


class MatchCountsOut(BaseModel):
    total: int
    confirmed: int


class CaseOut(BaseModel):
    case_id: str
    status: str
    hash_count: int
    photo_count: int
    matches: MatchCountsOut
    created_at: datetime
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, view: CaseView) -> CaseOut:
        return cls(
            case_id=view.case_id,
            status=view.status,
            hash_count=view.hash_count,
            photo_count=view.photo_count,
            matches=MatchCountsOut(total=view.matches_total, confirmed=view.matches_confirmed),
            created_at=view.created_at,
            withdrawn_at=view.withdrawn_at,
        )


class QueryHashIn(_In):
    algorithm: str = Field(
        max_length=16,
        description="pdq, phash, md5, sha256 or local (up to 48 local hashes per item, besides "
        "the 16 others; they match only when several agree on one photo and transform)",
    )
    value: str = Field(max_length=128)


class MatchItemIn(_In):
    ref: str = Field(
        min_length=1,
        max_length=256,
        pattern=r"^[^\x00-\x1f]*$",
        description="your id for the upload (no control characters, no bidirectional controls)",
    )
    hashes: list[QueryHashIn] = Field(min_length=1)

    @field_validator("ref")
    @classmethod
    def _no_hidden_characters(cls, ref: str) -> str:
        # A ref is shown on the review pages: bidirectional controls would let it display as
        # something else than it is (issue 12), and C1 controls have no business in an id.
        bad = sorted({f"U+{ord(c):04X}" for c in ref if c in HIDDEN_CHARACTERS})
        if bad:
            raise ValueError(
                "a ref must not contain control or bidirectional formatting characters "
                f"(found {', '.join(bad)})"
            )
        return ref

    max_distance: int | None = Field(
        default=None,
        ge=0,
        le=1024,
        description="at most this Hamming distance (capped by the server)",
    )
    kind: Literal["photo", "video"] = Field(
        default="photo",
        description="photo (the default): up to 16 hashes, any of which matches. video (issue "
        "13): the upload's frame hashes as pdq (up to 360: distinct frames of quality >= 50, "
        "as query_hashes gives them) and its md5 and sha256 (up to 16 besides the frames); it "
        "matches a stored video when enough of its frames match that video's frames and enough "
        "of the video's frames match its frames (both shares are in the result), a stored "
        "photo when any frame matches it, and anything by its md5 or sha256",
    )


class MatchIn(_In):
    items: list[MatchItemIn] = Field(min_length=1)


class HitOut(BaseModel):
    hash_id: int
    algorithm: str
    distance: int
    photo: str | None = Field(
        default=None,
        description="the photo this hash belongs to: hits with the same photo are one picture "
        "(a public reference; absent while the database is unavailable)",
    )
    variant: str | None = Field(
        default=None,
        description="which stored edit of the photo matched: original, mirror, crop5, ...",
    )
    bank: str | None = Field(
        default=None,
        description="the bank holding the hash, when it came from a file or another exchange "
        "(hashstop import, hashstop subscribe); absent for victims' hashes",
        # Absent rather than null, so a victim's hit reads as it always did.
        exclude_if=lambda bank: bank is None,
    )

    @classmethod
    def of(cls, hit: Hit, photo_ref: PhotoRef = None) -> HitOut:
        return cls(
            hash_id=hit.hash_id,
            algorithm=hit.algorithm,
            distance=hit.distance,
            photo=_renamed(hit.photo, photo_ref),
            variant=hit.variant,
            bank=hit.bank,
        )

    @classmethod
    def of_recorded(
        cls, hit: MatchHit, source: HitSource | None, photo_ref: PhotoRef = None
    ) -> HitOut:
        """A hit of a stored match record, with its photo and variant looked up (`source`)."""
        return cls(
            hash_id=hit.hash_id,
            algorithm=hit.algorithm,
            distance=hit.distance,
            photo=_renamed(source.photo, photo_ref) if source is not None else None,
            variant=source.variant if source is not None else None,
            bank=source.bank if source is not None else None,
        )


class VideoShareOut(BaseModel):
    photo: str = Field(description="the stored video (a photo of its case), as in `matches`")
    query_frames: int = Field(description="distinct frame hashes of the item")
    stored_frames: int = Field(description="active frame hashes of the stored video")
    query_share: float = Field(
        description="share of the item's frames within the distance of a frame of the video"
    )
    stored_share: float = Field(
        description="share of the video's frames within the distance of a frame of the item"
    )

    @classmethod
    def of(cls, share: VideoShare, photo_ref: PhotoRef = None) -> VideoShareOut:
        return cls(
            photo=_renamed(share.photo, photo_ref) or share.photo,
            query_frames=share.query_frames,
            stored_frames=share.stored_frames,
            query_share=round(share.query_share, 4),
            stored_share=round(share.stored_share, 4),
        )


class ItemResultOut(BaseModel):
    ref: str
    matched: bool
    match_id: str | None = None
    matches: list[HitOut]
    videos: list[VideoShareOut] | None = Field(
        default=None,
        description="a matched video item only: each stored video it matched, with both shares "
        "(absent for a photo item)",
    )

    @classmethod
    def of(cls, result: ItemResult, photo_ref: PhotoRef = None) -> ItemResultOut:
        return cls(
            ref=result.ref,
            matched=result.matched,
            match_id=result.match_id,
            matches=[HitOut.of(h, photo_ref) for h in result.matches],
            videos=None
            if result.videos is None
            else [VideoShareOut.of(v, photo_ref) for v in result.videos],
        )


class MatchOut(BaseModel):
    results: list[ItemResultOut]

    @classmethod
    def of(cls, results: Sequence[ItemResult], photo_ref: PhotoRef = None) -> MatchOut:
        return cls(results=[ItemResultOut.of(r, photo_ref) for r in results])


class HashListEntryOut(BaseModel):
    seq: int
    hash_id: int
    algorithm: str
    value: str | None = Field(description="hex while matchable; null: delete your copy")
    status: str = Field(description="the hash's current status: active, withdrawn, suspended")
    change: str = Field(description="what this entry records: added, withdrawn, ...")
    photo: str = Field(
        description="the photo the hash belongs to: your platform's own name for it (the same "
        "in your matches; another platform sees another name)"
    )
    variant: str = Field(description="which stored edit of the photo: original, mirror, ...")


class HashListOut(BaseModel):
    entries: list[HashListEntryOut] = Field(
        description="published in batches that mix cases, shuffled within a batch: apply each "
        "entry by hash_id (its value, or null: delete); the order carries no meaning"
    )
    next: int = Field(description="pass as `after` to get the following page")
    has_more: bool

    @classmethod
    def of(cls, page: HashListPage) -> HashListOut:
        return cls(
            entries=[
                HashListEntryOut(
                    seq=e.seq,
                    hash_id=e.hash_id,
                    algorithm=e.algorithm,
                    value=e.value.hex() if e.value is not None else None,
                    status=e.status,
                    change=e.kind,
                    photo=e.photo,
                    variant=e.variant,
                )
                for e in page.entries
            ],
            next=page.next,
            has_more=page.has_more,
        )


class FeedbackIn(_In):
    verdict: Literal["confirmed", "false_positive"]
    action: Literal["blocked", "removed", "none"] | None = None


class FeedbackOut(BaseModel):
    match_id: str
    status: str
    verdict: str
    action: str
    created_at: datetime

    @classmethod
    def of(cls, result: FeedbackResult) -> FeedbackOut:
        return cls(
            match_id=result.match.public_id,
            status=result.match.status,
            verdict=result.feedback.verdict,
            action=result.feedback.action,
            created_at=result.feedback.created_at,
        )


class VerdictOut(BaseModel):
    verdict: str
    action: str
    created_at: datetime


class MatchRecordOut(BaseModel):
    match_id: str
    ref: str
    status: str
    created_at: datetime
    matches: list[HitOut]
    feedback: list[VerdictOut] = Field(description="your verdicts on this match, oldest first")

    @classmethod
    def of(
        cls,
        record: MatchRecord,
        verdicts: Sequence[Feedback],
        sources: Mapping[int, HitSource],
        photo_ref: PhotoRef = None,
    ) -> MatchRecordOut:
        """A platform's match record; `sources` names the photo and variant of each hit."""
        return cls(
            match_id=record.public_id,
            ref=record.ref,
            status=record.status,
            created_at=record.created_at,
            matches=[HitOut.of_recorded(h, sources.get(h.hash_id), photo_ref) for h in record.hits],
            feedback=[
                VerdictOut(verdict=f.verdict, action=f.action, created_at=f.created_at)
                for f in verdicts
            ],
        )


class ProblemDetailOut(BaseModel):
    location: str = Field(description="where in the request, e.g. items[0].hashes[1].value")
    message: str


class ProblemOut(BaseModel):
    """An error (RFC 9457 problem+json); some carry more members, such as `errors`."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="urn:hashstop:problem:<slug>, or about:blank")
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do about it")
    instance: str | None = Field(default=None, description="the path of the request")
    errors: list[ProblemDetailOut] | None = Field(
        default=None, description="for an invalid request: each invalid part (at most 20)"
    )
