// What a file is, from its first bytes (never from its name or declared type, which a person or
// a phone may get wrong): the page uses it to say truthfully what can be done with the file.
//
//   "photo"     a format this browser decodes (JPEG, PNG, GIF, WebP, BMP, ICO, AVIF)
//   "computer"  a photo format this browser cannot decode but the hashstop program reads (HEIC/
//               HEIF, TIFF, JPEG 2000): registered here by its exact fingerprints only
//   "video"     a video container (MP4/MOV/3GP, WebM/Matroska, AVI, Ogg, FLV, MPEG, ASF)
//   null        none of these: random bytes, a damaged header, or a format we do not know

const ASCII = (bytes, start, text) =>
  [...text].every((c, i) => bytes[start + i] === c.charCodeAt(0));
const BYTES = (bytes, start, values) => values.every((v, i) => bytes[start + i] === v);

const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

/** The bytes a sniff needs from the start of a file. */
export const SNIFF_BYTES = 4096;

/** "photo" | "computer" | "video" | null for the first bytes of a file (a Uint8Array). */
export function fileKind(bytes) {
  if (BYTES(bytes, 0, [0xff, 0xd8, 0xff])) return "photo"; // JPEG
  if (BYTES(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "photo"; // PNG
  if (ASCII(bytes, 0, "GIF87a") || ASCII(bytes, 0, "GIF89a")) return "photo";
  if (ASCII(bytes, 0, "RIFF") && ASCII(bytes, 8, "WEBP")) return "photo";
  if (ASCII(bytes, 0, "BM") && bytes.length >= 26 && BYTES(bytes, 6, [0, 0, 0, 0])) return "photo";
  if (BYTES(bytes, 0, [0, 0, 1, 0]) && bytes[4] > 0 && bytes[5] === 0) return "photo"; // ICO
  if (ASCII(bytes, 4, "ftyp")) {
    const brands = [8, ...Array.from({ length: 8 }, (_, i) => 16 + 4 * i)].map((at) =>
      String.fromCharCode(...bytes.subarray(at, at + 4)),
    );
    if (brands.some((b) => AVIF_BRANDS.has(b))) return "photo";
    if (brands.some((b) => HEIF_BRANDS.has(b))) return "computer";
    return "video"; // isom, mp41, mp42, qt, 3gp4, M4V ...
  }
  if (ASCII(bytes, 0, "II*\0") || ASCII(bytes, 0, "MM\0*")) return "computer"; // TIFF
  if (BYTES(bytes, 0, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return "computer"; // JPEG 2000
  if (BYTES(bytes, 0, [0xff, 0x4f, 0xff, 0x51])) return "computer"; // JPEG 2000 codestream
  if (BYTES(bytes, 0, [0x1a, 0x45, 0xdf, 0xa3])) return "video"; // WebM, Matroska
  if (ASCII(bytes, 0, "RIFF") && ASCII(bytes, 8, "AVI ")) return "video";
  if (ASCII(bytes, 0, "OggS") || ASCII(bytes, 0, "FLV")) return "video";
  if (BYTES(bytes, 0, [0, 0, 1, 0xba]) || BYTES(bytes, 0, [0, 0, 1, 0xb3])) return "video";
  if (BYTES(bytes, 0, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return "video"; // ASF
  if (bytes[0] === 0x47 && bytes.length > 376 && bytes[188] === 0x47 && bytes[376] === 0x47)
    return "video"; // MPEG transport stream
  return null;
}
