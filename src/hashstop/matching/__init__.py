"""Exact matching of hashes, pure: numpy (and numba when present), no web framework, no database.

- `HammingIndex(bits)`: ids with PDQ (256-bit) or pHash (64-bit) codes; `search` returns every
  id within a Hamming distance, exactly as a brute-force scan would (see `hamming.py`).
- `ExactIndex()`: ids with md5/sha256 values; `search` returns the ids holding each value.

Both take `add`/`remove` incrementally and may be searched from many threads while one thread
writes. `warm_up()` starts compiling the fast search kernel in the background (the first index
does it too); `wait_until_compiled()` waits for it. Searches never wait: until the kernel is
ready they take a slower numpy path with the same results.
"""

from __future__ import annotations

from hashstop.matching.exact import ExactIndex
from hashstop.matching.hamming import HammingIndex
from hashstop.matching.kernels import wait_until_compiled, warm_up

__all__ = ["ExactIndex", "HammingIndex", "wait_until_compiled", "warm_up"]
