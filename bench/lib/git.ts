/** The commit a benchmark measured, read from .git without spawning git (a result says what it measured). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const GIT = join(resolve(import.meta.dirname, '..', '..'), '.git');

export function gitCommit(): string | undefined {
  try {
    const head = readFileSync(join(GIT, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    if (existsSync(join(GIT, ref))) return readFileSync(join(GIT, ref), 'utf8').trim();
    return readFileSync(join(GIT, 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`))?.split(' ')[0];
  } catch {
    return undefined;
  }
}
