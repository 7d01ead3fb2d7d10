"""pHash (64 bits) exactly as `imagehash.phash` computes it, in the hex other tools exchange.

pHash is the secondary signal: 64 bits collide far more often than PDQ's 256, so it is matched
with a strict threshold. Its value must equal what a platform running imagehash gets on the same
displayed image, so this module adds nothing to imagehash's computation; it only refuses
anything but a decoded Pillow image.
"""

from __future__ import annotations

import imagehash
from PIL import Image

from hashstop.hashing.types import PHash


def phash_from_image(image: Image.Image) -> PHash:
    """The 64-bit pHash of a decoded image (imagehash converts it to L and resizes to 32x32)."""
    return PHash.from_hex(str(imagehash.phash(image, hash_size=8, highfreq_factor=4)))
