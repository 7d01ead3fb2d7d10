// The module Web Worker that fingerprints a victim's files off the page's main thread:
//   const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
//   worker.postMessage({ id, file, dihedral: false, variants: false });
// It answers, for each request, any number of
//   { id, type: "progress", stage: "pdq" | "video" | "digest", done, total }
// ("video": frames of a video decoded, of about `total`)
// and then exactly one of
//   { id, type: "result", kind: "image" | "video" | "file", md5, sha256,
//     pdq?, pdq_quality?, pdq_dihedral?, variants?, local_hashes?, width?, height?, pdq_error?,
//     vpdq?, frame_hashes?, frame_rate?, frames_decoded?, video_error?, video_message? }
//   { id, type: "error", reason, message }   (reason: a code the page words in the person's
//                                             language; message: English, for developers)
// A result's `format` says what the file's first bytes are (file-kind.js): "photo", "computer"
// (a photo format only the hashstop program decodes: exact fingerprints here), "video" or
// "unknown". Files that cannot be protected are errors, never results: an empty file (reason
// "empty"), a photo this browser should decode but cannot ("damaged": truncated or corrupt), and
// a file that claims to be a picture but is in no picture format ("not-a-photo": random bytes).
// (the field names are those of `hashstop hash --json`; `variants: true` adds a photo's stored
// variants, [{name, pdq, pdq_quality}], and its local hashes, [hex] (issue 14), as `hashstop hash
// --json --variants` does, and then `pdq` is the full-resolution hash the variants start from). Requests are handled one at a time, in
// the order they arrive, so a page may post a whole folder at once without running out of memory.
//
// A video (an MP4 this browser decodes with WebCodecs, video-hash.js) comes back as kind "video"
// with its vPDQ features, [{frame, quality, pdq, timestamp}], every kept frame, and its
// `frame_hashes`, the ones it is stored by (distinct, quality >= 50, at most 360), as the Python
// client's. A video it cannot decode is kind "file" with `video_error`, a reason code
// ("no-webcodecs", "not-mp4", "codec", "damaged", "too-long", "too-large"): its exact
// fingerprints only. `{ type: "cancel", id }` stops a request, queued or running: it answers
// { id, type: "error", reason: "cancelled" }. `secondsPerHash` (default 1) spaces a video's frames.
//
// Only hashes leave this worker: it never posts pixels or file bytes back, and it has no network
// code at all.

import { digestFile } from "./digest.js";
import { fileKind, SNIFF_BYTES } from "./file-kind.js";
import { hashImageFile, hashPhotoFile } from "./pdq-image.js";
import { frameHashes, hashVideoFile, VideoCancelled, VideoUnsupported } from "./video-hash.js";

const cancelledIds = new Set();

// Files without a declared type are tried as images only up to this size: the browser reads the
// whole file to decode it, and a large unknown file is far more likely a video.
const UNTYPED_IMAGE_MAX_BYTES = 64 * 1024 * 1024;

function claimsImage(file) {
  if (file.type) return file.type.startsWith("image/");
  return file.size <= UNTYPED_IMAGE_MAX_BYTES;
}

// A file that cannot be protected: the page names it and never sends it.
class Refusal extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

async function fingerprintVideo(id, file, secondsPerHash, result) {
  self.postMessage({ id, type: "progress", stage: "video", done: 0, total: 0 });
  try {
    const video = await hashVideoFile(file, {
      secondsPerHash,
      onProgress: (done, total) => self.postMessage({ id, type: "progress", stage: "video", done, total }),
      cancelled: () => cancelledIds.has(id),
    });
    Object.assign(result, {
      kind: "video",
      vpdq: video.features,
      frame_hashes: frameHashes(video.features),
      frame_rate: video.frame_rate,
      frames_decoded: video.frames_decoded,
      width: video.width,
      height: video.height,
    });
  } catch (error) {
    if (error instanceof VideoCancelled) throw new Refusal("cancelled", "stopped by the person");
    // Registered by its exact fingerprints, and the page says why.
    result.video_error = error instanceof VideoUnsupported ? error.reason : "damaged";
    result.video_message = error.message || String(error);
  }
}

async function fingerprint(id, file, dihedral, variants, secondsPerHash) {
  if (cancelledIds.has(id)) throw new Refusal("cancelled", "stopped by the person");
  if (file.size === 0) throw new Refusal("empty", "the file is empty (0 bytes)");
  const format = fileKind(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
  const result = { id, type: "result", kind: "file", format: format ?? "unknown" };
  if (format === null && claimsImage(file)) {
    throw new Refusal("not-a-photo", "the file's contents are in no picture format");
  }
  if (format === "photo" || format === "computer") {
    self.postMessage({ id, type: "progress", stage: "pdq", done: 0, total: 1 });
    try {
      const pdq = variants ? await hashPhotoFile(file) : await hashImageFile(file, { dihedral });
      Object.assign(result, {
        kind: "image",
        pdq: pdq.hash,
        pdq_quality: pdq.quality,
        width: pdq.width,
        height: pdq.height,
      });
      if (dihedral && !variants) result.pdq_dihedral = pdq.dihedral;
      if (variants) {
        result.variants = pdq.variants;
        result.local_hashes = pdq.local;
      }
    } catch (error) {
      // A format this browser decodes, that it could not decode: truncated or corrupt.
      if (format === "photo") throw new Refusal("damaged", error.message);
      // HEIC and the like (Chromium cannot decode them): still an identical copy is recognised.
      result.pdq_error = error.message;
    }
    self.postMessage({ id, type: "progress", stage: "pdq", done: 1, total: 1 });
  }
  if (format === "video") await fingerprintVideo(id, file, secondsPerHash, result);
  const onProgress = (done, total) => {
    if (cancelledIds.has(id)) throw new Refusal("cancelled", "stopped by the person");
    self.postMessage({ id, type: "progress", stage: "digest", done, total });
  };
  Object.assign(result, await digestFile(file, { onProgress }));
  if (cancelledIds.has(id)) throw new Refusal("cancelled", "stopped by the person");
  return result;
}

let queue = Promise.resolve();

self.addEventListener("message", (event) => {
  const { id, file, dihedral = false, variants = false, secondsPerHash = 1 } = event.data || {};
  if (event.data?.type === "cancel") {
    cancelledIds.add(id); // answered by the request itself, queued or running
    return;
  }
  queue = queue.then(async () => {
    try {
      if (!(file instanceof Blob)) throw new Error("expected a File or Blob to fingerprint");
      self.postMessage(await fingerprint(id, file, dihedral, variants, secondsPerHash));
    } catch (error) {
      const message = error.message || String(error);
      const reason = error instanceof Refusal ? error.reason : "unreadable";
      self.postMessage({ id, type: "error", reason, message });
    } finally {
      cancelledIds.delete(id);
    }
  });
});
