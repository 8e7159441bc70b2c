/** Class breaks and colours of a choropleth (pure; tested through the pages). */
export const SEQUENTIAL = ['#e3f2f5', '#a9d6e0', '#62afc4', '#2b7d9c', '#0b4f6c'];
export const NEGATIVE = '#b5562a';
export const NO_DATA = '#d5d9db';

export interface Classes {
  /** Lower bound of each class, ascending; values below the first are in the first class. */
  breaks: number[];
  colors: string[];
}

function quantileBreaks(values: number[], n: number): number[] {
  const v = [...values].sort((a, b) => a - b);
  const breaks: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = v[Math.floor((i / n) * v.length)];
    if (b !== undefined && (breaks.length === 0 || b > breaks[breaks.length - 1])) breaks.push(b);
  }
  return breaks;
}

/** Five quantile classes; an indicator that goes below zero gets one class of its own for the negatives. */
export function classify(values: number[]): Classes {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return { breaks: [], colors: [] };
  const negatives = finite.some((v) => v < 0);
  if (!negatives) {
    const breaks = quantileBreaks(finite, 5);
    return { breaks, colors: SEQUENTIAL.slice(SEQUENTIAL.length - breaks.length) };
  }
  const positive = quantileBreaks(finite.filter((v) => v >= 0), 4);
  const breaks = [Math.min(...finite), ...(positive.length ? [0, ...positive.slice(1)] : [])];
  return { breaks, colors: [NEGATIVE, ...SEQUENTIAL.slice(SEQUENTIAL.length - (breaks.length - 1))] };
}

export function colorOf(c: Classes, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v) || !c.breaks.length) return NO_DATA;
  let i = 0;
  while (i + 1 < c.breaks.length && v >= c.breaks[i + 1]) i++;
  return c.colors[i] ?? NO_DATA;
}
