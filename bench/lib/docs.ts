/** Writing a benchmark's section of docs/benchmarks.md, leaving every other section as it is. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const NEW_FILE = '# Benchmarks\n\nMeasured performance of Madina.\n';

/** The [start, end) of the `## ` section whose first line is `heading`, or undefined. */
function sectionBounds(text: string, heading: string): [number, number] | undefined {
  const start = text.startsWith(heading) ? 0 : text.indexOf(`\n${heading}`) + 1;
  if (start <= 0 && !text.startsWith(heading)) return undefined;
  const next = text.indexOf('\n## ', start + heading.length);
  return [start, next < 0 ? text.length : next + 1];
}

function splice(text: string, heading: string, section: string): string {
  const body = `${section.trimEnd()}\n`;
  const at = sectionBounds(text, heading);
  if (!at) return `${text.trimEnd()}\n\n${body}`;
  const rest = text.slice(at[1]);
  return text.slice(0, at[0]) + body + (rest ? `\n${rest}` : '');
}

/** Replaces (or appends) the section starting with `heading` (a `## ` line) by `section`. */
export function writeDocSection(docsPath: string, heading: string, section: string, fallback = NEW_FILE): void {
  const text = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : fallback;
  writeFileSync(docsPath, splice(text, heading, section));
}

/**
 * Replaces one `### ` subsection (e.g. one driver's results) inside the `## ` section `heading`, keeping
 * its other subsections; `intro` (the text between the heading and the first subsection) is rewritten.
 */
export function writeDocSubsection(docsPath: string, heading: string, intro: string, subheading: string, body: string): void {
  const text = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : NEW_FILE;
  const at = sectionBounds(text, heading);
  const old = at ? text.slice(at[0], at[1]) : '';
  const subs = new Map<string, string>();
  for (const part of old.split(/\n(?=### )/).slice(1)) subs.set(part.slice(0, part.indexOf('\n') < 0 ? part.length : part.indexOf('\n')), part.trimEnd());
  subs.set(subheading, `${subheading}\n\n${body.trim()}`);
  const section = [heading, '', intro.trim(), ...[...subs.values()].flatMap((s) => ['', s])].join('\n');
  writeFileSync(docsPath, splice(text, heading, section));
}
