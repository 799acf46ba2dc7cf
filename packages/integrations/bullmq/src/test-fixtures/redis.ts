// Redis for the tests: the shared one (REDIS_URL or 127.0.0.1:6379, via test-utils) and a private
// redis-server this file starts, stops and starts again on the same port and data directory, so a
// test can restart Redis under BullMQ without touching the shared server. AOF with fsync on every
// write keeps the queued jobs across the restart, as a production Redis with persistence would.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, getRedis, spawnRedisServer, stopProcess, type RedisForTests } from '@autoweave/test-utils';
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
  const args = ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = await spawnRedisServer(port, args);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc !== undefined) await stopProcess(proc);
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
