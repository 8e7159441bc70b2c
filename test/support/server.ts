/**
 * Starts the real Madina server as a user does (`node bin/madina.js start`) on a free port and a fresh store,
 * for black-box tests that speak only HTTP to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestStore } from './test-db.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  pid: number;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, no chance to clean up. */
  kill9(): Promise<void>;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
}

export interface TestServer extends RunningServer {
  /** Starts a new process on the same store (same env, new port); the previous one must be stopped first. */
  restart(): Promise<RunningServer>;
  /** Stops the current process if it still runs and drops the store. */
  cleanup(): Promise<void>;
}

/**
 * Ports for test servers come from a slice of 20000-31999 of this test worker's own, below the range the
 * OS hands out for port 0 (32768 and up here). A port taken with listen(0) and closed could be given to
 * another worker before our server bound it: a restarted server then found another test's server
 * answering its /health, and the test talked to the wrong store.
 */
const PORT_SLICE = 1000;
const PORT_BASE = 20_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 12) * PORT_SLICE;
let portCursor = process.pid % PORT_SLICE;

/** A port in this worker's slice that nobody listens on right now. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_SLICE; tries++) {
    const port = PORT_BASE + (portCursor++ % PORT_SLICE);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${PORT_BASE}-${PORT_BASE + PORT_SLICE - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * The port is picked free, then bound by the child seconds later (PGlite's start): meanwhile another
 * test file's server may have taken it. Then the child exits with EADDRINUSE; try another port.
 */
async function spawnServer(storeEnv: Record<string, string>, extraEnv: Record<string, string>): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServerOnce(storeEnv, extraEnv);
    } catch (err) {
      if (attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnServerOnce(storeEnv: Record<string, string>, extraEnv: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['bin/madina.js', 'start'], {
    cwd: REPO_ROOT,
    // The region seed and simulator are off unless a test asks for them (fast start on an empty store).
    env: { ...process.env, LOG_LEVEL: 'warn', MADINA_SEED: 'off', MADINA_SIMULATOR: 'off', MQTT_PORT: '0', ...extraEnv, ...storeEnv, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = exitOf(child);

  const deadline = Date.now() + START_TIMEOUT_MS;
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  for (;;) {
    if (gone !== undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`madina exited (code ${child.exitCode}, signal ${child.signalCode}) before answering /health:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`madina did not answer /health within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    pid: child.pid!,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    logs: () => output,
  };
}

/** A server on a fresh store from createTestStore() (PGlite copy or new PostgreSQL database per MADINA_TEST_DB). */
export async function startServer(opts: { env?: Record<string, string> } = {}): Promise<TestServer> {
  const store = await createTestStore();
  const extra = opts.env ?? {};
  let current: RunningServer;
  try {
    current = await spawnServer(store.env, extra);
  } catch (err) {
    await store.drop();
    throw err;
  }
  const server: TestServer = {
    get url() {
      return current.url;
    },
    get pid() {
      return current.pid;
    },
    stop: (signal) => current.stop(signal),
    kill9: () => current.kill9(),
    logs: () => current.logs(),
    async restart() {
      await current.stop();
      current = await spawnServer(store.env, extra);
      return current;
    },
    async cleanup() {
      await current.stop();
      await store.drop();
    },
  };
  return server;
}
