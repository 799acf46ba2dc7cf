import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { currentTenant, runWithTenant } from '@autoweave/tenant-isolation';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_METRICS, createBullMQTelemetry, instrumentQueues } from './index';
import { recordSpans, useAsyncContext, type SpanRecorder } from '@autoweave/test-utils';
import { samples, value } from './test-fixtures/exposition';
import { connect, startRestartableRedis, type RestartableRedis } from './test-fixtures/redis';
import { settlesWithin, sleep, uniqueQueue, waitFor, within } from './test-fixtures/wait';

let redis: RestartableRedis;
let producerConnection: Redis;
let workerConnection: Redis;
let metrics: MetricsHandle;
let spans: SpanRecorder;
let restoreContext: () => void;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};

beforeAll(async () => {
  redis = await startRestartableRedis();
  producerConnection = connect(redis.url);
  workerConnection = connect(redis.url);
  for (const c of [producerConnection, workerConnection]) c.on('error', () => undefined);
  restoreContext = useAsyncContext();
  spans = recordSpans();
  metrics = createMetrics({ defaultMetrics: false });
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  restoreContext();
  await spans.shutdown();
  await metrics.shutdown();
  producerConnection.disconnect();
  workerConnection.disconnect();
  await redis.destroy();
});

it('keeps every job and its tenant across a Redis restart, and the instrumentation never throws', async () => {
  const name = uniqueQueue('restart');
  const telemetry = createBullMQTelemetry({ tracerProvider: spans.provider });
  const queue = new Queue(name, { connection: producerConnection, telemetry });
  const processed = new Map<string, string | undefined>();
  const worker = new Worker(
    name,
    async (job: Job) => {
      await sleep(10);
      processed.set(job.id as string, currentTenant());
    },
    // short lock and retry periods so a job caught by the restart is recovered within the test
    {
      connection: workerConnection,
      telemetry,
      concurrency: 2,
      lockDuration: 3000,
      stalledInterval: 1000,
      runRetryDelay: 200,
    },
  );
  const workerErrors: unknown[] = [];
  worker.on('error', (error) => workerErrors.push(error));
  queue.on('error', () => undefined);
  const handle = instrumentQueues(
    { queues: [queue], workers: [worker] },
    { metrics, scrapeCacheMs: 0, scrapeTimeoutMs: 200 },
  );
  const add = (i: number) => runWithTenant('acme', () => queue.add('sync', { i }));

  try {
    const before = await within('the first adds', Promise.all(Array.from({ length: 20 }, (_, i) => add(i))));
    await waitFor('some jobs before the restart', () => processed.size >= 5);

    await within('a scrape before the restart', metrics.collect()); // the depth as last read
    await within('stopping Redis', redis.stop());
    // while Redis is down: the scrape still answers, and adds wait in ioredis' offline queue
    const scrape = await within('a scrape while Redis is down', metrics.collect());
    const stale = { metric: QUEUE_METRICS.depth, reason: 'collect_failed' };
    expect(handle.stats()).toMatchObject({ depthReads: 2, depthFailures: 1 });
    // the drop counter is rendered alongside the gauge's collect, so a later scrape shows the failure
    const next = (await within('a second scrape while Redis is down', metrics.collect())).body;
    expect(value(next, 'autoweave_metrics_observations_dropped_total', stale)).toBeGreaterThanOrEqual(1);
    expect(samples(scrape.body, QUEUE_METRICS.depth).length).toBeGreaterThan(0); // the last values, still shown
    const during = Array.from({ length: 10 }, (_, i) => add(20 + i));
    await sleep(500);
    await redis.start();

    const after = await within('the adds made while Redis was down', Promise.all(during), 20_000);
    const ids = [...before, ...after].map((job) => job.id as string);
    await waitFor(
      () => `every job processed (${processed.size} of 30, worker connection ${workerConnection.status})`,
      () => ids.every((id) => processed.has(id)),
      20_000,
    );
    await waitFor(
      'every job completed in Redis',
      async () => (await within('getJobCounts', queue.getJobCounts('completed'))).completed === 30,
      20_000,
    );

    expect(
      await within('getJobCounts', queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')),
    ).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
      completed: 30,
    });
    expect([...new Set(processed.values())]).toEqual(['acme']);
    const text = (await within('the last scrape', metrics.collect())).body;
    // BullMQ's worker events are at most once across a connection loss: a moveToFinished that Redis ran
    // just before it stopped is resent, answered "Missing lock", and no `completed` is emitted (see the
    // README's caveats). At most `concurrency` completions can go unseen; none is seen twice.
    const counted = value(text, QUEUE_METRICS.completed, { queue: name });
    expect(counted).toBeGreaterThanOrEqual(28);
    expect(counted).toBeLessThanOrEqual(30);
    expect(value(text, QUEUE_METRICS.depth, { queue: name, state: 'completed' })).toBe(0); // not a default state
    expect(value(text, QUEUE_METRICS.depth, { queue: name, state: 'waiting' })).toBe(0);
    const consumers = spans.spans().filter((s) => s.name === `process ${name}`);
    expect(new Set(consumers.map((s) => s.attributes['messaging.message.id']))).toEqual(new Set(ids));
    expect(new Set(consumers.map((s) => s.attributes['tenant.id']))).toEqual(new Set(['acme']));

    expect(uncaught).toEqual([]);
    expect(telemetry.stats().internalErrors).toBe(0);
    expect(handle.stats().internalErrors).toBe(0);
    expect(workerErrors.length).toBeGreaterThan(0); // the restart was real: BullMQ saw the connection drop
  } finally {
    // Cleanup must not hide a failure above behind a hang: every step is bounded.
    if (!redis.running) await redis.start();
    await handle.shutdown();
    // BullMQ 6.7's close() can wait forever right after a restart (seen without any instrumentation)
    if (!(await settlesWithin(worker.close(), 5000))) await settlesWithin(worker.disconnect(), 2000);
    await settlesWithin(queue.obliterate({ force: true }), 5000);
    await settlesWithin(queue.close(), 2000);
  }
});
