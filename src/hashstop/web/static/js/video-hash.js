// vPDQ of a video in the browser (issue 13): the same features as the Python client's
// `hashstop.hashing.video.vpdq_hash`, computed on this device with WebCodecs.
//
// - The MP4 is demuxed by mp4box (an npm package vendored in /static/vendor/mp4box/, BSD-3-Clause,
//   its version locked in web/npm/package-lock.json), read from the File in chunks; only its
//   first video track is hashed.
// - The frame rate is FFmpeg's average rate for an MP4 track: samples * timescale / the sum of
//   their durations. Every frame the decoder gives out is counted from 0 (presentation order, as
//   FFmpeg's), and frame n is kept when n % max(1, int(fps * secondsPerHash)) === 0.
// - A kept frame's visible pixels are converted to RGBA by the browser (its colour conversion,
//   not swscale's: frame hashes may differ from the Python client's by a few bits; see
//   docs/videos.md for the measured distances), then luma is the reference's
//   `fillFloatLumaFromRGB` (float32 products and sums, R + G first) and PDQ is pdq.js.
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

/** Float32 luma of RGBA pixels, as the reference's fillFloatLumaFromRGB (and video.py). */
export function lumaFromRGBAFloat32(data, width, height) {
  const count = width * height;
  const luma = new Float32Array(count);
  for (let i = 0, p = 0; i < count; i++, p += 4) {
    luma[i] = f(f(f(data[p] * LUMA_R) + f(data[p + 1] * LUMA_G)) + f(data[p + 2] * LUMA_B));
  }
  return luma;
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
      throw new VideoUnsupported("not-mp4", this.error || "no MP4 movie header (moov) found");
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

// RGBA of a frame's visible rectangle: the browser converts (copyTo RGBA, or a canvas where a
// browser lacks that conversion).
async function rgbaOf(frame) {
  const { width, height } = frame.visibleRect;
  try {
    const options = { format: "RGBA", colorSpace: "srgb" };
    const data = new Uint8ClampedArray(frame.allocationSize(options));
    const layout = await frame.copyTo(data, options);
    const stride = layout[0].stride;
    if (stride === width * 4) return { data, width, height };
    const packed = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      packed.set(data.subarray(y * stride + layout[0].offset, y * stride + layout[0].offset + width * 4), y * width * 4);
    }
    return { data: packed, width, height };
  } catch {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(frame, frame.visibleRect.x, frame.visibleRect.y, width, height, 0, 0, width, height);
    return { data: context.getImageData(0, 0, width, height).data, width, height };
  }
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
          const { data, width: w, height: h } = await rgbaOf(frame);
          frame.close();
          const { hash, quality } = pdqFromLuma(lumaFromRGBAFloat32(data, w, h), w, h);
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
