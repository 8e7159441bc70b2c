import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDocSection, writeDocSubsection } from './docs.ts';

const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'madina-docs-')), 'benchmarks.md');
  writeFileSync(p, text);
  return p;
};

describe('benchmark docs sections', () => {
  it('replaces one section and keeps the others', () => {
    const p = file('# B\n\n## A (x)\n\nold a\n\n## C\n\nc\n');
    writeDocSection(p, '## A (x)', '## A (x)\n\nnew a\n');
    expect(readFileSync(p, 'utf8')).toBe('# B\n\n## A (x)\n\nnew a\n\n## C\n\nc\n');
  });

  it('appends a missing section', () => {
    const p = file('# B\n\n## C\n\nc\n');
    writeDocSection(p, '## A', '## A\n\na');
    expect(readFileSync(p, 'utf8')).toBe('# B\n\n## C\n\nc\n\n## A\n\na\n');
  });

  it('replaces one subsection, keeps its siblings and the next section', () => {
    const p = file('## N\n\nold intro\n\n### PostgreSQL\n\npg 1\n\n### PGlite\n\nlite 1\n\n## V\n\nv\n');
    writeDocSubsection(p, '## N', 'intro', '### PostgreSQL', 'pg 2');
    expect(readFileSync(p, 'utf8')).toBe('## N\n\nintro\n\n### PostgreSQL\n\npg 2\n\n### PGlite\n\nlite 1\n\n## V\n\nv\n');
    writeDocSubsection(p, '## N', 'intro', '### Other', 'o');
    expect(readFileSync(p, 'utf8')).toContain('### PGlite\n\nlite 1\n\n### Other\n\no\n\n## V');
  });
});
