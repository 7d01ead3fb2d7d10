"""Searches racing a writer: each must see exactly the state after some committed call.

The writer applies a fixed sequence of adds, removes and compactions; every mutation changes the
answer to the query batch, so a search that saw half a call (some of a batch's codes, or one
query before a removal and another after) matches no state and fails. Readers must also never
go back in time.

The readers search without pause, racing every call; the writer, after each call, waits until
some search that began after that call has ended (a handshake on a generation counter) before
it makes the next one. So every committed state is seen by at least one search, and the test
fails if the readers only ever saw the first and the last states.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from hashstop.matching import HammingIndex
from tests.matching.brute import brute_force, planted

STEPS = 120


def _script(rng: np.random.Generator, queries: np.ndarray) -> list[tuple[Any, ...]]:
    script: list[tuple[Any, ...]] = []
    for step in range(STEPS):
        if step % 3 == 2:
            script.append(("remove", rng.integers(0, 200, size=6)))
        else:
            ids = rng.integers(0, 200, size=8)
            codes = np.stack(
                [
                    planted(rng, queries[k % len(queries)], int(rng.integers(0, 32)))
                    for k in range(8)
                ]
            )
            script.append(("add", ids, codes))
        if step % 25 == 24:
            script.append(("compact",))
    return script


def test_searches_see_committed_states_only(engine: str) -> None:
    rng = np.random.default_rng(21)
    queries = rng.integers(0, 256, size=(3, 32), dtype=np.uint8)
    script = _script(rng, queries)
    state: dict[int, bytes] = {}
    expected = [brute_force(state, queries, 31)]
    for op in script:
        if op[0] == "add":
            state.update({int(i): c.tobytes() for i, c in zip(op[1], op[2], strict=True)})
        elif op[0] == "remove":
            for i in op[1].tolist():
                state.pop(i, None)
        expected.append(brute_force(state, queries, 31))

    index = HammingIndex(256, engine=engine, delta_limit=10, scan_fraction=1.0)  # type: ignore[arg-type]
    background = rng.integers(0, 256, size=(3000, 32), dtype=np.uint8)
    index.add(np.arange(10_000, 13_000), background)  # far from the queries: changes no answer
    start = threading.Barrier(3)
    seen: list[list[Any]] = [[], []]
    done = threading.Event()
    generation = [0]  # the number of calls committed
    finished = threading.Condition()
    searched = [-1]  # the latest generation a search began at and has ended

    def read(out: list[Any]) -> None:
        start.wait()
        while not done.is_set():
            began = generation[0]
            out.append(index.search(queries, 31))
            with finished:
                searched[0] = max(searched[0], began)
                finished.notify_all()
        out.append(index.search(queries, 31))

    def commit(k: int) -> None:
        generation[0] = k
        with finished:
            assert finished.wait_for(lambda: searched[0] >= k, timeout=60), k

    readers = [threading.Thread(target=read, args=(seen[i],)) for i in range(2)]
    for t in readers:
        t.start()
    start.wait()
    commit(0)  # a search of the state before any call
    for k, op in enumerate(script, start=1):
        if op[0] == "add":
            index.add(op[1], op[2])
        elif op[0] == "remove":
            index.remove(op[1])
        else:
            index.compact()
        commit(k)
    done.set()
    for t in readers:
        t.join()

    states: set[int] = set()
    for observations in seen:
        assert len(observations) > 1
        at = 0
        for result in observations:
            later = [k for k in range(at, len(expected)) if expected[k] == result]
            assert later, "a search saw a state that no committed sequence of calls produced"
            at = later[0]
            states.add(at)
        assert observations[-1] == expected[-1]
    distinct = {k for k in range(len(expected)) if expected[k] not in expected[:k]}
    assert distinct <= states, f"states never seen: {sorted(distinct - states)[:10]}"
