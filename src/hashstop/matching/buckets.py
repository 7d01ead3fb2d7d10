"""Chunk layouts, probe masks and the per-chunk bucket tables of the multi-index, in numpy.

Multi-index hashing rests on the pigeonhole principle: cut a code into C disjoint chunks; if two
codes differ in at most r bits, then for any budgets s_c >= 0 with sum(s_c) >= r + 1 some chunk c
differs in at most s_c - 1 bits. A search spends its budget on the chunks whose buckets are
smallest and probes, in each chunk, every key within s_c - 1 bits of the query's key.

How wide the chunks are decides the cost (issue 15). A query probes sum(ball(w_c, s_c - 1))
buckets holding about N / 2**w_c codes each, so with 16-bit chunks (16 chunks for PDQ) the
candidates grow with N (about 83,000 at 20M codes), while chunks near log2(N) bits keep both the
probes and the candidates at a few thousand. `Layout.for_size` picks the cheapest layout for a
number of codes under that cost model, with the tables' offsets capped near 8 bytes per code per
chunk; the index rebuilds its tables when the preferred layout changes as N grows.

Chunk c is bits [start_c, start_c + width_c) of the code read as little-endian 64-bit words (bit
i of the code is bit i % 64 of word i // 64), so the layout of 16 chunks of 16 bits is bytes 2c,
2c + 1 as before.

A bucket table is CSR over one flat array of offsets: chunk c's keys k live at
`offsets[base[c] + k : base[c] + k + 2]`, delimiting the positions (int32, ascending within a
bucket) of the codes whose chunk c equals k. This module only builds tables; it holds no mutable
state.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
import numpy.typing as npt

MAX_RADIUS = 3
"""Probes per chunk reach at most this many flipped bits; larger budgets scan."""
MIN_WIDTH = 8
MAX_WIDTH = 26
SMALL_TABLE_BITS = 16
"""Chunks up to this width are always allowed (offsets of 256 KB per chunk at most)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Disjoint chunks (start bit, width) of a `bits`-bit code; they need not cover it all."""

    bits: int
    starts: tuple[int, ...]
    widths: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.starts) != len(self.widths) or not self.starts:
            raise ValueError("a layout has one or more chunks")
        end = 0
        for start, width in zip(self.starts, self.widths, strict=True):
            if start < end or not MIN_WIDTH <= width <= MAX_WIDTH or start + width > self.bits:
                raise ValueError("chunks must be disjoint, ascending, 8 to 26 bits, inside")
            end = start + width

    @property
    def chunks(self) -> int:
        return len(self.widths)

    @classmethod
    def even(cls, bits: int, chunks: int, *, cover: int | None = None) -> Layout:
        """`chunks` chunks as equal as possible over the first `cover` bits (all by default)."""
        cover = bits if cover is None else cover
        base, extra = divmod(cover, chunks)
        widths = [base + (1 if c < extra else 0) for c in range(chunks)]
        starts = [sum(widths[:c]) for c in range(chunks)]
        return cls(bits, tuple(starts), tuple(widths))

    @classmethod
    def sixteen(cls, bits: int, chunks: int | None = None) -> Layout:
        """The first `chunks` 16-bit chunks (all of them by default)."""
        chunks = bits // 16 if chunks is None else chunks
        return cls(bits, tuple(16 * c for c in range(chunks)), (16,) * chunks)

    @classmethod
    def for_size(cls, bits: int, n: int, design_distance: int) -> Layout:
        """The even layout with the fewest expected probes plus candidates for a query at
        `design_distance` over `n` uniform codes, among those whose offsets stay small."""
        widest = max(SMALL_TABLE_BITS, int(np.log2(max(2 * n, 1))))
        best: tuple[float, int] = (float("inf"), bits // SMALL_TABLE_BITS)
        for chunks in range(-(-bits // MAX_WIDTH), bits // MIN_WIDTH + 1):
            layout = cls.even(bits, chunks)
            if max(layout.widths) > widest:
                continue
            cost = expected_cost(layout.widths, n, design_distance)
            if cost < best[0]:
                best = (cost, chunks)
        return cls.even(bits, best[1])

    def keys(self, words: npt.NDArray[np.uint64], chunk: int) -> npt.NDArray[np.int64]:
        """Chunk `chunk`'s key of every code, given as (n, bits / 64) little-endian words."""
        start, width = self.starts[chunk], self.widths[chunk]
        word, shift = divmod(start, 64)
        key = words[:, word] >> np.uint64(shift)
        if shift + width > 64:
            key |= words[:, word + 1] << np.uint64(64 - shift)
        return (key & np.uint64((1 << width) - 1)).astype(np.int64)

    def masks(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(chunks, most) probe masks per chunk, lightest first, and (chunks, MAX_RADIUS + 2)
        ball sizes: ball[c, s] keys are probed for a budget s (radius s - 1; ball[c, 0] = 0)."""
        per_chunk = [probe_masks(w) for w in self.widths]
        masks = np.zeros((self.chunks, max(m.size for m in per_chunk)), dtype=np.int64)
        ball = np.zeros((self.chunks, MAX_RADIUS + 2), dtype=np.int64)
        for c, (w, m) in enumerate(zip(self.widths, per_chunk, strict=True)):
            masks[c, : m.size] = m
            ball[c, 1:] = np.cumsum([comb(w, k) for k in range(MAX_RADIUS + 1)])
        return masks, ball


def ball_size(width: int, radius: int) -> int:
    return sum(comb(width, k) for k in range(radius + 1))


def expected_cost(widths: tuple[int, ...], n: int, r: int) -> float:
    """Probes plus expected candidates of a query at distance r over n uniform codes."""
    base, extra = divmod(r + 1, len(widths))
    if base + (1 if extra else 0) > MAX_RADIUS + 1:
        return float("inf")
    cost = [ball_size(w, base - 1) * (1 + n / 2**w) if base else 0.0 for w in widths]
    more = sorted(
        (ball_size(w, base) - (ball_size(w, base - 1) if base else 0)) * (1 + n / 2**w)
        for w in widths
    )
    return float(sum(cost) + sum(more[:extra]))


def probe_masks(width: int) -> npt.NDArray[np.int64]:
    """Every `width`-bit mask of weight <= MAX_RADIUS, lightest first."""
    out = [0]
    for weight in range(1, MAX_RADIUS + 1):
        out += [sum(1 << b for b in bits) for bits in combinations(range(width), weight)]
    return np.array(out, dtype=np.int64)


class BucketTables:
    """Immutable CSR tables over code positions [0, n), one per chunk of `layout`."""

    __slots__ = (
        "ball", "base", "layout", "masks", "n", "offsets", "positions", "starts", "widths",
    )  # fmt: skip

    def __init__(
        self,
        layout: Layout,
        offsets: npt.NDArray[np.int32],
        positions: npt.NDArray[np.int32],
    ) -> None:
        self.layout = layout
        self.offsets = offsets
        self.positions = positions
        self.n = int(positions.shape[1])
        self.base = table_bases(layout)
        self.masks, self.ball = layout.masks()
        self.starts = np.array(layout.starts, dtype=np.int64)
        self.widths = np.array(layout.widths, dtype=np.int64)

    @classmethod
    def build(cls, codes: npt.NDArray[np.uint8], layout: Layout) -> BucketTables:
        """Tables for `codes` (n, bytes); a stable sort per chunk."""
        n = int(codes.shape[0])
        if n >= 2**31 - 1:
            raise ValueError("a bucket table holds fewer than 2**31 codes")
        words = np.ascontiguousarray(codes).view("<u8")
        base = table_bases(layout)
        offsets = np.zeros(int(base[-1]), dtype=np.int32)
        positions = np.empty((layout.chunks, n), dtype=np.int32)
        for c in range(layout.chunks):
            key = layout.keys(words, c)
            size = 1 << layout.widths[c]
            table = offsets[base[c] : base[c] + size + 1]
            np.cumsum(np.bincount(key, minlength=size), out=table[1:])
            sort_positions(key, table, positions[c])
        return cls(layout, offsets, positions)

    @classmethod
    def empty(cls, layout: Layout) -> BucketTables:
        return cls(
            layout,
            np.zeros(int(table_bases(layout)[-1]), dtype=np.int32),
            np.empty((layout.chunks, 0), dtype=np.int32),
        )

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.positions.nbytes)

    def merged(self, delta_codes: npt.NDArray[np.uint8]) -> BucketTables:
        """New tables that also hold positions [n, n + len(delta_codes)); O(n) per chunk."""
        n0, d = self.n, int(delta_codes.shape[0])
        if n0 + d >= 2**31 - 1:
            raise ValueError("a bucket table holds fewer than 2**31 codes")
        layout = self.layout
        words = np.ascontiguousarray(delta_codes).view("<u8")
        offsets = np.empty_like(self.offsets)
        positions = np.empty((layout.chunks, n0 + d), dtype=np.int32)
        keep_old = np.empty(n0 + d, dtype=bool)
        for c in range(layout.chunks):
            b, size = int(self.base[c]), 1 << layout.widths[c]
            old = self.offsets[b : b + size + 1]
            key = layout.keys(words, c)
            order = np.argsort(key, kind="stable")
            new = offsets[b : b + size + 1]
            new[0] = 0
            np.cumsum(np.bincount(key, minlength=size), out=new[1:])
            new += old
            # The j-th new entry (by key) lands after its bucket's old entries and the j earlier
            # new ones: old end of its bucket + j.
            slots = old[key[order] + 1] + np.arange(d)
            keep_old.fill(True)
            keep_old[slots] = False
            positions[c, keep_old] = self.positions[c]
            positions[c, slots] = n0 + order
        return BucketTables(layout, offsets, positions)


def table_bases(layout: Layout) -> npt.NDArray[np.int64]:
    """Where each chunk's offsets start in the flat array (and, last, its length)."""
    sizes = [(1 << w) + 1 for w in layout.widths]
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def sort_positions(
    key: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32], out: npt.NDArray[np.int32]
) -> None:
    """out = positions ordered by key, ascending within a key (a counting sort when compiled)."""
    from hashstop.matching import kernels

    if kernels.fill_positions(key, offsets, out):
        return
    out[:] = np.argsort(key, kind="stable")
