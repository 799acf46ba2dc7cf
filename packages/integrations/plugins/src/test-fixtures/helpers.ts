// Test helpers: the fixture plugins directory, a logger that keeps what it was told, and scratch
// plugin directories for manifests and layouts too broken to ship as fixtures.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PluginLogger } from '../types';

/** The fixture plugins: echo, failing, hanging, spanning, busy, env-reader, no-execute, broken, … */
export const FIXTURES = join(__dirname, 'plugins');

export interface LogRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly meta: Record<string, unknown> | undefined;
}

export function recordingLogger(): PluginLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return {
    records,
    info: (message, meta) => records.push({ level: 'info', message, meta }),
    warn: (message, meta) => records.push({ level: 'warn', message, meta }),
    error: (message, meta) => records.push({ level: 'error', message, meta }),
  };
}

export interface ScratchDir {
  readonly root: string;
  /** Writes `<root>/<dir>/plugin.json` (a string is written as is) and the given files. */
  plugin(dir: string, manifest: unknown, files?: Readonly<Record<string, string>>): Promise<string>;
  remove(): Promise<void>;
}

export async function scratchDir(): Promise<ScratchDir> {
  const root = await mkdtemp(join(tmpdir(), 'autoweave-plugins-'));
  return {
    root,
    async plugin(dir, manifest, files = {}) {
      const path = join(root, dir);
      await mkdir(path, { recursive: true });
      await writeFile(
        join(path, 'plugin.json'),
        typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
      );
      for (const [file, text] of Object.entries(files)) {
        await mkdir(dirname(join(path, file)), { recursive: true });
        await writeFile(join(path, file), text);
      }
      return path;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Resolves after `ms` (for waiting past a deadline, never for measuring speed). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a promise settled with, so a test can look at it later without an unhandled rejection. */
export function settle<T>(promise: Promise<T>): {
  readonly done: Promise<void>;
  readonly state: () => 'pending' | 'fulfilled' | 'rejected';
  readonly error: () => unknown;
} {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  let error: unknown;
  const done = promise.then(
    () => {
      state = 'fulfilled';
    },
    (e: unknown) => {
      state = 'rejected';
      error = e;
    },
  );
  return { done, state: () => state, error: () => error };
}

/** The value of the sample `name{labels…}` in a text exposition (label order ignored), or undefined. */
export function sampleValue(
  body: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = new Map(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (found.size !== Object.keys(labels).length) continue;
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}
