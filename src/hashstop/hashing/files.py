"""Every fingerprint of one file: what the CLI prints and a victim submits.

Every file gets MD5 and SHA-256 of its bytes (videos, documents, anything). A file whose bytes
are an image (decided by decoding its magic bytes, never by the extension) also gets PDQ with
its quality and pHash, of the image as displayed. Images of at most 1 MP, and every image when
`full_resolution` is asked for, are hashed from every pixel, bit-exact with the reference; larger
ones from a reduced decode (see `hashstop.hashing.reduced`): over ten times faster on a phone
photo, within a few bits (`benchmarks/hashing.py` measures both). The pHash of such an image is
taken from the same reduced decode: it equalled imagehash's on every conformance image, but is
not guaranteed bit-exact; `full_resolution` makes it so. This module reads files; it never
writes, uploads or keeps their bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hashstop.hashing.decoding import displayed_rgb, opened_image
from hashstop.hashing.digests import file_digests
from hashstop.hashing.errors import NotAnImageError
from hashstop.hashing.pdq import pdq_from_rgb, pdq_with_dihedral_from_rgb
from hashstop.hashing.phash import phash_from_image
from hashstop.hashing.reduced import decode_reduced, pdq_from_reduced
from hashstop.hashing.types import Md5Hash, PdqHash, PHash, Sha256Hash

Kind = Literal["image", "file"]


@dataclass(frozen=True)
class FileHashes:
    """The fingerprints of one file. Perceptual fields are None for a file that is no image."""

    kind: Kind
    md5: Md5Hash
    sha256: Sha256Hash
    pdq: PdqHash | None = None
    pdq_quality: int | None = None
    phash: PHash | None = None
    pdq_dihedral: tuple[PdqHash, ...] | None = None  # original, rot90, ... (pdq.DIHEDRAL_ORDER)

    def as_json(self) -> dict[str, Any]:
        """The JSON object of `hashstop hash --json` (without the path): hex strings, no nulls."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.pdq is not None:
            out["pdq"] = self.pdq.hex
            out["pdq_quality"] = self.pdq_quality
        if self.phash is not None:
            out["phash"] = self.phash.hex
        out["md5"] = self.md5.hex
        out["sha256"] = self.sha256.hex
        if self.pdq_dihedral is not None:
            out["pdq_dihedral"] = [h.hex for h in self.pdq_dihedral]
        return out


def hash_file(
    path: str | os.PathLike[str], *, full_resolution: bool = False, dihedral: bool = False
) -> FileHashes:
    """Hash the file at `path`; raise a HashingError subclass with a one-line message.

    `full_resolution` hashes every pixel (bit-exact with the reference PDQ and imagehash pHash);
    `dihedral` adds the 8 PDQ hashes of the image's rotations and flips.
    """
    md5, sha256 = file_digests(path)
    name = os.fspath(path)
    try:
        with opened_image(path) as image:
            reduced = None if full_resolution else decode_reduced(image, name)
            if reduced is not None:
                pdq, quality, all_dihedral = pdq_from_reduced(reduced)
                phash = phash_from_image(reduced.displayed())
                turns = tuple(all_dihedral) if dihedral else None
            else:
                shown = displayed_rgb(image, name)
                rgb = np.asarray(shown)
                if dihedral:
                    pdq, quality, all_dihedral = pdq_with_dihedral_from_rgb(rgb)
                    turns = tuple(all_dihedral)
                else:
                    pdq, quality = pdq_from_rgb(rgb)
                    turns = None
                phash = phash_from_image(shown)
    except NotAnImageError:
        return FileHashes("file", md5, sha256)
    return FileHashes("image", md5, sha256, pdq, quality, phash, turns)
