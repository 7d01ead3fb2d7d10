// PDQ (Meta's 256-bit perceptual hash) in plain JavaScript, bit-exact with the C++ reference as
// the `pdqhash` 0.2.8 Python binding runs it, so a hash computed in a victim's browser equals the
// one a platform computes from the same pixels.
//
// Exactness rests on three rules, followed everywhere below:
//   1. Every C++ `float` lives in a Float32Array or passes through Math.fround after every single
//      arithmetic operation (a float32 sum, product or quotient computed in float64 and then
//      rounded once is exactly the float32 result, so fround(a + b) == C++ `a + b` on floats).
//   2. Operations run in the C++ order: running sums are sequential, never regrouped.
//   3. Luma is computed like the binding: float64 `R*0.299 + G*0.587 + B*0.114`, then rounded
//      once to float32.
//
// This module takes pixels only. It does no decoding, no I/O and no downscaling beyond PDQ's own
// (see pdq-image.js for files), and it refuses to guess: images under 5 pixels on a side get the
// reference's answer, an all-zero hash with quality 0.

const f = Math.fround;

const MIN_HASHABLE_DIM = 5;
const JAROSZ_PASSES = 2;
const ZERO_HASH = "0".repeat(64);

// The 16x64 DCT matrix, row-major, built like the reference's `dct_matrix_64`: a float scale
// factor times a double cosine, the product rounded to float. Engines' Math.cos may differ from
// C's cos in the last bit, but every product here lies millions of double ulps away from a float
// rounding boundary, so the float table is the same everywhere (tests compare it with C's).
export const DCT_MATRIX = (() => {
  const scale = f(Math.sqrt(2.0 / 64));
  const matrix = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      matrix[i * 64 + j] = f(scale * Math.cos((Math.PI / 2.0 / 64) * (i + 1) * (2 * j + 1)));
    }
  }
  return matrix;
})();

// The products channel * coefficient in float64, as numpy forms them; summing three table
// entries left to right gives the same float64 as `R*0.299 + G*0.587 + B*0.114`.
const LUMA_R = new Float64Array(256);
const LUMA_G = new Float64Array(256);
const LUMA_B = new Float64Array(256);
for (let v = 0; v < 256; v++) {
  LUMA_R[v] = v * 0.299;
  LUMA_G[v] = v * 0.587;
  LUMA_B[v] = v * 0.114;
}

/** Float32 luma of interleaved 8-bit pixels with `channels` bytes each (R, G, B first). */
export function lumaFromPixels(data, width, height, channels) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`bad image size ${width}x${height}`);
  }
  const count = width * height;
  if (data.length < count * channels) {
    throw new RangeError(`expected ${count * channels} bytes, got ${data.length}`);
  }
  const luma = new Float32Array(count);
  for (let i = 0, p = 0; i < count; i++, p += channels) {
    luma[i] = LUMA_R[data[p]] + LUMA_G[data[p + 1]] + LUMA_B[data[p + 2]];
  }
  return luma;
}

// Jarosz filter window: ceil(old / (2 * new)) in integer arithmetic.
function jaroszWindow(oldDimension, newDimension) {
  return Math.trunc((oldDimension + 2 * newDimension - 1) / (2 * newDimension));
}

// The four phases of the reference's box1DFloat, shared by rows and columns.
function boxPhases(length, window) {
  const half = Math.trunc((window + 2) / 2);
  return [half - 1, window - half + 1, length - window, half - 1];
}

// One box pass along every row (the reference's boxAlongRowsFloat).
function boxAlongRows(input, output, rows, cols, window) {
  const [p1, p2, p3, p4] = boxPhases(cols, window);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let li = base;
    let ri = base;
    let oi = base;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < p1; i++) {
      sum = f(sum + input[ri++]);
      n++;
    }
    for (let i = 0; i < p2; i++) {
      sum = f(sum + input[ri++]);
      n++;
      output[oi++] = f(sum / n);
    }
    for (let i = 0; i < p3; i++) {
      sum = f(sum + input[ri++]); // add the entering value first,
      sum = f(sum - input[li++]); // then subtract the leaving one
      output[oi++] = f(sum / n);
    }
    for (let i = 0; i < p4; i++) {
      sum = f(sum - input[li++]);
      n--;
      output[oi++] = f(sum / n);
    }
  }
}

// One box pass along every column (the reference's boxAlongColsFloat). Each column keeps its own
// running sum with exactly the reference's sequence of operations; walking the rows in order
// with a vector of sums only changes the memory order, not any column's arithmetic.
function boxAlongCols(input, output, rows, cols, window) {
  const [p1, p2, p3, p4] = boxPhases(rows, window);
  const sums = new Float32Array(cols);
  let ri = 0; // first index of the entering row
  let li = 0; // first index of the leaving row
  let oi = 0; // first index of the output row
  let n = 0;
  for (let i = 0; i < p1; i++, ri += cols) {
    for (let j = 0; j < cols; j++) sums[j] = f(sums[j] + input[ri + j]);
    n++;
  }
  for (let i = 0; i < p2; i++, ri += cols, oi += cols) {
    n++;
    for (let j = 0; j < cols; j++) {
      const sum = f(sums[j] + input[ri + j]);
      sums[j] = sum;
      output[oi + j] = f(sum / n);
    }
  }
  for (let i = 0; i < p3; i++, ri += cols, li += cols, oi += cols) {
    for (let j = 0; j < cols; j++) {
      const sum = f(f(sums[j] + input[ri + j]) - input[li + j]);
      sums[j] = sum;
      output[oi + j] = f(sum / n);
    }
  }
  for (let i = 0; i < p4; i++, li += cols, oi += cols) {
    n--;
    for (let j = 0; j < cols; j++) {
      const sum = f(sums[j] - input[li + j]);
      sums[j] = sum;
      output[oi + j] = f(sum / n);
    }
  }
}

// Two passes of rows-then-columns box filters; the result is back in `buffer1`.
function jaroszFilter(buffer1, buffer2, rows, cols) {
  const windowAlongRows = jaroszWindow(cols, 64);
  const windowAlongCols = jaroszWindow(rows, 64);
  for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
    boxAlongRows(buffer1, buffer2, rows, cols, windowAlongRows);
    boxAlongCols(buffer2, buffer1, rows, cols, windowAlongCols);
  }
}

// Sample 64x64 pixel centres (float64 index arithmetic, truncated like the C++ int cast).
function decimate(input, rows, cols) {
  const out = new Float32Array(64 * 64);
  for (let oi = 0; oi < 64; oi++) {
    const ii = Math.trunc(((oi + 0.5) * rows) / 64);
    for (let oj = 0; oj < 64; oj++) {
      const ij = Math.trunc(((oj + 0.5) * cols) / 64);
      out[oi * 64 + oj] = input[ii * cols + ij];
    }
  }
  return out;
}

// The reference's image-domain quality: quantised gradients of the 64x64 downsample.
function imageDomainQuality(a) {
  let gradientSum = 0;
  const step = (u, v) => Math.abs(Math.trunc(f(f(f(u - v) * 100) / 255)));
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) gradientSum += step(a[i * 64 + j], a[(i + 1) * 64 + j]);
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) gradientSum += step(a[i * 64 + j], a[i * 64 + j + 1]);
  }
  return Math.min(100, Math.trunc(gradientSum / 90));
}

// B = D A D^t keeping only 16x16 coefficients; each sum runs over k = 0..63 in order.
function dct64To16(a) {
  const d = DCT_MATRIX;
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let sum = 0;
      for (let k = 0; k < 64; k++) sum = f(sum + f(d[i * 64 + k] * a[k * 64 + j]));
      t[i * 64 + j] = sum;
    }
  }
  const b = new Float32Array(16 * 16);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 0; k < 64; k++) sum = f(sum + f(t[i * 64 + k] * d[j * 64 + k]));
      b[i * 16 + j] = sum;
    }
  }
  return b;
}

// Torben Mogensen's median, exactly as the reference (including which value it returns).
function torbenMedian(m) {
  const n = m.length;
  let min = m[0];
  let max = m[0];
  for (let i = 1; i < n; i++) {
    if (m[i] < min) min = m[i];
    if (m[i] > max) max = m[i];
  }
  const halfCount = Math.trunc((n + 1) / 2);
  let less, greater, equal, guess, maxLtGuess, minGtGuess;
  for (;;) {
    guess = f(f(min + max) / 2);
    less = 0;
    greater = 0;
    equal = 0;
    maxLtGuess = min;
    minGtGuess = max;
    for (let i = 0; i < n; i++) {
      const v = m[i];
      if (v < guess) {
        less++;
        if (v > maxLtGuess) maxLtGuess = v;
      } else if (v > guess) {
        greater++;
        if (v < minGtGuess) minGtGuess = v;
      } else {
        equal++;
      }
    }
    if (less <= halfCount && greater <= halfCount) break;
    if (less > greater) max = maxLtGuess;
    else min = minGtGuess;
  }
  if (less >= halfCount) return maxLtGuess;
  if (less + equal >= halfCount) return guess;
  return minGtGuess;
}

// Bit i*16+j is set when coefficient [i][j] exceeds the median. The hex is the reference's:
// 16-bit words from word 15 (row 15) down to word 0, bit j of row i inside word i.
function coefficientsToHex(b) {
  const median = torbenMedian(b);
  let hex = "";
  for (let i = 15; i >= 0; i--) {
    let word = 0;
    for (let j = 0; j < 16; j++) if (b[i * 16 + j] > median) word |= 1 << j;
    hex += word.toString(16).padStart(4, "0");
  }
  return hex;
}

// The eight dihedral images' coefficients from the original's, by sign flips and transposes:
// [transpose, sign(i, j)] in the reference order (original, rot90, rot180, rot270, flipx, flipy,
// flip+1, flip-1); sign -1 negates the coefficient.
const DIHEDRAL = [
  [false, () => 1],
  [true, (i, j) => (j & 1 ? 1 : -1)],
  [false, (i, j) => ((i + j) & 1 ? -1 : 1)],
  [true, (i) => (i & 1 ? 1 : -1)],
  [false, (i) => (i & 1 ? 1 : -1)],
  [false, (i, j) => (j & 1 ? 1 : -1)],
  [true, () => 1],
  [true, (i, j) => ((i + j) & 1 ? -1 : 1)],
];

function dihedralHexes(b) {
  return DIHEDRAL.map(([transpose, sign]) => {
    const out = new Float32Array(256);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        const v = sign(i, j) < 0 ? -b[i * 16 + j] : b[i * 16 + j];
        out[transpose ? j * 16 + i : i * 16 + j] = v;
      }
    }
    return coefficientsToHex(out);
  });
}

// The reference's 64x64 downsample. `fromFloat256` takes the reference's shortcut for an input
// that is already 64x64 (copy, no blur); its dihedral entry point has no such shortcut.
function downsample(luma, rows, cols, shortcut) {
  if (shortcut && rows === 64 && cols === 64) return Float32Array.from(luma);
  const buffer1 = Float32Array.from(luma);
  const buffer2 = new Float32Array(rows * cols);
  jaroszFilter(buffer1, buffer2, rows, cols);
  return decimate(buffer1, rows, cols);
}

/**
 * PDQ of a float32 luma plane (row-major, `height` rows of `width`).
 * Returns {hash, quality} like `pdqhash.compute`, plus `dihedral` (8 hex, the reference order,
 * like `pdqhash.compute_dihedral`) when asked. `shortcut: false` blurs a 64x64 input too, as
 * the reference's dihedral entry point does (hash and quality then equal its first hash's).
 */
export function pdqFromLuma(luma, width, height, { dihedral = false, shortcut = true } = {}) {
  if (height < MIN_HASHABLE_DIM || width < MIN_HASHABLE_DIM) {
    const result = { hash: ZERO_HASH, quality: 0 };
    if (dihedral) result.dihedral = new Array(8).fill(ZERO_HASH);
    return result;
  }
  const small = downsample(luma, height, width, shortcut);
  const coefficients = dct64To16(small);
  const result = { hash: coefficientsToHex(coefficients), quality: imageDomainQuality(small) };
  if (dihedral) {
    // Only a 64x64 input takes different routes for the plain and the dihedral hashes.
    const blurred = width === 64 && height === 64 ? downsample(luma, 64, 64, false) : small;
    result.dihedral = dihedralHexes(blurred === small ? coefficients : dct64To16(blurred));
  }
  return result;
}

/** PDQ of RGBA pixels (e.g. ImageData.data); alpha is ignored, as Pillow's convert("RGB") does. */
export function pdqFromRGBA(data, width, height, options = {}) {
  return pdqFromLuma(lumaFromPixels(data, width, height, 4), width, height, options);
}

/** PDQ of packed RGB pixels (3 bytes each, row-major, no row padding). */
export function pdqFromRGB(data, width, height, options = {}) {
  return pdqFromLuma(lumaFromPixels(data, width, height, 3), width, height, options);
}
