// Finds the Redis the queue runs on: REDIS_URL, else 127.0.0.1:6379, else a private redis-server
// on a free loopback port that the demo starts and stops itself. Without any, a message saying how
// to get one (the demo never runs its queue on something that is not Redis).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoRedis {
  readonly url: string;
  /** How it was found, for the banner: `REDIS_URL`, `127.0.0.1:6379` or `private redis-server (pid …)`. */
  readonly origin: string;
  /** True when the demo started it (and `stop()` ends it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** No Redis could be found or started: the message says what to do. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

const HOW_TO_GET_REDIS =
  'Start one (`docker run -d -p 6379:6379 redis:7`, or `apt-get install -y redis-server` / ' +
  '`brew install redis` and the demo starts a private one), or set REDIS_URL=redis://host:port.';

/** PING over RESP; true on +PONG, or -NOAUTH (a Redis is there, it just wants a password). */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

export async function findRedis(
  redisUrl: string | undefined,
  log: (message: string) => void,
): Promise<DemoRedis> {
  const none = { started: false, stop: () => Promise.resolve() };
  if (redisUrl !== undefined) {
    const url = new URL(redisUrl);
    const host = url.hostname || '127.0.0.1';
    const port = Number(url.port || 6379);
    // TLS endpoints cannot be pinged in plain RESP; ioredis will report them if they fail.
    if (url.protocol === 'redis:' && !(await pingRedis(host, port))) {
      throw new RedisUnavailableError(`REDIS_URL=${redisUrl} does not answer PING. ${HOW_TO_GET_REDIS}`);
    }
    return { url: redisUrl, origin: 'REDIS_URL', ...none };
  }
  if (await pingRedis('127.0.0.1', 6379)) {
    return { url: 'redis://127.0.0.1:6379', origin: '127.0.0.1:6379', ...none };
  }
  log('No Redis answers on 127.0.0.1:6379 and REDIS_URL is unset: starting a private redis-server.');
  return startPrivateRedis();
}

/** Starts `redis-server` (or `bin`) on a free loopback port; it ends with `stop()`. */
export async function startPrivateRedis(
  bin = process.env.REDIS_SERVER_BIN ?? 'redis-server',
): Promise<DemoRedis> {
  const port = await freePort();
  // Persistence in a temp dir: jobs survive a Redis restart while the demo runs, and the dir goes
  // with the server.
  const dir = mkdtempSync(join(tmpdir(), 'autoweave-demo-redis-'));
  const child: ChildProcess = spawn(
    bin,
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes'],
    { stdio: 'ignore' },
  );
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && spawnError === undefined && child.exitCode === null) {
    if (await pingRedis('127.0.0.1', port, 500)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        origin: `private redis-server (pid ${child.pid}, data in ${dir}; stopped with the demo)`,
        started: true,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  rmSync(dir, { recursive: true, force: true });
  const why =
    spawnError !== undefined
      ? `${bin} could not be started (${spawnError.message})`
      : child.exitCode !== null
        ? `${bin} exited with code ${child.exitCode}`
        : `${bin} did not answer PING within 10 s`;
  throw new RedisUnavailableError(
    `No Redis answers on 127.0.0.1:6379, REDIS_URL is unset and ${why}. ${HOW_TO_GET_REDIS}`,
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port === 0 ? reject(new Error('no free loopback port')) : resolve(port)));
    });
  });
}
