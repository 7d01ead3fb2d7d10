"""The facts about hashes that every part shares, read from facts.json: widths, the quality floor,
how many hashes a client sends in one request.

facts.json is the one place these numbers are written. The hash types (`types.py`), the
service's input rules, the index's widths, the victim's client and, through /static/js/facts.json,
the browser pages all read them from here, so that the Python client, the browser and the
service cannot disagree. This module refuses a facts file that is not self-consistent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

INDEXES = ("hamming", "exact", "local")


@dataclass(frozen=True, slots=True)
class AlgorithmFacts:
    name: str
    bits: int
    perceptual: bool
    index: str  # "hamming", "exact" or "local": which index of the service holds it

    @property
    def width(self) -> int:
        """Bytes per value."""
        return self.bits // 8


@dataclass(frozen=True, slots=True)
class HashFacts:
    algorithms: dict[str, AlgorithmFacts]
    min_pdq_quality: int
    hashes_per_request: int

    def of(self, algorithm: str) -> AlgorithmFacts:
        return self.algorithms[algorithm]

    def indexed(self, index: str) -> list[AlgorithmFacts]:
        """The algorithms the service keeps in one kind of index ("hamming", "exact", "local")."""
        return [a for a in self.algorithms.values() if a.index == index]


def parse_facts(data: dict[str, Any]) -> HashFacts:
    """Check and parse facts.json; ValueError saying what is wrong."""
    algorithms: dict[str, AlgorithmFacts] = {}
    for name, raw in data["algorithms"].items():
        bits = int(raw["bits"])
        if bits <= 0 or bits % 8:
            raise ValueError(f"{name}: bits is a positive multiple of 8, got {bits}")
        index = str(raw["index"])
        if index not in INDEXES:
            raise ValueError(f"{name}: index is one of {', '.join(INDEXES)}, got {index!r}")
        algorithms[name] = AlgorithmFacts(name, bits, bool(raw["perceptual"]), index)
    facts = HashFacts(
        algorithms=algorithms,
        min_pdq_quality=int(data["min_pdq_quality"]),
        hashes_per_request=int(data["client"]["hashes_per_request"]),
    )
    if not 0 <= facts.min_pdq_quality <= 100:
        raise ValueError("min_pdq_quality is a PDQ quality, 0-100")
    if facts.hashes_per_request < 1:
        raise ValueError("a client sends at least one hash per request")
    return facts


@cache
def load_facts() -> HashFacts:
    """The facts shipped with the package (facts.json)."""
    text = resources.files("hashstop.hashing").joinpath("facts.json").read_text("utf-8")
    return parse_facts(json.loads(text))


FACTS = load_facts()
