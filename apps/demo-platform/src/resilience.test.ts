// Resilience: telemetry backends going away must not take the platform with them, export must
// resume when they return, and SIGTERM with jobs running must lose none of them.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  getRedis,
  spawnRedisServer,
  startLokiPeer,
  startOtlpPeer,
  stopProcess,
  type RedisForTests,
} from '@autoweave/test-utils';
import { DEMO_KEYS } from './demo-keys';
import { QUEUE_NAME } from './jobs';
import { eventually, startDemo, type DemoProcess } from './test/demo-process';

const RUN_PLUGIN =
  'mutation RunPlugin($name: String!, $input: JSON) { runPlugin(name: $name, input: $input) { id traceId } }';
const JOB = 'query Job($id: ID!) { job(id: $id) { id state } }';

let redis: RedisForTests;
beforeAll(async () => {
  redis = await getRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function run(demo: DemoProcess, key: string, name: string): Promise<{ id: string; traceId: string }> {
  const { status, body } = await demo.gql(key, RUN_PLUGIN, { name, input: { at: Date.now() } });
  expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  return body.data?.runPlugin as { id: string; traceId: string };
}

function completed(demo: DemoProcess, key: string, id: string): Promise<string> {
  return eventually(`job ${id} to complete`, async () => {
    const { body } = await demo.gql(key, JOB, { id });
    const state = (body.data?.job as { state: string } | undefined)?.state;
    return state === 'completed' ? state : undefined;
  });
}

describe('demo platform resilience', () => {
  it('keeps serving with the OTLP and Loki peers down, reports the exporters degraded, and exports again when they return', async () => {
    const otlp = await startOtlpPeer();
    const loki = await startLokiPeer();
    const demo = await startDemo({
      REDIS_URL: redis.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      LOKI_URL: loki.url,
    });
    try {
      const first = await run(demo, DEMO_KEYS.acme, 'echo');
      await completed(demo, DEMO_KEYS.acme, first.id);
      await otlp.waitForSpans(1, 20_000, (s) => s.traceId === first.traceId);

      await otlp.stop();
      await loki.stop();
      // Requests go on as before: every one answered, every job done.
      for (let i = 0; i < 6; i++) {
        const job = await run(demo, i % 2 === 0 ? DEMO_KEYS.acme : DEMO_KEYS.globex, 'echo');
        await completed(demo, i % 2 === 0 ? DEMO_KEYS.acme : DEMO_KEYS.globex, job.id);
      }
      const degraded = await eventually(
        '/readyz to report the exporters degraded',
        async () => {
          const { status, text } = await demo.get('/readyz');
          const body = JSON.parse(text) as { status: string; checks: { exporters: { status: string } } };
          return status === 200 && body.status === 'degraded' ? body : undefined;
        },
        40_000,
      );
      expect(degraded.checks).toMatchObject({
        redis: { status: 'ok' },
        worker: { status: 'ok' },
        exporters: { status: 'degraded' },
      });
      expect((await demo.get('/healthz')).status).toBe(200);

      await otlp.restart();
      await loki.restart();
      const later = await run(demo, DEMO_KEYS.globex, 'echo');
      await completed(demo, DEMO_KEYS.globex, later.id);
      await otlp.waitForSpans(1, 40_000, (s) => s.traceId === later.traceId);
      await eventually(
        'logs of the later trace at Loki',
        () =>
          loki
            .entries()
            .find(
              (e) =>
                e.orgId === 'globex' &&
                (JSON.parse(e.line) as { trace_id?: string }).trace_id === later.traceId,
            ),
        40_000,
      );
      await eventually(
        '/readyz to be ready again',
        async () => {
          const { text } = await demo.get('/readyz');
          return (JSON.parse(text) as { status: string }).status === 'ready' ? true : undefined;
        },
        40_000,
      );
    } finally {
      expect(await demo.stop('SIGTERM')).toBe(0);
      await otlp.stop();
      await loki.stop();
    }
  }, 180_000);

  it('loses no job on SIGTERM with jobs in flight: running ones finish, waiting ones stay queued for the next start', async () => {
    const demo = await startDemo({ REDIS_URL: redis.url });
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        run(demo, i % 2 === 0 ? DEMO_KEYS.acme : DEMO_KEYS.globex, 'slow-report'),
      ),
    );
    // Wait until the worker is busy, then stop it mid-run.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: demo.queuePrefix });
    try {
      await eventually('jobs to be running', async () =>
        (await queue.getActiveCount()) > 0 ? true : undefined,
      );
      expect(await demo.stop('SIGTERM')).toBe(0);
      expect(demo.stderr()).toContain('every running job finished');

      const states = await Promise.all(ids.map(async ({ id }) => (await queue.getJob(id))?.getState()));
      // Nothing left half-done, nothing gone: each job is finished or waiting for the next worker.
      for (const state of states) expect(['completed', 'waiting']).toContain(state);
      expect(states.filter((s) => s === 'completed').length).toBeGreaterThan(0);

      const again = await startDemo({ REDIS_URL: redis.url, AUTOWEAVE_QUEUE_PREFIX: demo.queuePrefix });
      try {
        for (const [i, { id }] of ids.entries()) {
          await completed(again, i % 2 === 0 ? DEMO_KEYS.acme : DEMO_KEYS.globex, id);
        }
      } finally {
        expect(await again.stop('SIGTERM')).toBe(0);
      }
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await connection.quit();
    }
  }, 180_000);

  it('answers with a clear error while Redis is down, reports not ready, and recovers when it is back', async () => {
    const port = await freePort();
    const args = ['--save', '', '--appendonly', 'no', '--dir', mkdtempSync(join(tmpdir(), 'demo-redis-'))];
    let server = await spawnRedisServer(port, args);
    const demo = await startDemo({ REDIS_URL: `redis://127.0.0.1:${port}`, AUTOWEAVE_USB: 'off' });
    try {
      await completed(demo, DEMO_KEYS.acme, (await run(demo, DEMO_KEYS.acme, 'echo')).id);

      await stopProcess(server);
      const during = await demo.gql(DEMO_KEYS.acme, RUN_PLUGIN, { name: 'echo' });
      expect(during.body.errors?.[0]).toMatchObject({
        message: 'the job queue is unavailable (Redis does not answer); try again shortly',
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      const ready = await demo.get('/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text)).toMatchObject({
        status: 'not_ready',
        checks: { redis: { status: 'down' } },
      });
      expect((await demo.get('/healthz')).status).toBe(200);

      server = await spawnRedisServer(port, args);
      const job = await eventually(
        'a plugin run to be accepted again',
        async () => {
          const { body } = await demo.gql(DEMO_KEYS.acme, RUN_PLUGIN, { name: 'echo' });
          return body.errors === undefined ? (body.data?.runPlugin as { id: string }) : undefined;
        },
        40_000,
      );
      await completed(demo, DEMO_KEYS.acme, job.id);
      expect((await demo.get('/readyz')).status).toBe(200);
    } finally {
      expect(await demo.stop('SIGTERM')).toBe(0);
      await stopProcess(server);
    }
  }, 180_000);
});
