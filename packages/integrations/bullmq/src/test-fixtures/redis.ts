// Redis for the tests: the shared one (REDIS_URL or 127.0.0.1:6379, via test-utils) and a private
// redis-server this file starts, stops and starts again on the same port and data directory, so a
// test can restart Redis under BullMQ without touching the shared server. AOF with fsync on every
// write keeps the queued jobs across the restart, as a production Redis with persistence would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, getRedis, pingRedis, type RedisForTests } from '@autoweave/test-utils';
import { Redis } from 'ioredis';

/** An ioredis client fit for workers too (BullMQ needs `maxRetriesPerRequest: null`). */
export function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export const sharedRedis = (): Promise<RedisForTests> => getRedis();

export interface RestartableRedis {
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'autoweave-bullmq-redis-'));
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
  ];
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(bin, args, { stdio: 'ignore' });
    child = proc;
    const failed = new Promise<Error>((resolve) => proc.once('error', resolve));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const error = await Promise.race([
        failed,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
      ]);
      if (error !== undefined)
        throw new Error(`${bin} could not start: ${error.message}; install redis-server`);
      if (await pingRedis('127.0.0.1', port)) return;
    }
    proc.kill('SIGKILL');
    throw new Error(`${bin} on port ${port} did not answer PING within 10 s`);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
