import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { OPERATION_ERRORS_SLO, createSloEvaluator, type SloEvaluator } from '@autoweave/sli-slo';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { checkMetrics, useAsyncContext } from '@autoweave/test-utils';
import { Job, Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { QUEUE_METRICS, createBullMQTelemetry, instrumentQueues } from './index';
import type { InstrumentQueuesOptions } from './types';
import { samples, value } from './test-fixtures/exposition';
import { track, useCleanups, useSharedConnection } from './test-fixtures/lifecycle';
import { uniqueQueue, waitFor } from './test-fixtures/wait';

const redis = useSharedConnection();
const later = useCleanups();
let restoreContext: () => void;
let metrics: MetricsHandle;

beforeAll(() => {
  restoreContext = useAsyncContext();
});

beforeEach(() => {
  metrics = createMetrics({ defaultMetrics: false });
  later(() => metrics.shutdown());
});

afterAll(() => restoreContext());

const body = async (): Promise<string> => (await metrics.collect()).body;

function queueFor(label: string): { name: string; queue: Queue } {
  const name = uniqueQueue(label);
  // the producer uses the telemetry too, so the tenant travels with the job
  return {
    name,
    queue: track(later, new Queue(name, { connection: redis(), telemetry: createBullMQTelemetry() })),
  };
}

function workerFor(name: string, processor: Processor, options: Partial<WorkerOptions> = {}): Worker {
  const worker = new Worker(name, processor, {
    connection: redis(),
    telemetry: createBullMQTelemetry(),
    ...options,
  });
  later(() => worker.close());
  return worker;
}

function instrument(targets: Parameters<typeof instrumentQueues>[0], options: InstrumentQueuesOptions = {}) {
  const handle = instrumentQueues(targets, { metrics, ...options });
  later(() => handle.shutdown());
  return handle;
}

/** Resolves when `worker` has seen `completed` completions and `failed` final failures. */
function settled(worker: Worker, completed: number, failed: number): Promise<void> {
  let c = 0;
  let f = 0;
  worker.on('completed', () => c++);
  worker.on('failed', (job) => {
    if (typeof job?.finishedOn === 'number') f++;
  });
  return waitFor(`${completed} completed and ${failed} failed jobs`, () => c >= completed && f >= failed);
}

describe('job outcomes', () => {
  let evaluator: SloEvaluator;
  beforeEach(() => {
    evaluator = createSloEvaluator({ slos: [OPERATION_ERRORS_SLO], intervalMs: 0 });
  });
  afterEach(() => evaluator.close());

  it('counts completed, retried and failed jobs, and only final outcomes as business operations', async () => {
    const { name, queue } = queueFor('outcomes');
    const worker = workerFor(name, (job) => {
      if (job.name === 'always-fails') return Promise.reject(new Error('smtp refused'));
      if (job.name === 'flaky' && job.attemptsMade === 0) return Promise.reject(new Error('timeout'));
      return Promise.resolve('sent');
    });
    instrument({ workers: [worker] }, { sloEvaluator: evaluator });
    const done = settled(worker, 2, 1);
    await runWithTenant('acme', async () => {
      await queue.add('ok', {});
      await queue.add('flaky', {}, { attempts: 3 });
      await queue.add('always-fails', {}, { attempts: 2 });
    });
    await done;

    const text = await body();
    const series = (metric: string, jobName: string) =>
      value(text, metric, { queue: name, job_name: jobName });
    expect({
      completed: [series(QUEUE_METRICS.completed, 'ok'), series(QUEUE_METRICS.completed, 'flaky')],
      retried: [series(QUEUE_METRICS.retried, 'flaky'), series(QUEUE_METRICS.retried, 'always-fails')],
      failed: [series(QUEUE_METRICS.failed, 'always-fails'), series(QUEUE_METRICS.failed, 'flaky')],
      attemptsTimed: value(text, `${QUEUE_METRICS.duration}_count`, { queue: name }),
      jobsWaitedFor: value(text, `${QUEUE_METRICS.wait}_count`, { queue: name }),
    }).toEqual({ completed: [1, 1], retried: [1, 1], failed: [1, 0], attemptsTimed: 5, jobsWaitedFor: 3 });

    // the operation-errors SLO sees three operations, one bad; retried attempts are not failures
    const operations = { operation: `job.${name}`, tenant_id: 'acme' };
    expect(value(text, 'autoweave_business_operations_total', { ...operations, outcome: 'success' })).toBe(2);
    expect(value(text, 'autoweave_business_operations_total', { ...operations, outcome: 'failure' })).toBe(1);
    const slo = evaluator.snapshot().slos.find((s) => s.id === OPERATION_ERRORS_SLO.id);
    const window = slo?.groups[0]?.windows.find((w) => w.window === OPERATION_ERRORS_SLO.window);
    expect({ good: window?.good, total: window?.total }).toEqual({ good: 2, total: 3 });

    const promtool = await checkMetrics(text);
    expect(promtool.stderr + promtool.stdout).toBe('');
    expect(promtool.ok).toBe(true);
  });

  it('times the wait from when a delayed job became ready, not from when it was added', async () => {
    const { name, queue } = queueFor('wait');
    const worker = workerFor(name, () => Promise.resolve());
    instrument({ workers: [worker] });
    const done = settled(worker, 1, 0);
    const added = await queue.add('reminder', {}, { delay: 400 });
    await done;
    const job = await Job.fromId(queue, added.id as string);
    const expected = ((job?.processedOn ?? NaN) - (job?.timestamp ?? NaN) - 400) / 1000;
    const text = await body();
    expect(value(text, `${QUEUE_METRICS.wait}_count`, { queue: name })).toBe(1);
    expect(value(text, `${QUEUE_METRICS.wait}_sum`, { queue: name })).toBeCloseTo(Math.max(0, expected), 6);
  });

  it('counts stalled jobs found by the worker that takes over', async () => {
    const { name, queue } = queueFor('stalled');
    let release = (): void => undefined;
    const crashed = new Worker(name, () => new Promise<void>((resolve) => (release = resolve)), {
      connection: redis(),
      lockDuration: 500,
      // its own stalled check would otherwise hold the queue's check lock for the default 30 s
      stalledInterval: 300,
    });
    const job = await queue.add('import', {});
    await waitFor('the first worker to take the job', async () => (await job.getState()) === 'active');
    await crashed.close(true); // the process "dies": the lock is not renewed and expires
    const rescuer = workerFor(name, () => Promise.resolve(), { stalledInterval: 300, lockDuration: 500 });
    instrument({ workers: [rescuer] });
    const done = settled(rescuer, 1, 0);
    await done;
    release();
    expect(value(await body(), QUEUE_METRICS.stalled, { queue: name })).toBe(1);
  });

  it('records no business operations when businessOperation is false', async () => {
    const { name, queue } = queueFor('no-business');
    const worker = workerFor(name, () => Promise.resolve());
    instrument({ workers: [worker] }, { businessOperation: false });
    const done = settled(worker, 1, 0);
    await queue.add('x', {});
    await done;
    const text = await body();
    expect(value(text, QUEUE_METRICS.completed, { queue: name })).toBe(1);
    expect(samples(text, 'autoweave_business_operations_total')).toEqual([]);
  });
});

describe('labels and lifecycle', () => {
  it('folds job names past maxJobNames into __overflow__ and keeps the allow-listed ones', async () => {
    const { name, queue } = queueFor('names');
    const worker = workerFor(name, () => Promise.resolve(), { concurrency: 5 });
    instrument({ workers: [worker] }, { jobNames: ['report'], maxJobNames: 2 });
    const done = settled(worker, 6, 0);
    for (const jobName of ['a', 'b', 'c', 'd', 'e', 'report']) await queue.add(jobName, {});
    await done;
    const names = samples(await body(), QUEUE_METRICS.completed)
      .filter((s) => s.labels.queue === name)
      .map((s) => `${s.labels.job_name}=${s.value}`)
      .sort();
    expect(names).toEqual(['__overflow__=3', 'a=1', 'b=1', 'report=1']);
  });

  it('shares the instruments between two calls on one metrics handle', async () => {
    const first = queueFor('share-a');
    const second = queueFor('share-b');
    const workers = [
      workerFor(first.name, () => Promise.resolve()),
      workerFor(second.name, () => Promise.resolve()),
    ];
    instrument({ workers: [workers[0] as Worker] });
    instrument({ workers: [workers[1] as Worker] });
    const done = Promise.all(workers.map((w) => settled(w, 1, 0)));
    await first.queue.add('x', {});
    await second.queue.add('x', {});
    await done;
    const text = await body();
    expect(value(text, QUEUE_METRICS.completed, { queue: first.name })).toBe(1);
    expect(value(text, QUEUE_METRICS.completed, { queue: second.name })).toBe(1);
  });

  it('removes only its own listeners on shutdown and closes nothing', async () => {
    const { name, queue } = queueFor('shutdown');
    const worker = workerFor(name, () => Promise.resolve());
    const events = ['active', 'completed', 'failed', 'stalled'] as const;
    const before = events.map((e) => worker.listenerCount(e));
    const handle = instrumentQueues({ queues: [queue], workers: [worker] }, { metrics });
    expect(events.map((e) => worker.listenerCount(e))).toEqual(before.map((n) => n + 1));
    await handle.shutdown();
    await handle.shutdown();
    expect(events.map((e) => worker.listenerCount(e))).toEqual(before);

    const done = settled(worker, 1, 0);
    await queue.add('after', {});
    await done;
    expect(value(await body(), QUEUE_METRICS.completed, { queue: name })).toBe(0);
    expect(redis().status).toBe('ready');
    expect(worker.isRunning()).toBe(true);
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
  });
});
