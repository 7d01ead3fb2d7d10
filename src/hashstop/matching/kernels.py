"""Which search path answers: numba's compiled kernel once it is ready, plain numpy until then.

The first compile of the kernel takes seconds (10-20 s on a busy two-core machine); later starts
load it from numba's on-disk cache in well under a second. A service must not wait for it and
must not answer wrongly meanwhile, so compilation runs in a daemon thread started by the first
`HammingIndex`, and every search made before it finishes takes the numpy path, which returns the
same rows. If numba is missing or cannot compile (or `HASHSTOP_MATCHING_JIT=0`), numpy answers
for good and one warning says why.

numba caches into `__pycache__` beside this package, or, where that is read-only, into its
user-wide cache directory; set `NUMBA_CACHE_DIR` to choose another place.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from hashstop.matching import search_numpy
from hashstop.matching.buckets import BucketTables, Layout

Engine = Literal["auto", "numpy", "compiled"]
log = logging.getLogger(__name__)

_compiled: Callable[..., Any] | None = None
_fill: Callable[..., Any] | None = None
_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def warm_up() -> None:
    """Start compiling the kernel in the background (once per process); return at once."""
    global _thread
    with _start_lock:
        if _thread is not None or os.environ.get("HASHSTOP_MATCHING_JIT", "1") == "0":
            return
        _thread = threading.Thread(target=_compile, name="hashstop-matching-jit", daemon=True)
        _thread.start()


def wait_until_compiled(timeout: float | None = None) -> bool:
    """Block until the compiled kernel is ready (True) or unavailable / timed out (False)."""
    warm_up()
    if _thread is not None:
        _thread.join(timeout)
    return _compiled is not None


def _compile() -> None:
    global _compiled
    try:
        from hashstop.matching import search_jit

        tables = BucketTables.build(np.zeros((2, 8), dtype=np.uint8), Layout.sixteen(64, 1))
        tiny = np.zeros((1, 1), dtype=np.uint64)
        dead = np.zeros(1, dtype=np.uint8)
        _call(search_jit.search_batch, tiny, 0, tables, tiny, 1, dead, 0)
        key = np.zeros(2, dtype=np.int64)
        search_jit.fill_positions(key, tables.offsets[:3], np.empty(2, np.int32))
    except Exception as error:  # numba absent, or no cache dir, or no compiler target
        log.warning("matching: numba kernel unavailable, searching with numpy (%s)", error)
        return
    global _fill
    _fill = search_jit.fill_positions
    _compiled = search_jit.search_batch


def search_rows(
    engine: Engine,
    queries: npt.NDArray[np.uint64],
    r: int,
    tables: BucketTables,
    codes: npt.NDArray[np.uint64],
    n: int,
    dead: npt.NDArray[np.uint8],
    scan_limit: int,
) -> npt.NDArray[np.int64]:
    """(k, 3) rows of (query, position, distance), possibly repeated, from the chosen path."""
    if engine == "compiled":
        wait_until_compiled()
    kernel = _compiled if engine != "numpy" else None
    if kernel is not None:
        return _call(kernel, queries, r, tables, codes, n, dead, scan_limit)
    return search_numpy.search_batch(queries, r, tables, codes, n, dead, scan_limit)


def _call(
    kernel: Callable[..., Any],
    queries: npt.NDArray[np.uint64],
    r: int,
    tables: BucketTables,
    codes: npt.NDArray[np.uint64],
    n: int,
    dead: npt.NDArray[np.uint8],
    scan_limit: int,
) -> npt.NDArray[np.int64]:
    rows: npt.NDArray[np.int64] = kernel(
        queries, r, tables.starts, tables.widths,
        tables.offsets, tables.base, tables.positions, codes, n, dead, tables.masks,
        tables.ball, scan_limit,
    )  # fmt: skip
    return rows


def fill_positions(
    key: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32], out: npt.NDArray[np.int32]
) -> bool:
    """The compiled counting sort of `buckets.sort_positions`, if ready (False otherwise)."""
    if _fill is None:
        return False
    _fill(key, offsets, out)
    return True
