"""The index on real PDQ hashes of generated photos: exact, and re-posts found.

Real hashes are not uniform: a photo's stored variants sit within a few dozen bits of each
other, and every PDQ hash has exactly 128 bits set. The index must still return exactly what a
brute-force scan returns, for re-posts (edited copies of stored photos, near a cluster) and for
unrelated photos (far from all), and the re-posts must be found.
"""

from __future__ import annotations

import numpy as np
import pytest

from hashstop.matching import HammingIndex
from tests.hashing.real_codes import REPOSTS, RealCodes, real_codes
from tests.matching.brute import brute_force, planted

THRESHOLD = 31
PHOTOS = 12
PADDING = 3000  # uniform codes stored beside the real ones (ids after them)


@pytest.fixture(scope="module")
def codes() -> RealCodes:
    return real_codes(PHOTOS, reposts=2 * len(REPOSTS), unrelated=8)


def test_real_codes_search_like_brute_force_and_reposts_are_found(
    engine: str, codes: RealCodes
) -> None:
    rng = np.random.default_rng(19)
    uniform = rng.integers(0, 256, (PADDING, 32), dtype=np.uint8)
    # and codes at exactly the threshold and one bit beyond from each upload's first hash: the
    # edge a pigeonhole budget one short would miss
    firsts = codes.queries[np.unique(codes.query_upload, return_index=True)[1]]
    edge = [planted(rng, q, d) for q in firsts for d in (THRESHOLD, THRESHOLD + 1)]
    stored = np.concatenate([codes.stored, uniform, np.array(edge)])
    state = {i: row.tobytes() for i, row in enumerate(stored)}
    index = HammingIndex(256, engine=engine)  # type: ignore[arg-type]
    index.add(np.arange(len(stored)), stored)
    found = index.search(codes.queries, THRESHOLD)
    assert found == brute_force(state, codes.queries, THRESHOLD)

    matched_photos: dict[int, set[int]] = {}
    for query, hits in enumerate(found):
        upload = int(codes.query_upload[query])
        photos = {int(codes.stored_photo[i]) for i, _ in hits if i < len(codes.stored)}
        matched_photos.setdefault(upload, set()).update(photos)
    for upload, photo in enumerate(codes.upload_photo.tolist()):
        edit = REPOSTS[codes.upload_edit[upload]][0] if photo >= 0 else "unrelated"
        # a re-post finds its own photo and no other; an unrelated photo finds none
        want = {photo} if photo >= 0 else set()
        assert matched_photos.get(upload, set()) == want, (upload, edit)
    # Not a trivial pass: re-posts are near, not equal, to what is stored (cropped copies far
    # from their photo's plain hash), and every photo stored a cluster of variants.
    distances = [d for hits in found for _, d in hits]
    assert max(distances) > 10
    assert len(codes.stored) >= 15 * PHOTOS
    assert sum(len(h) for h in found) > len(codes.upload_photo)
