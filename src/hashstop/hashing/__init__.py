"""Image and file hashing, pure: no web framework, no database.

A platform can `pip install hashstop` and use this package alone.
"""

from hashstop.hashing.types import (
    ALGORITHMS,
    HashFormatError,
    HashValue,
    Md5Hash,
    PdqHash,
    PHash,
    Sha256Hash,
    parse_hash,
)

__all__ = [
    "ALGORITHMS",
    "HashFormatError",
    "HashValue",
    "Md5Hash",
    "PHash",
    "PdqHash",
    "Sha256Hash",
    "parse_hash",
]

# The stored variants of a photo (victim side) and the query hashes of an upload (platform side).
from hashstop.hashing.query import query_hashes  # noqa: E402
from hashstop.hashing.variants import Variant, photo_variants  # noqa: E402

__all__ += ["Variant", "photo_variants", "query_hashes"]
