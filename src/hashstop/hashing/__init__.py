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
