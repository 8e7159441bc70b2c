/**
 * Photos of reports: the type is read from the bytes (magic numbers, never the name or the declared
 * type), and metadata that can locate or identify the author — EXIF (with GPS), XMP, IPTC, comments,
 * PNG text chunks — is removed before anything is stored. Pure.
 */

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export class PhotoError extends Error {}

/** JPEG (FF D8 FF), PNG (the 8-byte signature) or WebP (RIFF....WEBP), else undefined. */
export function sniffImageType(b: Uint8Array): ImageType | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length >= 8 && png.every((v, i) => b[i] === v)) return 'image/png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'image/webp';
  return undefined;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

// JPEG markers kept before the scan: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform).
// Dropped: APP1 (EXIF incl. GPS, XMP), APP3-APP13 and APP15 (IPTC, vendor data), COM (free text).
const JPEG_DROP = (m: number) => (m >= 0xe1 && m <= 0xef && m !== 0xe2 && m !== 0xee) || m === 0xfe;

/** A JPEG without its metadata segments; the image data is copied unchanged. */
export function stripJpeg(b: Uint8Array): Uint8Array {
  if (sniffImageType(b) !== 'image/jpeg') throw new PhotoError('not a JPEG');
  const parts: Uint8Array[] = [b.subarray(0, 2)];
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) throw new PhotoError(`JPEG: expected a marker at byte ${i}`);
    let m = b[i + 1];
    // Fill bytes (FF FF ...) may precede a marker.
    let start = i;
    while (m === 0xff && i + 2 < b.length) {
      i++;
      m = b[i + 1];
    }
    start = i;
    if (m === 0xd9) {
      parts.push(b.subarray(start, start + 2));
      break;
    }
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      parts.push(b.subarray(start, start + 2));
      i = start + 2;
      continue;
    }
    if (i + 3 >= b.length) throw new PhotoError('JPEG: truncated segment');
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2 || i + 2 + len > b.length) throw new PhotoError('JPEG: bad segment length');
    const end = i + 2 + len;
    if (m === 0xda) {
      // Start of scan: the rest (entropy-coded data, further scans, EOI) is image data.
      parts.push(b.subarray(start));
      break;
    }
    if (!JPEG_DROP(m)) parts.push(b.subarray(start, end));
    i = end;
  }
  return concat(parts);
}

// PNG chunks that carry text or EXIF (they may hold the author, the place, the device).
const PNG_DROP = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

export function stripPng(b: Uint8Array): Uint8Array {
  if (sniffImageType(b) !== 'image/png') throw new PhotoError('not a PNG');
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 8;
  while (i < b.length) {
    if (i + 12 > b.length) throw new PhotoError('PNG: truncated chunk');
    const len = view.getUint32(i);
    const type = ascii(b, i + 4, 4);
    const end = i + 12 + len;
    if (end > b.length) throw new PhotoError('PNG: bad chunk length');
    if (!PNG_DROP.has(type)) parts.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') break;
  }
  return concat(parts);
}

/** WebP without its EXIF and XMP chunks (and their flags in VP8X cleared). */
export function stripWebp(b: Uint8Array): Uint8Array {
  if (sniffImageType(b) !== 'image/webp') throw new PhotoError('not a WebP');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: Uint8Array[] = [];
  let i = 12;
  while (i < b.length) {
    if (i + 8 > b.length) throw new PhotoError('WebP: truncated chunk');
    const type = ascii(b, i, 4);
    const size = view.getUint32(i + 4, true);
    const end = i + 8 + size + (size % 2);
    if (i + 8 + size > b.length) throw new PhotoError('WebP: bad chunk size');
    if (type === 'VP8X') {
      const chunk = b.slice(i, Math.min(end, b.length));
      chunk[8] &= ~(0x08 | 0x04);
      parts.push(chunk);
    } else if (type !== 'EXIF' && type !== 'XMP ') parts.push(b.subarray(i, Math.min(end, b.length)));
    i = end;
  }
  const body = concat(parts);
  const header = new Uint8Array(12);
  header.set(b.subarray(0, 12));
  new DataView(header.buffer).setUint32(4, body.length + 4, true);
  return concat([header, body]);
}

export interface CheckedPhoto {
  type: ImageType;
  bytes: Uint8Array;
}

/** Checks size and type, then strips metadata; throws PhotoError with a reason a citizen can read. */
export function checkPhoto(bytes: Uint8Array, maxBytes: number): CheckedPhoto {
  if (bytes.length === 0) throw new PhotoError('the photo is empty');
  if (bytes.length > maxBytes) throw new PhotoError(`the photo is larger than ${Math.floor(maxBytes / 1024)} KiB`);
  const type = sniffImageType(bytes);
  if (!type) throw new PhotoError('the photo must be a JPEG, PNG or WebP image');
  const strip = type === 'image/jpeg' ? stripJpeg : type === 'image/png' ? stripPng : stripWebp;
  return { type, bytes: strip(bytes) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
