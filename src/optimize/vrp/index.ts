/**
 * Vehicle routing: a hybrid genetic search for the capacitated VRP (HGS with SWAP*, after Vidal
 * 2022), readers for CVRPLIB/TSPLIB and Solomon files, and the `madina vrp` command. Pure cores;
 * the only I/O is in the CLI, through the io object it is given.
 */
export { solveCvrp, solveCvrpAsync, HgsSearch, DEFAULT_HGS_PARAMS } from './hgs.ts';
export type { CvrpSolution, SolveOptions, SolveProgress, HgsParams } from './hgs.ts';
export { parseCvrplib, parseCvrplibSolution, writeCvrplibSolution, formatCost, VrpParseError } from './cvrplib.ts';
export type { CvrpSolutionFile } from './cvrplib.ts';
export { parseSolomon } from './solomon.ts';
export { instanceFromCoordinates, euclideanMatrix, routesCost, solutionViolations, nint } from './instance.ts';
export type { CvrpInstance } from './instance.ts';
export { runVrpCli, VRP_USAGE } from './cli.ts';
export type { VrpCliIo } from './cli.ts';
