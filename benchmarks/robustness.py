"""Robustness benchmark: which edited copies of a real photo still match, and at what cost.

For every held-out photo (see robustness_photos.py for where they come from, how to install
them, and the separate development set the local hashes were tuned on), every edit of issue 8
(robustness_edits.py) and every randomised edit of issue 14 (robustness_random.py: parameters
drawn per photo from a fixed seed), side by side on the same files:
  - plain PDQ: the photo's one reference PDQ hash against the edited copy's one hash;
  - variants, plain query: hashstop's stored variants against the copy's one plain PDQ hash
    (a platform that computes plain PDQ only);
  - variants (issue 8): the stored variants against `query_pdq` of the copy (the helper);
  - local hashes (issue 14): the photo's stored local hashes against the copy's, found when at
    least MIN_AGREEING hits agree on one transform; hashstop answers "found" when the variants or
    the local hashes find the copy;
  - imagehash's crop-resistant hash, for comparison (its own matching rule; slow, --no-crh).
A copy is found by PDQ when any stored hash is within the threshold of any query hash. False
matches are counted over every ordered pair of distinct photos (the stored hashes of one against
the query hashes of the other and of all its edited copies); the development images join as
distractors (stored, and uploaded with each randomised edit). Deterministic: edits are seeded.
`--cache FILE` keeps the hashes, so that a second run only reports (also under other local
settings: --local-radius, --local-query, --local-stored).

Install, then run (about an hour on 2 busy shared cores, hashing 77 photos in 31 copies each):
    .venv/bin/pip install -e '.[test,bench]'
    apt-get install -y --no-install-recommends mate-backgrounds lomiri-wallpapers-16.04 \
        lomiri-wallpapers-20.04 plasma-workspace-wallpapers ukui-wallpapers gnome-backgrounds
    .venv/bin/python benchmarks/robustness.py --no-crh    # writes docs/robustness.{md,png}
    .venv/bin/python benchmarks/robustness.py --photos dev --no-crh --out /tmp/dev
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import imagehash
import numpy as np

from hashstop.hashing.local import local_hashes_of_rgb, local_spec
from hashstop.hashing.query import query_pdq
from hashstop.hashing.variant_spec import load_spec
from hashstop.hashing.variants import pdq_dihedral, photo_variants
from hashstop.matching.geometry import LOCAL_MAX_DISTANCE, MIN_AGREEING, agreeing

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.robustness_edits import EDITS  # noqa: E402
from benchmarks.robustness_photos import (  # noqa: E402
    REPO_ROOT,
    SAME_SCENE,
    Photo,
    candidate_photos,
    dev_photos,
    load_photo,
)
from benchmarks.robustness_random import FAMILIES, edited_copy  # noqa: E402
from benchmarks.robustness_report import Results, write_report  # noqa: E402

THRESHOLD = 31
SEED = 8
RANDOM_SEED = 14  # issue 14's randomised edits: one draw per photo and family from this seed
CRH = True  # imagehash's crop-resistant hash, for comparison (slow; --no-crh leaves it out)


@dataclass
class LocalSet:
    """Local hashes of one image: codes (n, 8) uint8 and frames (n, 4) int."""

    codes: np.ndarray
    frames: np.ndarray


def _local(rgb: np.ndarray, limit: int) -> LocalSet:
    found = local_hashes_of_rgb(rgb, limit)
    codes = np.array([np.frombuffer(h.code, np.uint8) for h in found], np.uint8).reshape(-1, 8)
    frames = np.array(
        [(h.frame.x, h.frame.y, h.frame.scale, h.frame.angle) for h in found], np.int64
    ).reshape(-1, 4)
    return LocalSet(codes, frames)


@dataclass
class PhotoHashes:
    """Everything measured for one photo, as uint8 arrays of packed 256-bit hashes."""

    name: str
    quality: int
    plain: np.ndarray  # (32,) the photo's reference PDQ
    stored: np.ndarray  # (n, 32) the stored variants
    stored_names: list[str]
    dropped: list[str]  # variants dropped for quality
    crh: np.ndarray  # (k,) uint64 segment hashes of the crop-resistant hash
    local: LocalSet  # the stored local hashes (issue 14)
    copies: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    # copy name -> (plain query (32,), hashstop query (m, 32), crop-resistant segments)
    local_copies: dict[str, LocalSet] = field(default_factory=dict)  # the query local hashes


def _crh(image) -> np.ndarray:
    if not CRH:
        return np.zeros(0, np.uint64)
    multi = imagehash.crop_resistant_hash(image)
    bits = [np.packbits(h.hash.flatten()) for h in multi.segment_hashes]
    return np.array([int.from_bytes(b.tobytes(), "big") for b in bits], dtype=np.uint64)


def _packed(pdq) -> np.ndarray:
    return np.frombuffer(pdq.data, dtype=np.uint8)


def hash_distractor(args: tuple[int, Photo]) -> PhotoHashes:
    """A photo that only widens the false-match pairs (issue 14: >= 8,000 ordered pairs): its
    stored hashes, and the query hashes of itself and of its randomised copies."""
    return hash_photo(args, grid=False)


def hash_photo(args: tuple[int, Photo], grid: bool = True) -> PhotoHashes:
    index, photo = args
    image = load_photo(photo)
    rgb = np.asarray(image)
    plain, quality = pdq_dihedral(rgb)
    variants = photo_variants(rgb)
    names = [v.name for v in variants]
    result = PhotoHashes(
        name=photo.name,
        quality=quality,
        plain=_packed(plain[0]),
        stored=np.array([_packed(v.pdq) for v in variants], dtype=np.uint8).reshape(-1, 32),
        stored_names=names,
        dropped=[n for n in load_spec().variant_names() if n not in names],
        crh=_crh(image),
        local=_local(rgb, local_spec().stored),
    )
    copies = [("unedited", lambda im, rng: im)]
    copies += [copy for row in EDITS for copy in row.copies] if grid else []
    for edit_index, (copy_name, edit) in enumerate(copies):
        rng = np.random.default_rng([SEED, index, edit_index])
        _hash_copy(result, copy_name, edit(image, rng))
    for family_index, family in enumerate(FAMILIES):
        # seeded by the photo's name, not its position: the same draw whatever else is listed
        key = int.from_bytes(photo.name.encode()[-8:].rjust(8, b"\0"), "big")
        rng = np.random.default_rng([RANDOM_SEED, key, family_index])
        _hash_copy(result, family.name, edited_copy(family, image, rng))
    return result


def _hash_copy(result: PhotoHashes, copy_name: str, edited) -> None:
    erg = np.asarray(edited.convert("RGB"))
    query = np.array([_packed(h) for h in query_pdq(erg)], dtype=np.uint8)
    result.copies[copy_name] = (_packed(pdq_dihedral(erg)[0][0]), query, _crh(edited))
    result.local_copies[copy_name] = _local(erg, local_spec().query)


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances between every row of a (n, 32) and every row of b (m, 32)."""
    counts: np.ndarray = np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(axis=2, dtype=np.int32)
    return counts


def crh_found(stored: np.ndarray, query: np.ndarray, cutoff: float, regions: int) -> bool:
    """imagehash's ImageMultiHash.matches: at least `regions` stored segments within `cutoff`
    bits of some query segment (defaults: 1 region, 25% of 64 bits)."""
    if stored.size == 0 or query.size == 0:
        return False
    d = np.bitwise_count(stored[:, None] ^ query[None, :]).min(axis=1)
    return int((d <= cutoff).sum()) >= regions


def _matched_variant(p: PhotoHashes, query: np.ndarray) -> str:
    """The stored variant that matched: found by the earliest query hash that matches (the upload
    as it is comes first), the closest of its matches; the closest pair when none matches."""
    if not len(p.stored):
        return "-"
    d = distances(p.stored, query)
    hits = np.argwhere(d <= THRESHOLD)
    if not hits.size:
        return p.stored_names[int(np.unravel_index(int(np.argmin(d)), d.shape)[0])]
    first = hits[:, 1].min()
    column = d[:, first]
    return p.stored_names[int(np.argmin(column))]


# --local-radius, --local-query, --local-stored: re-report cached hashes under other settings
LOCAL = {"radius": LOCAL_MAX_DISTANCE, "query": 10**6, "stored": 10**6}


def local_agreeing(stored: LocalSet, query: LocalSet) -> int:
    """How many of the query's local hits on this photo agree on one transform."""
    codes, frames = query.codes[: LOCAL["query"]], query.frames[: LOCAL["query"]]
    s_codes, s_frames = stored.codes[: LOCAL["stored"]], stored.frames[: LOCAL["stored"]]
    if not len(s_codes) or not len(codes):
        return 0
    d = distances(codes, s_codes)
    qi, si = np.nonzero(d <= LOCAL["radius"])
    return agreeing(frames[qi], s_frames[si], qi, si)


def _same_scene(p: PhotoHashes, o: PhotoHashes) -> bool:
    return frozenset({p.name, o.name}) in SAME_SCENE


def _local_different(photos: list[PhotoHashes]) -> list[tuple[str, str, int]]:
    """For each ordered pair of distinct photos: the most agreeing hits of any copy of the
    second (the upload) on the first's stored local hashes."""
    out = []
    for p in photos:
        if not len(p.local.codes):
            out += [(p.name, o.name, 0) for o in photos if o is not p and not _same_scene(p, o)]
            continue
        for o in photos:
            if o is p or _same_scene(p, o):
                continue
            best = max(local_agreeing(p.local, o.local_copies[c]) for c in o.local_copies)
            out.append((p.name, o.name, best))
    return out


def measure(photos: list[PhotoHashes], distractors: list[PhotoHashes] | None = None) -> Results:
    rows = [(row.name, [c for c, _ in row.copies]) for row in EDITS]
    rows += [(f"random: {f.name}", [f.name]) for f in FAMILIES]
    res = Results(threshold=THRESHOLD, photos=[p.name for p in photos], rows=rows)
    all_copies = ["unedited"] + [c for _, cs in rows for c in cs]
    for p in photos:
        res.stored_counts.append(len(p.stored_names))
        res.query_counts.extend(len(p.copies[c][1]) for c in all_copies)
        for name in p.dropped:
            res.dropped[name] = res.dropped.get(name, 0) + 1
        for c in all_copies:
            plain_q, query, crh = p.copies[c]
            d_plain = int(distances(p.plain[None], plain_q[None]).min())
            d_var = int(distances(p.stored, plain_q[None]).min()) if len(p.stored) else 256
            d_full = int(distances(p.stored, query).min()) if len(p.stored) else 256
            matched = _matched_variant(p, query)
            res.same[c].append((d_plain, d_var, d_full, matched))
            res.crh_same[c].append((crh_found(p.crh, crh, 16, 1), crh_found(p.crh, crh, 8, 2)))
            res.local_same[c].append(local_agreeing(p.local, p.local_copies[c]))
    pool = photos + (distractors or [])
    names = {p.name for p in pool}
    res.same_scene = [(sorted(k), why) for k, why in SAME_SCENE.items() if k <= names]
    for i, p in enumerate(pool):
        for j, o in enumerate(pool):
            if i == j or _same_scene(p, o):
                continue
            plain_q = np.array([o.copies[c][0] for c in o.copies])
            queries = np.concatenate([o.copies[c][1] for c in o.copies])
            d_plain = int(distances(p.plain[None], plain_q).min())
            if len(p.stored):
                d = distances(p.stored, queries)
                k = np.unravel_index(int(np.argmin(d)), d.shape)
                d_full, which = int(d[k]), p.stored_names[k[0]]
                d_var = int(distances(p.stored, plain_q).min())
            else:
                d_full, d_var, which = 256, 256, "-"
            res.different.append((p.name, o.name, d_plain, d_var, d_full, which))
            crh_default = any(crh_found(p.crh, o.copies[c][2], 16, 1) for c in o.copies)
            crh_strict = any(crh_found(p.crh, o.copies[c][2], 8, 2) for c in o.copies)
            res.crh_different.append((p.name, o.name, crh_default, crh_strict))
    res.local_different = _local_different(pool)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--limit", type=int, default=0, help="only the first N photos (a quick look)"
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs", help="where to write")
    parser.add_argument(
        "--photos",
        choices=("heldout", "dev"),
        default="heldout",
        help="the held-out photos (the table), or the development set the method was tuned on",
    )
    parser.add_argument("--no-crh", action="store_true", help="leave out imagehash's hash")
    parser.add_argument(
        "--no-distractors",
        action="store_true",
        help="leave the development photos out of the false-match pairs (held-out run only)",
    )
    parser.add_argument(
        "--cache", type=Path, help="keep the hashes here and reuse them (re-reporting only)"
    )
    parser.add_argument("--local-radius", type=int, default=LOCAL_MAX_DISTANCE)
    parser.add_argument(
        "--local-query", type=int, default=0, help="send only the first N local hashes"
    )
    parser.add_argument(
        "--local-stored", type=int, default=0, help="store only the first N local hashes"
    )
    args = parser.parse_args()
    LOCAL["radius"] = args.local_radius
    LOCAL["query"] = args.local_query or 10**6
    LOCAL["stored"] = args.local_stored or 10**6
    global CRH
    CRH = not args.no_crh
    found, missing = candidate_photos() if args.photos == "heldout" else dev_photos()
    if args.limit:
        found = found[: args.limit]
    started = time.perf_counter()
    extra = [] if args.no_distractors or args.photos == "dev" else dev_photos()[0]
    if args.cache is not None and args.cache.exists():
        hashed, others = pickle.loads(args.cache.read_bytes())  # noqa: S301 - our own file
    else:
        with multiprocessing.Pool(args.jobs) as pool:
            hashed = list(pool.imap(hash_photo, list(enumerate(found))))
            others = list(pool.imap(hash_distractor, list(enumerate(extra))))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps((hashed, others)))
    spec = load_spec()
    kept = [h for h in hashed if h.quality >= spec.min_quality]
    flat = [f"{h.name} (quality {h.quality})" for h in hashed if h.quality < spec.min_quality]
    distractors = [h for h in others if h.quality >= spec.min_quality]
    res = measure(kept, distractors)
    res.distractors = [h.name for h in distractors]
    res.min_agreeing, res.local_radius = MIN_AGREEING, LOCAL["radius"]
    most = max((len(h.local.codes) for h in kept), default=0)
    res.local_stored = min(LOCAL["stored"], most)
    res.local_query = min(LOCAL["query"], local_spec().query, most)
    res.crh_measured = CRH
    res.missing, res.too_flat = missing, flat
    res.sources = sorted({(p.source, sum(1 for q in found if q.source == p.source)) for p in found})
    res.seconds = time.perf_counter() - started
    print(write_report(res, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
