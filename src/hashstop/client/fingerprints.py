"""Fingerprint files on the victim's own device: walk folders, hash each file, keep the outcome.

Nothing leaves the machine here. Folders are walked recursively in a stable sorted order; a file
that cannot be hashed gets an error instead of hashes and never stops the others. Used by
`hashstop hash` (which prints the outcomes) and by a submission (which sends them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hashstop.i18n import _

if TYPE_CHECKING:  # the hashing stack (numpy, Pillow, scipy) loads when `hash` runs, not before
    from hashstop.hashing import FileHashes, Variant
    from hashstop.hashing.local import LocalHash


@dataclass(frozen=True)
class Outcome:
    """One file's result: its hashes, or why it has none."""

    path: str
    hashes: FileHashes | None = None
    error: str | None = None
    variants: tuple[Variant, ...] | None = None  # asked for, and the file is an image
    query: tuple[tuple[str, str], ...] | None = None  # asked for: (algorithm, hex) pairs
    local: tuple[LocalHash, ...] | None = None  # stored with the variants (issue 14)

    def as_json(self) -> dict[str, object]:
        if self.hashes is None:
            return {"path": self.path, "error": self.error}
        out: dict[str, object] = {"path": self.path, **self.hashes.as_json()}
        if self.variants is not None:
            out["variants"] = [
                {"name": v.name, "pdq": v.pdq.hex, "pdq_quality": v.quality} for v in self.variants
            ]
        if self.local is not None:
            out["local_hashes"] = [h.hex for h in self.local]
        if self.query is not None:
            # A video's query hashes go in a video item of POST /v1/match ("kind": "video").
            out["query_kind"] = "video" if self.hashes.vpdq is not None else "photo"
            out["query_hashes"] = [{"algorithm": a, "value": v} for a, v in self.query]
        return out


def _walk(folder: str) -> Iterator[Outcome | str]:
    """Regular files under `folder`, sorted; unreadable folders as errors. No symlinked dirs."""
    failures: list[OSError] = []
    found: list[str] = []
    for root, dirs, files in os.walk(folder, onerror=failures.append):
        dirs.sort()
        found.extend(os.path.join(root, name) for name in files)
    yield from sorted(found, key=lambda p: Path(p).parts)
    for failure in failures:
        yield Outcome(
            str(failure.filename),
            error=_("cannot read folder: %(reason)s", reason=failure.strerror),
        )


def files_under(paths: tuple[str, ...]) -> list[Outcome | str]:
    """Each file named or found under `paths`, once, in order; unreadable folders as errors."""
    seen: set[str] = set()
    items: list[Outcome | str] = []
    for path in paths:
        for item in _walk(path) if os.path.isdir(path) else [path]:
            key = item if isinstance(item, str) else f"error:{item.path}"
            if key not in seen:
                seen.add(key)
                items.append(item)
    return items


def _extras(
    path: str, hashes: FileHashes, variants: bool, query: bool
) -> tuple[
    tuple[Variant, ...] | None, tuple[tuple[str, str], ...] | None, tuple[LocalHash, ...] | None
]:
    """The stored variants, the query hashes and the stored local hashes of one file, when
    asked for (the local hashes come with the variants: both are what a client stores).

    They decode the image again at full resolution (the variants start from its exact PDQ).
    A file that is no image has no variants; its query hashes are its exact digests."""
    from hashstop.hashing import as_rgb, local_hashes, open_image, photo_variants, query_hashes

    if hashes.kind != "image":
        exact: tuple[tuple[str, str], ...] = (
            ("md5", hashes.md5.hex),
            ("sha256", hashes.sha256.hex),
        )
        if hashes.vpdq is not None:  # a video: its frame hashes, then its digests
            from hashstop.hashing.video import frame_hashes

            exact = tuple(("pdq", f.pdq.hex) for f in frame_hashes(hashes.vpdq)) + exact
        return (() if variants else None), (exact if query else None), (() if variants else None)
    rgb = as_rgb(open_image(path))
    stored = tuple(photo_variants(rgb)) if variants else None
    # a photo too flat for PDQ variants stores no local hashes either (variants.json)
    local = tuple(local_hashes(rgb)) if stored else (() if variants else None)
    return stored, tuple(query_hashes(rgb)) if query else None, local


def hash_one(
    path: str,
    full_resolution: bool,
    dihedral: bool,
    *,
    variants: bool = False,
    query: bool = False,
    seconds_per_hash: float = 1.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> Outcome:
    """Hash one file; `variants` adds the hashes a victim's client stores for it, `query` the
    hashes a platform sends for it; a video keeps one frame each `seconds_per_hash`, and
    `progress` hears of its decoded frames. Never raises: a failure is the outcome's error."""
    from hashstop.hashing import HashingError, hash_file

    try:
        hashes = hash_file(
            path,
            full_resolution=full_resolution,
            dihedral=dihedral,
            seconds_per_hash=seconds_per_hash,
            progress=progress,
        )
        if not (variants or query):
            return Outcome(path, hashes)
        stored, sent, local = _extras(path, hashes, variants, query)
        return Outcome(path, hashes, variants=stored, query=sent, local=local)
    except HashingError as error:
        return Outcome(path, error=str(error))
    except Exception as error:  # noqa: BLE001 - one bad file must not end a victim's run
        reason = " ".join(str(error).split())
        return Outcome(path, error=f"unexpected error: {type(error).__name__}: {reason}")


def printable(path: str) -> str:
    """A file name as text even when it is not valid UTF-8."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")
