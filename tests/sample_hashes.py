"""Hashes for tests: random but shaped like real ones (PDQ with 128 ones, pHash with 32)."""

from __future__ import annotations

import random


def _balanced(bits: int, rng: random.Random) -> bytes:
    positions = rng.sample(range(bits), bits // 2)
    value = 0
    for p in positions:
        value |= 1 << p
    return value.to_bytes(bits // 8, "big")


def pdq(seed: int) -> str:
    """A plausible PDQ hash (hex): 128 ones, scattered."""
    return _balanced(256, random.Random(seed)).hex()


def phash(seed: int) -> str:
    return _balanced(64, random.Random(10_000 + seed)).hex()


def md5(seed: int) -> str:
    return random.Random(20_000 + seed).randbytes(16).hex()


def sha256(seed: int) -> str:
    return random.Random(30_000 + seed).randbytes(32).hex()


def flip(hex_value: str, nbits: int, seed: int = 0) -> str:
    """`hex_value` with exactly `nbits` distinct bits flipped (so at distance `nbits`)."""
    width = len(hex_value) * 4
    value = int(hex_value, 16)
    for p in random.Random(seed).sample(range(width), nbits):
        value ^= 1 << p
    return f"{value:0{len(hex_value)}x}"


def pdq_entry(seed: int, **extra: object) -> dict[str, object]:
    return {"algorithm": "pdq", "value": pdq(seed), "quality": 100, **extra}
