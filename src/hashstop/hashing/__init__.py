"""Image and file hashing, pure: no web framework, no database.

A platform can `pip install hashstop` and use this package alone:

- `hash_file(path, full_resolution=False, dihedral=False) -> FileHashes`: every fingerprint of
  a file (MD5, SHA-256; PDQ, its quality and pHash when the bytes are an image);
- `pdq_from_rgb(array) -> (PdqHash, quality)` and `pdq_dihedral_from_rgb(array)`: PDQ of an
  (H, W, 3) uint8 array, bit-exact with the C++ reference (`pdqhash.compute`);
- `open_image(path_or_bytes)`: the image as displayed (oriented, RGB), or `ImageDecodeError`;
- `phash_from_image(image)`, `file_digests(path)`;
- `query_hashes(upload) -> [(algorithm, hex)]`: the one call a platform needs, the hashes to
  send to `POST /v1/match` for one upload (a path, bytes, PIL image or RGB array): borders,
  caption bars and app chrome removed, every rotation and flip; a video (path or bytes) gives
  its frame hashes and digests, and `match_item(upload, ref)` the whole item to send (a video
  item, `"kind": "video"`, for a video);
- `photo_variants(photo) -> [Variant]`: the PDQ hashes a victim's client stores for one photo
  (crops, mirror, turns; defined by variants.json, shared with the browser client);
- `local_hashes(photo, query=False) -> [LocalHash]`: the local hashes (issue 14) a client
  stores for a photo, or a platform sends for an upload: patches at the photo's own keypoints;
- `vpdq_hash(path_or_bytes, seconds_per_hash=1.0) -> VideoHashes`: vPDQ of a video (PyAV
  decodes, our PDQ hashes each kept frame), compatible with ThreatExchange's `vpdq`, with its
  line and pytx JSON forms (`hashing/video.py`);
- the hash value types (`PdqHash`, `PHash`, `Md5Hash`, `Sha256Hash`, `parse_hash`) and the
  errors (`HashingError` and its subclasses), whose messages are one line for a person.
"""

from hashstop.hashing.decoding import (
    DECODED_BYTES_LIMIT,
    IMAGE_FORMATS,
    PIXEL_LIMIT,
    displayed_rgb,
    open_image,
)
from hashstop.hashing.digests import file_digests
from hashstop.hashing.errors import (
    EmptyFileError,
    FileAccessError,
    HashingError,
    ImageDecodeError,
    NotAnImageError,
)
from hashstop.hashing.files import FileHashes, hash_file
from hashstop.hashing.pdq import (
    DIHEDRAL_ORDER,
    pdq_dihedral_from_rgb,
    pdq_from_rgb,
    pdq_with_dihedral_from_rgb,
)
from hashstop.hashing.phash import phash_from_image
from hashstop.hashing.reduced import EXACT_PATH_MAX_PIXELS
from hashstop.hashing.types import (
    ALGORITHMS,
    HashFormatError,
    HashValue,
    LocalValue,
    Md5Hash,
    PdqHash,
    PHash,
    Sha256Hash,
    parse_hash,
)

__all__ = [
    "ALGORITHMS",
    "DIHEDRAL_ORDER",
    "EXACT_PATH_MAX_PIXELS",
    "IMAGE_FORMATS",
    "DECODED_BYTES_LIMIT",
    "PIXEL_LIMIT",
    "EmptyFileError",
    "FileAccessError",
    "FileHashes",
    "HashFormatError",
    "HashValue",
    "HashingError",
    "ImageDecodeError",
    "LocalValue",
    "Md5Hash",
    "NotAnImageError",
    "PHash",
    "PdqHash",
    "Sha256Hash",
    "displayed_rgb",
    "file_digests",
    "hash_file",
    "open_image",
    "parse_hash",
    "pdq_dihedral_from_rgb",
    "pdq_from_rgb",
    "pdq_with_dihedral_from_rgb",
    "phash_from_image",
]

# The stored variants of a photo (victim side) and the query hashes of an upload (platform side).
from hashstop.hashing.local import LocalHash, local_hashes  # noqa: E402
from hashstop.hashing.query import match_item, query_hashes  # noqa: E402
from hashstop.hashing.variants import Variant, as_rgb, photo_variants  # noqa: E402

__all__ += [
    "LocalHash",
    "Variant",
    "as_rgb",
    "local_hashes",
    "match_item",
    "photo_variants",
    "query_hashes",
]

# Videos (issue 13): vPDQ. PyAV is imported only when a video is opened.
from hashstop.hashing.video import (  # noqa: E402
    NotAVideoError,
    VideoDecodeError,
    VideoHashes,
    VpdqFeature,
    is_video,
    vpdq_hash,
)

__all__ += ["NotAVideoError", "VideoDecodeError", "VideoHashes", "VpdqFeature", "is_video"]
__all__ += ["vpdq_hash"]
