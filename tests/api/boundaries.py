"""Boundary values for the API: numbers past 64 bits, moments past year 1 and 9999 in extreme
time zones, cursors that name such numbers, huge limits. Used by the grid of
`tests/api/test_boundaries_api.py` (every operation, every role, both databases) and mixed into
the schema fuzzer (`tests/api/fuzzing.py`), which rarely draws them on its own.

Each value is one an attacker can send in one request; each once answered 500 somewhere or sits
at a limit of a database (SQLite and PostgreSQL integers are signed 64-bit; Python's datetime
ends at year 1 and 9999; a `+14:00` offset moves a moment across those ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

INTEGERS = (
    "9223372036854775807",  # 2**63 - 1
    "9223372036854775808",  # 2**63: past every database's integer
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",  # 2**64
    "9999999999999999999",  # the largest 19-digit number
    "4611686018427387905",  # 2**62 + 1: just past the API's id bound
    "2147483648",  # 2**31
    "0",
    "-1",
)
MOMENTS = (
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "9999-12-31T23:59:59.999999+14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
    "1970-01-01T00:00:00+23:59",
    "2026-01-01T00:00:00-23:59",
    "0001-01-01",
    "9999-12-31",
)
TEXTS = (
    "q9223372036854775808",  # a queue cursor past 2**63 (SQLite: 500, found by the red team)
    "r9999999999999999999",
    "q4611686018427387905",
    "q",
    "r0",
    "",
    "\u202e",  # a bidi override
    "x" * 2000,
)
JSON_INTEGERS: tuple[Any, ...] = (
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**19,
    -(10**30),
    2**1000,
    1e308,
    -1,
)
"""For JSON bodies: integers past 64 bits (JSON has no limit) and a float where an int goes."""


def _types(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(types, formats) of a parameter's schema, looking into anyOf."""
    types: set[str] = set()
    formats: set[str] = set()
    for part in schema.get("anyOf", [schema]):
        if "type" in part:
            types.add(part["type"])
        if "format" in part:
            formats.add(part["format"])
    return types, formats


def values_for(schema: dict[str, Any]) -> tuple[str, ...]:
    """The boundary values worth sending as a parameter of this schema (always a few)."""
    types, formats = _types(schema)
    if "date-time" in formats:
        return MOMENTS + INTEGERS[:2]
    if "integer" in types:
        return INTEGERS + ("1e309", "9" * 40)
    return TEXTS + INTEGERS[:3] + MOMENTS[:2]


def parameters(operation: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, schema) of an OpenAPI operation's parameters in `where` (path or query)."""
    return [(p["name"], p["schema"]) for p in operation.get("parameters", []) if p["in"] == where]


def body_variants(body: Any) -> Iterator[Any]:
    """Copies of a JSON body with one leaf at a time replaced: integers by `JSON_INTEGERS`,
    strings by `TEXTS` and `MOMENTS`' first entries, lists emptied."""

    def walk(node: Any) -> Iterator[tuple[Any, ...]]:
        # Each yield is a rebuilt copy of `node` with one change.
        if isinstance(node, dict):
            for key, value in node.items():
                for changed in walk(value):
                    yield ({**node, key: changed[0]},)
            for value in JSON_INTEGERS[:3]:
                for key in node:
                    if isinstance(node[key], int | type(None)) and not isinstance(node[key], bool):
                        yield ({**node, key: value},)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                for changed in walk(value):
                    yield ([*node[:i], changed[0], *node[i + 1 :]],)
            yield ([],)
        elif isinstance(node, bool):
            return
        elif isinstance(node, int):
            for value in JSON_INTEGERS:
                yield (value,)
        elif isinstance(node, str):
            for value in (*TEXTS[:2], TEXTS[6], MOMENTS[0], INTEGERS[1]):
                yield (value,)

    seen: set[str] = set()
    for (variant,) in walk(body):
        key = repr(variant)
        if key not in seen:
            seen.add(key)
            yield variant
