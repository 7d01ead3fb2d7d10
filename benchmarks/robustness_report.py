"""The robustness benchmark's results: the markdown table (stdout and docs/robustness.md) and the
plot of distance distributions (docs/robustness.png). Only reporting; no measuring here."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SameRow = tuple[int, int, int, str]  # plain, variants vs plain query, hashstop, variant matched
DiffRow = tuple[str, str, int, int, int, str]  # stored photo, other photo, 3 distances, variant


@dataclass
class Results:
    threshold: int
    photos: list[str]
    rows: list[tuple[str, list[str]]]
    same: defaultdict[str, list[SameRow]] = field(default_factory=lambda: defaultdict(list))
    crh_same: defaultdict[str, list[tuple[bool, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    different: list[DiffRow] = field(default_factory=list)
    local_same: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    local_different: list[tuple[str, str, int]] = field(default_factory=list)
    min_agreeing: int = 4
    local_radius: int = 7
    local_query: int = 48
    local_stored: int = 48
    distractors: list[str] = field(default_factory=list)
    crh_measured: bool = True
    same_scene: list[tuple[list[str], str]] = field(default_factory=list)
    crh_different: list[tuple[str, str, bool, bool]] = field(default_factory=list)
    stored_counts: list[int] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    too_flat: list[str] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0


def _recall(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.2f}" if values else "-"


def _table(res: Results) -> list[str]:
    t, m = res.threshold, res.min_agreeing
    lines = [
        "| edit | copies | plain PDQ | variants, plain query | variants (issue 8) | "
        f"local (>= {m} agree) | **hashstop** (variants or local) | "
        "crop-resistant (imagehash) | crop-resistant, strict | matched by (most often) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, copies in [("unedited", ["unedited"]), *res.rows]:
        same = [s for c in copies for s in res.same[c]]
        local = [a for c in copies for a in res.local_same[c]]
        both = [s[2] <= t or a >= m for s, a in zip(same, local, strict=True)]
        crh = [s for c in copies for s in res.crh_same[c]] if res.crh_measured else []
        found = [s[3] for s in same if s[2] <= t]
        top = ", ".join(f"{n} {k}" for n, k in Counter(found).most_common(2))
        lines.append(
            f"| {name} | {len(same)} | {_recall([s[0] <= t for s in same])} | "
            f"{_recall([s[1] <= t for s in same])} | {_recall([s[2] <= t for s in same])} | "
            f"{_recall([a >= m for a in local])} | **{_recall(both)}** | "
            f"{_recall([c[0] for c in crh])} | {_recall([c[1] for c in crh])} | {top} |"
        )
    return lines


def _misses(res: Results) -> list[str]:
    """Which photos hashstop missed, per edit (the rows' copies are in photo order)."""
    lines = []
    for name, copies in res.rows:
        missed = [
            f"{res.photos[i]} ({s[2]} bits, {a} agreeing)"
            for c in copies
            for i, (s, a) in enumerate(zip(res.same[c], res.local_same[c], strict=True))
            if s[2] > res.threshold and a < res.min_agreeing
        ]
        if missed:
            lines.append(f"- {name}: {', '.join(missed)}")
    return lines or ["- none"]


def _false_matches(res: Results) -> list[str]:
    t = res.threshold
    n = len(res.different)
    fm = [
        ("plain PDQ", [d for d in res.different if d[2] <= t]),
        ("variants, plain query", [d for d in res.different if d[3] <= t]),
        ("hashstop", [d for d in res.different if d[4] <= t]),
    ]
    bands = (47, 63, 79)
    lines = [
        f"Ordered pairs of distinct photos: {n} (the stored hashes of one photo against the "
        "query hashes of the other and of each of its edited copies), among the held-out photos "
        f"and {len(res.distractors)} development images added as distractors (stored, and "
        "uploaded unedited and with each random edit). Same scenes: the "
        "other views of one scene (scikit-image's right motorcycle, insightface's other masks, "
        "the conformance set's bridge and EXIF families beyond one frame) were left out of the "
        "held-out list, and pywt's copies of scikit-image's camera and scipy's ascent were not "
        "listed twice. Left out of the pairs, both orders, as one scene each (a match between "
        "them is a true one): "
        + "; ".join(f"{a} and {b}: {why}" for (a, b), why in res.same_scene)
        + ".",
        "",
        f"| method | false matches at distance <= {t} | smallest distance between distinct "
        "photos | " + " | ".join(f"pairs <= {b}" for b in bands) + " |",
        "|---|---|---|" + "---|" * len(bands),
    ]
    for (label, hits), k in zip(fm, (2, 3, 4), strict=True):
        column = [int(d[k]) for d in res.different]
        smallest = min(column, default=256)
        tail = " | ".join(str(sum(1 for v in column if v <= b)) for b in bands)
        lines.append(f"| {label} | {len(hits)} | {smallest} | {tail} |")
    crh_default = [d for d in res.crh_different if d[2]]
    crh_strict = [d for d in res.crh_different if d[3]]
    dashes = " | -" * len(bands)
    if res.crh_measured:
        lines.append(
            f"| crop-resistant (imagehash, default rule) | {len(crh_default)} | -{dashes} |"
        )
        lines.append(
            f"| crop-resistant, strict (2 regions within 8 bits) | {len(crh_strict)} | -{dashes} |"
        )
    agree = [d[2] for d in res.local_different]
    m = res.min_agreeing
    local_hits = [d for d in res.local_different if d[2] >= m]
    lines.append(
        f"| local hashes (>= {m} hits agreeing on one transform) | {len(local_hits)} | "
        f"most agreeing: {max(agree, default=0)} | "
        + " | ".join(f">= {k} agreeing: {sum(1 for a in agree if a >= k)}" for k in (2, 3, m - 1))
        + " |"
    )
    both = [
        d
        for d, ld in zip(res.different, res.local_different, strict=True)
        if d[4] <= t or ld[2] >= m
    ]
    lines.append(f"| **hashstop** (variants or local) | {len(both)} | - | - | - | - |")
    lines.append("")
    most = sorted(res.local_different, key=lambda d: -d[2])[:8]
    lines.append("Most agreeing local hits between distinct photos (stored photo, upload, hits):")
    lines.append("")
    lines += [f"- {a} vs {b}: {k}" for a, b, k in most]
    for a, b, k in local_hits:
        lines.append(f"- **false match (local)**: {a} vs {b} ({k} agreeing)")
    lines.append("")
    closest = sorted(res.different, key=lambda d: d[4])[:8]
    lines.append(
        "Closest distinct pairs under hashstop (stored photo, other photo, distance, "
        "stored variant that came closest):"
    )
    lines.append("")
    for a, b, _, _, d, which in closest:
        lines.append(f"- {a} vs {b}: {d} ({which})")
    for label, hits in fm:
        if hits:
            shown = "; ".join(f"{a} vs {b} ({min(p, v, f)})" for a, b, p, v, f, _ in hits[:30])
            lines.append(f"- **false match ({label})**: {shown}")
    return lines


def _found_at(res: Results) -> str:
    """How close the found copies were, by the kind of stored hash that found them: the room a
    stricter threshold for the variants would have."""
    plain = {"original", "mirror", "rotate90", "rotate180", "rotate270"}
    kinds: dict[str, list[int]] = {"photo, mirror, rotations": [], "other variants": []}
    for c, rows in res.same.items():
        for s in rows:
            if c != "unedited" and s[2] <= res.threshold:
                kinds["photo, mirror, rotations" if s[3] in plain else "other variants"].append(
                    s[2]
                )
    parts = [
        f"{k}: {len(v)} copies, median {np.median(v):.0f}, 95th percentile "
        f"{np.percentile(v, 95):.0f}, largest {max(v)}"
        for k, v in kinds.items()
        if v
    ]
    return (
        "- Distance of the hashstop matches, by the stored hash that matched: "
        + "; ".join(parts)
        + "."
    )


def _counts(res: Results) -> list[str]:
    s, q = np.array(res.stored_counts), np.array(res.query_counts)
    dropped = ", ".join(f"{k} ({v})" for k, v in sorted(res.dropped.items())) or "none"
    return [
        f"- Hashes stored per photo: median {np.median(s):.0f}, min {s.min()}, max {s.max()} "
        f"(plain PDQ: 1).",
        f"- Query hashes per upload: median {np.median(q):.0f}, max {q.max()} (plain PDQ: 1).",
        f"- Variants not stored, for quality below 50 or as a duplicate of another hash "
        f"(photos): {dropped}.",
        f"- Photos too flat to store at all (quality < 50, left out): "
        f"{', '.join(res.too_flat) or 'none'}.",
        _found_at(res),
    ]


def _plot(res: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = res.threshold
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    bins = np.arange(0, 161, 2)
    for ax, k, title in ((axes[0], 0, "plain PDQ"), (axes[1], 2, "PDQ variants (issue 8)")):
        same = [s[k] for c in res.same for s in res.same[c] if c != "unedited"]
        diff = [d[2 + k] for d in res.different]
        ax.hist(same, bins=bins, alpha=0.6, label="same photo, edited", color="tab:blue")
        ax.hist(diff, bins=bins, alpha=0.6, label="different photos", color="tab:red")
        ax.axvline(t + 0.5, color="black", linestyle="--", linewidth=1)
        ax.text(t + 2, ax.get_ylim()[1] * 0.5, f"match <= {t}", fontsize=8)
        ax.set_yscale("log")
        ax.set_title(f"{title}: smallest PDQ distance")
        ax.set_xlabel("Hamming distance (bits of 256)")
    ax = axes[2]
    m = res.min_agreeing
    same_local = [a for c in res.local_same for a in res.local_same[c] if c != "unedited"]
    diff_local = [d[2] for d in res.local_different]
    top = max([*same_local, *diff_local, m + 1])
    abins = np.arange(0, top + 2) - 0.5
    ax.hist(same_local, bins=abins, alpha=0.6, label="same photo, edited", color="tab:blue")
    ax.hist(diff_local, bins=abins, alpha=0.6, label="different photos", color="tab:red")
    ax.axvline(m - 0.5, color="black", linestyle="--", linewidth=1)
    ax.text(m, ax.get_ylim()[1] * 0.5, f"match >= {m}", fontsize=8)
    ax.set_yscale("log")
    ax.set_title("local hashes: hits agreeing on one transform")
    ax.set_xlabel("agreeing hits (most for any copy of the upload)")
    axes[0].set_ylabel("count (log)")
    axes[1].legend(loc="upper right", fontsize=8)
    fig.suptitle(
        f"{len(res.photos)} held-out photos, {len(res.same) - 1} edited copies each; "
        f"different photos: {len(res.different)} ordered pairs"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(res: Results, out: Path) -> str:
    """Write docs/robustness.md and .png under `out`; return the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    sources = ", ".join(f"{name} {n}" for name, n in res.sources)
    md = [
        "# Robustness benchmark",
        "",
        f"{len(res.photos)} held-out photos ({sources}), none of them used to develop the local "
        "hashes; PDQ match at distance <= "
        f"{res.threshold}, local match when >= {res.min_agreeing} local hits (each within "
        f"{res.local_radius} of 64 bits; up to {res.local_query} local hashes per upload) agree "
        "on one transform. Recall is the share of edited copies found. Made by "
        f"`benchmarks/robustness.py` in {res.seconds:.0f} s.",
        "",
        "Rows: the fixed edits of issue 8 (each with one set of parameters; the crops and the 3 "
        "degree turns are those the PDQ variants enumerate), then issue 14's *random* rows: "
        "each parameter drawn per photo from a distribution with a fixed seed "
        "(`benchmarks/robustness_random.py`: every side cropped 0-15% independently, a turn of "
        "+-2..10 degrees cropped to content or with corners filled in a random colour, a "
        "stretch of the aspect by 0.85-1.15 and a crop of 0-10% a side, a sticker, badge or text "
        "block over 5-15% of the area, a border of random colour and width 2-15%, two of these "
        "combined), each copy then resized to 60-100% and saved as JPEG q70-95. The fixed rows "
        "are on the variants' own grid (a crop of exactly a stored variant's fractions, on "
        "photos already at the working size, gives that variant's pixels), so they show that "
        "the variants work as defined, not robustness: read the random rows for that. Not "
        "covered: photos of people are few (insightface's), none intimate; re-encoding chains "
        "beyond one JPEG save, filters, and screenshots of a phone's screen are not tried.",
        "",
        "Columns: *plain PDQ*, one reference hash of the photo against one of the copy; "
        "*variants, plain query*, the stored PDQ variants against the copy's plain hash (a "
        "platform that computes plain PDQ only); *variants (issue 8)*, the stored variants "
        "against the PDQ query hashes of the copy (today's design); *local*, the photo's "
        f"{res.local_stored} "
        f"stored local hashes against the copy's {res.local_query} (issue 14); **hashstop**, "
        "either of the two (what the service answers); *crop-resistant*, imagehash's "
        "`crop_resistant_hash` of the photo against the copy's, by its own rule (one segment "
        "within 16 of 64 bits), and "
        "*strict*, two segments within 8 bits (`-` when the run left it out); *matched by*, the "
        "stored variant that the earliest matching PDQ query hash found. The (extra) row is not "
        "in issue 8's list: a plain rotation that keeps black corners, where the listed one "
        "crops them away like a phone's straighten tool.",
        "",
        *_table(res),
        "",
        "Missed by hashstop (photo, smallest distance):",
        "",
        *_misses(res),
        "",
        "## False matches between distinct photos",
        "",
        *_false_matches(res),
        "",
        "## Counts",
        "",
        *_counts(res),
    ]
    if res.missing:
        md += ["", f"Not installed, skipped: {', '.join(res.missing)}."]
    text = "\n".join(md) + "\n"
    (out / "robustness.md").write_text(text)
    _plot(res, out / "robustness.png")
    return text
