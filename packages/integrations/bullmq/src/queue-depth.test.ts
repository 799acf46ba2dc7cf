import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ALL_DEPTH_STATES, QUEUE_METRICS, instrumentQueues } from './index';
import type { InstrumentQueuesOptions } from './types';
import { samples, value } from './test-fixtures/exposition';
import { track, useCleanups, useSharedConnection } from './test-fixtures/lifecycle';
import { connect, startRestartableRedis, type RestartableRedis } from './test-fixtures/redis';
import { uniqueQueue, waitFor } from './test-fixtures/wait';

const shared = useSharedConnection();
const later = useCleanups();
let metrics: MetricsHandle;

beforeEach(() => {
  metrics = createMetrics({ defaultMetrics: false });
  later(() => metrics.shutdown());
});

function queueOn(redis: Redis, label: string): { name: string; queue: Queue } {
  const name = uniqueQueue(label);
  const queue = track(later, new Queue(name, { connection: redis }));
  queue.on('error', () => undefined); // connection errors while the private Redis is stopped
  return { name, queue };
}

function instrument(queue: Queue, options: InstrumentQueuesOptions) {
  const handle = instrumentQueues({ queues: [queue] }, { metrics, ...options });
  later(() => handle.shutdown());
  return handle;
}

const depth = (text: string, queue: string): Record<string, number> =>
  Object.fromEntries(
    samples(text, QUEUE_METRICS.depth)
      .filter((s) => s.labels.queue === queue)
      .map((s): [string, number] => [s.labels.state ?? '', s.value]),
  );

const staleScrapes = (text: string): number =>
  value(text, 'autoweave_metrics_observations_dropped_total', {
    metric: QUEUE_METRICS.depth,
    reason: 'collect_failed',
  });

describe('queue depth on scrape', () => {
  it('shows what getJobCounts returns for every state', async () => {
    const { name, queue } = queueOn(shared(), 'depth');
    let release = (): void => undefined;
    const worker = new Worker(
      name,
      (job) =>
        job.name === 'fail-me'
          ? Promise.reject(new Error('no'))
          : new Promise<void>((resolve) => (release = resolve)),
      { connection: shared(), concurrency: 1 },
    );
    later(() => worker.close(true));
    const failed = new Promise((resolve) => worker.once('failed', resolve));
    await queue.add('fail-me', {});
    await failed;
    const held = await queue.add('hold', {});
    await waitFor('the held job to be active', async () => (await held.getState()) === 'active');
    for (let i = 0; i < 3; i++) await queue.add('later', {});
    await queue.add('tomorrow', {}, { delay: 3_600_000 });
    await queue.add('tomorrow', {}, { delay: 3_600_000 });
    await queue.add('urgent', {}, { priority: 1 });

    const states = ALL_DEPTH_STATES;
    instrument(queue, { states, scrapeCacheMs: 0 });
    const shown = depth((await metrics.collect()).body, name);
    const counts = await queue.getJobCounts(...states);
    expect(shown).toEqual(counts);
    expect(shown).toEqual({
      waiting: 3,
      active: 1,
      delayed: 2,
      failed: 1,
      prioritized: 1,
      'waiting-children': 0,
      completed: 0,
    });
    release();
  });

  it('makes at most one getJobCounts round trip per cache period, shared by overlapping scrapes', async () => {
    const { name, queue } = queueOn(shared(), 'cache');
    await queue.add('x', {});
    await queue.getJobCounts(); // the script is loaded, so each read below is one EVALSHA
    const monitor = await shared().monitor();
    later(() => Promise.resolve(monitor.disconnect()));
    let reads = 0;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (/^eval/i.test(args[0] ?? '') && args.includes(`bull:${name}:`)) reads++;
    });
    const handle = instrument(queue, { scrapeCacheMs: 400 });

    const scrapes = await Promise.all([metrics.collect(), metrics.collect(), metrics.collect()]);
    const again = await metrics.collect(); // inside the cache period
    for (const scrape of [...scrapes, again]) expect(depth(scrape.body, name).waiting).toBe(1);
    await waitFor('MONITOR to report the read', () => reads >= 1);
    await queue.add('y', {});
    await new Promise((resolve) => setTimeout(resolve, 450));
    const reread = await metrics.collect(); // past it: read again
    await waitFor('MONITOR to report the second read', () => reads >= 2);
    expect(depth(reread.body, name).waiting).toBe(2);
    expect(reads).toBe(2);
    expect(handle.stats()).toMatchObject({ depthReads: 2, depthFailures: 0 });
  });
});

describe('queue depth while Redis is away', () => {
  let redis: RestartableRedis;
  let privateConnection: Redis;
  beforeAll(async () => {
    redis = await startRestartableRedis();
    privateConnection = connect(redis.url);
    privateConnection.on('error', () => undefined); // ioredis reports each failed reconnect
  });
  afterAll(async () => {
    privateConnection.disconnect();
    await redis.destroy();
  });

  it('answers the scrape with the last values, counts each stale scrape, and reads again once Redis is back', async () => {
    const { name, queue } = queueOn(privateConnection, 'down');
    await queue.add('a', {});
    await queue.add('b', {});
    const handle = instrument(queue, { scrapeCacheMs: 0, scrapeTimeoutMs: 200 });
    expect(depth((await metrics.collect()).body, name).waiting).toBe(2);

    await redis.stop();
    const down1 = (await metrics.collect()).body;
    const down2 = (await metrics.collect()).body;
    expect(depth(down1, name).waiting).toBe(2);
    expect(depth(down2, name).waiting).toBe(2);
    // the read still waiting on Redis is shared: no second round trip piles up behind it
    expect(handle.stats()).toMatchObject({ depthReads: 2, depthFailures: 2 });
    // the drop counter is rendered alongside the gauge's collect: a scrape shows the failures before it
    expect(staleScrapes(down2)).toBeGreaterThanOrEqual(1);

    await redis.start();
    await waitFor('the queue connection to come back', () => privateConnection.status === 'ready');
    await queue.add('c', {});
    let text = '';
    await waitFor('a fresh depth', async () => {
      text = (await metrics.collect()).body;
      return depth(text, name).waiting === 3;
    });
    expect(staleScrapes(text)).toBeGreaterThanOrEqual(2);
    expect(handle.stats().internalErrors).toBe(0);
  });
});
