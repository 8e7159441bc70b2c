import { describe, expect, it } from 'vitest';
import { csvCell, CsvSyntaxError, formatCsv, parseCsv } from './csv.ts';

describe('CSV (RFC 4180)', () => {
  it('reads quoted cells with separators, quotes and line breaks, and numbers records by their first line', () => {
    const t = parseCsv('\uFEFFid,name,note\r\na,"Bd Zerktouni, 12","say ""hi"""\r\nb,"two\nlines",x\n\nc,,\n');
    expect(t.columns).toEqual(['id', 'name', 'note']);
    expect(t.records).toEqual([
      { line: 2, values: { id: 'a', name: 'Bd Zerktouni, 12', note: 'say "hi"' } },
      { line: 3, values: { id: 'b', name: 'two\nlines', note: 'x' } },
      { line: 6, values: { id: 'c' } },
    ]);
  });

  it('detects semicolon-separated files (French spreadsheets)', () => {
    const t = parseCsv('id;powerRating\nx;12,5\n');
    expect(t.separator).toBe(';');
    expect(t.records[0].values).toEqual({ id: 'x', powerRating: '12,5' });
  });

  it('reports unreadable files with their line', () => {
    expect(() => parseCsv('a,b\n"x,y\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(/line 2: 3 cells for 2 columns/);
    expect(() => parseCsv('a,a\n')).toThrow(/twice/);
    expect(() => parseCsv('')).toThrow(/empty/);
  });

  it('writes cells that round-trip and cannot run as spreadsheet formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-7.63')).toBe('-7.63');
    const text = formatCsv(['id', 'n'], [{ id: 'a,b', n: 1 }, { id: 'c' }]);
    expect(text).toBe('id,n\r\n"a,b",1\r\nc,\r\n');
    expect(parseCsv(text).records.map((r) => r.values)).toEqual([{ id: 'a,b', n: '1' }, { id: 'c' }]);
  });
});
