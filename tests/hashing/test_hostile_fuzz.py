"""Hypothesis-driven hostile files: one clear HashingError or success, bounded memory, no hang.

The mutations and bombs are in `tests/hashing/hostile_files.py`. Here, in CI:
- `EXAMPLES` mutated files through every client decoding path, in this process;
- the same number through the CLI's paths in a fresh process, whose peak memory growth must
  stay under `MAX_GROWTH_MB`, and every decompression bomb in a fresh process each, under a
  time limit (a hang fails) and the same memory bound;
- `hashstop hash` and `hashstop submit` on hostile files: one line per file, non-zero exit,
  no traceback.
Longer runs: `python -m benchmarks.fuzz_files --examples N [--paths all] [--bombs]`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from hashstop.hashing import DECODED_BYTES_LIMIT, ImageDecodeError, hash_file
from tests.conftest import REPO_ROOT
from tests.hashing.hostile_files import bombs, check, mutants, scratch, seed_files

EXAMPLES = 150
MAX_GROWTH_MB = 600
HASHSTOP = str(Path(sys.executable).parent / "hashstop")
DIRECTORY = scratch()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants())
def test_mutated_files_decode_or_fail_with_one_hashing_error(mutant):
    fmt, data = mutant
    assert check(data, DIRECTORY, "all") in ("ok", "refused")


def test_the_seed_files_are_valid_images():
    for fmt, data in seed_files().items():
        path = DIRECTORY / f"seed-{fmt}"
        path.write_bytes(data)
        assert hash_file(path).kind == "image", fmt


def run_script(*args: str, timeout: float) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.fuzz_files", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_the_cli_paths_stay_under_the_memory_bound_on_mutated_files():
    (summary,) = run_script("--examples", str(EXAMPLES), "--paths", "default", timeout=300)
    assert summary["examples"] == EXAMPLES
    assert float(str(summary["peak_growth_mb"])) < MAX_GROWTH_MB


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(bombs()))
def test_decompression_bombs(name):
    (line,) = run_script("--bomb", name, "--timeout", "120", timeout=300)
    assert line["outcome"] in ("ok", "refused"), line
    assert "\n" not in str(line["message"])
    assert float(str(line["peak_growth_mb"])) < MAX_GROWTH_MB, line
    if "declares" in name:  # almost no data: refused before any pixel is decoded
        assert line["outcome"] == "refused" and float(str(line["peak_growth_mb"])) < 50, line


def test_a_decode_above_the_byte_limit_is_refused_before_decoding(tmp_path):
    path = tmp_path / "zeros.png"
    path.write_bytes(bombs()["png-13000x13000-of-zeros"]())
    assert 13_000 * 13_000 * 4 > DECODED_BYTES_LIMIT
    for full_resolution in (False, True):
        with pytest.raises(ImageDecodeError, match="above the 512 MB limit"):
            hash_file(path, full_resolution=full_resolution)


@pytest.fixture(scope="module")
def hostile_paths(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile-cli")
    jpeg = seed_files()["jpeg"]
    files = {
        "bomb.png": bombs()["png-13000x13000-of-zeros"](),
        "declared.gif": bombs()["gif-declares-65535x65535"](),
        "cut.jpg": jpeg[: len(jpeg) // 2],
        "heic-bomb.heic": bombs()["heic-declares-60000x60000"](),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return [directory / name for name in files]


def test_hashstop_hash_prints_one_line_per_hostile_file(hostile_paths):
    done = subprocess.run(
        [HASHSTOP, "hash", "--json", *map(str, hostile_paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(hostile_paths)
    for line, path in zip(lines, hostile_paths, strict=True):
        entry = json.loads(line)
        assert entry["path"] == str(path) and str(path) in entry["error"]
    assert done.stderr.strip().splitlines() == [
        f"hashstop hash: {len(hostile_paths)} of {len(hostile_paths)} files could not be hashed"
    ]


def test_hashstop_submit_leaves_hostile_files_out_and_sends_nothing(hostile_paths):
    done = subprocess.run(
        [HASHSTOP, "submit", "--server", "http://127.0.0.1:9", "--yes", *map(str, hostile_paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert f"{len(hostile_paths)} files could not be read and will be left out" in output
    for path in hostile_paths:
        (line,) = [x for x in output.splitlines() if str(path) in x]
        assert line.strip().startswith(f"- {path}: ")
    assert "nothing was sent" in output
