// Incremental MD5 (RFC 1321). WebCrypto has no MD5 and digests only whole buffers, so a 2 GB
// video needs this: feed it chunk by chunk with update(), then read hex() once. MD5 is used here only
// as an exact file identifier that platforms already exchange, never for security.

import { BlockHash, wordsToHex } from "./block-hash.js";

// Per-round left-rotation amounts and the sine-derived constants of RFC 1321.
const SHIFTS = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
// K[i] = floor(abs(sin(i + 1)) * 2**32), written out so no engine's Math.sin can change it.
const K = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

const rotl = (v, n) => (v << n) | (v >>> (32 - n));

export class Md5 extends BlockHash {
  constructor() {
    super(true);
    this.state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
    this.words = new Int32Array(16);
  }

  /** Finish and return the digest as 32 lowercase hex characters. */
  hex() {
    this.finish();
    return wordsToHex(this.state, true);
  }

  compress(bytes, offset) {
    const x = this.words;
    for (let i = 0, p = offset; i < 16; i++, p += 4) {
      x[i] = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
    }
    const s = this.state;
    let a = s[0];
    let b = s[1];
    let c = s[2];
    let d = s[3];
    // The four rounds differ only in the mixing function and the message word order.
    let i = 0;
    for (; i < 16; i++) {
      const sum = (a + ((b & c) | (~b & d)) + K[i] + x[i]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(sum, SHIFTS[i])) | 0;
    }
    for (; i < 32; i++) {
      const sum = (a + ((d & b) | (~d & c)) + K[i] + x[(5 * i + 1) & 15]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(sum, SHIFTS[i])) | 0;
    }
    for (; i < 48; i++) {
      const sum = (a + (b ^ c ^ d) + K[i] + x[(3 * i + 5) & 15]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(sum, SHIFTS[i])) | 0;
    }
    for (; i < 64; i++) {
      const sum = (a + (c ^ (b | ~d)) + K[i] + x[(7 * i) & 15]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + rotl(sum, SHIFTS[i])) | 0;
    }
    s[0] = (s[0] + a) | 0;
    s[1] = (s[1] + b) | 0;
    s[2] = (s[2] + c) | 0;
    s[3] = (s[3] + d) | 0;
  }
}
