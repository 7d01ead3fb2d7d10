// The photos and videos a person chose on /submit or /case, each fingerprinted on this device.
//
// A PhotoSet drives one picker (templates/public/picker.html): the file input and its drop
// zone, the list of chosen files with a local thumbnail and a progress bar each, and a polite
// live region. Every file goes to the hashing Web Worker (/static/js/hash-worker.js); what
// comes back is only hashes. `hashes()` turns them into the API's hash list, one photo key per
// file so the service groups a file's fingerprints as one photo.
//
// Refuses to let anything else out: file bytes stay in the File objects (read by the worker,
// never by the network); thumbnails are object URLs revoked as soon as they are drawn; file
// names are shown on the page but never put in the hash list.

import { loadFacts } from "../facts.js";
import { language, t, tn } from "../i18n.js";
import { randomKey } from "./api.js";

// PDQ hashes below this quality are refused by the service (too little detail to recognise).
// From facts.json, read before any worker answer is handled (the page itself never waits on it;
// a worker that could not read it could not have fingerprinted anything either).
let MIN_PDQ_QUALITY = null;
const factsLoaded = loadFacts().then((facts) => {
  MIN_PDQ_QUALITY = facts.min_pdq_quality;
});

let sharedWorker = null;
const waiting = new Map(); // request id -> the PhotoSet entry waiting for it
let nextRequest = 0;

function hashWorker() {
  if (sharedWorker !== null) return sharedWorker;
  const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
  worker.addEventListener("message", async ({ data }) => {
    await factsLoaded.catch(() => {}); // a failed fetch keeps the service's usual floor
    waiting.get(data.id)?.onMessage(data);
  });
  // The worker itself failed (it could not load, say): fail what it held, start afresh next time.
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    worker.terminate();
    if (sharedWorker === worker) sharedWorker = null;
    for (const entry of waiting.values()) {
      entry.onMessage({ type: "error", reason: "stopped" });
    }
  });
  sharedWorker = worker;
  return worker;
}

function formatSize(bytes) {
  if (bytes < 1000) return tn("%(num)s byte", "%(num)s bytes", bytes);
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

// Why a file cannot be protected, in the person's language (the worker answers with a reason
// code; its own `message` is a developer's English). Each says plainly that it is not sent.
function failure(data) {
  switch (data.reason) {
    case "empty":
      return t("This file is empty (0 bytes): there is no photo in it to protect. It will not be sent.");
    case "damaged":
      return t(
        "This photo is damaged or incomplete: it cannot be opened, so it cannot be protected. It will not be sent. If you have the original photo, choose that one.",
      );
    case "not-a-photo":
      return t(
        "This file is not a photo: its contents are in no picture format, so it cannot be protected. It will not be sent.",
      );
    case "cancelled":
      return t(
        "You stopped the fingerprinting of this video. It will not be sent: remove it, or choose it again to start over.",
      );
    case "stopped":
      return t(
        "The fingerprinting stopped before this file was done. It will not be sent: remove it and choose it again.",
      );
    default:
      return t("This file could not be read on this device. It will not be sent.");
  }
}

// Why a video is registered by its exact fingerprints only (hash-worker.js's `video_error`).
function videoFallback(reason) {
  switch (reason) {
    case "no-webcodecs":
      return t(
        "This browser cannot read videos, so this one is registered by its exact fingerprint only: an identical copy will be recognised, an edited or re-saved one will not. A recent version of Chrome, Edge, Firefox or Safari, or the hashstop program on a computer, can fingerprint its frames.",
      );
    case "not-mp4":
      return t(
        "This page reads only MP4 videos, so this one is registered by its exact fingerprint only: an identical copy will be recognised, an edited or re-saved one will not. The hashstop program on a computer can fingerprint its frames.",
      );
    case "codec":
      return t(
        "This browser cannot decode this video's format, so it is registered by its exact fingerprint only: an identical copy will be recognised, an edited or re-saved one will not. The hashstop program on a computer can fingerprint its frames.",
      );
    case "too-long":
    case "too-large":
      return t(
        "This video is too long or too large to fingerprint frame by frame (at most 3 hours, and frames of at most 8K), so it is registered by its exact fingerprint only: an identical copy will be recognised.",
      );
    default:
      return t(
        "This video could not be read (it may be damaged), so it is registered by its exact fingerprint only: an identical copy will be recognised.",
      );
  }
}

// What a finished file's fingerprints mean, in plain words.
function describe(result) {
  if (result.kind === "image" && result.pdq_quality >= MIN_PDQ_QUALITY) {
    return { text: t("Fingerprinted."), tone: "ok" };
  }
  if (result.kind === "image") {
    return {
      text: t(
        "Fingerprinted by its exact copy only: this picture has too little detail for a visual fingerprint.",
      ),
      tone: "note",
    };
  }
  if (result.kind === "video" && result.frame_hashes.length > 0) {
    return {
      text: tn(
        "Fingerprinted: %(num)s frame of this video (one a second) and its exact fingerprint.",
        "Fingerprinted: %(num)s frames of this video (one a second) and its exact fingerprint.",
        result.frame_hashes.length,
      ),
      tone: "ok",
    };
  }
  if (result.kind === "video") {
    return {
      text: t(
        "Fingerprinted by its exact copy only: the frames of this video have too little detail for a visual fingerprint.",
      ),
      tone: "note",
    };
  }
  if (result.video_error) return { text: videoFallback(result.video_error), tone: "note" };
  if (result.pdq_error) {
    // Only for HEIC, TIFF and JPEG 2000 (file-kind.js): a damaged photo is refused instead.
    return {
      text: t(
        "This browser cannot open HEIC, TIFF or JPEG 2000 photos, so this one is registered by its exact fingerprint only: an identical copy will be recognised, an edited or re-saved one will not. The hashstop program on a computer can read this kind of photo.",
      ),
      tone: "note",
    };
  }
  return {
    text: t(
      "A video or other file: registered by its exact fingerprint, so an identical copy will be recognised.",
    ),
    tone: "note",
  };
}

export class PhotoSet {
  /**
   * `prefix` names the picker's elements ({prefix}-files, -dropzone, -list, -status);
   * `onChange()` is called whenever a file is added, finished or removed.
   */
  constructor(prefix, { onChange = () => {} } = {}) {
    this.input = document.getElementById(`${prefix}-files`);
    this.dropzone = document.getElementById(`${prefix}-dropzone`);
    this.list = document.getElementById(`${prefix}-list`);
    this.status = document.getElementById(`${prefix}-status`);
    this.onChange = onChange;
    this.entries = [];
    // Hide the thumbnails (a shared screen): kept for this page only, never stored.
    this.thumbs = document.getElementById(`${prefix}-thumbs`);
    this.thumbs.addEventListener("click", () => {
      const hide = this.thumbs.getAttribute("aria-pressed") !== "true";
      this.thumbs.setAttribute("aria-pressed", String(hide));
      this.list.classList.toggle("thumbs-hidden", hide);
      this.thumbs.textContent = hide ? t("Show thumbnails") : t("Hide thumbnails");
    });

    this.input.addEventListener("change", () => {
      this.add(this.input.files);
      this.input.value = ""; // so choosing the same file again is noticed
    });
    this.dropzone.addEventListener("dragover", (event) => {
      event.preventDefault();
      this.dropzone.classList.add("dragging");
    });
    this.dropzone.addEventListener("dragleave", () => this.dropzone.classList.remove("dragging"));
    this.dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      this.dropzone.classList.remove("dragging");
      this.add(event.dataTransfer.files);
    });
  }

  /** Add files (a FileList or an array) and start fingerprinting them. */
  add(files) {
    for (const file of files) {
      const known = this.entries.some(
        (e) =>
          e.file.name === file.name &&
          e.file.size === file.size &&
          e.file.lastModified === file.lastModified,
      );
      if (!known) this.entries.push(this.track(file));
    }
    this.announce();
    this.onChange();
  }

  // One list item, one worker request.
  track(file) {
    const entry = { file, id: nextRequest++, photo: randomKey(), result: null, error: null };
    const item = document.createElement("li");
    item.className = "file";
    item.append(this.thumbnail(file));

    const name = document.createElement("p");
    name.className = "file-name";
    name.textContent = file.name || t("(no name)");
    const size = document.createElement("span");
    size.className = "muted";
    size.textContent = ` ${formatSize(file.size)}`;
    name.append(size);

    const progress = document.createElement("progress");
    progress.max = 100;
    progress.setAttribute("aria-label", t("Fingerprinting %(file)s", { file: file.name }));
    const state = document.createElement("p");
    state.className = "file-state";
    state.textContent = t("Waiting…");

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary remove";
    remove.textContent = t("Remove");
    remove.setAttribute("aria-label", t("Remove %(file)s", { file: file.name }));
    remove.addEventListener("click", () => this.remove(entry));

    // Stops a video's fingerprinting (shown while its frames are read).
    const stop = document.createElement("button");
    stop.type = "button";
    stop.className = "secondary stop";
    stop.textContent = t("Stop");
    stop.setAttribute("aria-label", t("Stop fingerprinting %(file)s", { file: file.name }));
    stop.hidden = true;
    stop.addEventListener("click", () => {
      stop.disabled = true;
      remove.focus(); // the Stop button goes away; keep the keyboard's place on this file
      state.textContent = t("Stopping…");
      hashWorker().postMessage({ type: "cancel", id: entry.id });
    });

    const text = document.createElement("div");
    text.className = "file-text";
    text.append(name, progress, state);
    const actions = document.createElement("div");
    actions.className = "file-actions";
    actions.append(stop, remove);
    item.append(text, actions);
    this.list.append(item);
    this.list.hidden = false;
    this.thumbs.hidden = false;
    entry.item = item;

    entry.onMessage = (data) => {
      if (data.type === "progress") {
        if (stop.disabled) return; // stopping: the words stay until the worker answers
        if (data.stage === "pdq") {
          progress.removeAttribute("value"); // decoding: indeterminate
          state.textContent = t("Making the visual fingerprint…");
        } else if (data.stage === "video") {
          stop.hidden = false;
          if (data.total > 0) {
            progress.value = Math.min(100, Math.round((100 * data.done) / data.total));
            state.textContent = t(
              "Reading the video's frames: %(done)s of about %(total)s. This can take a while for a long video.",
              { done: data.done, total: data.total },
            );
          } else {
            progress.removeAttribute("value");
            state.textContent = t("Reading the video…");
          }
        } else {
          progress.value = data.total > 0 ? Math.round((100 * data.done) / data.total) : 100;
          state.textContent = t("Making the exact fingerprints…");
        }
        return;
      }
      waiting.delete(entry.id);
      stop.hidden = true;
      progress.value = 100;
      if (data.type === "result") {
        entry.result = data;
        const { text: words, tone } = describe(data);
        state.textContent = words;
        state.classList.add(tone);
      } else {
        entry.error = data.message ?? data.reason;
        state.textContent = failure(data);
        state.classList.add("error");
        item.classList.add("refused");
      }
      this.announce();
      this.onChange();
    };
    waiting.set(entry.id, entry);
    hashWorker().postMessage({ id: entry.id, file, dihedral: false, variants: true });
    return entry;
  }

  // A local preview: an object URL for images, revoked once drawn; a plain box otherwise.
  thumbnail(file) {
    const box = document.createElement("div");
    box.className = "thumb";
    const placeholder = (word) => {
      box.replaceChildren();
      box.classList.add("placeholder");
      box.textContent = word;
    };
    if (!file.type.startsWith("image/")) {
      placeholder(file.type.startsWith("video/") ? t("video") : t("file"));
      return box;
    }
    const url = URL.createObjectURL(file);
    const img = document.createElement("img");
    img.alt = ""; // the file name beside it says what it is
    img.decoding = "async";
    img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
    img.addEventListener(
      "error",
      () => {
        URL.revokeObjectURL(url);
        placeholder(t("photo"));
      },
      { once: true },
    );
    img.src = url;
    box.append(img);
    return box;
  }

  remove(entry) {
    if (waiting.delete(entry.id)) {
      // Not done yet: the worker stops it rather than fingerprint a file no longer wanted.
      sharedWorker?.postMessage({ type: "cancel", id: entry.id });
    }
    // (a late answer from the worker is ignored)
    entry.item.remove();
    this.entries = this.entries.filter((e) => e !== entry);
    this.list.hidden = this.entries.length === 0;
    this.thumbs.hidden = this.list.hidden;
    this.announce(t("Removed %(file)s.", { file: entry.file.name }));
    this.onChange();
    this.input.focus();
  }

  /** Forget every file (after sending, or when the case is closed). */
  clear() {
    for (const entry of this.entries) {
      if (waiting.delete(entry.id)) sharedWorker?.postMessage({ type: "cancel", id: entry.id });
    }
    this.entries = [];
    this.list.replaceChildren();
    this.list.hidden = true;
    this.thumbs.hidden = true;
    this.status.textContent = "";
    this.onChange();
  }

  get busy() {
    return this.entries.some((e) => e.result === null && e.error === null);
  }

  get done() {
    return this.entries.filter((e) => e.result !== null);
  }

  announce(prefix = "") {
    const total = this.entries.length;
    const pending = this.entries.filter((e) => e.result === null && e.error === null).length;
    const failed = this.entries.filter((e) => e.error !== null).length;
    let words;
    if (total === 0) words = t("No files chosen.");
    else if (pending > 0)
      words = tn(
        "Fingerprinting: %(done)s of %(num)s file done…",
        "Fingerprinting: %(done)s of %(num)s files done…",
        total,
        { done: total - pending },
      );
    else if (failed > 0)
      words = tn(
        "%(done)s of %(num)s file fingerprinted; %(failed)s could not be.",
        "%(done)s of %(num)s files fingerprinted; %(failed)s could not be.",
        total,
        { done: total - failed, failed },
      );
    else words = tn("The file is fingerprinted.", "All %(num)s files are fingerprinted.", total);
    const parts = [prefix, words];
    if (total > 0 && pending === 0) parts.push(t("Nothing has been sent yet."));
    this.status.textContent = parts.join(" ").trim();
  }

  /**
   * The API's hash list for the finished files: {algorithm, value, photo} (+ quality for PDQ, and
   * the variant's name for each stored variant of a photo).
   * A hash already in the list (the same file chosen twice under two names) is sent once.
   * `owners[i]` is the entry (file) of `list[i]`, kept beside the list, never in it.
   */
  hashes() {
    const list = [];
    const owners = [];
    const seen = new Set();
    const push = (hash, entry) => {
      const key = `${hash.algorithm}:${hash.value}`;
      if (seen.has(key)) return;
      seen.add(key);
      list.push(hash);
      owners.push(entry);
    };
    for (const entry of this.done) {
      const { result, photo } = entry;
      if (result.kind === "image" && result.variants?.length) {
        // The photo's stored variants (variants.js): itself, crops, mirror, turns.
        for (const v of result.variants) {
          push(
            { algorithm: "pdq", value: v.pdq, quality: v.pdq_quality, photo, variant: v.name },
            entry,
          );
        }
        // Its local hashes (local.js, issue 14): patches at the photo's own keypoints.
        for (const value of result.local_hashes || []) {
          push({ algorithm: "local", value, photo, variant: "local" }, entry);
        }
      } else if (result.kind === "video") {
        // Its frames (video-hash.js): distinct, quality >= 50, at most 360, as the Python client.
        for (const frame of result.frame_hashes) {
          push(
            { algorithm: "pdq", value: frame.pdq, quality: frame.quality, photo, variant: "frame" },
            entry,
          );
        }
      } else if (result.kind === "image" && result.pdq_quality >= MIN_PDQ_QUALITY) {
        push({ algorithm: "pdq", value: result.pdq, quality: result.pdq_quality, photo }, entry);
      }
      push({ algorithm: "md5", value: result.md5, photo }, entry);
      push({ algorithm: "sha256", value: result.sha256, photo }, entry);
    }
    return { list, owners };
  }

  /** Counts for the summary: photos with a visual fingerprint, other files, hashes. */
  counts() {
    const done = this.done;
    const visual = done.filter(
      (e) => e.result.kind === "image" && e.result.pdq_quality >= MIN_PDQ_QUALITY,
    ).length;
    const videos = done.filter(
      (e) => e.result.kind === "video" && e.result.frame_hashes.length > 0,
    ).length;
    return {
      files: done.length,
      visual,
      videos,
      exactOnly: done.length - visual - videos,
      failed: this.entries.filter((e) => e.error !== null).length,
      hashes: this.hashes().list.length,
    };
  }
}

/** "4 photos and 1 file by exact fingerprint only: 11 fingerprints" in plain words. */
export function describeCounts({ visual, videos = 0, exactOnly, hashes }) {
  const photos = tn("%(num)s photo", "%(num)s photos", visual);
  const files = tn(
    "%(num)s file by exact fingerprint only",
    "%(num)s files by exact fingerprint only",
    exactOnly,
  );
  const fingerprints = tn("%(num)s fingerprint", "%(num)s fingerprints", hashes);
  if (videos) {
    const parts = [];
    if (visual) parts.push(photos);
    parts.push(tn("%(num)s video by its frames", "%(num)s videos by their frames", videos));
    if (exactOnly) parts.push(files);
    const things = new Intl.ListFormat(language, { type: "conjunction" }).format(parts);
    return t("%(things)s: %(fingerprints)s", { things, fingerprints });
  }
  if (visual && exactOnly)
    return t("%(photos)s and %(files)s: %(fingerprints)s", { photos, files, fingerprints });
  return t("%(things)s: %(fingerprints)s", { things: visual ? photos : files, fingerprints });
}

// A file dropped outside a drop zone would make the browser open it in place of the page.
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());
