/**
 * CSV (RFC 4180) for the lighting inventory: parsing with the line number of every record, comma or
 * semicolon separators (spreadsheets in French locales write ";" and decimal commas), and writing.
 * Pure.
 */

export interface CsvRecord {
  /** Line of the file where the record starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

export interface CsvTable {
  columns: string[];
  separator: ',' | ';';
  records: CsvRecord[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Splits CSV text into rows of cells, with the line each row starts on. */
function rows(text: string, sep: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) out.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== sep && text[i] !== '\r' && text[i] !== '\n') throw new CsvSyntaxError(line, 'text after a closing quote');
        continue;
      }
      if (c === '\n') line++;
      cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === sep) {
      cells.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      cell += c;
      i++;
    }
  }
  if (quoted) throw new CsvSyntaxError(rowLine, 'a quoted cell is not closed');
  if (cell !== '' || cells.length) endRow();
  return out;
}

/** Parses a CSV file with a header row. Cells are trimmed; empty cells are absent from the record. */
export function parseCsv(text: string): CsvTable {
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.slice(0, body.search(/\r|\n|$/));
  const separator = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const all = rows(body, separator);
  if (!all.length) throw new CsvSyntaxError(1, 'the file is empty');
  const columns = all[0].cells.map((c) => c.trim());
  const dup = columns.find((c, i) => c && columns.indexOf(c) !== i);
  if (dup) throw new CsvSyntaxError(1, `column ${dup} appears twice`);
  const records = all.slice(1).map(({ line, cells }) => {
    if (cells.length > columns.length && cells.slice(columns.length).some((c) => c.trim() !== '')) {
      throw new CsvSyntaxError(line, `${cells.length} cells for ${columns.length} columns`);
    }
    const values: Record<string, string> = {};
    columns.forEach((col, k) => {
      const v = (cells[k] ?? '').trim();
      if (col && v !== '') values[col] = v;
    });
    return { line, values };
  });
  return { columns, separator, records };
}

/** RFC 4180 cell; a leading = + - @ (not a number) is prefixed with ' so spreadsheets do not run it as a formula. */
export function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function formatCsv(columns: string[], records: Record<string, string | number | undefined>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of records) lines.push(columns.map((c) => (r[c] === undefined ? '' : csvCell(String(r[c])))).join(','));
  return lines.join('\r\n') + '\r\n';
}
