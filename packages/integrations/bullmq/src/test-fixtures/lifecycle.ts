// Per-file and per-test lifecycles of the Redis-backed tests: one shared connection per file, and
// cleanups that run after each test in reverse order (workers close before their queues go).
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connect, sharedRedis } from './redis';

export type Later = (cleanup: () => unknown) => void;

/** Registers an afterEach that runs what `later` was given, newest first. */
export function useCleanups(): Later {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

/** A connection to the shared Redis for the whole file (open in beforeAll, quit in afterAll). */
export function useSharedConnection(): () => Redis {
  let connection: Redis | undefined;
  beforeAll(async () => {
    connection = connect((await sharedRedis()).url);
  });
  afterAll(async () => {
    await connection?.quit();
  });
  return () => {
    if (connection === undefined) throw new Error('the shared connection opens in beforeAll');
    return connection;
  };
}

/** Obliterates and closes `queue` after the test. */
export function track<Q extends Queue>(later: Later, queue: Q): Q {
  later(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });
  return queue;
}
