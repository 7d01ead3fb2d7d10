// PDQ of an image file in the browser: decode as displayed, then hash with pdq.js.
//
// Decoding is the browser's own (createImageBitmap), with the EXIF orientation applied and no
// colour-profile conversion, which is what the Python side does with Pillow (exif_transpose, then
// convert("RGB"), ICC profiles ignored). On every conformance image Chromium's decoding gave
// exactly the hash of Pillow's pixels, but no browser promises that; what is exact is pdq.js
// given the same pixels. Transparency: Pillow drops alpha, a canvas stores premultiplied
// colour, so a partly transparent pixel comes back close to Pillow's and a fully transparent one
// as black.
//
// Images of at most EXACT_PATH_MAX_PIXELS, or whose long side is at most FAST_PATH_MAX_SIDE,
// take the exact path: every decoded pixel is hashed. Larger ones (a 12 MP phone photo) take the
// fast path: halved, by exact 2x2 averages, until the long side is at most FAST_PATH_MAX_SIDE
// (or the short side would drop under FAST_PATH_MIN_SIDE), then hashed. Measured on the
// conformance set in Chromium, one canvas resize to a long side of 512 or 1024 lands up to 12 or
// 10 bits from the full-resolution hash (the resampler aliases), while halving to <= 2048 stays
// within 4 bits and hashes a 12 MP JPEG in about 0.3 s instead of the 0.6 s the exact path
// takes (benchmarks/browser_pdq.py). The image never leaves this module: no network, no storage.
//
// Works in a module Web Worker (OffscreenCanvas) and on a page; refuses files the browser cannot
// decode by throwing an Error with a plain message.

import { pdqFromRGBA } from "./pdq.js";
import { localHashes } from "./local.js";
import { hashPhoto, loadVariantSpec } from "./variants.js";

export const EXACT_PATH_MAX_PIXELS = 1_000_000;
export const FAST_PATH_MAX_SIDE = 2048;
// Halving stops before the short side drops under this, so a long thin panorama keeps enough
// rows for PDQ's 64x64 grid.
export const FAST_PATH_MIN_SIDE = 512;

const DECODE_OPTIONS = {
  imageOrientation: "from-image",
  colorSpaceConversion: "none",
  premultiplyAlpha: "none",
};

/** Decode a File/Blob as displayed; the caller must close() the returned ImageBitmap. */
export async function decodeImage(blob) {
  try {
    return await createImageBitmap(blob, DECODE_OPTIONS);
  } catch (error) {
    throw new Error(`this file could not be read as an image (${error.message || error.name})`);
  }
}

/** Whether an image of this size is halved before hashing. */
export function takesFastPath(width, height) {
  return width * height > EXACT_PATH_MAX_PIXELS && Math.max(width, height) > FAST_PATH_MAX_SIDE;
}

// Half the size by drawing at exactly 0.5 scale with bilinear sampling: each output pixel is the
// mean of one 2x2 block (an odd last row or column is dropped, so the scale stays exact).
function halve(source) {
  const width = Math.max(1, Math.floor(source.width / 2));
  const height = Math.max(1, Math.floor(source.height / 2));
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "low";
  context.drawImage(source, 0, 0, width * 2, height * 2, 0, 0, width, height);
  return canvas;
}

/** RGBA pixels of `source` (an ImageBitmap or OffscreenCanvas), copied unchanged. */
export function pixelsOf(source) {
  const { width, height } = source;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0);
  return context.getImageData(0, 0, width, height).data;
}

/**
 * PDQ of an image file: {hash, quality, width, height, hashedWidth, hashedHeight, dihedral?}.
 * `width`/`height` are the displayed size; `hashed*` the size after the fast path.
 * `fastPath: false` hashes every pixel whatever the size (slower; more memory).
 */
export async function hashImageFile(blob, { dihedral = false, fastPath = true } = {}) {
  const bitmap = await decodeImage(blob);
  try {
    const { width, height } = bitmap;
    let source = bitmap;
    if (fastPath && takesFastPath(width, height)) {
      while (
        Math.max(source.width, source.height) > FAST_PATH_MAX_SIDE &&
        Math.min(source.width, source.height) >= 2 * FAST_PATH_MIN_SIDE
      ) {
        source = halve(source);
      }
    }
    const pixels = pixelsOf(source);
    const result = pdqFromRGBA(pixels, source.width, source.height, { dihedral });
    return { ...result, width, height, hashedWidth: source.width, hashedHeight: source.height };
  } finally {
    bitmap.close();
  }
}

/**
 * PDQ, the stored variants (variants.js) and the local hashes (local.js) of a photo file:
 * {hash, quality, width, height, variants: [{name, pdq, pdq_quality}], local: [hex]}. Every
 * decoded pixel is hashed, as the variants are defined on the full-resolution photo (so this
 * takes longer than `hashImageFile`'s fast path). A photo too flat for variants stores no local
 * hash either, as the Python client does.
 */
export async function hashPhotoFile(blob) {
  const spec = await loadVariantSpec();
  const bitmap = await decodeImage(blob);
  try {
    const { width, height } = bitmap;
    const pixels = pixelsOf(bitmap);
    const photo = hashPhoto(spec, pixels, width, height, 4);
    const local = photo.variants.length ? localHashes(spec, pixels, width, height, 4) : [];
    return { hash: photo.pdq, quality: photo.quality, width, height, variants: photo.variants, local };
  } finally {
    bitmap.close();
  }
}
