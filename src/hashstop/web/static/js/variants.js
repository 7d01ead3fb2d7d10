// The variants of a photo that a victim's browser stores: the same hashes as the Python client's
// `hashstop.hashing.photo_variants`, from the same definition (variants.json, served beside this
// module from the Python package's copy, never a second copy).
//
// Crops, covers, the working copy and the mirror and quarter turns are exact integer operations
// with the rounding variants.json spells out, so given the same RGB pixels this module and the
// Python one hash the same images. The small turns (3 degrees) follow Pillow's `Image.rotate`
// with bicubic resampling step by step in float64, the arithmetic Pillow's C code does, so
// they come out the same too. PDQ is pdq.js, bit-exact with the reference.
//
// Pixels in, hashes out: no network beyond fetching variants.json from this origin, no storage.

import { lumaFromPixels, pdqFromLuma } from "./pdq.js";

import { loadFacts } from "./facts.js";

let specPromise = null;

/** The parsed variants.json, with the quality floor of facts.json as `min_quality` (fetched
 * once per page or worker, from this module's folder). */
export function loadVariantSpec() {
  if (specPromise === null) {
    const spec = fetch(new URL("./variants.json", import.meta.url)).then(async (response) => {
      if (!response.ok) throw new Error(`variants.json: ${response.status}`);
      return response.json();
    });
    specPromise = Promise.all([spec, loadFacts()]).then(([parsed, facts]) => ({
      ...parsed,
      min_quality: facts.min_pdq_quality,
    }));
    specPromise.catch(() => {
      specPromise = null; // try again next time
    });
  }
  return specPromise;
}

const SIDES = ["left", "top", "right", "bottom"];

// An RGB image: {data: Uint8Array (3 bytes a pixel, row-major), width, height}.
function rgbImage(width, height) {
  return { data: new Uint8Array(width * height * 3), width, height };
}

/** Packed RGB from interleaved pixels with `channels` bytes each (4 for ImageData). */
export function toRGB(pixels, width, height, channels) {
  if (channels === 3) return { data: pixels, width, height };
  const out = rgbImage(width, height);
  for (let i = 0, p = 0, q = 0; i < width * height; i++, p += channels, q += 3) {
    out.data[q] = pixels[p];
    out.data[q + 1] = pixels[p + 1];
    out.data[q + 2] = pixels[p + 2];
  }
  return out;
}

/**
 * The working copy: reduced by the smallest whole factor that brings the long side to at most
 * `maxSide`, each factor x factor block averaged (partial blocks at the right and bottom edges
 * average the pixels they have), rounded half up, in integers. `image.channels` (default 3) is
 * the bytes per pixel of `image.data` (4 for ImageData); the result is packed RGB.
 */
export function workingCopy(image, maxSide) {
  const { data, width, height, channels = 3 } = image;
  const factor = Math.ceil(Math.max(width, height) / maxSide);
  if (factor < 2) return toRGB(data, width, height, channels);
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const sums = new Uint32Array(outWidth * outHeight * 3);
  for (let y = 0; y < height; y++) {
    const rowBase = Math.floor(y / factor) * outWidth * 3;
    let p = y * width * channels;
    for (let bx = 0, x = 0; bx < outWidth; bx++) {
      const q = rowBase + bx * 3;
      const stop = Math.min(width, x + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      for (; x < stop; x++, p += channels) {
        r += data[p];
        g += data[p + 1];
        b += data[p + 2];
      }
      sums[q] += r;
      sums[q + 1] += g;
      sums[q + 2] += b;
    }
  }
  const out = rgbImage(outWidth, outHeight);
  for (let by = 0; by < outHeight; by++) {
    const tall = Math.min(factor, height - by * factor);
    for (let bx = 0; bx < outWidth; bx++) {
      const count = tall * Math.min(factor, width - bx * factor);
      const q = (by * outWidth + bx) * 3;
      for (let c = 0; c < 3; c++) {
        out.data[q + c] = Math.floor((2 * sums[q + c] + count) / (2 * count));
      }
    }
  }
  return out;
}

function cropBox(crop, width, height) {
  const x0 = Math.floor(width * crop.left + 0.5);
  const y0 = Math.floor(height * crop.top + 0.5);
  const x1 = width - Math.floor(width * crop.right + 0.5);
  const y1 = height - Math.floor(height * crop.bottom + 0.5);
  return [x0, y0, Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)];
}

function cut(image, [x0, y0, x1, y1]) {
  if (x0 === 0 && y0 === 0 && x1 === image.width && y1 === image.height) return image;
  const out = rgbImage(x1 - x0, y1 - y0);
  for (let y = y0; y < y1; y++) {
    const start = (y * image.width + x0) * 3;
    out.data.set(image.data.subarray(start, start + out.width * 3), (y - y0) * out.width * 3);
  }
  return out;
}

// Python's round(x, 15): the decimal rounding of the exact binary value, read back as a double.
function round15(x) {
  return Number.parseFloat(x.toFixed(15));
}

// One bicubic interpolation step, in Pillow's operation order (float64 throughout).
function cubic(v1, v2, v3, v4, d) {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/**
 * `image` turned by `degrees` counter-clockwise about its centre, canvas kept, uncovered corners
 * black: Pillow's `rotate(degrees, BICUBIC, fillcolor=black)` (its affine matrix, rounded to 15
 * decimals as Pillow rounds it, then its bicubic filter with edge clamping and truncation).
 */
export function turn(image, degrees) {
  const { data, width, height } = image;
  const angle = -((((degrees % 360) + 360) % 360) * (Math.PI / 180));
  const a = round15(Math.cos(angle));
  const b = round15(Math.sin(angle));
  const d = round15(-Math.sin(angle));
  const e = round15(Math.cos(angle));
  const cx = width / 2;
  const cy = height / 2;
  const c = a * -cx + b * -cy + 0.0 + cx;
  const f = d * -cx + e * -cy + 0.0 + cy;
  const out = rgbImage(width, height);
  const stride = width * 3;
  const lastX = width - 1;
  const lastY = height - 1;
  for (let y = 0; y < height; y++) {
    const yin0 = y + 0.5;
    for (let x = 0; x < width; x++) {
      const xin0 = x + 0.5;
      let xin = a * xin0 + b * yin0 + c;
      let yin = d * xin0 + e * yin0 + f;
      if (xin < 0.0 || xin >= width || yin < 0.0 || yin >= height) continue; // stays black
      xin -= 0.5;
      yin -= 0.5;
      const ix = Math.floor(xin) - 1;
      const iy = Math.floor(yin) - 1;
      const dx = xin - (ix + 1);
      const dy = yin - (iy + 1);
      // Columns clamped to the image; rows past an edge repeat the previous row (Pillow's
      // filter clamps the first of the four rows, then copies the one before).
      const x0 = (ix < 0 ? 0 : ix > lastX ? lastX : ix) * 3;
      const x1 = (ix + 1 < 0 ? 0 : ix + 1 > lastX ? lastX : ix + 1) * 3;
      const x2 = (ix + 2 < 0 ? 0 : ix + 2 > lastX ? lastX : ix + 2) * 3;
      const x3 = (ix + 3 < 0 ? 0 : ix + 3 > lastX ? lastX : ix + 3) * 3;
      const row0 = (iy < 0 ? 0 : iy > lastY ? lastY : iy) * stride;
      const has1 = iy + 1 >= 0 && iy + 1 < height;
      const has2 = iy + 2 >= 0 && iy + 2 < height;
      const has3 = iy + 3 >= 0 && iy + 3 < height;
      const o = y * stride + x * 3;
      for (let band = 0; band < 3; band++) {
        let r = row0 + band;
        const v1 = cubic(data[r + x0], data[r + x1], data[r + x2], data[r + x3], dx);
        let v2 = v1;
        if (has1) {
          r = (iy + 1) * stride + band;
          v2 = cubic(data[r + x0], data[r + x1], data[r + x2], data[r + x3], dx);
        }
        let v3 = v2;
        if (has2) {
          r = (iy + 2) * stride + band;
          v3 = cubic(data[r + x0], data[r + x1], data[r + x2], data[r + x3], dx);
        }
        let v4 = v3;
        if (has3) {
          r = (iy + 3) * stride + band;
          v4 = cubic(data[r + x0], data[r + x1], data[r + x2], data[r + x3], dx);
        }
        const value = cubic(v1, v2, v3, v4, dy);
        out.data[o + band] = value <= 0.0 ? 0 : value >= 255.0 ? 255 : Math.trunc(value);
      }
    }
  }
  return out;
}

// The largest centred box of the same aspect ratio inside a turned image (variants.json "inside").
function insideBox(degrees, width, height) {
  const angle = Math.abs(degrees) * (Math.PI / 180);
  const zoom = Math.cos(angle) + Math.max(width / height, height / width) * Math.sin(angle);
  const boxWidth = Math.max(1, Math.trunc(width / zoom));
  const boxHeight = Math.max(1, Math.trunc(height / zoom));
  const x0 = Math.floor((width - boxWidth) / 2 + 0.5);
  const y0 = Math.floor((height - boxHeight) / 2 + 0.5);
  return [x0, y0, x0 + boxWidth, y0 + boxHeight];
}

function cover(image, { side, fraction, colour }) {
  const out = { data: Uint8Array.from(image.data), width: image.width, height: image.height };
  const { width, height } = image;
  const n = Math.floor((side === "top" || side === "bottom" ? height : width) * fraction + 0.5);
  const [x0, y0, x1, y1] = {
    top: [0, 0, width, n],
    bottom: [0, height - n, width, height],
    left: [0, 0, n, height],
    right: [width - n, 0, width, height],
  }[side];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) out.data.set(colour, (y * width + x) * 3);
  }
  return out;
}

// The dihedral transforms on a luma plane: [outWidth, outHeight, source index of (x, y)].
// Luma is a function of each pixel alone, so transforming it equals transforming the pixels.
const TRANSFORMS = {
  original: (w, h) => [w, h, (x, y) => y * w + x],
  mirror: (w, h) => [w, h, (x, y) => y * w + (w - 1 - x)],
  flip: (w, h) => [w, h, (x, y) => (h - 1 - y) * w + x],
  rotate180: (w, h) => [w, h, (x, y) => (h - 1 - y) * w + (w - 1 - x)],
  rotate90: (w, h) => [h, w, (x, y) => x * w + (w - 1 - y)], // counter-clockwise, as np.rot90
  rotate270: (w, h) => [h, w, (x, y) => (h - 1 - x) * w + y],
  transpose: (w, h) => [h, w, (x, y) => x * w + y],
  transverse: (w, h) => [h, w, (x, y) => (h - 1 - x) * w + (w - 1 - y)],
};

function transformLuma(luma, width, height, name) {
  if (name === "original") return [luma, width, height];
  const [outWidth, outHeight, source] = TRANSFORMS[name](width, height);
  const out = new Float32Array(outWidth * outHeight);
  for (let y = 0, i = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++, i++) out[i] = luma[source(x, y)];
  }
  return [out, outWidth, outHeight];
}

// The hash Python stores: the first of PDQ's dihedral entry point (no 64x64 shortcut).
function pdqOf(luma, width, height) {
  const { hash, quality } = pdqFromLuma(luma, width, height, { shortcut: false });
  return { hash, quality };
}

function variantName(editName, transform) {
  if (transform === "original") return editName;
  if (editName === "original") return transform;
  return `${editName}+${transform}`;
}

function parsedCrop(entry) {
  const crop = entry.crop ?? { left: 0, top: 0, right: 0, bottom: 0 };
  for (const side of SIDES) {
    if (typeof crop[side] !== "number") throw new Error(`variant ${entry.name}: bad crop`);
  }
  return crop;
}

/**
 * The variants of one photo: [{name, pdq, pdq_quality}], the same as Python's `photo_variants`
 * for the same pixels. `pixels` are interleaved (`channels` 3 for RGB, 4 for ImageData's RGBA).
 * The first is the photo's own PDQ at full resolution; a photo under the minimum quality has
 * none; variants under it are dropped; a hash is stored once; at most `max_stored`.
 */
export function photoVariants(spec, pixels, width, height, channels = 4) {
  return hashPhoto(spec, pixels, width, height, channels).variants;
}

/**
 * `{pdq, quality, variants}`: the photo's plain PDQ hash and quality (as `pdqhash.compute`)
 * and its variants (`photoVariants`), from one pass over the full-resolution pixels.
 */
export function hashPhoto(spec, pixels, width, height, channels = 4) {
  const fullLuma = lumaFromPixels(pixels, width, height, channels);
  const first = pdqOf(fullLuma, width, height);
  // Only a 64x64 photo hashes differently through PDQ's plain entry point (no blur).
  const plain = width === 64 && height === 64 ? pdqFromLuma(fullLuma, 64, 64) : first;
  const photo = { pdq: plain.hash, quality: plain.quality, variants: [] };
  if (first.quality < spec.min_quality) return photo;
  const out = [{ name: "original", pdq: first.hash, pdq_quality: first.quality }];
  const small = workingCopy({ data: pixels, width, height, channels }, spec.working_size);
  const turns = new Map();
  for (const entry of spec.stored) {
    const crop = parsedCrop(entry);
    let edited = cut(small, cropBox(crop, small.width, small.height));
    if (entry.rotate) {
      const key = `${SIDES.map((s) => crop[s]).join(",")}:${entry.rotate.degrees}`;
      if (!turns.has(key)) turns.set(key, turn(edited, entry.rotate.degrees));
      const turned = turns.get(key);
      if (entry.rotate.fit === "inside") {
        edited = cut(turned, insideBox(entry.rotate.degrees, edited.width, edited.height));
      } else {
        edited = turned;
      }
    }
    if (entry.cover) edited = cover(edited, entry.cover);
    const luma = lumaFromPixels(edited.data, edited.width, edited.height, 3);
    for (const transform of entry.dihedral) {
      if (entry.name === "original" && transform === "original") continue;
      const [plane, w, h] = transformLuma(luma, edited.width, edited.height, transform);
      const { hash, quality } = pdqOf(plane, w, h);
      if (quality >= spec.min_quality && out.every((v) => v.pdq !== hash)) {
        out.push({ name: variantName(entry.name, transform), pdq: hash, pdq_quality: quality });
      }
    }
  }
  photo.variants = out.slice(0, spec.max_stored);
  return photo;
}
