"""Geometric agreement of local hits: the rule that turns weak patch hits into a match.

A local hash (`hashstop.hashing.local`) that lies within a few bits of a stored one is weak
evidence: textures repeat, and among millions of stored patches some are always near. A real
copy of a photo differs from it by one transform, the same for every patch: a crop shifts them
all, a turn turns them all, a resize scales them all. So an upload matches a stored photo only
when at least `min_agreeing` of its hits on that photo agree on one similarity transform
(position, scale and angle), counting each query patch and each stored patch once.

How: every hit proposes a transform from its own frame pair (the scale ratio, the angle
difference, and the translation that maps the query keypoint onto the stored one); a proposal
is refined once by the least-squares similarity over the hits that agree with it, and the hits
within the tolerances of the refined transform are counted. A non-uniform stretch (aspect 0.85
to 1.15) or JPEG noise moves keypoints a little, hence tolerances rather than exact equality.

Pure numpy, no I/O; the service calls `agreeing` per candidate photo. It refuses nothing and
trusts its caller for the frames' ranges (`Frame` packs them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How far a hit may sit from a transform and still agree with it."""

    position: float = 16.0  # canonical pixels (the long side is 256)
    scale_octaves: float = 0.68  # |log2 of the scale ratio| off the transform's
    angle: float = 0.5  # radians
    max_zoom_octaves: float = 3.0  # transforms that scale by more than 8x are refused


DEFAULT = Tolerances()
MIN_AGREEING = 4
"""Hits that must agree for a match (measured: 2 or 3 happen between unrelated photos)."""
LOCAL_MAX_DISTANCE = 6
"""Bits of 64 within which a query patch hits a stored one."""


def _frames(frames: npt.NDArray[np.integer]) -> tuple[F64, F64, F64, F64]:
    """(x, y, log2 sigma, angle) from quantised frames (n, 4): quarter pixels, twelfths of an
    octave, 64ths of a turn."""
    f = np.asarray(frames, dtype=np.float64).reshape(-1, 4)
    return f[:, 0] / 4, f[:, 1] / 4, f[:, 2] / 12, f[:, 3] * (2 * math.pi / 64)


def _wrap(a: F64) -> F64:
    wrapped: F64 = (a + math.pi) % (2 * math.pi) - math.pi
    return wrapped


def agreeing(
    query: npt.NDArray[np.integer],
    stored: npt.NDArray[np.integer],
    query_ids: npt.NDArray[np.integer] | None = None,
    stored_ids: npt.NDArray[np.integer] | None = None,
    tol: Tolerances = DEFAULT,
) -> int:
    """The size of the largest set of hits that agree on one similarity transform.

    `query[k]` and `stored[k]` are the frames (x, y, scale, angle as packed) of hit k: a query
    patch and the stored patch it came near. `query_ids` and `stored_ids` name the patches, so
    that one patch hitting several others counts once (default: every row its own patch).
    """
    return agreement(query, stored, query_ids, stored_ids, tol)[0]


def agreement(
    query: npt.NDArray[np.integer],
    stored: npt.NDArray[np.integer],
    query_ids: npt.NDArray[np.integer] | None = None,
    stored_ids: npt.NDArray[np.integer] | None = None,
    tol: Tolerances = DEFAULT,
) -> tuple[int, npt.NDArray[np.bool_]]:
    """`agreeing`, and which hits make up that largest set."""
    n = len(query)
    best_mask = np.zeros(n, bool)
    if n == 0:
        return 0, best_mask
    qx, qy, qs, qa = _frames(query)
    sx, sy, ss, sa = _frames(stored)
    qid = np.arange(n) if query_ids is None else np.asarray(query_ids)
    sid = np.arange(n) if stored_ids is None else np.asarray(stored_ids)
    zoom = ss - qs  # log2 of the scale each hit proposes
    turn = _wrap(sa - qa)
    best = 0
    plausible = np.abs(zoom) <= tol.max_zoom_octaves
    for h in np.flatnonzero(plausible):
        k, c, s = 2.0 ** zoom[h], math.cos(turn[h]), math.sin(turn[h])
        tx = sx[h] - k * (c * qx[h] - s * qy[h])
        ty = sy[h] - k * (s * qx[h] + c * qy[h])
        agree = _agree(qx, qy, sx, sy, zoom, turn, (k, c, s, tx, ty), zoom[h], turn[h], tol)
        if agree.sum() >= 2:  # refine once: the least-squares similarity of the agreeing hits
            fit = _similarity(qx[agree], qy[agree], sx[agree], sy[agree])
            if fit is not None:
                k2 = math.hypot(fit[0], fit[1])
                if k2 > 0 and abs(math.log2(k2)) <= tol.max_zoom_octaves:
                    c2, s2 = fit[0] / k2, fit[1] / k2
                    refined = (k2, c2, s2, fit[2], fit[3])
                    again = _agree(
                        qx, qy, sx, sy, zoom, turn, refined, math.log2(k2), math.atan2(s2, c2), tol
                    )
                    if again.sum() >= agree.sum():
                        agree = again
        count = min(len(set(qid[agree].tolist())), len(set(sid[agree].tolist())))
        if count > best:
            best, best_mask = count, agree
    return best, best_mask


def _agree(
    qx: F64,
    qy: F64,
    sx: F64,
    sy: F64,
    zoom: F64,
    turn: F64,
    transform: tuple[float, float, float, float, float],
    log_k: float,
    angle: float,
    tol: Tolerances,
) -> npt.NDArray[np.bool_]:
    k, c, s, tx, ty = transform
    mx = tx + k * (c * qx - s * qy)
    my = ty + k * (s * qx + c * qy)
    near = np.hypot(mx - sx, my - sy) <= tol.position
    scaled = np.abs(zoom - log_k) <= tol.scale_octaves
    turned = np.abs(_wrap(turn - angle)) <= tol.angle
    result: npt.NDArray[np.bool_] = near & scaled & turned
    return result


def _similarity(qx: F64, qy: F64, sx: F64, sy: F64) -> tuple[float, float, float, float] | None:
    """Least-squares (a, b, tx, ty) with s = [[a, -b], [b, a]] q + t."""
    mqx, mqy, msx, msy = qx.mean(), qy.mean(), sx.mean(), sy.mean()
    dx, dy, ex, ey = qx - mqx, qy - mqy, sx - msx, sy - msy
    den = float((dx * dx + dy * dy).sum())
    if den == 0:
        return None
    a = float((dx * ex + dy * ey).sum()) / den
    b = float((dx * ey - dy * ex).sum()) / den
    return a, b, msx - (a * mqx - b * mqy), msy - (b * mqx + a * mqy)
