"""The module worker the /submit page uses, fed real files: conformance images decoded by
Chromium (EXIF orientation applied, fast path on) must land within 8 bits of the expected PDQ
where quality >= 80, and every file's MD5 and SHA-256 must equal hashlib's.

One page and one worker serve the whole module, as one /submit page serves many files.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from tests.web.conftest import WebSite
from tests.web.reference import hamming

pytestmark = pytest.mark.chromium

MAX_DISTANCE = 8

START_WORKER = """() => {
  const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
  const pending = new Map();
  worker.addEventListener("message", ({ data }) => {
    const request = pending.get(data.id);
    if (data.type === "progress") {
      request.progress.push([data.stage, data.done, data.total]);
      return;
    }
    pending.delete(data.id);
    request.resolve({ ...data, progress: request.progress });
  });
  worker.addEventListener("error", (event) => { window.workerError = String(event.message); });
  let nextId = 0;
  // Fetch a URL into a File (as an <input type=file> would give) and fingerprint it.
  window.fingerprint = async (url, type, options = {}) => {
    const bytes = await (await fetch(url)).blob();
    const file = new File([bytes], url.split("/").pop(), type === null ? {} : { type });
    const id = nextId++;
    const answer = new Promise((resolve) => pending.set(id, { resolve, progress: [] }));
    worker.postMessage({ id, file, ...options });
    return answer;
  };
  window.postRaw = (message) => new Promise((resolve) => {
    pending.set(message.id, { resolve, progress: [] });
    worker.postMessage(message);
  });
}"""

FINGERPRINT = "([url, type, options]) => window.fingerprint(url, type, options)"


@pytest.fixture(scope="module")
def worker_page(browser: Any, web_site: WebSite) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{web_site.url}/index.html")
    page.evaluate(START_WORKER)
    try:
        yield page
    finally:
        assert errors == []
        assert page.evaluate("() => window.workerError ?? null") is None
        context.close()


def mime_type(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1]
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[suffix]


def test_conformance_images_decoded_in_browser(
    worker_page: Any,
    web_site: WebSite,
    conformance: dict[str, Any],
    record_property: Callable[[str, object], None],
) -> None:
    distances: dict[str, int] = {}
    for case in conformance["cases"]:
        url = f"{web_site.url}/conformance/{case['file']}"
        result = worker_page.evaluate(FINGERPRINT, [url, mime_type(case["file"]), {}])
        assert result["type"] == "result", result
        assert result["kind"] == "image"
        data = case["path"].read_bytes()
        assert result["md5"] == case["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324
        assert result["sha256"] == hashlib.sha256(data).hexdigest()
        assert len(result["pdq"]) == 64
        if case["quality"] >= 80:
            distances[case["file"]] = hamming(result["pdq"], case["pdq"])
            assert result["pdq_quality"] >= 50, case["file"]
    # The table per image: benchmarks/browser_pdq.py --conformance prints it.
    record_property("pdq_distances", distances)
    assert len(distances) == 46
    assert max(distances.values()) <= MAX_DISTANCE, distances


def test_exif_orientation_is_applied(worker_page: Any, web_site: WebSite) -> None:
    url = f"{web_site.url}/conformance/images/exif-rotn/exif-rotn-6.jpg"
    result = worker_page.evaluate(FINGERPRINT, [url, "image/jpeg", {}])
    # Stored 4032x3024 landscape; orientation 6 displays it as portrait.
    assert (result["width"], result["height"]) == (3024, 4032)


def test_dihedral_hashes_in_browser(
    worker_page: Any, web_site: WebSite, conformance: dict[str, Any]
) -> None:
    case = next(c for c in conformance["cases"] if c["file"].endswith("bridge-1-original.jpg"))
    url = f"{web_site.url}/conformance/{case['file']}"
    result = worker_page.evaluate(FINGERPRINT, [url, "image/jpeg", {"dihedral": True}])
    assert result["pdq_dihedral"][0] == result["pdq"]
    for got, expected in zip(result["pdq_dihedral"], case["pdq_dihedral"], strict=True):
        assert hamming(got, expected) <= MAX_DISTANCE
    # Each dihedral hash must be that of the matching transformed image in the set.
    transformed = [c for c in conformance["cases"] if c["file"].startswith("images/dih/")]
    for got, other in zip(result["pdq_dihedral"], transformed, strict=True):
        assert hamming(got, other["pdq"]) <= 2 * MAX_DISTANCE, other["file"]


def test_video_is_only_digested(worker_page: Any, web_site: WebSite) -> None:
    data = bytes(range(256)) * 40_000 + b"tail"  # about 10 MB: three 4 MiB chunks
    (web_site.fixtures_dir / "clip.mp4").write_bytes(data)
    result = worker_page.evaluate(FINGERPRINT, [web_site.fixture_url("clip.mp4"), "video/mp4", {}])
    assert result["type"] == "result"
    assert result["kind"] == "file"
    assert "pdq" not in result and "pdq_error" not in result
    assert result["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    digest_progress = [p for p in result["progress"] if p[0] == "digest"]
    assert [done for _, done, _ in digest_progress] == [0, 4 << 20, 8 << 20, len(data)]
    assert {total for _, _, total in digest_progress} == {len(data)}


def fixture(web_site: WebSite, name: str, data: bytes) -> str:
    (web_site.fixtures_dir / name).write_bytes(data)
    return web_site.fixture_url(name)


def test_corrupt_jpeg_is_refused_as_damaged(worker_page: Any, web_site: WebSite) -> None:
    """A JPEG header over garbage: not a photo that can be protected, and never a result."""
    url = fixture(web_site, "broken.jpg", b"\xff\xd8\xff\xe0 this is not really a JPEG" * 100)
    result = worker_page.evaluate(FINGERPRINT, [url, "image/jpeg", {}])
    assert result["type"] == "error"
    assert result["reason"] == "damaged"
    assert "sha256" not in result


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_jpeg_is_refused_as_damaged(
    worker_page: Any, web_site: WebSite, conformance: dict[str, Any], keep: float
) -> None:
    case = next(c for c in conformance["cases"] if c["file"].endswith("aaa-orig.jpg"))
    data = case["path"].read_bytes()
    url = fixture(web_site, f"truncated-{keep}.jpg", data[: int(len(data) * keep)])
    result = worker_page.evaluate(FINGERPRINT, [url, "image/jpeg", {"variants": True}])
    assert (result["type"], result.get("reason")) == ("error", "damaged")


@pytest.mark.parametrize("declared", ["image/jpeg", None])
def test_random_bytes_claiming_to_be_a_photo_are_refused(
    worker_page: Any, web_site: WebSite, declared: str | None
) -> None:
    url = fixture(web_site, "random.jpg", random.Random(3).randbytes(50_000))
    result = worker_page.evaluate(FINGERPRINT, [url, declared, {}])
    assert (result["type"], result.get("reason")) == ("error", "not-a-photo")


def test_empty_file_is_refused(worker_page: Any, web_site: WebSite) -> None:
    url = fixture(web_site, "empty.jpg", b"")
    for declared in ("image/jpeg", "video/mp4"):
        result = worker_page.evaluate(FINGERPRINT, [url, declared, {}])
        assert (result["type"], result.get("reason")) == ("error", "empty")


def test_heic_gets_exact_hashes_and_says_its_format(worker_page: Any, web_site: WebSite) -> None:
    """Chromium cannot decode HEIC, which the hashstop program reads: exact fingerprints here."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="HEIF")
    url = fixture(web_site, "photo.heic", out.getvalue())
    result = worker_page.evaluate(FINGERPRINT, [url, "image/heic", {}])
    assert (result["type"], result["kind"], result["format"]) == ("result", "file", "computer")
    assert result["pdq_error"].startswith("this file could not be read as an image")
    assert result["sha256"] == hashlib.sha256(out.getvalue()).hexdigest()


def test_untyped_small_file_is_tried_as_image(worker_page: Any, web_site: WebSite) -> None:
    url = f"{web_site.url}/conformance/images/labelme-subset/q0122.jpg"
    result = worker_page.evaluate(FINGERPRINT, [url, None, {}])
    assert result["kind"] == "image"


def test_request_without_file_is_an_error(worker_page: Any) -> None:
    result = worker_page.evaluate("() => window.postRaw({ id: 'x', file: 'not a file' })")
    assert result == {
        "id": "x",
        "type": "error",
        "reason": "unreadable",  # the code the page words in the person's language
        "message": "expected a File or Blob to fingerprint",
        "progress": [],
    }
