import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '@autoweave/metrics';
import {
  OPERATION_ERRORS_SLO,
  USB_EVENT_LATENCY_SLO,
  createSloEvaluator,
  defineSlo,
} from '@autoweave/sli-slo';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BullMQOptionsError, createBullMQTelemetry, instrumentQueues } from './index';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { connect, sharedRedis } from './test-fixtures/redis';

const reject = (fn: () => unknown, field: string, says: RegExp): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BullMQOptionsError);
  expect((thrown as BullMQOptionsError).field).toBe(field);
  expect((thrown as Error).message).toMatch(says);
};

describe('createBullMQTelemetry options', () => {
  it.each([
    ['tracerProvider', { tracerProvider: {} }, /tracerProvider must have a getTracer\(\) method/],
    ['propagator', { propagator: 'w3c' }, /propagator must be an object with inject\(\) and extract\(\)/],
    [
      'internalSpans',
      { internalSpans: true },
      /internalSpans must be one of 'none', 'traced', 'all', got true/,
    ],
    ['captureJobResult', { captureJobResult: 'yes' }, /captureJobResult must be true or false/],
    ['followParentSampling', { followParentSampling: 1 }, /followParentSampling must be true or false/],
    ['maxAttributeLength', { maxAttributeLength: 3 }, /maxAttributeLength must be an integer ≥ 16, got 3/],
    ['logger', { logger: { warn: () => undefined } }, /logger must have a error\(\) method/],
  ])('names %s and says what to pass', (field, options, says) => {
    reject(() => createBullMQTelemetry(options as never), field, says);
  });

  it('names its spans after this package and its version', () => {
    expect(PACKAGE_NAME).toBe('@autoweave/integration-bullmq');
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});

describe('instrumentQueues options', () => {
  let connection: Redis;
  let queue: Queue;
  const metrics = createMetrics({ defaultMetrics: false });
  beforeAll(async () => {
    connection = connect((await sharedRedis()).url);
    queue = new Queue(`aw-test-options-${process.pid}`, { connection });
  });
  afterAll(async () => {
    await queue.close();
    await connection.quit();
    await metrics.shutdown();
  });

  it('refuses queues without metrics, since their depth has nowhere to go', () => {
    reject(() => instrumentQueues({ queues: [queue] }), 'metrics', /needs metrics; pass metrics/);
  });

  it.each([
    [
      'targets.queues',
      { queues: { name: 'q', getJobCounts() {} } },
      {},
      /targets.queues must be an array of BullMQ Queue objects/,
    ],
    ['targets.queues[0]', { queues: [{ name: 'q' }] }, {}, /must have a getJobCounts\(\) method/],
    ['targets.workers[0]', { workers: [{ on() {}, off() {} }] }, {}, /has no queue name/],
    ['metrics', {}, { metrics: {} }, /metrics must have a counter\(\) method/],
    ['states', {}, { states: ['waiting', 'paused'] }, /may contain only 'waiting', .*; got "paused"/],
    ['scrapeCacheMs', {}, { scrapeCacheMs: -1 }, /scrapeCacheMs must be an integer ≥ 0/],
    ['scrapeTimeoutMs', {}, { scrapeTimeoutMs: 0 }, /scrapeTimeoutMs must be an integer ≥ 1/],
    ['maxJobNames', {}, { maxJobNames: 1.5 }, /maxJobNames must be an integer ≥ 0/],
    ['jobNames', {}, { jobNames: [1] }, /jobNames must contain only strings/],
    ['durationBuckets', {}, { durationBuckets: [1, 0.5] }, /increasing order/],
    ['waitBuckets', {}, { waitBuckets: [] }, /non-empty/],
    ['businessOperation', {}, { businessOperation: 'job' }, /false or a function/],
    ['slo', {}, { slo: OPERATION_ERRORS_SLO }, /slo is used only with sloEvaluator/],
  ])('names %s and says what to pass', (field, targets, options, says) => {
    reject(() => instrumentQueues(targets as never, options as never), field, says);
  });

  it('checks that the SLO evaluator evaluates an SLO jobs can feed', () => {
    const usbOnly = createSloEvaluator({ slos: [USB_EVENT_LATENCY_SLO], intervalMs: 0 });
    reject(
      () => instrumentQueues({}, { sloEvaluator: usbOnly }),
      'sloEvaluator',
      /does not evaluate SLO "operation-errors"/,
    );
    reject(
      () => instrumentQueues({}, { sloEvaluator: usbOnly, slo: USB_EVENT_LATENCY_SLO }),
      'slo',
      /must be a ratio SLO over autoweave_business_operations_total/,
    );
    const perQueue = defineSlo({ ...sloInput(), groupBy: ['queue'] });
    const evaluator = createSloEvaluator({ slos: [perQueue], intervalMs: 0 });
    reject(() => instrumentQueues({}, { sloEvaluator: evaluator, slo: perQueue }), 'slo', /grouped by queue/);
    usbOnly.close();
    evaluator.close();
  });
});

function sloInput() {
  return {
    id: 'job-errors',
    service: 'jobs',
    description: 'Jobs succeed.',
    objective: 0.99,
    sli: {
      kind: 'ratio' as const,
      total: { metric: 'autoweave_business_operations_total' },
      bad: { metric: 'autoweave_business_operations_total', matchers: { outcome: 'failure' } },
    },
  };
}
