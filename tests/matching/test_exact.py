"""ExactIndex: md5 and sha256 values, exact equality only, incremental."""

from __future__ import annotations

import hashlib

import pytest

from hashstop.matching import ExactIndex


def _md5(i: int) -> bytes:
    return hashlib.md5(str(i).encode(), usedforsecurity=False).digest()


def _sha(i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest()


def test_lookup_add_replace_remove() -> None:
    index = ExactIndex()
    index.add(range(1000), [_sha(i) for i in range(1000)])
    index.add(range(1000, 1500), [_md5(i) for i in range(500)])
    index.add([2000], [_sha(5)])  # a second id with the same value
    assert len(index) == 1501
    assert index.search([_sha(5), _md5(7), _sha(5000), _md5(5000)[:15]]) == [
        [5, 2000],
        [1007],
        [],
        [],
    ]
    index.add([5], [_md5(1)])  # id 5 now holds an md5 instead
    assert index.search([_sha(5), _md5(1)]) == [[2000], [5, 1001]]
    index.remove([2000, 1001, 99999])
    assert index.search([_sha(5), _md5(1)]) == [[], [5]]
    assert len(index) == 1499
    assert index.search([]) == []


def test_a_value_never_matches_a_value_of_another_length() -> None:
    index = ExactIndex()
    index.add([1], [b"\x00" * 16])
    assert index.search([b"\x00" * 16, b"\x00" * 15, b"\x00" * 24]) == [[1], [], []]


def test_bad_input() -> None:
    index = ExactIndex()
    with pytest.raises(ValueError, match="2 ids but 1 values"):
        index.add([1, 2], [_md5(1)])
    with pytest.raises(ValueError, match="empty"):
        index.add([1], [b""])
