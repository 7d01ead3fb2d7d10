"""Every hash a client could derive from one picture: what an allowlist entry holds (issue 12).

An allowlist of single values is bypassed by sending any other hash of the same picture: a
rotation, a flip, a crop variant, its pHash or digests. `picture_hashes` gathers, for one file,
every hash a victim's client would store and every hash a platform would send for it:

- MD5 and SHA-256 of the file; pHash of the image;
- PDQ of the image and its 8 dihedral transforms (rotations and flips);
- the stored variants (`photo_variants`: crops, mirror, turns);
- the query hashes of an upload (`query_hashes`: borders and bars removed, every transform);
- its local hashes, as a victim's client stores them and as a platform sends them (a photo
  registered with local hashes alone would otherwise match the picture's uploads).

Pure: no service, no network; runs on the admin's machine (`hashstop allowlist add --image`).
"""

from __future__ import annotations

import os

from hashstop.hashing.files import hash_file
from hashstop.hashing.local import local_hashes
from hashstop.hashing.query import query_hashes
from hashstop.hashing.variants import photo_variants


def picture_hashes(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """`(algorithm, hex)` of every hash of the picture at `path`, each once, in a stable order.

    Raises `HashingError` (a one-line message) for a file that is not a readable image."""
    file = hash_file(path, dihedral=True)
    found: list[tuple[str, str]] = [("md5", file.md5.hex), ("sha256", file.sha256.hex)]
    if file.phash is not None:
        found.append(("phash", file.phash.hex))
    if file.pdq is not None:
        found.append(("pdq", file.pdq.hex))
    found += [("pdq", h.hex) for h in file.pdq_dihedral or ()]
    found += [("pdq", v.pdq.hex) for v in photo_variants(path)]
    found += [(a, h) for a, h in query_hashes(path) if a in ("pdq", "phash", "local")]
    found += [("local", h.hex) for h in local_hashes(path)]
    unique: dict[tuple[str, str], None] = dict.fromkeys(found)
    return list(unique)
