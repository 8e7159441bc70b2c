import { describe, expect, it } from 'vitest';
import { parseXml as parse } from '../../../test/e2e/open311-support.ts';
import { escapeXml, toXml } from './xml.ts';

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
