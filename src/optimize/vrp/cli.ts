/**
 * `madina vrp solve FILE.vrp [--time SECONDS] [--seed N] [--out FILE.sol]`: solves one CVRPLIB
 * instance, reports progress on stderr, prints `cost N` as the last stdout line and optionally
 * writes the routes in the CVRPLIB `.sol` format. I/O comes in through `io`.
 */
import { parseArgs } from 'node:util';
import { formatCost, parseCvrplib, VrpParseError, writeCvrplibSolution } from './cvrplib.ts';
import { solveCvrpAsync } from './hgs.ts';
import { solutionViolations } from './instance.ts';

export interface VrpCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  writeFile: (path: string, text: string) => Promise<void>;
  /** Aborts the solve (e.g. on SIGINT); the best solution so far is still reported. */
  signal?: AbortSignal;
}

export const VRP_USAGE = `Usage: madina vrp solve FILE.vrp [--time SECONDS] [--seed N] [--out FILE.sol]

Solves a capacitated VRP instance in the CVRPLIB/TSPLIB format with hybrid genetic search.
  --time SECONDS   time budget (default 30)
  --seed N         random seed (default 1)
  --out FILE.sol   write the routes in the CVRPLIB .sol format
  --iterations N   stop after N iterations instead (deterministic for a seed)
  --vehicles K     use at most K routes (default: the file's VEHICLES, else unlimited)
The last line printed is "cost N".
`;

/** Runs `madina vrp …`; returns the process exit code (0 solved, 1 bad input, 2 usage). */
export async function runVrpCli(argv: string[], io: VrpCliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.stderr : io.stdout)(VRP_USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'solve') {
    io.stderr(`Unknown vrp command "${command}"\n\n${VRP_USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { time: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, iterations: { type: 'string' }, vehicles: { type: 'string' } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${VRP_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.stderr(`Expected one instance file\n\n${VRP_USAGE}`);
    return 2;
  }
  const timeS = values.time === undefined ? 30 : Number(values.time);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  const vehicles = values.vehicles === undefined ? undefined : Number(values.vehicles);
  if (vehicles !== undefined && !(Number.isInteger(vehicles) && vehicles >= 1)) {
    io.stderr(`--vehicles must be a positive integer\n\n${VRP_USAGE}`);
    return 2;
  }
  if (!(timeS > 0) || !Number.isInteger(seed) || (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 0))) {
    io.stderr(`--time must be positive, --seed and --iterations integers\n\n${VRP_USAGE}`);
    return 2;
  }
  const file = positionals[0];
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (err) {
    io.stderr(`Cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  let instance;
  try {
    instance = parseCvrplib(text);
  } catch (err) {
    if (err instanceof VrpParseError) {
      io.stderr(`${file}:${err.line}: ${err.message.replace(/^line \d+: /, '')}\n`);
      return 1;
    }
    throw err;
  }
  if (vehicles !== undefined) instance.vehicleCount = vehicles;
  io.stdout(`instance ${instance.name || file}: ${instance.dimension - 1} customers, capacity ${instance.capacity}\n`);
  let solution;
  try {
    solution = await solveCvrpAsync(instance, {
      seed,
      timeLimitMs: iterations === undefined ? timeS * 1000 : undefined,
      maxIterations: iterations,
      signal: io.signal,
      onProgress: (p) => io.stderr(`${(p.elapsedMs / 1000).toFixed(2)} s  iteration ${p.iteration}  best ${formatCost(p.bestCost)}\n`),
    });
  } catch (err) {
    if (err instanceof RangeError) {
      io.stderr(`${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const problems = solutionViolations(instance, solution.routes);
  if (problems.length > 0) {
    io.stderr(`no feasible solution found: ${problems.slice(0, 3).join('; ')}\n`);
    return 1;
  }
  if (values.out) await io.writeFile(values.out, writeCvrplibSolution(solution.routes, solution.cost));
  io.stdout(`routes ${solution.routes.length}\n`);
  io.stdout(`iterations ${solution.iterations} in ${(solution.elapsedMs / 1000).toFixed(1)} s\n`);
  io.stdout(`cost ${formatCost(solution.cost)}\n`);
  return 0;
}
