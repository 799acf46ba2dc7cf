// The Prometheus instruments of the queue metrics, made once per metrics handle (a handle refuses a
// second metric of the same name), so several instrumentQueues calls on one handle share them.
import type {
  BoundCounter,
  BoundHistogram,
  MetricsCounter,
  MetricsGauge,
  MetricsHandle,
  MetricsHistogram,
} from '@autoweave/metrics';
import type { QueueDepthReader } from './queue-depth';
import type { QueueDepthState } from './types';

export const QUEUE_METRICS = Object.freeze({
  completed: 'autoweave_queue_jobs_completed_total',
  failed: 'autoweave_queue_jobs_failed_total',
  retried: 'autoweave_queue_jobs_retried_total',
  duration: 'autoweave_queue_job_duration_seconds',
  wait: 'autoweave_queue_job_wait_seconds',
  depth: 'autoweave_queue_jobs',
  stalled: 'autoweave_queue_jobs_stalled_total',
});

export const ALL_DEPTH_STATES: readonly QueueDepthState[] = Object.freeze([
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
  'completed',
]);

/** Job processing takes from milliseconds to minutes. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
]);
/** Waiting ranges wider still: a backlog can hold jobs for an hour. */
export const DEFAULT_WAIT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600,
]);

type JobLabels = 'queue' | 'job_name';

export interface QueueInstruments {
  readonly completed: MetricsCounter<JobLabels>;
  readonly failed: MetricsCounter<JobLabels>;
  readonly retried: MetricsCounter<JobLabels>;
  readonly duration: MetricsHistogram<JobLabels>;
  readonly wait: MetricsHistogram<JobLabels>;
  readonly stalled: MetricsCounter<'queue'>;
  readonly depth: MetricsGauge<'queue' | 'state'>;
  /** The queues read on scrape, from every live instrumentQueues call on this handle. */
  readonly readers: Set<QueueDepthReader>;
}

export interface InstrumentsConfig {
  readonly queueNames: readonly string[];
  readonly jobNames: readonly string[];
  readonly maxJobNames: number;
  readonly durationBuckets: readonly number[];
  readonly waitBuckets: readonly number[];
}

const byHandle = new WeakMap<MetricsHandle, QueueInstruments>();

/** The instruments of `metrics`, made on first use with `config` (later calls reuse them as they are). */
export function queueInstruments(metrics: MetricsHandle, config: InstrumentsConfig): QueueInstruments {
  const existing = byHandle.get(metrics);
  if (existing !== undefined) return existing;
  const readers = new Set<QueueDepthReader>();
  const labelNames = ['queue', 'job_name'] as const;
  const labelBounds = {
    queue: { allow: config.queueNames },
    job_name: { allow: config.jobNames, cap: config.maxJobNames },
  };
  const counter = (name: string, help: string) => metrics.counter({ name, help, labelNames, labelBounds });
  const instruments: QueueInstruments = {
    completed: counter(QUEUE_METRICS.completed, 'Jobs completed, by queue and job name.'),
    failed: counter(
      QUEUE_METRICS.failed,
      'Jobs failed for good (no attempt left, or unrecoverable), by queue and job name.',
    ),
    retried: counter(QUEUE_METRICS.retried, 'Failed attempts that will be retried, by queue and job name.'),
    duration: metrics.histogram({
      name: QUEUE_METRICS.duration,
      help: 'Processing time of each attempt (completed or failed), by queue and job name.',
      labelNames,
      labelBounds,
      buckets: config.durationBuckets,
    }),
    wait: metrics.histogram({
      name: QUEUE_METRICS.wait,
      help: 'Time from a job being ready (added, or its delay over) to its first attempt starting.',
      labelNames,
      labelBounds,
      buckets: config.waitBuckets,
    }),
    stalled: metrics.counter({
      name: QUEUE_METRICS.stalled,
      help: 'Jobs found stalled (lock lost while active) and moved back to wait, by queue.',
      labelNames: ['queue'] as const,
      labelBounds: { queue: labelBounds.queue },
    }),
    depth: metrics.gauge({
      name: QUEUE_METRICS.depth,
      help: 'Jobs in the queue by state, read with getJobCounts on scrape (cached).',
      labelNames: ['queue', 'state'] as const,
      labelBounds: { queue: labelBounds.queue, state: { allow: ALL_DEPTH_STATES, allowOnly: true } },
      collect: async () => {
        const results = await Promise.allSettled([...readers].map((reader) => reader.refresh()));
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed.length > 0) throw failed[0]?.reason;
      },
    }),
    readers,
  };
  byHandle.set(metrics, instruments);
  return instruments;
}

/** The series of one queue and job name, bound once. */
export interface JobSeries {
  readonly completed: BoundCounter;
  readonly failed: BoundCounter;
  readonly retried: BoundCounter;
  readonly duration: BoundHistogram;
  readonly wait: BoundHistogram;
}

export function bindJobSeries(instruments: QueueInstruments, queue: string, jobName: string): JobSeries {
  const labels = { queue, job_name: jobName };
  return {
    completed: instruments.completed.labels(labels),
    failed: instruments.failed.labels(labels),
    retried: instruments.retried.labels(labels),
    duration: instruments.duration.labels(labels),
    wait: instruments.wait.labels(labels),
  };
}
