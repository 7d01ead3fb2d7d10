"""Real PDQ hashes of generated photo-like images: what victims store, what platforms ask.

Each stored photo is `synthetic_photo` of its own seed (no real imagery), and what is stored for
it is what a victim's client stores: `photo_variants` (its PDQ, then its crops, mirror, turns).
The queries are hashed as a platform hashes an upload (`query_hashes`, PDQ only, up to 16 a
photo):

- re-posts: an edited copy of a stored photo (`REPOSTS`: a JPEG re-encode, a resize, a crop off
  the grid of the stored crops, ...), which should match that photo;
- unrelated: generated photos of other seeds, never stored, which should match nothing.

Everything is a plain array (`RealCodes`), so a benchmark can cache it on disk (`np.savez`).
Used by tests/matching/test_real_codes.py, `benchmarks/index.py --real` and
`benchmarks/api.py --real`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from benchmarks.robustness_edits import _crop, _encode, _scale
from PIL import Image

from hashstop.hashing import photo_variants, query_hashes
from tests.hashing.synthetic_photo import synthetic_photo

Codes = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int64]

# A re-poster's edits, none of them one of the stored variants: the crops are off the grid of
# the stored crops (5% and 10% a side, 15% of one edge), the scales are not the working copy's.
# On these generated photos an off-grid crop of 3% or 8% a side lands 30-50 bits from every
# stored variant, one of 6% a side 14-24 bits (measured on 12 photos): the crops here are the
# near ones, which should match.
REPOSTS: tuple[tuple[str, Callable[[Image.Image], Image.Image]], ...] = (
    ("JPEG q70", lambda im: _encode(im, "JPEG", 70)),
    ("scale 60%, JPEG q80", lambda im: _encode(_scale(im, 0.6), "JPEG", 80)),
    ("crop 6% a side", lambda im: _crop(im, 0.06, 0.06, 0.06, 0.06)),
    (
        "crop 6/4/5/5% (left/top/right/bottom), JPEG q80",
        lambda im: _encode(_crop(im, 0.06, 0.04, 0.05, 0.05), "JPEG", 80),
    ),
)
# Photo sizes, in turn: landscape, portrait, square, wide.
SIZES = ((480, 360), (360, 480), (420, 420), (560, 315))
STORED_SEED = 1_000_000  # stored photo p: seed STORED_SEED + p
UNRELATED_SEED = 2_000_000  # unrelated photo u: seed UNRELATED_SEED + u


@dataclass(frozen=True)
class RealCodes:
    """Stored codes photo by photo, and the query hashes of uploads, upload by upload."""

    stored: Codes  # (M, 32): every stored photo's variants
    stored_photo: Ints  # (M,): the photo (0..P-1) each stored code belongs to
    queries: Codes  # (K, 32): every upload's PDQ query hashes
    query_upload: Ints  # (K,): the upload (0..U-1) each query hash belongs to
    upload_photo: Ints  # (U,): the stored photo an upload re-posts; -1: an unrelated photo
    upload_edit: Ints  # (U,): its edit (index into REPOSTS); -1: an unrelated photo

    def found(self, upload: int, rows: Iterable[int]) -> bool:
        """Whether an answer (stored rows, 0-based; rows past the real codes are padding)
        finds a re-post's own photo, or for an unrelated upload, whether it matched anything."""
        photo = int(self.upload_photo[upload])
        if photo < 0:
            return any(True for _ in rows)
        return any(r < len(self.stored) and self.stored_photo[r] == photo for r in rows)

    def uploads(self, reposts: bool) -> list[Codes]:
        """The query hashes of each re-post (or each unrelated upload), in upload order."""
        chosen = np.flatnonzero((self.upload_photo >= 0) == reposts)
        return [self.queries[self.query_upload == u] for u in chosen.tolist()]


def photo(seed: int) -> Image.Image:
    return synthetic_photo(seed, *SIZES[seed % len(SIZES)])


def _packed(hexes: list[str]) -> Codes:
    return np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(-1, 32).copy()


def real_codes(photos: int, reposts: int, unrelated: int) -> RealCodes:
    """The stored variants of `photos` generated photos; `reposts` edited copies of them (spread
    over the photos, the edits in turn); `unrelated` generated photos never stored."""
    stored, stored_photo = [], []
    for p in range(photos):
        found = _packed([v.pdq.hex for v in photo_variants(photo(STORED_SEED + p))])
        stored.append(found)
        stored_photo.append(np.full(len(found), p, dtype=np.int64))
    uploads: list[tuple[int, int, Image.Image]] = []
    for k in range(reposts):
        p = k * photos // reposts
        edit = k % len(REPOSTS)
        uploads.append((p, edit, REPOSTS[edit][1](photo(STORED_SEED + p))))
    uploads += [(-1, -1, photo(UNRELATED_SEED + u)) for u in range(unrelated)]
    queries, query_upload = [], []
    for u, (_, _, image) in enumerate(uploads):
        asked = _packed([h for a, h in query_hashes(image, local=False) if a == "pdq"])
        queries.append(asked)
        query_upload.append(np.full(len(asked), u, dtype=np.int64))
    return RealCodes(
        stored=np.concatenate(stored),
        stored_photo=np.concatenate(stored_photo),
        queries=np.concatenate(queries),
        query_upload=np.concatenate(query_upload),
        upload_photo=np.array([p for p, _, _ in uploads], dtype=np.int64),
        upload_edit=np.array([e for _, e, _ in uploads], dtype=np.int64),
    )
