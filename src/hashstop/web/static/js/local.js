// Local hashes (issue 14): the same values as the Python client's
// `hashstop.hashing.local.local_hashes`, from the same definition (variants.json, section
// "local", whose "steps" word every operation and its order).
//
// Every step is integer arithmetic or float64 arithmetic in the definition's order, exactly as
// the Python module does it element by element (its sums are left to right, never pairwise);
// JavaScript's numbers are float64 and no engine fuses a multiply and an add, so given the same
// RGB pixels both compute the same bits. The Gaussian kernels and the DCT table are integers in
// variants.json; 2^x is a fixed polynomial. The one libm call is Math.atan2, for the frame's
// 6-bit angle (a last-bit difference can only matter at a bin edge).
//
// Pixels in, hashes out: no network (the caller passes the parsed variants.json), no storage.

import { workingCopy } from "./variants.js";

const LN2_THIRD = 0.23104906018664842;

function luma(image) {
  const { data, width, height } = image;
  const out = new Float64Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 3) {
    out[i] = Math.floor((data[p] * 299 + data[p + 1] * 587 + data[p + 2] * 114 + 500) / 1000);
  }
  return { data: out, width, height };
}

// Area average along one axis: columns (horizontal) when `horizontal`, else rows.
function areaAxis(img, nOut, horizontal) {
  const { data, width, height } = img;
  const nIn = horizontal ? width : height;
  const ratio = nIn / nOut;
  const taps = Math.ceil(ratio) + 1;
  const idx = [];
  const weight = [];
  for (let j = 0; j < nOut; j++) {
    const a = (j * nIn) / nOut;
    const b = ((j + 1) * nIn) / nOut;
    const first = Math.floor(a);
    const ti = [];
    const tw = [];
    for (let t = 0; t < taps; t++) {
      const i = first + t;
      if (i < nIn) {
        const lo = Math.max(a, i);
        const hi = Math.min(b, i + 1);
        if (hi > lo) {
          ti.push(i);
          tw.push((hi - lo) / ratio);
          continue;
        }
      }
      ti.push(0);
      tw.push(0);
    }
    idx.push(ti);
    weight.push(tw);
  }
  const w2 = horizontal ? nOut : width;
  const h2 = horizontal ? height : nOut;
  const out = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const j = horizontal ? x : y;
      let sum = 0;
      for (let t = 0; t < taps; t++) {
        const i = idx[j][t];
        const v = horizontal ? data[y * width + i] : data[i * width + x];
        sum = sum + v * weight[j][t];
      }
      out[y * w2 + x] = sum;
    }
  }
  return { data: out, width: w2, height: h2 };
}

function canonical(img, size) {
  const { width, height } = img;
  if (Math.max(width, height) <= size) return img;
  let nw;
  let nh;
  if (width >= height) {
    nw = size;
    nh = Math.max(1, Math.floor((height * size) / width + 0.5));
  } else {
    nw = Math.max(1, Math.floor((width * size) / height + 0.5));
    nh = size;
  }
  return areaAxis(areaAxis(img, nw, true), nh, false);
}

function blurAxis(img, kernel, horizontal) {
  const { data, width, height } = img;
  const r = (kernel.length - 1) / 2;
  let total = 0;
  for (const k of kernel) total += k;
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let t = 0; t < kernel.length; t++) {
        let v;
        if (horizontal) {
          const xx = Math.min(width - 1, Math.max(0, x + t - r));
          v = data[y * width + xx];
        } else {
          const yy = Math.min(height - 1, Math.max(0, y + t - r));
          v = data[yy * width + x];
        }
        sum = sum + v * kernel[t];
      }
      out[y * width + x] = sum / total;
    }
  }
  return { data: out, width, height };
}

function half(img) {
  const { data, width } = img;
  const w2 = Math.floor(img.width / 2);
  const h2 = Math.floor(img.height / 2);
  const out = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const p = 2 * y * width + 2 * x;
      const a = data[p] + data[p + width];
      const b = data[p + 1] + data[p + width + 1];
      out[y * w2 + x] = (a + b) * 0.25;
    }
  }
  return { data: out, width: w2, height: h2 };
}

function parabola(m, c, p) {
  const den = m - 2 * c + p;
  if (den === 0) return 0;
  return Math.min(0.5, Math.max(-0.5, (m - p) / (2 * den)));
}

// Keypoints of one octave: strict DoG extrema, not on an edge, refined.
function extrema(dog, width, height, spec, octave, found) {
  const n = dog.length;
  const r = spec.edge_ratio;
  for (let l = 1; l < n - 1; l++) {
    const D = dog[l];
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const c = D[y * width + x];
        if (!(Math.abs(c) > spec.contrast)) continue;
        let isMax = true;
        let isMin = true;
        for (let ds = -1; ds <= 1 && (isMax || isMin); ds++) {
          const L = dog[l + ds];
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              if (ds === 0 && dy === 0 && dx === 0) continue;
              const v = L[(y + dy) * width + x + dx];
              if (!(c > v)) isMax = false;
              if (!(c < v)) isMin = false;
            }
          }
        }
        if (!isMax && !isMin) continue;
        const at = (yy, xx) => D[yy * width + xx];
        const dxx = at(y, x + 1) + at(y, x - 1) - 2 * c;
        const dyy = at(y + 1, x) + at(y - 1, x) - 2 * c;
        const dxy = (at(y + 1, x + 1) - at(y + 1, x - 1) - at(y - 1, x + 1) + at(y - 1, x - 1)) / 4;
        const tr = dxx + dyy;
        const det = dxx * dyy - dxy * dxy;
        if (!(det > 0 && tr * tr * r < (r + 1) ** 2 * det)) continue;
        const ox = parabola(at(y, x - 1), c, at(y, x + 1));
        const oy = parabola(at(y - 1, x), c, at(y + 1, x));
        const os = parabola(dog[l - 1][y * width + x], c, dog[l + 1][y * width + x]);
        found.push({ octave, level: l, y: y + oy, x: x + ox, offset: os, response: Math.abs(c) });
      }
    }
  }
}

function bilinear(img, y, x) {
  const { data, width, height } = img;
  const xs = Math.min(Math.max(x, 0), width - 1.000001);
  const ys = Math.min(Math.max(y, 0), height - 1.000001);
  const x0 = Math.floor(xs);
  const y0 = Math.floor(ys);
  const fx = xs - x0;
  const fy = ys - y0;
  const p = y0 * width + x0;
  const top = data[p] * (1 - fx) + data[p + 1] * fx;
  const bottom = data[p + width] * (1 - fx) + data[p + width + 1] * fx;
  return top * (1 - fy) + bottom * fy;
}

function grid(n) {
  const g = new Float64Array(n);
  for (let k = 0; k < n; k++) g[k] = ((k + 0.5) / n) * 2 - 1;
  return g;
}

function exp2Third(offset) {
  const u = offset * LN2_THIRD;
  return 1 + u * (1 + (u / 2) * (1 + (u / 3) * (1 + (u / 4) * (1 + u / 5))));
}

// The 64 bits (8 bytes) and the orientation of one keypoint on its level image.
function describe(img, kp, sigma, spec) {
  const og = grid(spec.orientation_grid);
  const radius = spec.orientation_radius * sigma;
  let m10 = 0;
  let m01 = 0;
  for (let j = 0; j < og.length; j++) {
    for (let i = 0; i < og.length; i++) {
      const gi = og[i];
      const gj = og[j];
      if (gi * gi + gj * gj <= 1) {
        const v = bilinear(img, kp.y + radius * gj, kp.x + radius * gi);
        m10 = m10 + gi * v;
        m01 = m01 + gj * v;
      }
    }
  }
  const norm = Math.sqrt(m10 * m10 + m01 * m01);
  const cos = norm === 0 ? 1 : m10 / norm;
  const sin = norm === 0 ? 0 : m01 / norm;
  const n = spec.patch_size;
  const g = grid(n);
  const big = spec.patch_radius * sigma;
  const patch = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const px = kp.x + big * (g[i] * cos - g[j] * sin);
      const py = kp.y + big * (g[i] * sin + g[j] * cos);
      patch[j * n + i] = bilinear(img, py, px);
    }
  }
  const dct = spec.dct;
  const t = new Float64Array(n * 8); // t[j][u]
  for (let j = 0; j < n; j++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum = sum + patch[j * n + i] * dct[u][i];
      t[j * 8 + u] = sum;
    }
  }
  const coeffs = new Float64Array(64); // c[v][u]
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum = sum + dct[v][j] * t[j * 8 + u];
      coeffs[v * 8 + u] = sum;
    }
  }
  const values = Array.from(coeffs.subarray(1));
  const median = [...values].sort((a, b) => a - b)[31];
  values.push(coeffs[63]);
  const code = new Uint8Array(8);
  for (let k = 0; k < 64; k++) {
    // bit k is value (k * 29) % 64: neighbouring frequencies in different index chunks
    if (values[(k * 29) % 64] > median) code[k >> 3] |= 0x80 >> (k & 7);
  }
  return { code, cos, sin };
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The local hashes of an image, strongest keypoints first: hex strings of 12 bytes (8 of hash,
 * 4 of frame), as `hashstop.hashing.local` writes them. `spec` is the parsed variants.json;
 * `pixels` are `channels` bytes a pixel (4 for ImageData); `query` selects the platform's count
 * (spec.local.query) instead of the stored one (spec.local.stored).
 */
export function localHashes(spec, pixels, width, height, channels = 4, query = false) {
  const s = spec.local;
  const limit = query ? s.query : s.stored;
  const small = workingCopy({ data: pixels, width, height, channels }, s.working_size);
  let base = canonical(luma(small), s.canonical_size);
  const pyramid = [];
  const found = [];
  for (let o = 0; o < s.octaves; o++) {
    if (o > 0) {
      if (Math.min(base.width, base.height) < 16) break;
      base = half(base);
    }
    if (Math.min(base.width, base.height) < 8) break;
    const levels = s.kernels.map((k) => blurAxis(blurAxis(base, k, true), k, false));
    pyramid.push(levels);
    const dog = [];
    for (let i = 0; i + 1 < levels.length; i++) {
      const d = new Float64Array(base.width * base.height);
      for (let p = 0; p < d.length; p++) d[p] = levels[i + 1].data[p] - levels[i].data[p];
      dog.push(d);
    }
    extrema(dog, base.width, base.height, s, o, found);
  }
  found.sort(
    (a, b) =>
      b.response - a.response ||
      a.octave - b.octave ||
      a.level - b.level ||
      a.y - b.y ||
      a.x - b.x,
  );
  const chosen = found.slice(0, limit);
  return chosen.map((kp) => {
    const sigma = s.sigmas[kp.level] * exp2Third(kp.offset);
    const { code, cos, sin } = describe(pyramid[kp.octave][kp.level], kp, sigma, s);
    const scale = 2 ** kp.octave;
    const qx = Math.min(1023, Math.max(0, Math.floor(4 * (kp.x * scale) + 0.5)));
    const qy = Math.min(1023, Math.max(0, Math.floor(4 * (kp.y * scale) + 0.5)));
    const qs = Math.min(63, Math.max(0, Math.floor(12 * (kp.octave + (kp.level + kp.offset) / s.levels) + 0.5)));
    const qa = (((Math.floor((Math.atan2(sin, cos) * 64) / (2 * Math.PI) + 0.5)) % 64) + 64) % 64;
    const word = qx * 4194304 + qy * 4096 + qs * 64 + qa; // x << 22 | y << 12 | ... (unsigned)
    const frame = new Uint8Array([word >>> 24, (word >>> 16) & 255, (word >>> 8) & 255, word & 255]);
    return hex(code) + hex(frame);
  });
}
