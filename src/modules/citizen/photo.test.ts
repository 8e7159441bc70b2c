import { describe, expect, it } from 'vitest';
import { checkPhoto, PhotoError, sniffImageType, stripJpeg, stripPng, stripWebp } from './photo.ts';

const bytes = (...xs: (number | string)[]) =>
  new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));
const seg = (marker: number, payload: Uint8Array) => {
  const len = payload.length + 2;
  return new Uint8Array([0xff, marker, len >> 8, len & 0xff, ...payload]);
};
const cat = (...a: Uint8Array[]) => new Uint8Array(a.flatMap((x) => [...x]));

// A minimal JPEG: SOI, APP0 JFIF, APP1 Exif with a GPS tag text, COM, DQT, SOS + scan data, EOI.
const app0 = seg(0xe0, bytes('JFIF', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0));
const app1 = seg(0xe1, bytes('Exif', 0, 0, 'GPSLatitude 33.5731N'));
const com = seg(0xfe, bytes('taken by Fatima'));
const dqt = seg(0xdb, new Uint8Array(65).fill(1));
const sos = seg(0xda, bytes(1, 1, 0, 0, 63, 0));
const scan = bytes(0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56);
const eoi = bytes(0xff, 0xd9);
const jpeg = cat(bytes(0xff, 0xd8), app0, app1, com, dqt, sos, scan, eoi);

describe('photo type by magic bytes', () => {
  it('recognises JPEG, PNG and WebP and nothing else', () => {
    expect(sniffImageType(jpeg)).toBe('image/jpeg');
    expect(sniffImageType(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a))).toBe('image/png');
    expect(sniffImageType(bytes('RIFF', 0, 0, 0, 0, 'WEBP'))).toBe('image/webp');
    expect(sniffImageType(bytes('GIF89a'))).toBeUndefined();
    expect(sniffImageType(bytes('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeUndefined();
  });
});

describe('JPEG metadata stripping', () => {
  it('removes APP1 (EXIF/GPS) and comments, keeps JFIF, tables and the scan byte for byte', () => {
    const out = stripJpeg(jpeg);
    expect([...out]).toEqual([...cat(bytes(0xff, 0xd8), app0, dqt, sos, scan, eoi)]);
    expect(Buffer.from(out).includes('GPSLatitude')).toBe(false);
    expect(Buffer.from(out).includes('Fatima')).toBe(false);
  });
  it('refuses a truncated file', () => {
    expect(() => stripJpeg(jpeg.subarray(0, 12))).toThrow(PhotoError);
  });
});

describe('PNG and WebP metadata stripping', () => {
  const chunk = (type: string, data: Uint8Array) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, data.length);
    return cat(len, bytes(type), data, bytes(0, 0, 0, 0));
  };
  it('drops PNG text and eXIf chunks', () => {
    const sig = bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a);
    const ihdr = chunk('IHDR', new Uint8Array(13));
    const idat = chunk('IDAT', bytes(1, 2, 3));
    const png = cat(sig, ihdr, chunk('tEXt', bytes('Author', 0, 'Fatima')), chunk('eXIf', bytes('MM', 0, 42)), idat, chunk('IEND', new Uint8Array(0)));
    expect([...stripPng(png)]).toEqual([...cat(sig, ihdr, idat, chunk('IEND', new Uint8Array(0)))]);
  });
  it('drops WebP EXIF and XMP chunks, clears their VP8X flags and fixes the RIFF size', () => {
    const wchunk = (type: string, data: Uint8Array) => {
      const size = new Uint8Array(4);
      new DataView(size.buffer).setUint32(0, data.length, true);
      return cat(bytes(type), size, data, data.length % 2 ? bytes(0) : new Uint8Array(0));
    };
    const vp8x = wchunk('VP8X', bytes(0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const body = cat(vp8x, wchunk('VP8 ', bytes(9, 9, 9, 9)), wchunk('EXIF', bytes('GPS!!')), wchunk('XMP ', bytes('<x/>')));
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, body.length + 4, true);
    const out = stripWebp(cat(bytes('RIFF'), size, bytes('WEBP'), body));
    const expectedBody = cat(wchunk('VP8X', bytes(0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0)), wchunk('VP8 ', bytes(9, 9, 9, 9)));
    expect(new DataView(out.buffer).getUint32(4, true)).toBe(expectedBody.length + 4);
    expect([...out.subarray(12)]).toEqual([...expectedBody]);
  });
});

describe('checkPhoto', () => {
  it('refuses oversize and non-image uploads with a reason', () => {
    expect(() => checkPhoto(jpeg, 10)).toThrow(/larger than/);
    expect(() => checkPhoto(bytes('%PDF-1.7'), 1000)).toThrow(/JPEG, PNG or WebP/);
    expect(checkPhoto(jpeg, 10_000).type).toBe('image/jpeg');
  });
});
