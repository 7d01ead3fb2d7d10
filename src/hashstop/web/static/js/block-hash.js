// The part MD5 and SHA-256 share: feeding bytes in 64-byte blocks across chunk boundaries, and
// the final padding (0x80, zeros, then the message length in bits as a 64-bit integer).
// Subclasses supply compress(bytes, offset) and say which byte order the length takes.

export class BlockHash {
  constructor(littleEndianLength) {
    this.littleEndianLength = littleEndianLength;
    this.block = new Uint8Array(64); // a partial block waiting for more bytes
    this.blockLength = 0;
    this.byteCount = 0;
    this.finished = false;
  }

  /** Add bytes (a Uint8Array); returns this. */
  update(bytes) {
    if (this.finished) throw new Error("this digest is already finished");
    this.byteCount += bytes.length;
    this.absorb(bytes);
    return this;
  }

  absorb(bytes) {
    let offset = 0;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, bytes.length);
      this.block.set(bytes.subarray(0, take), this.blockLength);
      this.blockLength += take;
      offset = take;
      if (this.blockLength < 64) return;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) this.compress(bytes, offset);
    this.block.set(bytes.subarray(offset), 0);
    this.blockLength = bytes.length - offset;
  }

  /** Append the padding and length; after this only the state is read. */
  finish() {
    if (this.finished) throw new Error("this digest is already finished");
    this.finished = true;
    const bits = this.byteCount * 8; // exact in a double up to 1 PiB
    const low = bits % 2 ** 32;
    const high = Math.floor(bits / 2 ** 32);
    const padLength = this.blockLength < 56 ? 56 - this.blockLength : 120 - this.blockLength;
    const tail = new Uint8Array(padLength + 8);
    tail[0] = 0x80;
    const view = new DataView(tail.buffer);
    if (this.littleEndianLength) {
      view.setUint32(padLength, low, true);
      view.setUint32(padLength + 4, high, true);
    } else {
      view.setUint32(padLength, high, false);
      view.setUint32(padLength + 4, low, false);
    }
    this.absorb(tail);
  }
}

/** Hex of 32-bit words, each written little- or big-endian. */
export function wordsToHex(words, littleEndian) {
  let hex = "";
  for (const word of words) {
    for (let byte = 0; byte < 4; byte++) {
      const shift = littleEndian ? 8 * byte : 24 - 8 * byte;
      hex += ((word >>> shift) & 0xff).toString(16).padStart(2, "0");
    }
  }
  return hex;
}
