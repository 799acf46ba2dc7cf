// Test helper: the built demo (dist/main.js) as a child process on a free loopback port, with its
// JSON log lines and stderr captured and GraphQL calls made over real HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@autoweave/test-utils';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface DemoProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly auditFile: string;
  readonly queuePrefix: string;
  /** stdout lines that are JSON objects (the log records). */
  logs(): Record<string, unknown>[];
  stderr(): string;
  /** POSTs a GraphQL operation with `key` as bearer token. */
  gql(
    key: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: GraphQLBody }>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  [key: string]: unknown;
}

/** Starts the demo with `env` added (simulated USB, no periodic events, its own queue prefix and audit file). */
export async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'autoweave-demo-test-'));
  const queuePrefix = `demo-test-${process.pid}-${port}`;
  const auditFile = join(dir, 'audit.jsonl');
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTOWEAVE_USB: 'simulate',
      AUTOWEAVE_USB_SIMULATE_INTERVAL_MS: '0',
      AUTOWEAVE_QUEUE_PREFIX: queuePrefix,
      AUTOWEAVE_AUDIT_FILE: auditFile,
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the demo exited with ${child.exitCode}:\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the demo did not answer /healthz within 60 s:\n${err}`);
    }
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    child,
    auditFile,
    queuePrefix,
    logs: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr: () => err,
    gql: async (key, query, variables, headers = {}) => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLBody };
    },
    get: async (path) => {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, text: await response.text() };
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last === undefined ? '' : `: ${(last as Error).message}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
