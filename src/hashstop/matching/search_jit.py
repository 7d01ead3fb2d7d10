"""The multi-index search compiled with numba: the fast path of `HammingIndex.search`.

Why numba: a query at distance 31 over a million uniform codes verifies about 4,200 candidates
scattered over 32 MB; numpy pays a temporary array and a call per step, and a loop that prefetches
each candidate's code while verifying earlier ones runs several times faster (see
benchmarks/index.py). numba ships wheels, so nobody compiles anything at install time; the JIT
compiles at run time, once, into numba's on-disk cache.

This module is imported in a background thread (see `kernels.py`); until it is compiled, the
numpy path in `search_numpy.py` answers with the same results. It holds no state and refuses to
validate: its callers pass well-formed arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

PREFETCH_AHEAD = 16


@intrinsic
def _popcount(typingctx: Any, x: Any) -> Any:
    """llvm.ctpop on a uint64: one instruction where the CPU has it."""
    sig = types.uint64(x)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64]), "llvm.ctpop.i64"
        )
        return builder.call(fn, [args[0]])

    return sig, codegen


@intrinsic
def _prefetch(typingctx: Any, array: Any, row: Any, column: Any) -> Any:
    """Ask the CPU to start loading array[row, column]; a hint, never a fault."""
    sig = types.void(array, row, column)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        index = [context.cast(builder, args[i], signature.args[i], types.intp) for i in (1, 2)]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, index, wraparound=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0"
        )
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _distance(codes: Any, p: int, query: Any) -> int:
    d = 0
    for w in range(query.shape[0]):
        d += _popcount(codes[p, w] ^ query[w])
    return d


@njit(cache=True, nogil=True, inline="always")
def _is_dead(dead: Any, p: int) -> bool:
    return ((dead[p >> 3] >> (p & 7)) & 1) != 0


@njit(cache=True, nogil=True, inline="always")
def _key(query: Any, start: int, width: int) -> int:
    word = start >> 6
    shift = start & 63
    key = query[word] >> np.uint64(shift)
    if shift + width > 64:
        key |= query[word + 1] << np.uint64(64 - shift)
    return np.int64(key & np.uint64((1 << width) - 1))


@njit(cache=True, nogil=True)
def plan(keys: Any, r: int, offsets: Any, base: Any, masks: Any, ball: Any, budgets: Any) -> int:
    """Fill budgets (one per chunk, sum r + 1); return the candidate count, or -1 to scan."""
    chunks = keys.shape[0]
    low, extra = divmod(r + 1, chunks)
    top = low + (1 if extra else 0)
    if top >= ball.shape[1]:
        return -1
    total = 0
    more = np.empty(chunks, np.int64)
    marginal = np.empty(chunks, np.int64)
    for c in range(chunks):
        lo = 0
        hi = 0
        o = base[c]
        for j in range(ball[c, top]):
            k = o + (keys[c] ^ masks[c, j])
            size = offsets[k + 1] - offsets[k]
            if j < ball[c, low]:
                lo += size
            hi += size
        budgets[c] = low
        total += lo
        more[c] = hi - lo
        # where the extra budget goes: fewest candidates plus probes
        marginal[c] = hi - lo + ball[c, top] - ball[c, low]
    if extra:
        for c in np.argsort(marginal, kind="mergesort")[:extra]:
            budgets[c] += 1
            total += more[c]
    return total


@njit(cache=True, nogil=True)
def _append(out: Any, count: int, qi: int, p: int, d: int) -> Any:
    if count == out.shape[0]:
        grown = np.empty((2 * out.shape[0], 3), np.int64)
        grown[:count] = out[:count]
        out = grown
    out[count, 0] = qi
    out[count, 1] = p
    out[count, 2] = d
    return out


@njit(cache=True, nogil=True)
def search_batch(
    queries: Any,
    r: int,
    starts: Any,
    widths: Any,
    offsets: Any,
    base: Any,
    positions: Any,
    codes: Any,
    n: int,
    dead: Any,
    masks: Any,
    ball: Any,
    scan_limit: int,
) -> Any:
    """Rows (query, position, distance) of every live code within r of each query.

    Positions [0, positions.shape[1]) are in the bucket tables, [that, n) are scanned directly.
    A position reached through several chunks appears once per chunk; the caller dedupes.
    """
    m = queries.shape[0]
    chunks = starts.shape[0]
    n_main = positions.shape[1]
    out = np.empty((64, 3), np.int64)
    count = 0
    keys = np.empty(chunks, np.int64)
    budgets = np.empty(chunks, np.int64)
    candidates = np.empty(4096, np.int32)
    ranges = np.empty((chunks * masks.shape[1], 3), np.int64)
    for qi in range(m):
        query = queries[qi]
        for c in range(chunks):
            keys[c] = _key(query, starts[c], widths[c])
        total = plan(keys, r, offsets, base, masks, ball, budgets) if n_main else 0
        first_direct = n_main
        if total < 0 or total > scan_limit:
            first_direct = 0
        elif total > 0:
            if total > candidates.shape[0]:
                candidates = np.empty(2 * total, np.int32)
            probes = 0
            for c in range(chunks):
                o = base[c]
                for j in range(ball[c, budgets[c]]):
                    k = o + (keys[c] ^ masks[c, j])
                    a, b = offsets[k], offsets[k + 1]
                    if b > a:
                        _prefetch(positions, c, a)
                        ranges[probes, 0] = c
                        ranges[probes, 1] = a
                        ranges[probes, 2] = b
                        probes += 1
            filled = 0
            for i in range(probes):
                c, a, b = ranges[i, 0], ranges[i, 1], ranges[i, 2]
                for t in range(a, b):
                    candidates[filled] = positions[c, t]
                    filled += 1
            for i in range(filled):
                if i + PREFETCH_AHEAD < filled:
                    _prefetch(codes, candidates[i + PREFETCH_AHEAD], 0)
                p = candidates[i]
                d = _distance(codes, p, query)
                if d <= r and not _is_dead(dead, p):
                    out = _append(out, count, qi, p, d)
                    count += 1
        for p in range(first_direct, n):
            d = _distance(codes, p, query)
            if d <= r and not _is_dead(dead, p):
                out = _append(out, count, qi, p, d)
                count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def fill_positions(key: Any, offsets: Any, out: Any) -> None:
    """A stable counting sort: out[offsets[k] + j] = the j-th position whose key is k."""
    cursor = offsets[:-1].copy()
    for p in range(key.shape[0]):
        k = key[p]
        out[cursor[k]] = p
        cursor[k] += 1
