"""Every fingerprint of one file: what the CLI prints and a victim submits.

Every file gets MD5 and SHA-256 of its bytes (videos, documents, anything). A file whose bytes
are an image (decided by decoding its magic bytes, never by the extension) also gets PDQ with
its quality and pHash, of the image as displayed. Images of at most 1 MP, and every image when
`full_resolution` is asked for, are hashed from every pixel, bit-exact with the reference; larger
ones from a reduced decode (see `hashstop.hashing.reduced`): over ten times faster on a phone
photo, within a few bits (`benchmarks/hashing.py` measures both). The pHash of such an image is
taken from the same reduced decode: it equalled imagehash's on every conformance image, but is
not guaranteed bit-exact; `full_resolution` makes it so. A file whose bytes are a video (a
container of `video.VIDEO_FORMATS` with a video stream) gets vPDQ (`video.vpdq_hash`: one frame
each `seconds_per_hash`); a video refused by the bounds (too long, frames too large) or that
cannot be decoded keeps its exact digests, with the reason in `note`. This module reads files;
it never writes, uploads or keeps their bytes.
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
from hashstop.hashing.video import (
    DEFAULT_SECONDS_PER_HASH,
    NotAVideoError,
    Progress,
    VideoDecodeError,
    VpdqFeature,
    vpdq_hash,
)

Kind = Literal["image", "video", "file"]


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
    vpdq: tuple[VpdqFeature, ...] | None = None  # a video's kept frames (kind "video")
    frame_rate: float | None = None  # a video's average frame rate
    note: str | None = None  # why a video has no vPDQ (kind "file")

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
        if self.vpdq is not None:
            out["frame_rate"] = round(self.frame_rate or 0.0, 3)
            out["vpdq"] = [f.as_json() for f in self.vpdq]
        if self.note is not None:
            out["note"] = self.note
        return out


def hash_file(
    path: str | os.PathLike[str],
    *,
    full_resolution: bool = False,
    dihedral: bool = False,
    seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH,
    progress: Progress | None = None,
) -> FileHashes:
    """Hash the file at `path`; raise a HashingError subclass with a one-line message.

    `full_resolution` hashes every pixel (bit-exact with the reference PDQ and imagehash pHash);
    `dihedral` adds the 8 PDQ hashes of the image's rotations and flips. A video is hashed one
    frame each `seconds_per_hash` (0: every frame), `progress` told as frames are decoded.
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
        return _video_or_file(path, md5, sha256, seconds_per_hash, progress)
    return FileHashes("image", md5, sha256, pdq, quality, phash, turns)


def _video_or_file(
    path: str | os.PathLike[str],
    md5: Md5Hash,
    sha256: Sha256Hash,
    seconds_per_hash: float,
    progress: Progress | None,
) -> FileHashes:
    try:
        video = vpdq_hash(path, seconds_per_hash=seconds_per_hash, progress=progress)
    except NotAVideoError:
        return FileHashes("file", md5, sha256)
    except VideoDecodeError as error:
        return FileHashes("file", md5, sha256, note=str(error))
    return FileHashes("video", md5, sha256, vpdq=video.features, frame_rate=video.frame_rate)
