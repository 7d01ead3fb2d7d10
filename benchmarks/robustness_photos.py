"""The real photographs of the robustness benchmark, located in installed packages.

No third-party photo is committed to this repository: each one is read from the package that
ships it (pip extra `bench`, Debian packages below) or from the vendored PDQ conformance set.
A photo whose package is missing is skipped and counted, so the benchmark says what it ran on.

Install (as root on Debian 12):
    .venv/bin/pip install -e '.[test,bench]'
    apt-get install -y --no-install-recommends mate-backgrounds lomiri-wallpapers-16.04 \
        lomiri-wallpapers-20.04 plasma-workspace-wallpapers

Only photographs are listed: drawings, renders, test patterns and synthetic images are left out,
and so are near-identical frames (the right view of scikit-image's stereo pair, the bridge and
EXIF-rotation families of the conformance set beyond one frame each).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO_ROOT / "tests" / "data" / "pdq-conformance" / "images"
# Photos are brought to at most this many pixels on the long side once, at load time: the
# benchmark's "original" is that copy (PDQ works on a 64x64 reduction, so nothing is lost that
# matters, and every edit runs fast on 2 shared cores).
MAX_SIDE = 1024

SKIMAGE = [
    "astronaut.png",
    "brick.png",
    "camera.png",
    "cell.png",
    "chelsea.png",
    "clock_motion.png",
    "coffee.png",
    "coins.png",
    "grass.png",
    "gravel.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "microaneurysms.png",
    "moon.png",
    "motorcycle_left.png",
    "page.png",
    "retina.jpg",
    "rocket.jpg",
    "text.png",
]
SKLEARN = ["china.jpg", "flower.jpg"]
MATPLOTLIB = ["grace_hopper.jpg"]
CONFORMANCE_PHOTOS = [
    "bridge-mods/aaa-orig.jpg",
    "exif-rotn/exif-rotn-1.jpg",
    "labelme-subset/q0003.jpg",
    "labelme-subset/q0004.jpg",
    "labelme-subset/q0122.jpg",
    "labelme-subset/q0291.jpg",
    "labelme-subset/q0746.jpg",
    "labelme-subset/q1050.jpg",
    "labelme-subset/q2821.jpg",
    "misc-images/c.png",
    "misc/pen-and-coaster.png",
]
MATE_NATURE = Path("/usr/share/backgrounds/mate/nature")  # Debian: mate-backgrounds
MATE = [
    "Aqua.jpg",
    "Blinds.jpg",
    "Dune.jpg",
    "FreshFlower.jpg",
    "Garden.jpg",
    "GreenMeadow.jpg",
    "LadyBird.jpg",
    "RainDrops.jpg",
    "Storm.jpg",
    "TwoWings.jpg",
    "Wood.jpg",
    "YellowFlower.jpg",
]
BACKGROUNDS = Path("/usr/share/backgrounds")  # Debian: lomiri-wallpapers-16.04 and -20.04
LOMIRI = [
    "Bridge_by_Sander_Klootwijk.jpg",
    "Dragonfly_by_Bolly.jpg",
    "Picture_0B_by_freespace.jpg",
    "Picture_1A_by_freespace.jpg",
    "Wine_by_Jakkub_Mede.jpg",
    "aitzgorri_by_Aitzol_Berasategi.jpg",
    "free_by_Peter_Nerlich.jpg",
    "friends_by_Aitzol_Berasategi.jpg",
    "greentock_by_Peter_Nerlich.jpg",
    "life_by_Aitzol_Berasategi.jpg",
    "picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "seeding_by_Clements_Engelhardt.jpg",
    "sunset_by_Aitzol_Berasategi.jpg",
    "Kleiber_by_Lukas_Baubkus.jpg",
]
PLASMA = Path("/usr/share/wallpapers")  # Debian: plasma-workspace-wallpapers
PLASMA_PHOTOS = [
    "BytheWater",
    "ColdRipple",
    "ColorfulCups",
    "DarkestHour",
    "EveningGlow",
    "FallenLeaf",
    "Grey",
    "Kite",
    "OneStandsOut",
    "Path",
    "summer_1am",
]


@dataclass(frozen=True)
class Photo:
    name: str  # source/file, unique
    source: str  # the package (or set) that ships it
    path: Path


def _package_dir(module: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent.joinpath(*parts)


def _largest(folder: Path) -> Path | None:
    """The biggest image of a Plasma wallpaper folder (they ship one per screen size)."""
    images = [p for p in folder.glob("*") if p.suffix in (".jpg", ".png")]
    if not images:
        return None

    def pixels(p: Path) -> int:
        w, h = (int(v) for v in p.stem.split("x"))
        return w * h

    return max(images, key=pixels)


def candidate_photos() -> tuple[list[Photo], list[str]]:
    """Every listed photo that is installed, and the names of those that are not."""
    found: list[Photo] = []
    missing: list[str] = []

    def add(name: str, source: str, path: Path | None) -> None:
        if path is not None and path.is_file():
            found.append(Photo(name, source, path))
        else:
            missing.append(f"{source}:{name}")

    skimage_dir = _package_dir("skimage", "data")
    for f in SKIMAGE:
        add(f"skimage/{f}", "scikit-image", skimage_dir / f if skimage_dir else None)
    sklearn_dir = _package_dir("sklearn", "datasets", "images")
    for f in SKLEARN:
        add(f"sklearn/{f}", "scikit-learn", sklearn_dir / f if sklearn_dir else None)
    mpl_dir = _package_dir("matplotlib", "mpl-data", "sample_data")
    for f in MATPLOTLIB:
        add(f"matplotlib/{f}", "matplotlib", mpl_dir / f if mpl_dir else None)
    for f in CONFORMANCE_PHOTOS:
        add(f"conformance/{f}", "pdq-conformance", CONFORMANCE / f)
    for f in MATE:
        add(f"mate/{f}", "mate-backgrounds", MATE_NATURE / f)
    for f in LOMIRI:
        add(f"lomiri/{f}", "lomiri-wallpapers", BACKGROUNDS / f)
    for d in PLASMA_PHOTOS:
        folder = PLASMA / d / "contents" / "images"
        add(f"plasma/{d}", "plasma-workspace-wallpapers", _largest(folder))
    return found, missing


def load_photo(photo: Photo) -> Image.Image:
    """The photo as displayed (EXIF orientation applied), RGB, at most MAX_SIDE on the long side."""
    with Image.open(photo.path) as im:
        im.draft("RGB", (MAX_SIDE, MAX_SIDE))
        shown = ImageOps.exif_transpose(im).convert("RGB")
    shown.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return shown
