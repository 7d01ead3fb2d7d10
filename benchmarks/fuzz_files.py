"""Fuzz the clients' image decoding with hostile files: mutations of valid files, and bombs.

    .venv/bin/python -m benchmarks.fuzz_files --examples 2000
    .venv/bin/python -m benchmarks.fuzz_files --bombs

`--examples N` runs N hypothesis examples of `tests/hashing/hostile_files.py`: a generated JPEG,
PNG, GIF, WebP, HEIC or TIFF, corrupted (bit flips, truncations, length fields, declared
dimensions), through `hash_file` and `open_image` (`--paths all`: also the full-resolution
hash, `photo_variants` and `query_hashes`): each must succeed or raise one HashingError. Prints
one JSON line: examples, how many decoded or were refused, seconds, and the peak resident
memory growth of this process (MB) over the run, which must stay under `--max-growth-mb` on
the default paths. The full-resolution paths hold every pixel several times over (about 29
bytes a pixel), so an admitted image of 100 MP takes about 3 GB there: reported, not bounded.

`--bombs` makes each decompression bomb of `hostile_files.bombs()` and hashes it as
`hashstop hash` does in a fresh process (so the memory measured is the hashing's), with a time
limit, and prints a JSON line per bomb: outcome, the error's message, peak memory growth.
`--bomb NAME` is one of them.
Exit status 1 on any other exception, a hang past the limit, or growth past `--max-growth-mb`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import traceback
from collections import Counter

from hypothesis import HealthCheck, Phase, given, settings
from tests.hashing.hostile_files import bombs, check, mutants, scratch, seed_files

from hashstop.hashing import HashingError, hash_file


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def fuzz(examples: int, seed: int | None, paths: str) -> dict[str, object]:
    seed_files()
    check(seed_files()["png"], scratch())  # warm up imports and caches before the baseline
    baseline = peak_rss_mb()
    directory = scratch()
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(mutants())
    def run(mutant: tuple[str, bytes]) -> None:
        fmt, data = mutant
        outcomes[f"{fmt}:{check(data, directory, paths)}"] += 1

    if seed is not None:
        from hypothesis import seed as hypothesis_seed

        run = hypothesis_seed(seed)(run)
    started = time.monotonic()
    run()
    return {
        "paths": paths,
        "examples": sum(outcomes.values()),
        "decoded": sum(n for k, n in outcomes.items() if k.endswith(":ok")),
        "refused": sum(n for k, n in outcomes.items() if k.endswith(":refused")),
        "by_format": dict(sorted(outcomes.items())),
        "seconds": round(time.monotonic() - started, 1),
        "peak_growth_mb": round(peak_rss_mb() - baseline, 1),
    }


def measure(path: str) -> dict[str, object]:
    """Hash the file at `path` as `hashstop hash` does, in this process: outcome and memory."""
    baseline = peak_rss_mb()
    started = time.monotonic()
    try:
        hashes = hash_file(path)
        outcome, message = "ok", str(hashes.kind)
    except HashingError as error:
        outcome, message = "refused", str(error).replace(path, "<file>")
    return {
        "outcome": outcome,
        "message": message,
        "seconds": round(time.monotonic() - started, 2),
        "peak_growth_mb": round(peak_rss_mb() - baseline, 1),
    }


def one_bomb(name: str, timeout: float) -> dict[str, object]:
    """Make the bomb here, hash it in a fresh process (whose memory is then the hashing's)."""
    data = bombs()[name]()
    path = scratch() / name
    path.write_bytes(data)
    line: dict[str, object] = {"bomb": name, "bytes": len(data)}
    try:
        done = subprocess.run(  # noqa: S603 - this script, by name
            [sys.executable, "-m", "benchmarks.fuzz_files", "--measure", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return line | {"outcome": "HANG", "timeout": timeout}
    finally:
        path.unlink()
    if done.returncode != 0 or not done.stdout.strip():
        return line | {"outcome": "CRASH", "stderr": done.stderr[-2000:]}
    measured: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return line | measured


def all_bombs(timeout: float, max_growth_mb: float) -> bool:
    ok = True
    for name in bombs():
        line = one_bomb(name, timeout)
        print(json.dumps(line), flush=True)
        ok = ok and line["outcome"] in ("ok", "refused")
        ok = ok and float(str(line.get("peak_growth_mb", "inf"))) < max_growth_mb
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=0, help="hypothesis examples to run")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    parser.add_argument(
        "--paths",
        choices=["default", "all"],
        default="default",
        help="default: hash_file and open_image (what the CLI does); all: also full resolution, "
        "photo_variants and query_hashes (memory not bounded by --max-growth-mb)",
    )
    parser.add_argument("--bombs", action="store_true", help="every bomb, one process each")
    parser.add_argument("--bomb", default=None, help="one bomb (hashed in a fresh process)")
    parser.add_argument("--measure", default=None, help="hash this file here; JSON outcome")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per bomb")
    parser.add_argument("--max-growth-mb", type=float, default=600.0)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.bomb:
        line = one_bomb(args.bomb, args.timeout)
        print(json.dumps(line))
        return 0 if line["outcome"] in ("ok", "refused") else 1
    ok = True
    if args.examples:
        try:
            summary = fuzz(args.examples, args.seed, args.paths)
        except Exception:  # noqa: BLE001 - print hypothesis's report and fail
            traceback.print_exc()
            return 1
        print(json.dumps(summary), flush=True)
        if args.paths == "default":
            ok = float(str(summary["peak_growth_mb"])) < args.max_growth_mb
    if args.bombs:
        ok = all_bombs(args.timeout, args.max_growth_mb) and ok
    if not (args.examples or args.bombs):
        parser.error("give --examples N, --bombs or --bomb NAME")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
