"""Request and response bodies of the v1 API (the contract in docs/architecture.md, plus extras).

Requests refuse unknown fields, so a typo such as `max_distnace` is an error rather than a
silently ignored wish. Limits that depend on settings (hashes per request, items per match) are
checked by the endpoints, which answer 413 with the limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class CaseCreatedOut(SubmissionOut):
    secret: str = Field(description="the case secret: shown once, keep it safe")


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
        description="your id for the upload (no control characters)",
    )
    hashes: list[QueryHashIn] = Field(min_length=1)
    max_distance: int | None = Field(
        default=None,
        ge=0,
        le=1024,
        description="at most this Hamming distance (capped by the server)",
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


class ItemResultOut(BaseModel):
    ref: str
    matched: bool
    match_id: str | None = None
    matches: list[HitOut]


class MatchOut(BaseModel):
    results: list[ItemResultOut]


class HashListEntryOut(BaseModel):
    seq: int
    hash_id: int
    algorithm: str
    value: str | None = Field(description="hex while matchable; null: delete your copy")
    status: str = Field(description="the hash's current status: active, withdrawn, suspended")
    change: str = Field(description="what this entry records: added, withdrawn, ...")
    photo: str = Field(description="the photo the hash belongs to (a public reference)")
    variant: str = Field(description="which stored edit of the photo: original, mirror, ...")


class HashListOut(BaseModel):
    entries: list[HashListEntryOut]
    next: int = Field(description="pass as `after` to get the following page")
    has_more: bool


class FeedbackIn(_In):
    verdict: Literal["confirmed", "false_positive"]
    action: Literal["blocked", "removed", "none"] | None = None


class FeedbackOut(BaseModel):
    match_id: str
    status: str
    verdict: str
    action: str
    created_at: datetime


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
