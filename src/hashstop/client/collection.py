"""What a submission sends: the fingerprints of the victim's files, grouped by file.

Files are hashed here, on the device (`hashstop.hashing`): images get PDQ with its quality,
pHash, MD5 and SHA-256; a video its frame hashes (vPDQ at one frame a second: its distinct
frames of quality >= 50, at most 360, each a pdq entry of variant `frame`) with MD5 and SHA-256;
every other file MD5 and SHA-256. A photo's PDQ is sent
as its stored variants (`photo_variants`: the photo itself, crops, mirror, turns, each a pdq
entry named by its `variant`; those under the quality floor of facts.json are dropped), so a
platform finds an edited re-post with one plain PDQ hash, and with its local hashes (issue 14:
up to 48 `local` entries, variant `local`), which find crops, turns and stretches off any grid.
The hashes of one file travel as one `photo` of the case, under a random key made for this
submission, so that the case counts photos rather than hashes. The key is random, not derived
from the file, because the server keeps it after a withdrawal erases the hash values. A file
found twice (a copy in two folders) is sent once. Files that cannot be hashed are set aside with
the reason, never sent.

Nothing here opens a network connection or keeps a file's bytes.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from hashstop.client.fingerprints import Outcome, files_under, hash_one
from hashstop.hashing.facts import FACTS
from hashstop.i18n import _

# Hashes per request (facts.json): under the server's default limit, so that no request is
# refused for its size; a file's hashes always travel together.
HASHES_PER_REQUEST = FACTS.hashes_per_request


@dataclass(frozen=True)
class FileEntries:
    """The hash entries of one file, as the API takes them, and whether it is a photo."""

    is_photo: bool
    entries: list[dict[str, Any]]
    is_video: bool = False


@dataclass
class Collection:
    files: list[FileEntries] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return sum(1 for f in self.files if f.is_photo)

    @property
    def videos(self) -> int:
        return sum(1 for f in self.files if f.is_video)

    @property
    def other_files(self) -> int:
        """Files that are not photos (videos included)."""
        return sum(1 for f in self.files if not f.is_photo)

    @property
    def fingerprints(self) -> int:
        return sum(len(f.entries) for f in self.files)

    def batches(self, limit: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """The entries in requests of at most `limit` hashes, never splitting a file."""
        limit = limit or HASHES_PER_REQUEST
        batch: list[dict[str, Any]] = []
        for file in self.files:
            if batch and len(batch) + len(file.entries) > limit:
                yield batch
                batch = []
            batch.extend(file.entries)
        if batch:
            yield batch


def _entries(outcome: Outcome) -> FileEntries:
    hashes = outcome.hashes
    assert hashes is not None  # noqa: S101 - only for hashed files  # nosec B101
    photo = "f" + secrets.token_hex(8)
    entries: list[dict[str, Any]] = []
    if outcome.variants:
        entries.extend(
            {"algorithm": "pdq", "value": v.pdq.hex, "quality": v.quality, "variant": v.name}
            for v in outcome.variants
        )
        entries.extend(
            {"algorithm": "local", "value": h.hex, "variant": "local"} for h in outcome.local or ()
        )
    elif hashes.vpdq is not None:  # a video: its frames, as one item with its digests
        from hashstop.hashing.video import frame_hashes

        entries.extend(
            {"algorithm": "pdq", "value": f.pdq.hex, "quality": f.quality, "variant": "frame"}
            for f in frame_hashes(hashes.vpdq)
        )
    elif hashes.pdq is not None:  # too flat for variants: the server says why it is refused
        entries.append({"algorithm": "pdq", "value": hashes.pdq.hex, "quality": hashes.pdq_quality})
    if hashes.phash is not None:
        entries.append({"algorithm": "phash", "value": hashes.phash.hex})
    entries.append({"algorithm": "md5", "value": hashes.md5.hex})
    entries.append({"algorithm": "sha256", "value": hashes.sha256.hex})
    for entry in entries:
        entry["photo"] = photo
    return FileEntries(
        is_photo=hashes.kind == "image", entries=entries, is_video=hashes.kind == "video"
    )


DESCRIPTION = "{task.description}"
"""A progress column showing each task's (translated) description."""


@contextmanager
def video_progress(progress: Progress) -> Iterator[Callable[[int, int | None], None]]:
    """A callback showing a video's decoded frames as a second bar of `progress` (a long video
    takes minutes); the bar goes when the file is done."""
    tasks: list[TaskID] = []

    def report(done: int, total: int | None) -> None:
        if not tasks:
            tasks.append(progress.add_task(_("reading a video (frames)"), total=total))
        progress.update(tasks[0], completed=done, total=total)

    try:
        yield report
    finally:
        for task in tasks:
            progress.remove_task(task)


def collect(paths: tuple[str, ...]) -> Collection:
    """Hash every file under `paths` (a progress bar on a terminal); set aside failures."""
    items = files_under(paths)
    collection = Collection()
    seen: set[str] = set()
    progress = Progress(
        TextColumn(DESCRIPTION),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with progress:
        task = progress.add_task(_("reading your files"), total=len(items))
        for item in items:
            if isinstance(item, Outcome):
                outcome = item
            else:
                with video_progress(progress) as report:
                    outcome = hash_one(item, False, False, variants=True, progress=report)
            progress.advance(task)
            if outcome.hashes is None:
                collection.skipped.append(outcome)
                continue
            if outcome.hashes.sha256.hex in seen:
                continue
            seen.add(outcome.hashes.sha256.hex)
            collection.files.append(_entries(outcome))
    return collection
