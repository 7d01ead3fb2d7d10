// Benchmark worker for browser_pdq.py: times PDQ of one image file in a module Web Worker, as
// the /submit page's hash-worker.js runs it, by the default (fast) path and by the exact path
// on every decoded pixel.

import { decodeImage, hashImageFile, pixelsOf } from "/static/js/pdq-image.js";
import { pdqFromRGBA } from "/static/js/pdq.js";

async function exactPath(blob) {
  const start = performance.now();
  const bitmap = await decodeImage(blob);
  const decoded = performance.now();
  const pixels = pixelsOf(bitmap);
  const read = performance.now();
  const result = pdqFromRGBA(pixels, bitmap.width, bitmap.height);
  const hashed = performance.now();
  bitmap.close();
  const timing = { decode: decoded - start, readback: read - decoded, pdq: hashed - read };
  return { result, timing: { ...timing, total: hashed - start } };
}

// Fast-path hashes of many files, for the per-image distance table.
async function hashAll(urls) {
  const hashes = [];
  for (const url of urls) hashes.push((await hashImageFile(await (await fetch(url)).blob())).hash);
  return hashes;
}

async function time(url, runs) {
  // The file's bytes in memory first, as a File from <input type=file> would be to the page.
  const blob = await (await fetch(url)).blob();
  const fast = [];
  const exact = [];
  let fastResult;
  let exactResult;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    fastResult = await hashImageFile(blob);
    fast.push(performance.now() - start);
    const measured = await exactPath(blob);
    exactResult = measured.result;
    exact.push(measured.timing);
  }
  return { fast, exact, fastResult, exactResult };
}

self.addEventListener("message", async ({ data: { url, runs, urls } }) => {
  self.postMessage(urls ? await hashAll(urls) : await time(url, runs));
});
