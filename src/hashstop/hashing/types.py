"""Typed hash values: the one place where hex text becomes bytes, and where distances are taken.

Every boundary (CLI, API, client, index loader) parses hex through these types, so a hash of the
wrong length, with a stray character, or of another algorithm is refused with a message a person
can act on, instead of turning into a silent mismatch further down. Widths come from facts.json
(`facts.py`), the one place they are written.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import ClassVar, Self

from hashstop.hashing.facts import FACTS

_HEX = frozenset(string.hexdigits)


class HashFormatError(ValueError):
    """A hash value that is not what its algorithm requires (length, alphabet, algorithm)."""


@dataclass(frozen=True, slots=True)
class HashValue:
    """A hash of a known algorithm, held as bytes; formats as lowercase hex."""

    algorithm: ClassVar[str]
    bits: ClassVar[int]
    perceptual: ClassVar[bool]

    data: bytes

    def __post_init__(self) -> None:
        if type(self) is HashValue:
            raise TypeError("HashValue is abstract; use PdqHash, PHash, Md5Hash or Sha256Hash")
        if len(self.data) * 8 != self.bits:
            raise HashFormatError(
                f"a {self.algorithm} hash has {self.bits} bits ({self.bits // 8} bytes), "
                f"got {len(self.data)} bytes"
            )

    @classmethod
    def from_hex(cls, text: str) -> Self:
        """Parse hex (either case); raise HashFormatError saying what is wrong."""
        if not isinstance(text, str):
            raise HashFormatError(f"a {cls.algorithm} hash must be a hex string")
        want = cls.bits // 4
        if len(text) != want:
            raise HashFormatError(
                f"a {cls.algorithm} hash is {want} hex characters, got {len(text)}"
            )
        bad = sorted({c for c in text if c not in _HEX})
        if bad:
            shown = ", ".join(repr(c) for c in bad[:5])
            raise HashFormatError(f"a {cls.algorithm} hash is hex (0-9, a-f); found {shown}")
        return cls(bytes.fromhex(text))

    @property
    def hex(self) -> str:
        return self.data.hex()

    def distance(self, other: HashValue) -> int:
        """Hamming distance in bits; raise HashFormatError if the algorithms differ."""
        if type(other) is not type(self):
            raise HashFormatError(
                f"cannot compare a {self.algorithm} hash with a {other.algorithm} hash"
            )
        diff = int.from_bytes(self.data, "big") ^ int.from_bytes(other.data, "big")
        return diff.bit_count()

    def __sub__(self, other: HashValue) -> int:
        return self.distance(other)

    def __str__(self) -> str:
        return self.hex


@dataclass(frozen=True, slots=True)
class PdqHash(HashValue):
    """PDQ, 256 bits, in the reference bit order (the hex ThreatExchange, HMA, StopNCII use)."""

    algorithm: ClassVar[str] = "pdq"
    bits: ClassVar[int] = FACTS.of("pdq").bits
    perceptual: ClassVar[bool] = FACTS.of("pdq").perceptual


@dataclass(frozen=True, slots=True)
class PHash(HashValue):
    """pHash, 64 bits, as imagehash.phash computes it on the displayed image."""

    algorithm: ClassVar[str] = "phash"
    bits: ClassVar[int] = FACTS.of("phash").bits
    perceptual: ClassVar[bool] = FACTS.of("phash").perceptual


@dataclass(frozen=True, slots=True)
class Md5Hash(HashValue):
    """MD5 of the file bytes; matched exactly."""

    algorithm: ClassVar[str] = "md5"
    bits: ClassVar[int] = FACTS.of("md5").bits
    perceptual: ClassVar[bool] = FACTS.of("md5").perceptual


@dataclass(frozen=True, slots=True)
class Sha256Hash(HashValue):
    """SHA-256 of the file bytes; matched exactly."""

    algorithm: ClassVar[str] = "sha256"
    bits: ClassVar[int] = FACTS.of("sha256").bits
    perceptual: ClassVar[bool] = FACTS.of("sha256").perceptual


@dataclass(frozen=True, slots=True)
class LocalValue(HashValue):
    """A local hash (issue 14): 64 bits of a patch's hash, then 32 bits of its frame (where the
    patch is, its scale and orientation; `hashstop.hashing.local.Frame`). Only the first 64 bits
    are a perceptual hash: `distance` compares those; the frame feeds the geometric check."""

    algorithm: ClassVar[str] = "local"
    bits: ClassVar[int] = FACTS.of("local").bits
    perceptual: ClassVar[bool] = FACTS.of("local").perceptual

    @property
    def code(self) -> bytes:
        return self.data[:8]

    @property
    def frame(self) -> bytes:
        return self.data[8:]

    def distance(self, other: HashValue) -> int:
        if type(other) is not type(self):
            raise HashFormatError(
                f"cannot compare a {self.algorithm} hash with a {other.algorithm} hash"
            )
        diff = int.from_bytes(self.code, "big") ^ int.from_bytes(other.data[:8], "big")
        return diff.bit_count()


ALGORITHMS: dict[str, type[HashValue]] = {
    cls.algorithm: cls for cls in (PdqHash, PHash, Md5Hash, Sha256Hash, LocalValue)
}


def parse_hash(algorithm: str, value: str) -> HashValue:
    """Parse `value` as a hash of `algorithm`; raise HashFormatError for either being wrong."""
    cls = ALGORITHMS.get(algorithm)
    if cls is None:
        known = ", ".join(sorted(ALGORITHMS))
        raise HashFormatError(f"unknown algorithm {algorithm!r}; known: {known}")
    return cls.from_hex(value)
