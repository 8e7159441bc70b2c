/** Helpers of the Open311 black-box tests: a strict reader for GeoReport v2 XML, form bodies, tiny images. */

export type XmlNode = { name: string; children: XmlNode[]; text: string };

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Parses the element-only XML GeoReport v2 uses (no attributes, no mixed content); throws on anything else. */
export function parseXml(xml: string): XmlNode {
  const body = xml.replace(/^<\?xml version="1\.0" encoding="utf-8"\?>\s*/, '');
  let i = 0;
  function node(): XmlNode {
    const open = /^<([a-z_]+)(\/?)>/.exec(body.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${body.slice(i, i + 30)}`);
    i += open[0].length;
    const n: XmlNode = { name: open[1], children: [], text: '' };
    if (open[2]) return n;
    for (;;) {
      if (body.startsWith(`</${n.name}>`, i)) {
        i += n.name.length + 3;
        return n;
      }
      if (body[i] === '<') n.children.push(node());
      else {
        const end = body.indexOf('<', i);
        if (end < 0) throw new Error('unterminated text');
        const raw = body.slice(i, end);
        if (/>|&(?!(lt|gt|amp|quot|apos);)/.test(raw)) throw new Error(`unescaped text: ${raw}`);
        n.text += unescape(raw);
        i = end;
      }
    }
  }
  const root = node();
  if (i !== body.length) throw new Error(`trailing content at ${i}`);
  return root;
}

/**
 * The JSON answer as its XML form would carry it: every scalar as text, null as an empty element, lists
 * as repeated children. Comparing xmlToPlain(parseXml(xml)) with plainOf(json) checks both formats agree.
 */
export function xmlToPlain(n: XmlNode): unknown {
  if (!n.children.length) return n.text;
  const names = n.children.map((c) => c.name);
  const isList = names.length > 0 && new Set(names).size === 1 && ['service', 'request', 'attribute', 'value', 'error', 'endpoint', 'format'].includes(names[0]);
  if (isList) return n.children.map(xmlToPlain);
  return Object.fromEntries(n.children.map((c) => [c.name, xmlToPlain(c)]));
}

export function plainOf(v: unknown): unknown {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(plainOf);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plainOf(x)]));
  return String(v);
}

export function formBody(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

/** A small JPEG-shaped file with an EXIF block holding GPS text (enough for the type check and the stripper). */
export function jpegWithGps(padding = 0): Uint8Array {
  const seg = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
  return new Uint8Array([
    0xff, 0xd8,
    ...seg(0xe0, [...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...seg(0xe1, [...ascii('Exif'), 0, 0, ...ascii('GPSLatitude=33.5928N GPSLongitude=7.6189W')]),
    ...seg(0xdb, new Array(65).fill(1)),
    ...seg(0xda, [1, 1, 0, 0, 63, 0]),
    ...new Array(padding).fill(0x11),
    0xff, 0xd9,
  ]);
}
