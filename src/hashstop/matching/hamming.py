"""An exact Hamming-distance index with incremental add and remove: the matcher for PDQ and pHash.

Exact means: `search` returns the same set a brute-force scan would, for every threshold. A missed
match is a victim's image staying online, so nothing here approximates.

Design (measured in benchmarks/index.py):
- Multi-index hashing by pigeonhole. A code is cut into chunks whose width follows the number
  of codes (`buckets.Layout.for_size`: for PDQ at distance 31, 16 chunks of 16 bits up to
  ~500,000 codes, 13 of 19-20 bits at 1M, 11 of 23-24 bits from ~5M); per chunk an immutable
  CSR bucket table (`buckets.py`) maps each key to the positions of the codes holding it. A
  query spends a budget of r + 1 over the chunks (any split is exact), probes every key within
  its budget, then verifies each candidate's full distance. With chunks near log2(N) bits a
  query at 31 touches a few thousand buckets and candidates at any N, where 16-bit chunks touch
  ~41,000 candidates at 10M. When the preferred layout changes (the index grew or shrank), the
  next merge rebuilds the tables in it.
- Skew: the candidate count is known from the bucket sizes before anything is fetched. When it
  exceeds 1/16 of the codes (clusters of near-duplicates, biased bits, thresholds past 47 bits),
  the query scans every code instead: sequential reads are ~20x cheaper than scattered ones.
- Incremental: new codes are appended to shared buffers and scanned directly until the "delta"
  outgrows a few thousand codes; then the tables absorb it with an O(n) merge. Removals set a bit
  in a copy-on-write tombstone bitmap and take effect at once. When a quarter of the rows are
  tombstones, the rows are rewritten without them. Neither step is needed for correctness.
- Consistency: readers take one immutable snapshot (row count, buffers, bitmap, tables) and never
  lock; writers serialise on a lock and publish a new snapshot per call. Rows below a snapshot's
  count never change, so appending in place beside a reader is safe. Each search therefore sees
  exactly the state after some committed `add`/`remove` call.
- Memory: no per-entry Python objects; per 256-bit code 32 bytes of code, 8 of id, 12 of id
  lookup and 4 per chunk of bucket positions, plus the offsets (4 bytes per key: at most about
  8 bytes per code per chunk), plus up to 25% spare rows after growth.
  (`memory_bytes()` reports it.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from hashstop.matching import kernels
from hashstop.matching.buckets import BucketTables, Layout
from hashstop.matching.validation import as_codes, as_ids, as_max_distance

SCAN_FRACTION = 1 / 16
DEAD_FRACTION = 0.25
Match = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    n: int  # rows [0, n) are visible
    live: int
    codes: npt.NDArray[np.uint8]  # (capacity, width) buffer
    words: npt.NDArray[np.uint64]  # the same buffer as (capacity, width / 8)
    ids: npt.NDArray[np.int64]
    dead: npt.NDArray[np.uint8]  # tombstone bitmap over the capacity
    tables: BucketTables  # over rows [0, tables.n)


def release_free_memory() -> None:
    """Hand memory freed by a rebuild's temporaries back to the OS (glibc keeps it otherwise)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_libc = _load_libc()


def _dead_at(dead: npt.NDArray[np.uint8], rows: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
    bits: npt.NDArray[np.bool_] = ((dead[rows >> 3] >> (rows & 7).astype(np.uint8)) & 1) != 0
    return bits


class HammingIndex:
    """Ids with fixed-width binary codes; search returns every id within a Hamming distance.

    `engine`: "auto" (the compiled kernel once ready, numpy before), "numpy" or "compiled"
    (waits for the compile). The chunk layout follows the number of codes (`Layout.for_size`,
    tuned for queries at `design_distance`, by default 31 bits per 256) unless `chunks` fixes
    an even layout of that many chunks or `chunk_tables` the first few 16-bit chunks.
    `delta_limit` and `scan_fraction` (scan when a query's candidates exceed this share of the
    codes) tune speed and memory; the defaults suit the service, and no setting changes an
    answer.
    """

    def __init__(
        self,
        bits: int = 256,
        *,
        engine: kernels.Engine = "auto",
        delta_limit: int | None = None,
        chunk_tables: int | None = None,
        chunks: int | None = None,
        design_distance: int | None = None,
        scan_fraction: float = SCAN_FRACTION,
    ) -> None:
        if isinstance(bits, bool) or not isinstance(bits, int) or bits <= 0 or bits % 64:
            raise ValueError(f"bits must be a positive multiple of 64, got {bits!r}")
        self._fixed: Layout | None = None
        if chunk_tables is not None:
            if not 1 <= chunk_tables <= bits // 16:
                raise ValueError(f"chunk_tables must be between 1 and {bits // 16}")
            self._fixed = Layout.sixteen(bits, chunk_tables)
        elif chunks is not None:
            self._fixed = Layout.even(bits, chunks)
        if engine not in ("auto", "numpy", "compiled"):
            raise ValueError(f"engine must be auto, numpy or compiled, got {engine!r}")
        self._design = bits * 31 // 256 if design_distance is None else design_distance
        self.bits = bits
        self._width = bits // 8
        self._engine: kernels.Engine = engine
        self._delta_limit = delta_limit
        self._scan_fraction = scan_fraction
        self._write_lock = threading.Lock()
        buffer = np.empty((0, self._width), dtype=np.uint8)
        self._snap = _Snapshot(
            0, 0, buffer, buffer.view("<u8"), np.empty(0, np.int64), np.zeros(0, np.uint8),
            BucketTables.empty(self._layout_for(0)),
        )  # fmt: skip
        # Writer-only id lookup: ids sorted, with their rows; "main" covers the tables' rows
        # (live when last merged), "delta" the rows appended since.
        self._main_ids, self._main_rows = np.empty(0, np.int64), np.empty(0, np.int32)
        self._delta_ids, self._delta_rows = np.empty(0, np.int64), np.empty(0, np.int64)
        self._dead_rows = 0
        if engine != "numpy":
            kernels.warm_up()

    def __len__(self) -> int:
        return self._snap.live

    def add(self, ids: npt.ArrayLike, codes: npt.ArrayLike) -> None:
        """Add or replace: an id already live gets the new code (the last one, within a call)."""
        ids_a = as_ids(ids)
        codes_a = as_codes(codes, self._width, "codes")
        if ids_a.size != codes_a.shape[0]:
            raise ValueError(f"{ids_a.size} ids but {codes_a.shape[0]} codes")
        if ids_a.size == 0:
            return
        _, last = np.unique(ids_a[::-1], return_index=True)
        if last.size < ids_a.size:
            keep = np.sort(ids_a.size - 1 - last)
            ids_a, codes_a = ids_a[keep], codes_a[keep]
        del last
        with self._write_lock:
            s = self._snap
            old = self._live_rows(s, ids_a)
            n, k = s.n, ids_a.size
            codes_buf, ids_buf, dead = self._reserve(s, n + k)
            codes_buf[n : n + k] = codes_a
            ids_buf[n : n + k] = ids_a
            if old.size:
                dead = dead.copy() if dead is s.dead else dead
                np.bitwise_or.at(dead, old >> 3, (1 << (old & 7)).astype(np.uint8))
            self._note_delta(ids_a, np.arange(n, n + k, dtype=np.int64))
            self._dead_rows += old.size
            self._snap = replace(
                s, n=n + k, live=s.live - old.size + k, codes=codes_buf,
                words=codes_buf.view("<u8"), ids=ids_buf, dead=dead,
            )  # fmt: skip
            self._compact_if_due()

    def remove(self, ids: npt.ArrayLike) -> None:
        """Withdraw ids (unknown ones are ignored); no search that starts afterwards sees them."""
        ids_a = np.unique(as_ids(ids))
        with self._write_lock:
            s = self._snap
            old = self._live_rows(s, ids_a)
            if not old.size:
                return
            dead = s.dead.copy()
            np.bitwise_or.at(dead, old >> 3, (1 << (old & 7)).astype(np.uint8))
            self._dead_rows += old.size
            self._snap = replace(s, live=s.live - old.size, dead=dead)
            self._compact_if_due()

    def search(self, queries: npt.ArrayLike, max_distance: int) -> list[Sequence[Match]]:
        """For each query, every (id, distance) with distance <= max_distance, nearest first,
        ties by id; exactly what a brute-force scan returns."""
        r = as_max_distance(max_distance)
        q = as_codes(queries, self._width, "queries")
        s = self._snap
        if s.live == 0 or q.shape[0] == 0:
            return [[] for _ in range(q.shape[0])]
        rows = kernels.search_rows(
            self._engine, q.view("<u8"), min(r, self.bits), s.tables, s.words, s.n, s.dead,
            int(s.tables.n * self._scan_fraction),
        )  # fmt: skip
        return _group(rows, s.ids, q.shape[0])

    def compact(self) -> None:
        """Merge appended rows into the tables and drop tombstones now (never needed for
        correctness; `add` and `remove` do it when due)."""
        with self._write_lock:
            self._purge()

    # --- writer side (called with the lock held) -------------------------------------------

    def _live_rows(self, s: _Snapshot, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Rows now holding these ids (unique ids in; at most one live row per id)."""
        found = []
        for sorted_ids, rows in (
            (self._main_ids, self._main_rows),
            (self._delta_ids, self._delta_rows),
        ):
            if sorted_ids.size:
                at = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
                found.append(rows[at[sorted_ids[at] == ids]])
        hit = np.concatenate(found).astype(np.int64) if found else np.empty(0, np.int64)
        return hit[~_dead_at(s.dead, hit)]

    def _note_delta(self, ids: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]) -> None:
        at = np.searchsorted(self._delta_ids, ids)
        known = np.zeros(ids.size, dtype=bool)
        if self._delta_ids.size:
            clipped = np.minimum(at, self._delta_ids.size - 1)
            known = self._delta_ids[clipped] == ids
            self._delta_rows[clipped[known]] = rows[known]
        new = np.argsort(ids[~known], kind="stable")
        where = at[~known][new]
        self._delta_ids = np.insert(self._delta_ids, where, ids[~known][new])
        self._delta_rows = np.insert(self._delta_rows, where, rows[~known][new])

    def _reserve(
        self, s: _Snapshot, rows: int
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
        capacity = s.ids.size
        if rows <= capacity:
            return s.codes, s.ids, s.dead
        capacity = max(rows, capacity + capacity // 4, 1024)
        codes = np.empty((capacity, self._width), dtype=np.uint8)
        codes[: s.n] = s.codes[: s.n]
        ids = np.empty(capacity, dtype=np.int64)
        ids[: s.n] = s.ids[: s.n]
        dead = np.zeros((capacity + 7) // 8, dtype=np.uint8)
        dead[: s.dead.size] = s.dead
        return codes, ids, dead

    def _compact_if_due(self) -> None:
        s = self._snap
        if self._dead_rows > max(1024, DEAD_FRACTION * s.n):
            self._purge()
        elif s.n - s.tables.n > self._delta_limit_for(s.tables.n):
            self._merge()

    def _delta_limit_for(self, n_main: int) -> int:
        if self._delta_limit is not None:
            return self._delta_limit
        return min(max(n_main // 128, 4096), 32768)

    def _layout_for(self, n: int) -> Layout:
        if self._fixed is not None:
            return self._fixed
        return Layout.for_size(self.bits, n, self._design)

    def _merge(self) -> None:
        s = self._snap
        old = s.tables
        layout = self._layout_for(s.live)
        if old.n == 0 or s.n - old.n > old.n // 2 or layout != old.layout:
            tables = BucketTables.build(s.codes[: s.n], layout)
        else:
            tables = old.merged(s.codes[old.n : s.n])
        main_live = ~_dead_at(s.dead, self._main_rows)
        delta_live = ~_dead_at(s.dead, self._delta_rows)
        main_ids, main_rows = self._main_ids[main_live], self._main_rows[main_live]
        delta_ids, delta_rows = self._delta_ids[delta_live], self._delta_rows[delta_live]
        at = np.searchsorted(main_ids, delta_ids)
        self._main_ids = np.insert(main_ids, at, delta_ids)
        self._main_rows = np.insert(main_rows, at, delta_rows.astype(np.int32))
        self._delta_ids, self._delta_rows = np.empty(0, np.int64), np.empty(0, np.int64)
        self._snap = replace(s, tables=tables)
        release_free_memory()

    def _purge(self) -> None:
        s = self._snap
        rows = np.arange(s.n, dtype=np.int64)
        rows = rows[~_dead_at(s.dead, rows)]
        codes, ids = s.codes[rows], s.ids[rows]
        order = np.argsort(ids)
        self._main_ids, self._main_rows = ids[order], order.astype(np.int32)
        self._delta_ids, self._delta_rows = np.empty(0, np.int64), np.empty(0, np.int64)
        self._dead_rows = 0
        tables = BucketTables.build(codes, self._layout_for(rows.size))
        dead = np.zeros((rows.size + 7) // 8, dtype=np.uint8)
        self._snap = _Snapshot(rows.size, rows.size, codes, codes.view("<u8"), ids, dead, tables)
        release_free_memory()

    def memory_bytes(self) -> int:
        """Bytes held in the index's arrays (resident memory adds the allocator's slack)."""
        s = self._snap
        lookups = (self._main_ids, self._main_rows, self._delta_ids, self._delta_rows)
        held = s.codes.nbytes + s.ids.nbytes + s.dead.nbytes + s.tables.nbytes
        return int(held + sum(a.nbytes for a in lookups))


def _group(
    rows: npt.NDArray[np.int64], ids: npt.NDArray[np.int64], m: int
) -> list[Sequence[Match]]:
    """Per query: (id, distance) pairs, deduplicated, nearest first, ties by id."""
    query, hit, distance = rows[:, 0], ids[rows[:, 1]], rows[:, 2]
    order = np.lexsort((hit, distance, query))
    query, hit, distance = query[order], hit[order], distance[order]
    first = np.ones(query.size, dtype=bool)
    first[1:] = (query[1:] != query[:-1]) | (hit[1:] != hit[:-1])
    query, hit, distance = query[first], hit[first], distance[first]
    bounds = np.searchsorted(query, np.arange(m + 1)).tolist()
    pairs = list(zip(hit.tolist(), distance.tolist(), strict=True))
    return [pairs[bounds[i] : bounds[i + 1]] for i in range(m)]
