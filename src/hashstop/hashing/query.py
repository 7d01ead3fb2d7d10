"""The hashes a platform sends for one upload: borders removed, every rotation and flip.

A re-posted photo often arrives inside a frame: a white border, letterbox bars, a caption bar,
or a whole app screenshot around it. Hashing the upload as it is misses those; hashing what is
left once the frame is removed ("unletterboxing") finds them. The 8 dihedral hashes of that
content catch mirrored and rotated copies, for free in one PDQ pass.

`query_hashes` is the one call a platform needs; its output goes straight into an item of
`POST /v1/match` (at most `max_query` = 16 hashes). The parameters come from `variants.json`,
the definition the victim's side uses too.

Two levels of border removal, both judged on luma and tolerant of JPEG noise:
- *uniform*: whole lines of one colour (any colour) at each edge; what letterboxing and added
  borders are.
- *framing*: lines that are mostly one colour with some marks on it (text, icons): caption bars,
  the chrome of an app screenshot. Rows first, then columns, repeated, so that a photo spanning
  the width of a screenshot is not mistaken for a margin. Framing removal can also eat a plain
  sky, so the upload is hashed with framing removed from every side and from the top or the
  bottom alone; and the upload as it is always comes first.

This module never decides that something matched and never talks to a service.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from hashstop.hashing.types import PdqHash
from hashstop.hashing.variant_spec import RGB, load_spec
from hashstop.hashing.variants import ImageSource, as_rgb, pdq_dihedral, working_copy

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
Colour = npt.NDArray[np.int16] | None


def _luma(rgb: RGB) -> npt.NDArray[np.int16]:
    """Luma (as PDQ sees it, 0-255) in an (h, w, 1) array: JPEG rings far less in luma than in
    its subsampled colour, and a border only matters to PDQ through its luma."""
    total = rgb[:, :, 0] * np.uint32(299)
    total += rgb[:, :, 1] * np.uint32(587)
    total += rgb[:, :, 2] * np.uint32(114)
    total += 500
    total //= 1000
    return total.astype(np.int16)[:, :, None]


def _line_is_border(
    lines: npt.NDArray[np.int16], colour: npt.NDArray[np.int16], tol: int, frac: float
) -> npt.NDArray[np.bool_]:
    """For each line (n, length, 3): are at least `frac` of its pixels within `tol` of `colour`?"""
    close = np.abs(lines - colour[None, None, :]).max(axis=2) <= tol
    result: npt.NDArray[np.bool_] = close.mean(axis=1) >= frac
    return result


def _run_from_edge(
    lines: npt.NDArray[np.int16], colour: npt.NDArray[np.int16], tol: int, frac: float, seed: float
) -> int:
    """How many lines from the start are border lines, stopping at the first that is not.

    A line is border when a `frac` of its pixels are within `tol` of the current colour; a line
    that is uniform (a `seed` fraction within `tol` of its own median) sets the current colour,
    so a status bar followed by an app's background both count."""
    if seed <= frac:  # uniform borders: one colour throughout
        misses = np.flatnonzero(~_line_is_border(lines, colour, tol, frac))
        return int(misses[0]) if misses.size else int(lines.shape[0])
    for k in range(lines.shape[0]):
        line = lines[k : k + 1]
        own = np.median(line[0], axis=0).astype(np.int16)
        if _line_is_border(line, own, tol, seed)[0]:
            colour = own
        elif not _line_is_border(line, colour, tol, frac)[0]:
            return k
    return int(lines.shape[0])


def _trim_axis(
    rgb: npt.NDArray[np.int16],
    box: Box,
    axis: int,
    colours: tuple[Colour, Colour],
    tol: int,
    frac: float,
    seed: float,
) -> Box:
    """Trim both ends of one axis of `box` (axis 0: rows, top and bottom; 1: columns): the
    border lines from each end inward, starting from that end's colour (None: leave it)."""
    x0, y0, x1, y1 = box
    region = rgb[y0:y1, x0:x1]
    lines = region if axis == 0 else region.transpose(1, 0, 2)
    if lines.shape[0] < 2:
        return box
    cuts = []
    for ordered, colour in zip((lines, lines[::-1]), colours, strict=True):
        if colour is None:
            cuts.append(0)
        else:
            cuts.append(_run_from_edge(ordered, colour, tol, frac, seed))
    start, end = cuts
    if start + end >= lines.shape[0]:
        return box  # all one colour: nothing is inside, leave it
    if axis == 0:
        return x0, y0 + start, x1, y1 - end
    return x0 + start, y0, x1 - end, y1


def _edge_colours(rgb: npt.NDArray[np.int16], tol: int, frac: float) -> list[Colour]:
    """The colour of each outermost line (top, bottom, left, right): its median, or None when
    fewer than `frac` of its pixels are within `tol` of that median (no border there)."""
    edges = (rgb[:1], rgb[-1:], rgb[:, :1].transpose(1, 0, 2), rgb[:, -1:].transpose(1, 0, 2))
    colours: list[Colour] = []
    for line in edges:
        colour = np.median(line[0], axis=0).astype(np.int16)
        colours.append(colour if _line_is_border(line, colour, tol, frac)[0] else None)
    return colours


def unletterbox(
    image: ImageSource, *, framing: bool = False, luma: npt.NDArray[np.int16] | None = None
) -> Box:
    """The box (x0, y0, x1, y1) of the content once borders are removed; the whole image when
    there are none, or when what would remain is less than `min_kept` of the width or height.

    `framing=False` removes uniform borders only (lines of one colour); `framing=True` removes
    lines that are mostly one colour with marks on them (caption bars, app chrome), starting
    from the outermost line's colour and taking up the colour of each uniform line met (a
    status bar, then an app's background): rows, then columns, for three rounds. Both judge
    luma, as PDQ does. variants.json words the exact rule for other implementations.
    `luma` is the image's `_luma` when the caller has it already.
    """
    p = load_spec().query["unletterbox"]
    rgb = _luma(as_rgb(image)) if luma is None else luma
    h, w = rgb.shape[:2]
    box: Box = (0, 0, w, h)
    seed = float(p["uniform_fraction"])
    if framing:
        tol, frac, rounds = int(p["framing_tolerance"]), float(p["framing_fraction"]), 3
    else:
        tol, frac, rounds = int(p["tolerance"]), seed, 1
    top, bottom, left, right = _edge_colours(rgb, tol, frac)
    for _ in range(rounds):
        before = box
        box = _trim_axis(rgb, box, 0, (top, bottom), tol, frac, seed)
        box = _trim_axis(rgb, box, 1, (left, right), tol, frac, seed)
        if box == before:
            break
    x0, y0, x1, y1 = box
    if (x1 - x0) < float(p["min_kept"]) * w or (y1 - y0) < float(p["min_kept"]) * h:
        return (0, 0, w, h)
    return box


def _crop(rgb: RGB, box: Box) -> RGB:
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def _one_side(whole: Box, framed: Box, side: str) -> Box:
    """`whole` with only `side` of the framing removed."""
    x0, y0, x1, y1 = whole
    fx0, fy0, fx1, fy1 = framed
    return {
        "left": (fx0, y0, x1, y1),
        "top": (x0, fy0, x1, y1),
        "right": (x0, y0, fx1, y1),
        "bottom": (x0, y0, x1, fy1),
    }[side]


def query_pdq(image: ImageSource) -> list[PdqHash]:
    """The PDQ hashes to send for one upload (decoded, as displayed), distinct, at most
    `max_query`: the upload as it is; every dihedral transform of its content with uniform
    borders removed; its content with framing removed from every side, then from one side
    alone (a caption bar under a photo with a plain sky would otherwise take the sky too)."""
    spec = load_spec()
    q = spec.query
    full = as_rgb(image)
    rgb = working_copy(full, int(q["working_size"]))
    h, w = rgb.shape[:2]
    whole: Box = (0, 0, w, h)
    out: list[PdqHash] = []

    def add(found: list[PdqHash], transforms: list[str]) -> None:
        for t in transforms:
            pdq = found[spec.dihedral_order.index(t)]
            if pdq not in out and len(out) < spec.max_query:
                out.append(pdq)

    plain, _ = pdq_dihedral(full)
    out.append(plain[0])  # the upload as it is, at full resolution: what plain PDQ sends
    luma = _luma(rgb)
    content = unletterbox(rgb, luma=luma)
    same = content == whole and rgb is full
    add(plain if same else pdq_dihedral(_crop(rgb, content))[0], q["dihedral"])
    framed = unletterbox(rgb, framing=True, luma=luma)
    tried = {whole, content}
    if framed not in tried:
        tried.add(framed)
        add(pdq_dihedral(_crop(rgb, framed))[0], q["framing_dihedral"])
    for side in q["framing_sides"]:
        box = _one_side(whole, framed, side)
        if box not in tried:
            tried.add(box)
            add(pdq_dihedral(_crop(rgb, box))[0], ["original"])
    return out


def query_hashes(image: ImageSource, *, local: bool = True) -> list[tuple[str, str]]:
    """`(algorithm, hex)` pairs for one upload, ready for an item of `POST /v1/match`: the PDQ
    hashes (at most 16, the plain hash first), then with `local` its local hashes (issue 14,
    at most 64; `hashstop.hashing.local`), which the service matches only when several agree.

    A path or bytes of a video gives its frame hashes (`video.video_query_hashes`: distinct
    frames of quality >= 50, one a second, at most 360), then its MD5 and SHA-256: they go in
    a *video item* (`"kind": "video"`), which `match_item` makes.

    `image` is a file path, the file's bytes, a PIL image or an (h, w, 3) uint8 RGB array; a
    file is decoded as displayed (EXIF orientation applied), and one that is not an image, or
    is corrupt, raises a `HashingError` whose message is one line for a person."""
    return _query(image, local=local)[1]


def match_item(upload: ImageSource, ref: str, *, local: bool = True) -> dict[str, Any]:
    """One item of `POST /v1/match` for an upload, ready to send: `{"ref", "hashes"}` with the
    `query_hashes` of a photo, or for a video (a path or bytes) `{"ref", "kind": "video",
    "hashes"}`: its frame hashes (at most 360) and its MD5 and SHA-256, which the service
    matches by the vPDQ share rule. Raises `HashingError` as `query_hashes` does."""
    kind, pairs = _query(upload, local=local)
    item: dict[str, Any] = {"ref": ref}
    if kind == "video":
        item["kind"] = "video"
    item["hashes"] = [{"algorithm": a, "value": v} for a, v in pairs]
    return item


def _query(image: ImageSource, *, local: bool) -> tuple[str, list[tuple[str, str]]]:
    """("photo" or "video", the query hashes) of an upload."""
    from hashstop.hashing.errors import NotAnImageError
    from hashstop.hashing.local import local_hashes
    from hashstop.hashing.video import is_video, video_query_hashes

    try:
        rgb = as_rgb(image)
    except NotAnImageError:
        if isinstance(image, str | os.PathLike | bytes) and is_video(image):
            return "video", video_query_hashes(image)
        raise
    out = [("pdq", pdq.hex) for pdq in query_pdq(rgb)]
    if local:
        out += [("local", h.hex) for h in local_hashes(rgb, query=True)]
    return "photo", out
