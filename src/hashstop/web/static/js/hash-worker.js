// The module Web Worker that fingerprints a victim's files off the page's main thread:
//   const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
//   worker.postMessage({ id, file, dihedral: false, variants: false });
// It answers, for each request, any number of
//   { id, type: "progress", stage: "pdq" | "digest", done, total }
// and then exactly one of
//   { id, type: "result", kind: "image" | "file", md5, sha256,
//     pdq?, pdq_quality?, pdq_dihedral?, variants?, local_hashes?, width?, height?, pdq_error? }
//   { id, type: "error", reason, message }   (reason: a code the page words in the person's
//                                             language; message: English, for developers)
// (the field names are those of `hashstop hash --json`; `variants: true` adds a photo's stored
// variants, [{name, pdq, pdq_quality}], and its local hashes, [hex] (issue 14), as `hashstop hash
// --json --variants` does, and then `pdq` is the full-resolution hash the variants start from). Requests are handled one at a time, in
// the order they arrive, so a page may post a whole folder at once without running out of memory.
//
// Only hashes leave this worker: it never posts pixels or file bytes back, and it has no network
// code at all.

import { digestFile } from "./digest.js";
import { hashImageFile, hashPhotoFile } from "./pdq-image.js";

// Files without a declared type are tried as images only up to this size: the browser reads the
// whole file to decode it, and a large unknown file is far more likely a video.
const UNTYPED_IMAGE_MAX_BYTES = 64 * 1024 * 1024;

function looksLikeImage(file) {
  if (file.type) return file.type.startsWith("image/");
  return file.size <= UNTYPED_IMAGE_MAX_BYTES;
}

async function fingerprint(id, file, dihedral, variants) {
  const result = { id, type: "result", kind: "file" };
  if (looksLikeImage(file)) {
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
      // Still worth registering by its exact hashes (e.g. HEIC, which Chromium cannot decode).
      result.pdq_error = error.message;
    }
    self.postMessage({ id, type: "progress", stage: "pdq", done: 1, total: 1 });
  }
  const onProgress = (done, total) =>
    self.postMessage({ id, type: "progress", stage: "digest", done, total });
  Object.assign(result, await digestFile(file, { onProgress }));
  return result;
}

let queue = Promise.resolve();

self.addEventListener("message", (event) => {
  const { id, file, dihedral = false, variants = false } = event.data || {};
  queue = queue.then(async () => {
    try {
      if (!(file instanceof Blob)) throw new Error("expected a File or Blob to fingerprint");
      self.postMessage(await fingerprint(id, file, dihedral, variants));
    } catch (error) {
      const message = error.message || String(error);
      self.postMessage({ id, type: "error", reason: "unreadable", message });
    }
  });
});
