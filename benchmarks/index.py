"""HammingIndex against the faiss indexes HMA uses, side by side on the same data (run by hand).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/index.py                      # 1M PDQ-sized codes, distance 31
    .venv/bin/python benchmarks/index.py --n 10000000 --engines ours,faiss-mih
    .venv/bin/python benchmarks/index.py --bits 64 --max-distance 10 --engines ours,faiss-flat
    .venv/bin/python benchmarks/index.py --clustered --engines ours,faiss-mih   # photo variants
    .venv/bin/python benchmarks/index.py --real --engines ours,faiss-mih   # + real PDQ hashes

Times are CPU time of the searching thread (`time.thread_time`), not wall time: the machine
this was written on is shared and loaded, and wall times there mostly measure the others.

Data: N uniform random codes (ids 0..N-1); Q queries planted at distance i % (r + 1) from stored
codes plus Q uniform random queries. Each index runs in a fresh subprocess (so resident memory
is honest), engines interleaved round by round (the machine is shared and noisy); the table
gives medians over rounds and the ratio to ours. faiss runs on one thread
(faiss.omp_set_num_threads(1)); ours is single-threaded by construction. Recall is against
IndexBinaryFlat's range search, an exhaustive scan, computed once before the rounds; the table
prints the true matches found and the false extras (ids returned that the scan does not have).
Single-query timings use fresh queries (half planted, half uniform) that no batch searched.
What it does not cover: without --real, codes are synthetic (uniform, or --clustered after real
variants' distances); with --real, the real hashes are of generated photo-like images (smooth
shading and shapes, `tests/hashing/synthetic_photo.py`), not photographs, and P of them among
N: real PDQ hashes of photographs are in `benchmarks/false_matches.py` and
`benchmarks/robustness.py`.

--real P (P defaults to 200) stores real PDQ hashes first: for each of P generated photos, what a
victim's client stores (`photo_variants`: its PDQ, crops, mirror, turns; 19 a photo), as ids
0..M-1, then the synthetic codes above up to N. Two more classes of queries, each hashed as a
platform hashes an upload (`query_hashes`, PDQ only, up to 16) and searched one upload a call,
each for the first time: re-posts, one edited copy of each stored photo (JPEG re-encode, resize
and re-encode, crops off the grid of the stored crops; `tests/hashing/real_codes.py`), which
should find their photo; and P generated photos never stored, which should find nothing. Per
class the table gives uploads found (and how many a brute-force scan finds), true matches
found, false extras, hashes/s and the p50 of an upload. The hashes are made once (40-80 s for
P=200) and cached under benchmarks/.cache (gitignored), keyed by the code that makes them.
Measured at 1M and 10M codes (issue 19): docs/developers.md, "With real PDQ hashes".

--clustered stores what victims' clients store since issue 8: codes in groups, one group per
photo, as many codes as variants.json stores per photo. Each group is a random "original" and,
for each variant, the original with a number of bits flipped drawn from the distances measured
between that variant and the original on real photos (`photo_variants` of --profile-photos
conformance images, measured at the start and printed). Queries are planted near stored codes
(so near a group) and uniform, as above.

"faiss-mih" is HMA's configuration: IndexBinaryIDMap2(IndexBinaryMultiHash(bits, bits/16, 16))
with nflip = r // nhash set on the MultiHash itself (as python-threatexchange does through
downcast). "faiss-mih-nflip0" is the same index with nflip left at 0: setting `nflip` on the
IDMap2 wrapper silently does nothing, which gives fast but inexact answers.

Measured (issue 15, the shared 2-core machine at load average ~18, CPU time of one thread,
medians of 2 rounds (ours at 10M: 0.449 and 0.874 ms p50, the noise); distance 31; "upload" =
16 hashes in one call):

| N, data | metric | ours | faiss-mih (nflip 1) |
|---|---|---|---|
| 1M uniform | single p50 / p99 (ms) | 0.279 / 0.634 | 1.733 / 2.697 |
| | upload p50 (ms) | 2.79 | 23.2 |
| | batch (hashes/s, one core) | 5,424 | 637 |
| | index memory (MB) | 175 | 377 |
| 1M clustered | single p50 / p99 (ms) | 0.191 / 0.528 | 1.629 / 2.785 |
| | upload p50 (ms) | 2.38 | 25.5 |
| | batch (hashes/s, one core) | 6,711 | 586 |
| | index memory (MB) | 191 | 393 |
| 10M uniform | single p50 / p99 (ms) | 0.661 / 1.111 | 9.18 / 16.1 |
| | upload p50 (ms) | 6.05 | 142 |
| | batch (hashes/s, one core) | 2,280 | 108 |
| | index memory (MB) | 1,440 | 3,028 |

Recall 1.0000 everywhere. Commands: `--n 1000000 --engines ours,faiss-mih --queries 1000`,
`--n 1000000 --clustered --engines ours,faiss-mih --queries 500`,
`--n 10000000 --engines ours,faiss-mih --queries 500`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tests.hashing.real_codes import RealCodes

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as benchmarks/index.py: --real imports tests.hashing
    sys.path.append(str(ROOT))
ENGINES = ["ours", "faiss-mih", "faiss-mih-nflip0", "faiss-flat"]
ADDED = 10_000
DISTINCT_SCENES = ("labelme-subset", "misc", "misc-images")
SINGLE_SAMPLE = 200
UPLOADS = 60


def variant_profile(photos: int) -> dict[str, list[int]]:
    """For each stored variant name, its Hamming distance to the photo's original hash, over
    the first `photos` conformance images of distinct scenes that have every variant."""
    from hashstop.hashing import open_image, photo_variants
    from hashstop.hashing.variant_spec import load_spec

    names = load_spec().variant_names()
    profile: dict[str, list[int]] = {name: [] for name in names[1:]}
    root = Path(__file__).resolve().parents[1] / "tests/data/pdq-conformance/images"
    # distinct scenes (bridge-mods and dih are edits of one picture each)
    images = [p for p in sorted(root.rglob("*")) if p.parent.name in DISTINCT_SCENES]
    used = 0
    for path in images:
        if used == photos or path.suffix.lower() not in (".jpg", ".png"):
            continue
        variants = {v.name: v.pdq for v in photo_variants(open_image(path))}
        if len(variants) < len(names):
            continue
        used += 1
        for name in profile:
            profile[name].append(variants[name].distance(variants["original"]))
    return profile


def clustered_codes(
    count: int, profile: dict[str, list[int]], rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """`count` 256-bit codes in groups of 1 + len(profile): an original, then each variant's
    bits flipped at a distance drawn from that variant's measured distances."""
    group = 1 + len(profile)
    photos = -(-count // group)
    originals = rng.integers(0, 256, size=(photos, 32), dtype=np.uint8)
    out = np.repeat(originals, group, axis=0)
    distances = np.zeros((photos, group), dtype=np.int64)
    for k, name in enumerate(profile, start=1):
        distances[:, k] = rng.choice(np.asarray(profile[name]), size=photos)
    flat = distances.ravel()
    for start in range(0, len(out), 65_536):  # flip exactly d random bits, a chunk at a time
        d = flat[start : start + 65_536]
        noise = rng.random((len(d), 256), dtype=np.float32)
        ranked = np.sort(noise, axis=1)
        threshold = np.take_along_axis(ranked, np.maximum(d - 1, 0)[:, None], axis=1)
        flips = (noise <= threshold) & (d[:, None] > 0)
        out[start : start + len(d)] ^= np.packbits(flips, axis=1)
    order = rng.permutation(photos)  # groups stay together, in no particular order
    return out.reshape(photos, group, 32)[order].reshape(-1, 32)[:count]


REAL_CACHE = Path(__file__).resolve().parent / ".cache"  # gitignored
REAL_SOURCES = (
    "tests/hashing/real_codes.py",
    "tests/hashing/synthetic_photo.py",
    "benchmarks/robustness_edits.py",
    "src/hashstop/hashing/variants.json",
    "src/hashstop/hashing/variants.py",
    "src/hashstop/hashing/variant_spec.py",
    "src/hashstop/hashing/query.py",
    "src/hashstop/hashing/pdq.py",
)


def cached_real_codes(photos: int) -> Path:
    """The real PDQ hashes of `photos` generated photos (`tests/hashing/real_codes.py`): their
    stored variants, one re-post of each (the edits in turn) and as many unrelated photos, in
    an .npz under benchmarks/.cache, made once (about a tenth of a second a photo) and again
    whenever the code that makes them changes (its sources' digest is in the name; the older
    file is removed)."""
    import hashlib

    import PIL
    from tests.hashing.real_codes import real_codes

    digest = hashlib.sha256(f"{PIL.__version__} {np.__version__}".encode())
    for source in REAL_SOURCES:
        digest.update((ROOT / source).read_bytes())
    path = REAL_CACHE / f"real-codes-{photos}-{digest.hexdigest()[:16]}.npz"
    if not path.exists():
        started = time.perf_counter()
        made = real_codes(photos, reposts=photos, unrelated=photos)
        REAL_CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **vars(made))
        partial.replace(path)
        for stale in REAL_CACHE.glob(f"real-codes-{photos}-*.npz"):  # made by older code
            if stale != path:
                stale.unlink()
        seconds = time.perf_counter() - started
        print(f"hashed {photos} photos, {photos} re-posts, {photos} unrelated in {seconds:.0f} s")
    return path


def add_real_argument(parser: argparse.ArgumentParser, queries: str) -> None:
    parser.add_argument(
        "--real",
        type=int,
        nargs="?",
        const=200,
        metavar="P",
        help="store the real PDQ variants of P generated photos (default 200) first, padded to "
        f"N with the synthetic codes; {queries}",
    )


def load_real_codes(path: str | Path) -> RealCodes:
    from tests.hashing.real_codes import RealCodes

    with np.load(path) as arrays:
        return RealCodes(**{k: arrays[k] for k in arrays.files})


def padded(real: npt.NDArray[np.uint8], synthetic: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The real codes first (ids 0..M-1), then synthetic ones up to the same total."""
    if len(real) > len(synthetic):
        raise SystemExit(f"--n is smaller than the {len(real)} real stored codes")
    return np.concatenate([real, synthetic[: len(synthetic) - len(real)]])


def make_data(
    n: int,
    bits: int,
    nq: int,
    r: int,
    profile: dict[str, list[int]] | None = None,
    real: str | None = None,
) -> dict[str, npt.NDArray[Any]]:
    rng = np.random.default_rng(2024)
    width = bits // 8
    if profile is None:
        codes = rng.integers(0, 256, size=(n + ADDED, width), dtype=np.uint8)
    else:
        codes = clustered_codes(n + ADDED, profile, rng)
    out: dict[str, npt.NDArray[Any]] = {}
    if real is not None:  # the real codes stored first, padded to n; the added ones synthetic
        found = load_real_codes(real)
        codes = np.concatenate([padded(found.stored, codes[:n]), codes[n:]])
        out["real_queries"] = found.queries
    planted = codes[rng.integers(0, n, size=nq)].copy()
    for i in range(nq):
        for b in rng.choice(bits, size=i % (r + 1), replace=False).tolist():
            planted[i, b // 8] ^= np.uint8(1 << (b % 8))
    queries = np.concatenate([planted, rng.integers(0, 256, size=(nq, width), dtype=np.uint8)])
    return {**out, "codes": codes[:n], "added": codes[n:], "queries": queries}


class Ours:
    def __init__(self, bits: int, r: int) -> None:
        from hashstop.matching import HammingIndex, wait_until_compiled

        if not wait_until_compiled():
            raise SystemExit("numba kernel unavailable")
        self.index = HammingIndex(bits, engine="compiled")
        self.r = r

    def add(self, ids: npt.NDArray[np.int64], codes: npt.NDArray[np.uint8]) -> None:
        self.index.add(ids, codes)

    def search(self, queries: npt.NDArray[np.uint8]) -> list[set[int]]:
        return [{i for i, _ in hits} for hits in self.index.search(queries, self.r)]


class Faiss:
    def __init__(self, kind: str, bits: int, r: int) -> None:
        import faiss

        faiss.omp_set_num_threads(1)
        self.r = r
        if kind == "faiss-flat":
            self.index = faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(bits))
        else:
            nhash = bits // 16
            multi = faiss.IndexBinaryMultiHash(bits, nhash, 16)
            multi.nflip = r // nhash if kind == "faiss-mih" else 0
            self.index = faiss.IndexBinaryIDMap2(multi)
            self.multi = multi  # keep the inner index alive

    def add(self, ids: npt.NDArray[np.int64], codes: npt.NDArray[np.uint8]) -> None:
        self.index.add_with_ids(codes, ids)

    def search(self, queries: npt.NDArray[np.uint8]) -> list[set[int]]:
        lims, _, found = self.index.range_search(queries, self.r + 1)
        return [set(found[lims[i] : lims[i + 1]].tolist()) for i in range(len(queries))]


def clock() -> float:
    """CPU seconds of this thread: on a shared, loaded machine wall time mostly measures the
    other processes. faiss runs its OpenMP regions on this thread (one thread)."""
    return time.thread_time()


def rss() -> int:
    """Resident bytes of this process, from /proc (Linux)."""
    gc.collect()
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def load_profile(path: str | None) -> dict[str, list[int]] | None:
    return None if not path else dict(json.loads(Path(path).read_text()))


def _fresh_queries(codes: npt.NDArray[np.uint8], r: int, count: int) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(20261204)
    bits = codes.shape[1] * 8
    planted = codes[rng.integers(0, len(codes), count // 2)].copy()
    for row in planted:
        flips = rng.choice(bits, size=int(rng.integers(0, r + 1)), replace=False)
        for b in flips.tolist():
            row[b // 8] ^= np.uint8(1 << (b % 8))
    uniform = rng.integers(0, 256, size=(count - count // 2, codes.shape[1]), dtype=np.uint8)
    return np.concatenate([planted, uniform])


def real_classes(index: Ours | Faiss, real: str, truth: list[list[int]]) -> dict[str, float]:
    """Re-posts and unrelated photos, each upload's query hashes in one call (as the service
    searches an upload), every one searched here for the first time. Found: a re-post that
    returned a code of its own photo, an unrelated upload that returned anything."""
    found = load_real_codes(real)
    bounds = np.flatnonzero(np.diff(found.query_upload, prepend=-1, append=-1))
    out: dict[str, float] = {}
    for name, reposts in (("reposts", True), ("unrelated", False)):
        uploads = np.flatnonzero((found.upload_photo >= 0) == reposts).tolist()
        times, hashes, hits, pairs, extra, uploads_found, uploads_true = [], 0, 0, 0, 0, 0, 0
        for u in uploads:
            start, stop = int(bounds[u]), int(bounds[u + 1])
            hashes += stop - start
            t = clock()
            results = index.search(found.queries[start:stop])
            times.append(clock() - t)
            want = [set(t) for t in truth[start:stop]]
            hits += sum(len(w & f) for w, f in zip(want, results, strict=True))
            extra += sum(len(f - w) for w, f in zip(want, results, strict=True))
            pairs += sum(len(w) for w in want)
            uploads_found += found.found(u, set().union(*results))
            uploads_true += found.found(u, set().union(*want))
        out |= {
            f"{name}_uploads": len(uploads),
            f"{name}_found": uploads_found,
            f"{name}_truth_found": uploads_true,
            f"{name}_hits": hits,
            f"{name}_pairs": pairs,
            f"{name}_wrong": extra,
            f"{name}_qps": hashes / sum(times),
            f"{name}_hashes": hashes,
            f"{name}_upload_p50_ms": 1e3 * float(np.percentile(times, 50)),
        }
    return out


def worker(
    engine: str,
    n: int,
    bits: int,
    r: int,
    nq: int,
    truth_path: str,
    profile: str | None,
    real: str | None = None,
) -> dict[str, Any]:
    data = make_data(n, bits, nq, r, load_profile(profile), real)
    before_runtime = rss()
    index = Ours(bits, r) if engine == "ours" else Faiss(engine, bits, r)
    runtime = rss() - before_runtime
    base = rss()
    t = clock()
    index.add(np.arange(n, dtype=np.int64), data["codes"])
    build = clock() - t
    queries = data["queries"]
    index.search(queries[:1])
    memory = rss() - base
    t = clock()
    found = index.search(queries[:nq]) + index.search(queries[nq:])
    batch = clock() - t
    truth = json.loads(Path(truth_path).read_text())
    truth, real_truth = truth[: len(queries)], truth[len(queries) :]
    pairs = sum(len(t) for t in truth)
    hit = sum(len(set(t) & f) for t, f in zip(truth, found, strict=True))
    extra = sum(len(f - set(t)) for t, f in zip(truth, found, strict=True))
    # Single queries are fresh (none searched before): half planted near stored codes, half
    # uniform, so the timings are not those of queries the batch just warmed.
    fresh = _fresh_queries(data["codes"], r, SINGLE_SAMPLE)
    single = []
    for i in range(len(fresh)):
        t = clock()
        index.search(fresh[i : i + 1])
        single.append(clock() - t)
    # an upload: 16 query hashes in one call (8 planted near stored codes, 8 uniform)
    upload = []
    for u in range(min(UPLOADS, nq // 8)):
        group = np.concatenate([queries[8 * u : 8 * u + 8], queries[nq + 8 * u : nq + 8 * u + 8]])
        t = clock()
        index.search(group)
        upload.append(clock() - t)
    real_found = real_classes(index, real, real_truth) if real else {}
    t = clock()
    index.add(np.arange(n, n + ADDED, dtype=np.int64), data["added"])
    add = clock() - t
    return {
        **real_found,
        "build_s": build,
        "memory_mb": memory / 1e6,
        "runtime_mb": runtime / 1e6,
        "p50_ms": 1e3 * float(np.percentile(single, 50)),
        "p99_ms": 1e3 * float(np.percentile(single, 99)),
        "upload_p50_ms": 1e3 * float(np.percentile(upload, 50)),
        "batch_qps": 2 * nq / batch,
        "recall": hit / pairs if pairs else 1.0,
        "hits": hit,
        "wrong": extra,
        "add_s": add,
    }


def ground_truth(
    n: int, bits: int, r: int, nq: int, path: str, profile: str | None, real: str | None
) -> None:
    """IndexBinaryFlat's range search (an exhaustive scan) of the queries, then of the real
    queries when there are any, written as JSON."""
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    data = make_data(n, bits, nq, r, load_profile(profile), real)
    flat = faiss.IndexBinaryFlat(bits)
    flat.add(data["codes"])
    queries = np.concatenate([data["queries"], data.get("real_queries", data["queries"][:0])])
    lims, _, found = flat.range_search(queries, r + 1)
    truth = [found[lims[i] : lims[i + 1]].tolist() for i in range(len(queries))]
    Path(path).write_text(json.dumps(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--bits", type=int, default=256)
    parser.add_argument("--max-distance", type=int, default=None)
    parser.add_argument("--queries", type=int, default=1000, help="planted, and as many random")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--clustered", action="store_true", help="codes grouped as photo variants")
    parser.add_argument("--profile-photos", type=int, default=12, help="photos for --clustered")
    add_real_argument(parser, "add fresh re-post and unrelated-photo queries")
    parser.add_argument("--real-codes", help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    r = args.max_distance if args.max_distance is not None else (31 if args.bits == 256 else 10)
    if args.worker:
        found = worker(
            args.worker, args.n, args.bits, r, args.queries, args.truth, args.profile,
            args.real_codes,
        )  # fmt: skip
        print(json.dumps(found))
        return
    if (args.clustered or args.real) and args.bits != 256:
        raise SystemExit("--clustered and --real make PDQ-sized (256-bit) codes")
    real = str(cached_real_codes(args.real)) if args.real else None
    if real:
        print_real(load_real_codes(real), args.n)
    engines = args.engines.split(",")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    results: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
    with tempfile.TemporaryDirectory() as tmp:
        profile = None
        if args.clustered:
            measured = variant_profile(args.profile_photos)
            profile = str(Path(tmp) / "profile.json")
            Path(profile).write_text(json.dumps(measured))
            print_profile(measured)
        truth = str(Path(tmp) / "truth.json")
        ground_truth(args.n, args.bits, r, args.queries, truth, profile, real)
        for round_ in range(args.rounds):
            for engine in engines if round_ % 2 == 0 else engines[::-1]:
                common = ["--n", str(args.n), "--bits", str(args.bits), "--max-distance", str(r)]
                command = [sys.executable, __file__, "--worker", engine, "--truth", truth]
                command += ["--profile", profile] if profile else []
                command += ["--real-codes", real] if real else []
                out = subprocess.run(
                    [*command, *common, "--queries", str(args.queries)],
                    env=env, check=True, capture_output=True, text=True,
                )  # fmt: skip
                results[engine].append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"round {round_ + 1} {engine}: {results[engine][-1]}", file=sys.stderr)
    report(results, args, r)


def print_real(found: RealCodes, n: int) -> None:
    from tests.hashing.real_codes import REPOSTS

    photos = len(np.unique(found.stored_photo))
    reposts = found.upload_photo >= 0
    print(
        f"real: {len(found.stored)} PDQ variants of {photos} generated photos stored first "
        f"(ids 0-{len(found.stored) - 1}), then {n - len(found.stored):,} synthetic codes; "
        f"queries: {int(reposts.sum())} re-posts ({', '.join(name for name, _ in REPOSTS)}, in "
        f"turn) and {int((~reposts).sum())} unrelated generated photos, "
        f"{len(found.queries)} PDQ query hashes in all (`query_hashes`, up to 16 an upload)"
    )


def print_profile(profile: dict[str, list[int]]) -> None:
    photos = len(next(iter(profile.values())))
    print(f"variant distance to the original over {photos} photos (median, min-max):")
    for name, found in profile.items():
        print(f"  {name:<20} {int(np.median(found)):>4} ({min(found)}-{max(found)})")


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace, r: int) -> None:
    rows = [
        ("build (s)", "build_s", "{:.2f}"),
        ("memory added (MB)", "memory_mb", "{:.0f}"),
        ("single query p50 (ms)", "p50_ms", "{:.3f}"),
        ("single query p99 (ms)", "p99_ms", "{:.3f}"),
        ("upload of 16 hashes p50 (ms)", "upload_p50_ms", "{:.3f}"),
        (f"batch of {2 * args.queries} (queries/s)", "batch_qps", "{:.0f}"),
        ("recall vs brute force", "recall", "{:.4f}"),
        ("true matches found", "hits", "{:.0f}"),
        ("false extras (beyond the distance)", "wrong", "{:.0f}"),
        (f"add {ADDED:,} (s)", "add_s", "{:.3f}"),
    ]
    if args.real:
        for name, label, what in (
            ("reposts", "re-posts", "found (a code of their photo returned)"),
            ("unrelated", "unrelated photos", "matched (anything returned)"),
        ):
            sample = results["ours"][0]
            rows += [
                (
                    f"{label}: {what}, of {sample[f'{name}_uploads']} uploads (brute force: "
                    f"{sample[f'{name}_truth_found']})",
                    f"{name}_found",
                    "{:.0f}",
                ),
                (
                    f"{label}: true matches found, of {sample[f'{name}_pairs']}",
                    f"{name}_hits",
                    "{:.0f}",
                ),
                (f"{label}: false extras", f"{name}_wrong", "{:.0f}"),
                (
                    f"{label}: {sample[f'{name}_hashes']} hashes, one call an upload (hashes/s)",
                    f"{name}_qps",
                    "{:.0f}",
                ),
                (f"{label}: upload p50 (ms)", f"{name}_upload_p50_ms", "{:.3f}"),
            ]
    engines = list(results)
    data = "clustered as photo variants" if args.clustered else "uniform"
    data = f"{args.real} real generated photos padded with {data} codes" if args.real else data
    print(f"N={args.n:,} bits={args.bits} max_distance={r} rounds={args.rounds} {data} (medians)")
    print("| metric | " + " | ".join(engines) + " |")
    print("|---" * (len(engines) + 1) + "|")
    ours = {k: statistics.median(x[k] for x in results["ours"]) for _, k, _ in rows}
    for label, key, fmt in rows:
        cells = []
        for e in engines:
            value = statistics.median(x[key] for x in results[e])
            ratio = f" ({value / ours[key]:.2g}x)" if e != "ours" and ours[key] else ""
            cells.append(fmt.format(value) + ratio)
        print(f"| {label} | " + " | ".join(cells) + " |")
    runtime = statistics.median(x["runtime_mb"] for x in results["ours"])
    print(f"\nours: numba runtime + compiled kernel resident {runtime:.0f} MB (once per process)")


if __name__ == "__main__":
    main()
