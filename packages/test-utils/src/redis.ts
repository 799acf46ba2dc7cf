// Finds a real Redis for tests: REDIS_URL, else the one on 127.0.0.1:6379, else a private
// redis-server on a free loopback port. Never a fake: without Redis the caller gets a clear error.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from './ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisForTests {
  /** `redis://host:port` of a Redis that answered PING. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when this helper started the server (and `stop()` will end it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** Sends PING over RESP and resolves true on +PONG (or NOAUTH, which still proves a Redis is there). */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

/** A Redis that answers PING: `REDIS_URL`, 127.0.0.1:6379, or a private `redis-server` started here. */
export async function getRedis(): Promise<RedisForTests> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    const url = new URL(fromEnv);
    const host = url.hostname || '127.0.0.1';
    const port = Number(url.port || 6379);
    if (!(await pingRedis(host, port))) throw new Error(`REDIS_URL=${fromEnv} does not answer PING`);
    return { url: fromEnv, host, port, started: false, stop: () => Promise.resolve() };
  }
  if (await pingRedis('127.0.0.1', 6379)) {
    return {
      url: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 6379,
      started: false,
      stop: () => Promise.resolve(),
    };
  }
  return startPrivateRedis();
}

/**
 * Spawns `redis-server` (or REDIS_SERVER_BIN) on 127.0.0.1:`port` with `args` added, and resolves
 * with the process once it answers PING; rejects (after killing it) when it cannot start or stays silent.
 */
export async function spawnRedisServer(port: number, args: readonly string[]): Promise<ChildProcess> {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child: ChildProcess = spawn(bin, ['--bind', '127.0.0.1', '--port', String(port), ...args], {
    stdio: 'ignore',
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
    ]);
    if (failed !== undefined) throw new Error(`${bin} could not start (${failed.message})`);
    if (await pingRedis('127.0.0.1', port)) return child;
  }
  child.kill('SIGKILL');
  throw new Error(`${bin} started on port ${port} but did not answer PING within 10 s`);
}

/** Sends SIGTERM and resolves once the process has exited (at once if it already has). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Starts `redis-server` (or REDIS_SERVER_BIN) on a free loopback port with a temp dir. */
export async function startPrivateRedis(): Promise<RedisForTests> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'autoweave-redis-'));
  let child: ChildProcess;
  try {
    child = await spawnRedisServer(port, ['--save', '', '--appendonly', 'no', '--dir', dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `No Redis answers on 127.0.0.1:6379, REDIS_URL is unset and ${(error as Error).message}. ` +
        'Install it with `apt-get install -y redis-server` or set REDIS_URL.',
      { cause: error },
    );
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    started: true,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
