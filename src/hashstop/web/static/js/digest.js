// MD5 and SHA-256 of a File or Blob, read in slices so that a 2 GB video never sits in memory:
// at most two chunks are held at once (the one being hashed and the next one being read).
// The bytes are only read and hashed here; nothing is sent or stored.

import { Md5 } from "./md5.js";
import { Sha256 } from "./sha256.js";

export const CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * {md5, sha256} (lowercase hex) of `blob`, read CHUNK_SIZE bytes at a time.
 * `onProgress(bytesDone, bytesTotal)` is called after each chunk (and once at 0).
 */
export async function digestFile(blob, { onProgress = () => {}, chunkSize = CHUNK_SIZE } = {}) {
  const md5 = new Md5();
  const sha256 = new Sha256();
  const total = blob.size;
  const read = (start) => blob.slice(start, Math.min(start + chunkSize, total)).arrayBuffer();
  onProgress(0, total);
  let next = total > 0 ? read(0) : null;
  for (let start = 0; start < total; start += chunkSize) {
    const chunk = new Uint8Array(await next);
    // Start reading the following slice while this one is hashed.
    next = start + chunkSize < total ? read(start + chunkSize) : null;
    md5.update(chunk);
    sha256.update(chunk);
    onProgress(start + chunk.length, total);
  }
  return { md5: md5.hex(), sha256: sha256.hex() };
}

/** {md5, sha256} of bytes already in memory (a Uint8Array). */
export function digestBytes(bytes) {
  return { md5: new Md5().update(bytes).hex(), sha256: new Sha256().update(bytes).hex() };
}
