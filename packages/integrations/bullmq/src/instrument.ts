// Job metrics from Worker events (completed, failed, retried, stalled, duration, wait), final job
// outcomes as business operations for the operation-errors SLO, and queue depth read on scrape.
import { context, trace } from '@opentelemetry/api';
import { OPERATION_ERRORS_SLO, type SloDefinition } from '@autoweave/sli-slo';
import { currentTenant } from '@autoweave/tenant-isolation';
import type { Job } from 'bullmq';
import {
  ALL_DEPTH_STATES,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_WAIT_BUCKETS,
  bindJobSeries,
  queueInstruments,
  type JobSeries,
  type QueueInstruments,
} from './job-metrics';
import { recordJobError } from './job-span';
import { tenantFromMetadata } from './metadata';
import {
  BullMQOptionsError,
  errorMessage,
  optionalBuckets,
  optionalInteger,
  optionalObject,
  optionalStrings,
  requireObject,
} from './options';
import { QueueDepthReader } from './queue-depth';
import type {
  AnyQueue,
  AnyWorker,
  InstrumentQueuesOptions,
  QueueDepthState,
  QueueInstrumentation,
  QueueTargets,
} from './types';

const WHAT = 'instrumentQueues';
const DEFAULT_STATES: readonly QueueDepthState[] = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
];
const BUSINESS_METRIC = 'autoweave_business_operations_total';
const SLO_LABELS = ['operation', 'tenant_id'];

const defaultOperation = (queue: string): string => `job.${queue}`;

function checkTargets(targets: QueueTargets): { queues: readonly AnyQueue[]; workers: readonly AnyWorker[] } {
  requireObject(WHAT, 'targets', targets);
  const list = <T>(field: 'queues' | 'workers', methods: readonly string[]): readonly T[] => {
    const value: unknown = targets[field];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      throw new BullMQOptionsError(
        `targets.${field}`,
        `${WHAT}: targets.${field} must be an array of BullMQ ${field === 'queues' ? 'Queue' : 'Worker'} objects`,
      );
    }
    value.forEach((item: unknown, i) => {
      optionalObject(WHAT, `targets.${field}[${i}]`, item ?? null, methods);
      if (typeof (item as { name?: unknown }).name !== 'string') {
        throw new BullMQOptionsError(
          `targets.${field}[${i}]`,
          `${WHAT}: targets.${field}[${i}] has no queue name; pass the BullMQ object itself`,
        );
      }
    });
    return [...new Set(value as T[])];
  };
  return {
    queues: list<AnyQueue>('queues', ['getJobCounts']),
    workers: list<AnyWorker>('workers', ['on', 'off']),
  };
}

function checkSlo(options: InstrumentQueuesOptions): SloDefinition | undefined {
  const evaluator = options.sloEvaluator;
  if (evaluator === undefined) {
    if (options.slo !== undefined)
      throw new BullMQOptionsError(
        'slo',
        `${WHAT}: slo is used only with sloEvaluator; pass sloEvaluator too, or leave slo out`,
      );
    return undefined;
  }
  optionalObject(WHAT, 'sloEvaluator', evaluator, ['record']);
  const slo = options.slo ?? OPERATION_ERRORS_SLO;
  if (slo.sli.kind !== 'ratio' || slo.sli.total.metric !== BUSINESS_METRIC) {
    throw new BullMQOptionsError(
      'slo',
      `${WHAT}: slo "${slo.id}" must be a ratio SLO over ${BUSINESS_METRIC} (jobs are recorded as business operations), like OPERATION_ERRORS_SLO`,
    );
  }
  const slos: unknown = evaluator.slos;
  if (!Array.isArray(slos) || !(slos as readonly SloDefinition[]).some((s) => s.id === slo.id)) {
    throw new BullMQOptionsError(
      'sloEvaluator',
      `${WHAT}: sloEvaluator does not evaluate SLO "${slo.id}"; add it to createSloEvaluator({ slos }) or pass the slo it evaluates`,
    );
  }
  const extra = slo.groupBy.filter((label) => !SLO_LABELS.includes(label));
  if (extra.length > 0) {
    throw new BullMQOptionsError(
      'slo',
      `${WHAT}: slo "${slo.id}" is grouped by ${extra.join(', ')}; jobs only have ${SLO_LABELS.join(' and ')}`,
    );
  }
  return slo;
}

/**
 * Counts and times the jobs of `targets.workers`, reads the depth of `targets.queues` on each
 * scrape of `options.metrics`, and puts each failed attempt's Error on its job span. Nothing is
 * closed by it, ever: the caller owns the queues, workers and Redis connections.
 */
export function instrumentQueues(
  targets: QueueTargets,
  options: InstrumentQueuesOptions = {},
): QueueInstrumentation {
  const { queues, workers } = checkTargets(targets);
  requireObject(WHAT, 'options', options);
  optionalObject(WHAT, 'metrics', options.metrics, [
    'counter',
    'gauge',
    'histogram',
    'recordBusinessOperation',
  ]);
  optionalObject(WHAT, 'logger', options.logger, ['warn', 'error']);
  const slo = checkSlo(options);
  const metrics = options.metrics;
  if (queues.length > 0 && metrics === undefined) {
    throw new BullMQOptionsError(
      'metrics',
      `${WHAT}: targets.queues are read for the autoweave_queue_jobs gauge, which needs metrics; pass metrics (createMetrics()) or leave queues out`,
    );
  }
  if (
    options.businessOperation !== undefined &&
    options.businessOperation !== false &&
    typeof options.businessOperation !== 'function'
  ) {
    throw new BullMQOptionsError(
      'businessOperation',
      `${WHAT}: businessOperation must be false or a function (queue, jobName) => string`,
    );
  }
  const states = optionalStrings(WHAT, 'states', options.states, ALL_DEPTH_STATES) ?? DEFAULT_STATES;
  const cacheMs = optionalInteger(WHAT, 'scrapeCacheMs', options.scrapeCacheMs, 0) ?? 5000;
  const timeoutMs = optionalInteger(WHAT, 'scrapeTimeoutMs', options.scrapeTimeoutMs, 1) ?? 2000;
  const maxJobNames = optionalInteger(WHAT, 'maxJobNames', options.maxJobNames, 0) ?? 50;
  const jobNames = optionalStrings(WHAT, 'jobNames', options.jobNames) ?? [];
  const durationBuckets =
    optionalBuckets(WHAT, 'durationBuckets', options.durationBuckets) ?? DEFAULT_DURATION_BUCKETS;
  const waitBuckets = optionalBuckets(WHAT, 'waitBuckets', options.waitBuckets) ?? DEFAULT_WAIT_BUCKETS;
  const operationOf =
    options.businessOperation === false ? undefined : (options.businessOperation ?? defaultOperation);
  const evaluator = options.sloEvaluator;
  const logger = options.logger;

  let internalErrors = 0;
  let closed = false;
  const warned = new Set<string>();
  const log = (level: 'warn' | 'error', message: string, meta?: Record<string, unknown>): void => {
    try {
      logger?.[level](message, meta);
    } catch {
      // a throwing logger must not break a job or a scrape
    }
  };
  const guard = (where: string, fn: () => void): void => {
    if (closed) return;
    try {
      fn();
    } catch (error) {
      internalErrors++;
      if (!warned.has(where)) {
        warned.add(where);
        log('warn', `@autoweave/integration-bullmq: ${where} failed; the job is not affected`, {
          error: errorMessage(error),
        });
      }
    }
  };

  const instruments: QueueInstruments | undefined =
    metrics === undefined
      ? undefined
      : queueInstruments(metrics, {
          queueNames: [...new Set([...queues, ...workers].map((t) => t.name))],
          jobNames,
          maxJobNames,
          durationBuckets,
          waitBuckets,
        });

  const readers = queues.map(
    (queue) =>
      new QueueDepthReader(queue, {
        states,
        cacheMs,
        timeoutMs,
        onValues: (name, values) => {
          for (const state of states) instruments?.depth.set({ queue: name, state }, values[state] ?? 0);
        },
        onHealthChange: (name, error) =>
          error === undefined
            ? log('warn', `@autoweave/integration-bullmq: reading the depth of queue ${name} works again`)
            : log(
                'warn',
                `@autoweave/integration-bullmq: cannot read the depth of queue ${name}; scrapes show the last values`,
                { error: errorMessage(error) },
              ),
      }),
  );
  for (const reader of readers) instruments?.readers.add(reader);

  const recordOutcome = (queue: string, job: Job, ok: boolean, durationMs: number | undefined): void => {
    if (operationOf === undefined && evaluator === undefined) return;
    const tenant = currentTenant() ?? tenantFromMetadata(job.opts?.telemetry?.metadata);
    const operation = (operationOf ?? defaultOperation)(queue, job.name);
    if (metrics !== undefined && operationOf !== undefined) {
      metrics.recordBusinessOperation(
        operation,
        tenant ?? '',
        durationMs === undefined ? { success: ok } : { success: ok, durationMs },
      );
    }
    if (evaluator !== undefined && slo !== undefined)
      evaluator.record(slo.id, ok, { operation, tenant_id: tenant ?? '' });
  };

  const removers = workers.map((worker) =>
    listen(worker, instruments, maxJobNames + jobNames.length, guard, recordOutcome),
  );

  return {
    stats: () => ({
      depthReads: readers.reduce((n, r) => n + r.reads, 0),
      depthFailures: readers.reduce((n, r) => n + r.failures, 0),
      internalErrors,
    }),
    shutdown(): Promise<void> {
      if (!closed) {
        closed = true;
        for (const remove of removers) remove();
        for (const reader of readers) instruments?.readers.delete(reader);
      }
      return Promise.resolve();
    },
  };
}

/** Milliseconds of the attempt that just ended, when BullMQ recorded its start. */
function attemptMs(job: Job): number | undefined {
  if (typeof job.processedOn !== 'number') return undefined;
  const end = typeof job.finishedOn === 'number' ? job.finishedOn : Date.now();
  return Math.max(0, end - job.processedOn);
}

/** Adds the worker listeners; returns what removes them. */
function listen(
  worker: AnyWorker,
  instruments: QueueInstruments | undefined,
  maxCached: number,
  guard: (where: string, fn: () => void) => void,
  recordOutcome: (queue: string, job: Job, ok: boolean, durationMs: number | undefined) => void,
): () => void {
  const queue = worker.name;
  // One bound set of series per job name; names past the label cap are bound per event instead.
  const cache = new Map<string, JobSeries>();
  const seriesOf = (jobName: unknown): JobSeries | undefined => {
    if (instruments === undefined) return undefined;
    const name = typeof jobName === 'string' ? jobName : '';
    let series = cache.get(name);
    if (series === undefined) {
      series = bindJobSeries(instruments, queue, name);
      if (cache.size <= maxCached) cache.set(name, series);
    }
    return series;
  };

  const onActive = (job: Job): void =>
    guard('active listener', () => {
      // Only the first start: a retried or stalled job was ready long ago, its wait would double count.
      if (job.attemptsMade !== 0 || (job.attemptsStarted ?? 1) > 1 || typeof job.processedOn !== 'number')
        return;
      // BullMQ zeroes job.delay once a delayed job is promoted; the option keeps it.
      const delay = job.opts?.delay ?? job.delay;
      const ready = job.timestamp + (typeof delay === 'number' && delay > 0 ? delay : 0);
      seriesOf(job.name)?.wait.observe(Math.max(0, job.processedOn - ready) / 1000);
    });
  const onCompleted = (job: Job): void =>
    guard('completed listener', () => {
      const ms = attemptMs(job);
      const series = seriesOf(job.name);
      series?.completed.inc();
      if (ms !== undefined) series?.duration.observe(ms / 1000);
      recordOutcome(queue, job, true, ms);
    });
  const onFailed = (job: Job | undefined, error: Error): void =>
    guard('failed listener', () => {
      // The worker emits `failed` inside the attempt's CONSUMER span: give it the Error and its stack.
      recordJobError(trace.getSpan(context.active()), error);
      if (job === undefined) return;
      const ms = attemptMs(job);
      const series = seriesOf(job.name);
      if (ms !== undefined) series?.duration.observe(ms / 1000);
      // moveToFailed sets finishedOn only when the job is done for good; a retried attempt is not a failed operation.
      if (typeof job.finishedOn === 'number') {
        series?.failed.inc();
        recordOutcome(queue, job, false, ms);
      } else {
        series?.retried.inc();
      }
    });
  const onStalled = (): void => guard('stalled listener', () => instruments?.stalled.inc({ queue }));

  worker.on('active', onActive);
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  worker.on('stalled', onStalled);
  return () => {
    worker.off('active', onActive);
    worker.off('completed', onCompleted);
    worker.off('failed', onFailed);
    worker.off('stalled', onStalled);
  };
}
