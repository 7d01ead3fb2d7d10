"""The input rules for submitted hashes: what a case may store, and why a hash is refused.

A hash that matches everything is worse than no hash: it blocks benign pictures on every
platform. So besides the format (hex of the right length) and PDQ's own quality score (below 50
refused), the service refuses *degenerate* hashes whatever quality the client claims:

- PDQ sets a bit where a DCT coefficient is above the median of 256, so every photograph hashes
  to exactly 128 ones. Fewer or more only happens when many coefficients tie, i.e. for images
  with no texture: a flat image of any colour (all zeros, or float noise with 60-90 ones), a
  two-tone image (76-88 ones, and it scores quality 55, so the quality rule alone lets it
  through). Refused: a popcount outside 128 +/- 16, or fewer than 8 distinct 16-bit words of
  16 (the repeating `aaaa5555...` of a diagonal gradient, `0000cccc...` of halves).
- pHash thresholds at the median of 64 low frequencies: photographs have 32 ones. A flat image
  gives `8000000000000000`, horizontal and vertical gradients 4-8 ones. Refused: a popcount
  outside 32 +/- 12.
- MD5 and SHA-256 of an empty file, all zeros or all ones: they would match every empty upload.
- A local hash (issue 14) sets a bit where one of 63 DCT coefficients of its patch is above
  their median, and repeats one of them as the 64th bit: 31 or 32 ones unless coefficients tie,
  which happens in flat patches. Refused: a popcount of its 64 hash bits outside 32 +/- 8. A
  local hash alone matches nothing (several must agree, `agreement.py`); one photo may store at
  most `MAX_LOCAL_PER_PHOTO` of them in one request.

The tests derive these claims from images they generate (flat, gradients, two-tone) through the
reference PDQ and imagehash, and check that no photograph of the conformance set is refused.
Gradients hash to float noise under PDQ (different sizes of one gradient land 100-150 bits
apart); such hashes match nothing, and their quality (0-44) refuses them anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hashstop.hashing import HashFormatError, HashValue, LocalValue, PdqHash, PHash, parse_hash
from hashstop.hashing.facts import FACTS
from hashstop.storage.cases import NewHash

MIN_PDQ_QUALITY = FACTS.min_pdq_quality
PDQ_POPCOUNT_SLACK = 16
PDQ_MIN_DISTINCT_WORDS = 8
PHASH_POPCOUNT_SLACK = 12
LOCAL_POPCOUNT_SLACK = 8
MAX_LOCAL_PER_PHOTO = 48
DEFAULT_VARIANT = "original"
_VARIANT = re.compile(r"[a-z0-9][a-z0-9_.:+-]{0,31}")
_EMPTY_FILE = {
    "md5": bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e"),
    "sha256": bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
}


_LOCAL_PHOTO = (
    f"a local hash belongs to a photo (its photo key), and a photo stores at most "
    f"{MAX_LOCAL_PER_PHOTO} of them"
)


@dataclass(frozen=True, slots=True)
class SubmittedHash:
    """A hash as a client sent it, before any rule was applied."""

    algorithm: str
    value: str
    quality: int | None = None
    photo: str | None = None
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    reason: str


def degenerate_reason(h: HashValue) -> str | None:
    """Why `h` would match too much (see the module docstring), or None if it is plausible."""
    ones = sum(b.bit_count() for b in h.data)
    if isinstance(h, PdqHash):
        words = {h.data[i : i + 2] for i in range(0, len(h.data), 2)}
        if abs(ones - 128) > PDQ_POPCOUNT_SLACK or len(words) < PDQ_MIN_DISTINCT_WORDS:
            return (
                "degenerate pdq hash (the hash of a flat or near-flat image, which would "
                "match unrelated pictures); hash the photo itself"
            )
    elif isinstance(h, PHash):
        if abs(ones - 32) > PHASH_POPCOUNT_SLACK:
            return (
                "degenerate phash (the hash of a flat or near-flat image, which would match "
                "unrelated pictures); hash the photo itself"
            )
    elif isinstance(h, LocalValue):
        if abs(sum(b.bit_count() for b in h.code) - 32) > LOCAL_POPCOUNT_SLACK:
            return (
                "degenerate local hash (the hash of a flat patch, which would match unrelated "
                "pictures)"
            )
    elif h.data == _EMPTY_FILE.get(h.algorithm):
        return f"the {h.algorithm} of an empty file, which would match every empty upload"
    elif ones in (0, h.bits):
        return f"degenerate {h.algorithm} hash (all zeros or all ones)"
    return None


def check_hash(submitted: SubmittedHash, *, require_quality: bool = True) -> NewHash | str:
    """The hash to store, or the reason it is refused. Hashes imported from another exchange
    (`require_quality=False`) come without PDQ's quality; every other rule still applies."""
    try:
        value = parse_hash(submitted.algorithm, submitted.value)
    except HashFormatError as exc:
        return str(exc)
    quality = submitted.quality
    if quality is not None and not 0 <= quality <= 100:
        return f"quality is 0-100, got {quality}"
    if isinstance(value, PdqHash):
        if quality is None and require_quality:
            return "a pdq hash needs its quality (0-100), as the PDQ hasher reports it"
        if quality is not None and quality < MIN_PDQ_QUALITY:
            return (
                f"pdq quality {quality} is below {MIN_PDQ_QUALITY}: the image has too little "
                "detail to be recognised reliably"
            )
    reason = degenerate_reason(value)
    if reason is not None:
        return reason
    variant = DEFAULT_VARIANT if submitted.variant is None else submitted.variant
    if not _VARIANT.fullmatch(variant):
        return (
            "variant is 1-32 characters of a-z, 0-9 and _ . : + - starting with a letter or "
            f"digit, got {variant!r}"
        )
    photo = submitted.photo
    if photo is not None and not (0 < len(photo) <= 64 and photo.isprintable()):
        return "photo is a key of 1-64 printable characters grouping the hashes of one photo"
    return NewHash(
        algorithm=value.algorithm,
        value=value.data,
        quality=quality,
        photo_key=photo,
        variant=variant,
    )


def sort_submissions(
    submitted: Sequence[SubmittedHash],
    already_stored: set[tuple[str, bytes]],
    screen: Callable[[Sequence[NewHash]], Sequence[str | None]] | None = None,
    *,
    local_stored: Mapping[str, int] | None = None,
    require_quality: bool = True,
) -> tuple[list[NewHash], list[Rejection], int]:
    """Apply every rule to each hash, collapse duplicates.

    Returns the hashes to store, the rejections with reasons, and how many submissions were
    duplicates of a hash already in the case or earlier in the request (collapsed: stored once,
    listed in the rejections with the index they repeat). `screen` sees the hashes that passed
    every rule, in one batch, and gives a reason to refuse each or None (the allowlist).
    `local_stored` counts the local hashes each photo key of the case holds already: a photo's
    local hashes stay within `MAX_LOCAL_PER_PHOTO` however many requests bring them (a photo
    with thousands of patches would collect chance hits from every upload).
    """
    accepted, rejected, duplicates = _sort(
        submitted, already_stored, local_stored or {}, require_quality
    )
    if screen is None or not accepted:
        return [h for _, h in accepted], rejected, duplicates
    reasons = screen([h for _, h in accepted])
    kept = []
    for (index, h), reason in zip(accepted, reasons, strict=True):
        if reason is None:
            kept.append(h)
        else:
            rejected.append(Rejection(index, reason))
    rejected.sort(key=lambda r: r.index)
    return kept, rejected, duplicates


def _sort(
    submitted: Sequence[SubmittedHash],
    already_stored: set[tuple[str, bytes]],
    local_stored: Mapping[str, int],
    require_quality: bool = True,
) -> tuple[list[tuple[int, NewHash]], list[Rejection], int]:
    accepted: list[tuple[int, NewHash]] = []
    rejected: list[Rejection] = []
    first_index: dict[tuple[str, bytes], int] = {}
    local_per_photo: dict[str | None, int] = {}
    duplicates = 0
    for index, item in enumerate(submitted):
        result = check_hash(item, require_quality=require_quality)
        if isinstance(result, str):
            rejected.append(Rejection(index, result))
            continue
        key = (result.algorithm, result.value)
        if key in first_index:
            duplicates += 1
            rejected.append(Rejection(index, f"duplicate of hashes[{first_index[key]}]"))
            continue
        if key in already_stored:
            duplicates += 1
            rejected.append(Rejection(index, "duplicate of a hash already in this case"))
            continue
        if result.algorithm == "local":
            photo = result.photo_key
            seen = local_per_photo.get(photo, local_stored.get(photo or "", 0))
            if photo is None or seen >= MAX_LOCAL_PER_PHOTO:
                rejected.append(Rejection(index, _LOCAL_PHOTO))
                continue
            local_per_photo[photo] = seen + 1
        first_index[key] = index
        accepted.append((index, result))
    return accepted, rejected, duplicates
