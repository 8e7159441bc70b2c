import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runVrpCli } from './cli.ts';
import { parseCvrplib, parseCvrplibSolution } from './cvrplib.ts';
import { routesCost, solutionViolations } from './instance.ts';

const P16 = readFileSync(new URL('../../../test/fixtures/cvrp/P-n16-k8.vrp', import.meta.url), 'utf8');

function memoryIo(files: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    files,
    io: {
      stdout: (t: string) => void out.push(t),
      stderr: (t: string) => void err.push(t),
      readFile: async (p: string) => {
        if (!(p in files)) throw new Error(`ENOENT ${p}`);
        return files[p];
      },
      writeFile: async (p: string, t: string) => void (files[p] = t),
    },
  };
}

describe('madina vrp solve', () => {
  it('prints the cost last and writes a .sol file that reads back to the same cost', async () => {
    const m = memoryIo({ 'p16.vrp': P16 });
    const code = await runVrpCli(['solve', 'p16.vrp', '--iterations', '100', '--seed', '4', '--out', 'p16.sol'], m.io);
    expect(code).toBe(0);
    const lines = m.out.join('').trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('cost 450');
    const sol = parseCvrplibSolution(m.files['p16.sol']);
    expect(sol.cost).toBe(450);
    const inst = parseCvrplib(P16);
    expect(solutionViolations(inst, sol.routes)).toEqual([]);
    expect(routesCost(inst, sol.routes)).toBe(450);
  });

  it('points at the file and line of a malformed instance', async () => {
    const m = memoryIo({ 'bad.vrp': P16.replace('5 31 62', '5 31') });
    expect(await runVrpCli(['solve', 'bad.vrp', '--time', '1'], m.io)).toBe(1);
    expect(m.err.join('')).toMatch(/^bad\.vrp:12: NODE_COORD_SECTION expects "id x y", got 2 fields/);
  });

  it('answers usage errors with exit code 2', async () => {
    expect(await runVrpCli(['solve'], memoryIo({}).io)).toBe(2);
    expect(await runVrpCli(['solve', 'x.vrp', '--time', 'soon'], memoryIo({}).io)).toBe(2);
    expect(await runVrpCli(['optimise', 'x.vrp'], memoryIo({}).io)).toBe(2);
    expect(await runVrpCli(['solve', 'x.vrp', '--vehicles', '0'], memoryIo({}).io)).toBe(2);
    expect(await runVrpCli(['solve', 'missing.vrp'], memoryIo({}).io)).toBe(1);
  });
});
