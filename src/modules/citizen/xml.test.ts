import { describe, expect, it } from 'vitest';
import { escapeXml, toXml } from './xml.ts';

/** A tiny strict reader for the subset toXml writes (elements, text, no attributes): returns a tree. */
type Node = { name: string; children: Node[]; text: string };
function parse(xml: string): Node {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  let i = 0;
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  function node(): Node {
    const open = /^<([a-z_]+)(\/?)>/.exec(body.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${body.slice(i, i + 20)}`);
    i += open[0].length;
    const n: Node = { name: open[1], children: [], text: '' };
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
        if (/[<>]|&(?!(lt|gt|amp|quot|apos);)/.test(raw)) throw new Error(`unescaped text: ${raw}`);
        n.text += unescape(raw);
        i = end;
      }
    }
  }
  const root = node();
  if (i !== body.length) throw new Error('trailing content');
  return root;
}

describe('Open311 XML', () => {
  it('writes lists as repeated children with the GeoReport element names', () => {
    const xml = toXml('services', [
      { service_code: 'a', metadata: true, keywords: null },
      { service_code: 'b', metadata: false, keywords: 'x,y' },
    ]);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<services><service><service_code>a</service_code><metadata>true</metadata><keywords/></service>' +
        '<service><service_code>b</service_code><metadata>false</metadata><keywords>x,y</keywords></service></services>',
    );
  });

  it('escapes markup so hostile text stays text', () => {
    const description = `<script>alert("x")</script> & 'quotes' \u0007bell`;
    const tree = parse(toXml('service_requests', [{ description, lat: 33.5 }]));
    expect(tree.children[0].name).toBe('request');
    expect(tree.children[0].children[0].text).toBe(description.replace('\u0007', ''));
    expect(escapeXml('a<b')).toBe('a&lt;b');
  });

  it('nests attributes and their values in a service definition', () => {
    const tree = parse(toXml('service_definition', { service_code: 'x', attributes: [{ code: 'c', values: [{ key: 'k', name: 'K' }] }] }));
    const attr = tree.children[1].children[0];
    expect(attr.name).toBe('attribute');
    expect(attr.children[1].children[0]).toEqual({ name: 'value', text: '', children: [{ name: 'key', children: [], text: 'k' }, { name: 'name', children: [], text: 'K' }] });
  });
});
