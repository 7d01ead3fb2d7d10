// vPDQ of a video in the browser (issue 13): the same features as the Python client's
// `hashstop.hashing.video.vpdq_hash`, computed on this device with WebCodecs.
//
// - The MP4 is demuxed by mp4box (an npm package vendored in /static/vendor/mp4box/, BSD-3-Clause,
//   its version locked in web/npm/package-lock.json), read from the File in chunks; only its
//   first video track is hashed.
// - The frame rate is FFmpeg's average rate for an MP4 track: samples * timescale / the sum of
//   their durations. Every frame the decoder gives out is counted from 0 (presentation order, as
//   FFmpeg's), and frame n is kept when n % max(1, int(fps * secondsPerHash)) === 0.
// - A kept frame's visible pixels (8-bit 4:2:0, as decoded) are converted to 8-bit RGB here as
//   swscale does for PyAV's to_ndarray("rgb24"): limited range, the track's matrix (BT.601 when
//   unspecified), one chroma sample for each 2x2 pixels; then luma is the reference's
//   `fillFloatLumaFromRGB` (float32 products and sums, R + G first) and PDQ is pdq.js. Decoders
//   and rounding differ a little, so frame hashes may be a few bits from the Python client's
//   (docs/videos.md has the measured distances). Other layouts are converted by the browser.
// - Bounds as the Python client: 3 hours, 720,000 frames, frames of at most 8K.
//
// A file this browser cannot hash (no WebCodecs, not an MP4, a codec it cannot decode, damaged,
// out of bounds) throws a VideoUnsupported with a reason code; the caller registers it by its
// exact fingerprints. Frames and file bytes never leave this module: no network, no storage.

import { createFile, DataStream, Endianness, MP4BoxBuffer } from "../vendor/mp4box/mp4box.all.mjs";
import { pdqFromLuma } from "./pdq.js";

export const DEFAULT_SECONDS_PER_HASH = 1;
export const MAX_DURATION_SECONDS = 3 * 3600;
export const MAX_FRAMES = 720_000;
export const MAX_FRAME_PIXELS = 8192 * 4352;
export const QUALITY_THRESHOLD = 50;
export const MAX_STORED_FRAMES = 360;
const READ_CHUNK = 4 * 1024 * 1024;
const DECODE_QUEUE = 12; // chunks waiting in the decoder at most

const f = Math.fround;
const LUMA_R = f(0.299);
const LUMA_G = f(0.587);
const LUMA_B = f(0.114);

/** Why a video is registered by its exact fingerprints only. */
export class VideoUnsupported extends Error {
  // reason: "no-webcodecs" | "not-mp4" | "codec" | "damaged" | "too-long" | "too-large"
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

/** The person stopped the fingerprinting. */
export class VideoCancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

/** Keep every n-th decoded frame: int(fps * secondsPerHash), at least 1 (the reference). */
export function frameStep(frameRate, secondsPerHash) {
  return Math.max(1, Math.trunc(frameRate * secondsPerHash));
}

// Python's round(): halves to even.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The frames a video is stored by, as `hashing.video.frame_hashes`: distinct hashes of quality
 * >= 50, in order, at most `limit` (evenly spread, first and last included).
 */
export function frameHashes(features, limit = MAX_STORED_FRAMES) {
  const seen = new Set();
  const kept = [];
  for (const feature of features) {
    if (feature.quality < QUALITY_THRESHOLD || seen.has(feature.pdq)) continue;
    seen.add(feature.pdq);
    kept.push(feature);
  }
  if (kept.length <= limit) return kept;
  const step = (kept.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, i) => kept[roundHalfEven(i * step)]);
}

// The codec's own configuration box (avcC, hvcC, vpcC, av1C) without its 8-byte header: the
// VideoDecoderConfig's description.
function description(track) {
  for (const entry of track.mdia.minf.stbl.stsd.entries) {
    const box = entry.avcC || entry.hvcC || entry.vpcC || entry.av1C;
    if (box) {
      const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
      box.write(stream);
      return new Uint8Array(stream.buffer, 8, stream.getPosition() - 8).slice();
    }
  }
  return undefined;
}

// Read the file's moov (mp4box), then its first video track's samples straight from the file by
// their offsets in the sample table, a window of READ_CHUNK bytes at a time (so a moov after
// the mdat costs nothing more, and the file is never held whole in memory).
class Demuxer {
  constructor(file) {
    this.file = file;
    this.mp4 = createFile();
    this.ready = null;
    this.error = null;
    this.mp4.onError = (module, message) => {
      this.error = `${module}: ${message}`;
    };
    this.mp4.onReady = (info) => {
      this.ready = info;
    };
  }

  /** The first video track's info; throws VideoUnsupported if there is none. */
  async open() {
    let offset = 0;
    for (let reads = 0; this.ready === null && this.error === null && reads < 10_000; reads++) {
      if (offset >= this.file.size) break;
      const end = Math.min(this.file.size, offset + READ_CHUNK);
      const bytes = await this.file.slice(offset, end).arrayBuffer();
      const next = this.mp4.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes, offset));
      // mp4box asks for the position it needs next (past an mdat to a moov at the end, say).
      offset = Number.isInteger(next) && next !== offset ? next : end;
    }
    if (this.ready === null) {
      // An MP4 (its ftyp checked first) without a readable moov: damaged or cut short.
      throw new VideoUnsupported("damaged", this.error || "no MP4 movie header (moov)");
    }
    const info = this.ready.videoTracks[0];
    if (!info) throw new VideoUnsupported("not-mp4", "the MP4 has no video track");
    this.track = info;
    this.trak = this.mp4.getTrackById(info.id);
    this.table = this.trak.samples || [];
    if (this.table.length === 0) {
      // A fragmented MP4 (its samples in moof boxes), or an empty track.
      throw new VideoUnsupported("not-mp4", "no samples in the MP4's sample table (fragmented?)");
    }
    this.position = 0;
    this.window = null;
    return info;
  }

  /** The next sample in decode order, {is_sync, cts, duration, timescale, data}, or null. */
  async next() {
    if (this.position >= this.table.length) return null;
    const sample = this.table[this.position++];
    const { offset, size } = sample;
    if (offset + size > this.file.size) {
      throw new VideoUnsupported("damaged", "the video is cut short (a sample past the end)");
    }
    let w = this.window;
    if (w === null || offset < w.start || offset + size > w.start + w.bytes.length) {
      const end = Math.min(this.file.size, Math.max(offset + size, offset + READ_CHUNK));
      w = this.window = { start: offset, bytes: new Uint8Array(await this.file.slice(offset, end).arrayBuffer()) };
    }
    const data = w.bytes.subarray(offset - w.start, offset - w.start + size);
    return { is_sync: sample.is_sync, cts: sample.cts, duration: sample.duration, timescale: sample.timescale, data };
  }
}

// The colour matrix FFmpeg would convert with: swscale takes the frame's matrix coefficients
// (the H.264 SPS's VUI, or an MP4 colr/vpcC box), 601 when they are unspecified, and ignores
// the range flag as PyAV's to_ndarray does (limited range). 1: BT.709, 9/10: BT.2020, else 601.
const MATRICES = {
  601: { crv: 1.596027, cgu: 0.391762, cgv: 0.812968, cbu: 2.017232 },
  709: { crv: 1.792741, cgu: 0.213249, cgv: 0.532909, cbu: 2.112402 },
  2020: { crv: 1.678674, cgu: 0.187326, cgv: 0.650424, cbu: 2.141772 },
};

function matrixFromCoefficients(code) {
  if (code === 1) return 709;
  if (code === 9 || code === 10) return 2020;
  return 601;
}

// Bits of an H.264 NAL unit (emulation-prevention bytes removed first).
class Bits {
  constructor(bytes) {
    const clean = [];
    for (let i = 0; i < bytes.length; i++) {
      if (i >= 2 && bytes[i] === 3 && bytes[i - 1] === 0 && bytes[i - 2] === 0) continue;
      clean.push(bytes[i]);
    }
    this.bytes = clean;
    this.pos = 0;
  }
  u(n) {
    let v = 0;
    for (let i = 0; i < n; i++, this.pos++) {
      if (this.pos >> 3 >= this.bytes.length) throw new RangeError("SPS ends early");
      v = v * 2 + ((this.bytes[this.pos >> 3] >> (7 - (this.pos & 7))) & 1);
    }
    return v;
  }
  ue() {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new RangeError("bad SPS");
    return zeros ? 2 ** zeros - 1 + this.u(zeros) : 0;
  }
  se() {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** H.264 SPS (a NAL unit, header byte included) -> its VUI matrix_coefficients, or 2. */
export function spsMatrixCoefficients(nal) {
  const b = new Bits(nal.subarray(1));
  const profile = b.u(8);
  b.u(16); // constraint flags, level
  b.ue(); // seq_parameter_set_id
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profile)) {
    const chroma = b.ue();
    if (chroma === 3) b.u(1);
    b.ue();
    b.ue();
    b.u(1);
    if (b.u(1)) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        if (!b.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) next = (last + b.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  b.ue(); // log2_max_frame_num_minus4
  const poc = b.ue();
  if (poc === 0) b.ue();
  else if (poc === 1) {
    b.u(1);
    b.se();
    b.se();
    const n = b.ue();
    for (let i = 0; i < n; i++) b.se();
  }
  b.ue(); // max_num_ref_frames
  b.u(1);
  b.ue();
  b.ue();
  if (!b.u(1)) b.u(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  b.u(1);
  if (b.u(1)) for (let i = 0; i < 4; i++) b.ue(); // frame cropping
  if (!b.u(1)) return 2; // no VUI
  if (b.u(1) && b.u(8) === 255) b.u(32); // aspect ratio
  if (b.u(1)) b.u(1); // overscan
  if (!b.u(1)) return 2; // no video signal type
  b.u(4); // video_format, video_full_range_flag
  if (!b.u(1)) return 2; // no colour description
  b.u(16); // colour primaries, transfer characteristics
  return b.u(8);
}

// The matrix of a track: colr (nclx), vpcC, or the avcC's first SPS.
function trackMatrix(trak) {
  const entry = trak.mdia.minf.stbl.stsd.entries[0];
  try {
    const colr = entry.boxes?.find((box) => box.type === "colr" && box.colour_type === "nclx");
    if (colr) return matrixFromCoefficients(colr.matrix_coefficients);
    if (entry.vpcC) return matrixFromCoefficients(entry.vpcC.matrixCoefficients);
    const sps = entry.avcC?.SPS?.[0];
    if (sps) return matrixFromCoefficients(spsMatrixCoefficients(sps.data || sps.nalu || sps));
  } catch {
    // an SPS we cannot read: FFmpeg's default
  }
  return 601;
}

/**
 * Float32 luma of a frame's visible rectangle, through RGB as PyAV's to_ndarray("rgb24") and
 * the reference's fillFloatLumaFromRGB: 8-bit 4:2:0 (I420, NV12) is converted here (limited
 * range, the track's matrix, each chroma sample for its 2x2 pixels, rounded to 8 bits); any
 * other layout by the browser (copyTo RGBA).
 */
async function lumaOf(frame, matrix) {
  const rect = frame.visibleRect;
  const width = rect.width;
  const height = rect.height;
  const luma = new Float32Array(width * height);
  const format = frame.format;
  if (format === "I420" || format === "I420A" || format === "NV12") {
    const data = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(data, { rect });
    const [Y, U, V] = layout;
    const m = MATRICES[matrix];
    const chromaStep = format === "NV12" ? 2 : 1;
    const vOffset = format === "NV12" ? U.offset + 1 : V.offset;
    const uvStride = U.stride;
    for (let y = 0; y < height; y++) {
      const yRow = Y.offset + y * Y.stride;
      const cRow = (y >> 1) * uvStride;
      for (let x = 0; x < width; x++) {
        const c = cRow + (x >> 1) * chromaStep;
        const yy = 1.164383 * (data[yRow + x] - 16);
        const u = data[U.offset + c] - 128;
        const v = data[vOffset + c] - 128;
        const r = Math.min(255, Math.max(0, Math.round(yy + m.crv * v)));
        const g = Math.min(255, Math.max(0, Math.round(yy - m.cgu * u - m.cgv * v)));
        const b = Math.min(255, Math.max(0, Math.round(yy + m.cbu * u)));
        luma[y * width + x] = f(f(f(r * LUMA_R) + f(g * LUMA_G)) + f(b * LUMA_B));
      }
    }
    return { luma, width, height };
  }
  const options = { format: "RGBA", colorSpace: "srgb", rect };
  const data = new Uint8ClampedArray(frame.allocationSize(options));
  const layout = await frame.copyTo(data, options);
  const { offset, stride } = layout[0];
  for (let y = 0; y < height; y++) {
    for (let x = 0, p = offset + y * stride; x < width; x++, p += 4) {
      luma[y * width + x] = f(f(f(data[p] * LUMA_R) + f(data[p + 1] * LUMA_G)) + f(data[p + 2] * LUMA_B));
    }
  }
  return { luma, width, height };
}

/**
 * vPDQ of an MP4 file: {features: [{frame, quality, pdq, timestamp}], frame_rate,
 * frames_decoded, width, height, codec}. `onProgress(done, total)` hears of decoded frames;
 * `cancelled()` is asked between frames and stops the work with a VideoCancelled.
 */
export async function hashVideoFile(
  file,
  { secondsPerHash = DEFAULT_SECONDS_PER_HASH, onProgress = () => {}, cancelled = () => false } = {},
) {
  if (typeof VideoDecoder === "undefined" || typeof EncodedVideoChunk === "undefined") {
    throw new VideoUnsupported("no-webcodecs", "this browser has no WebCodecs VideoDecoder");
  }
  // Only ISO base media files (MP4, MOV, 3GP: an ftyp box first) are demuxed here.
  const head = new Uint8Array(await file.slice(4, 8).arrayBuffer());
  if (String.fromCharCode(...head) !== "ftyp") {
    throw new VideoUnsupported("not-mp4", "not an MP4 (no ftyp box first)");
  }
  const demuxer = new Demuxer(file);
  const track = await demuxer.open();
  const width = track.video?.width || track.track_width;
  const height = track.video?.height || track.track_height;
  if (!(width > 0 && height > 0)) throw new VideoUnsupported("damaged", "the video has no frame size");
  if (width * height > MAX_FRAME_PIXELS) {
    throw new VideoUnsupported("too-large", `video frames too large to hash (${width}x${height})`);
  }
  if (!(track.nb_samples > 0 && track.samples_duration > 0)) {
    throw new VideoUnsupported("damaged", "the video has no frames");
  }
  const frameRate = (track.nb_samples * track.timescale) / track.samples_duration;
  const declared = track.samples_duration / track.timescale;
  if (declared > MAX_DURATION_SECONDS || track.nb_samples > MAX_FRAMES) {
    throw new VideoUnsupported("too-long", `video too long to hash (${(declared / 3600).toFixed(1)} h)`);
  }
  const config = {
    codec: track.codec,
    codedWidth: width,
    codedHeight: height,
    description: description(demuxer.trak),
    optimizeForLatency: false,
  };
  let support;
  try {
    support = await VideoDecoder.isConfigSupported(config);
  } catch (error) {
    throw new VideoUnsupported("codec", `codec ${track.codec}: ${error.message}`);
  }
  if (!support.supported) {
    throw new VideoUnsupported("codec", `this browser cannot decode ${track.codec}`);
  }

  const step = frameStep(frameRate, secondsPerHash);
  const matrix = trackMatrix(demuxer.trak);
  const total = track.nb_samples;
  const features = [];
  let decoded = 0;
  let failure = null;
  let work = Promise.resolve(); // the kept frames, hashed one at a time in order
  let pending = 0; // kept frames not hashed yet
  let wake = null;
  const poke = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };

  const decoder = new VideoDecoder({
    output: (frame) => {
      const number = decoded++;
      if (failure !== null || number % step !== 0) {
        frame.close();
        return;
      }
      if (frame.visibleRect.width * frame.visibleRect.height > MAX_FRAME_PIXELS) {
        frame.close();
        failure = failure || new VideoUnsupported("too-large", "video frames too large to hash");
        return;
      }
      pending++;
      work = work.then(async () => {
        try {
          const { luma, width: w, height: h } = await lumaOf(frame, matrix);
          frame.close();
          const { hash, quality } = pdqFromLuma(luma, w, h);
          features.push({ frame: number, quality, pdq: hash, timestamp: number / frameRate });
        } catch (error) {
          frame.close();
          failure = failure || error;
        } finally {
          pending--;
          poke();
        }
      });
    },
    error: (error) => {
      failure = failure || new VideoUnsupported("damaged", error.message || String(error));
      poke();
    },
  });
  decoder.addEventListener("dequeue", poke);

  const stop = () => {
    if (decoder.state !== "closed") decoder.close();
  };
  try {
    decoder.configure(config);
    let lastReport = -1;
    for (;;) {
      if (cancelled()) throw new VideoCancelled();
      if (failure !== null) break;
      if (decoded > MAX_FRAMES || decoded / frameRate > MAX_DURATION_SECONDS) {
        throw new VideoUnsupported("too-long", "video too long to hash");
      }
      if (decoder.decodeQueueSize >= DECODE_QUEUE || pending > 1) {
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50); // a dequeue event can be missed between checks
        });
        continue;
      }
      if (decoded - lastReport >= 30) {
        lastReport = decoded;
        onProgress(decoded, total);
      }
      const sample = await demuxer.next();
      if (sample === null) break;
      decoder.decode(
        new EncodedVideoChunk({
          type: sample.is_sync ? "key" : "delta",
          timestamp: Math.round((1e6 * sample.cts) / sample.timescale),
          duration: Math.round((1e6 * sample.duration) / sample.timescale),
          data: sample.data,
        }),
      );
    }
    if (failure === null) {
      try {
        await decoder.flush();
      } catch (error) {
        failure = failure || new VideoUnsupported("damaged", error.message || String(error));
      }
    }
    await work;
    if (cancelled()) throw new VideoCancelled();
  } finally {
    stop();
  }
  // A damaged tail keeps the frames decoded before it, as the Python client does.
  if (failure !== null && (decoded === 0 || !(failure instanceof VideoUnsupported) || failure.reason !== "damaged")) {
    if (failure instanceof VideoUnsupported) throw failure;
    throw new VideoUnsupported("damaged", failure.message || String(failure));
  }
  if (decoded === 0) throw new VideoUnsupported("damaged", "the video has no frames");
  onProgress(decoded, decoded);
  features.sort((a, b) => a.frame - b.frame);
  return { features, frame_rate: frameRate, frames_decoded: decoded, width, height, codec: track.codec };
}
