// Public types of @autoweave/integration-bullmq.
import type { Context, TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import type { MetricsHandle } from '@autoweave/metrics';
import type { SloDefinition, SloEvaluator } from '@autoweave/sli-slo';
import type { Queue, Telemetry, Worker } from 'bullmq';

/** The part of a logger this package uses; @autoweave/logging's logger and winston fit. */
export interface BullMQLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export interface BullMQTelemetryOptions {
  /** Where spans go. Default `trace.getTracerProvider()` (the global one, or a no-op). */
  readonly tracerProvider?: TracerProvider;
  /**
   * How the trace context and baggage (with `tenant.id`) are written into `job.opts.telemetry.metadata`.
   * Default: W3C trace context + W3C baggage, built in, whatever global propagator is (or is not) set.
   */
  readonly propagator?: TextMapPropagator;
  /**
   * BullMQ's INTERNAL operations (fetching the next job, completing, retrying, extending locks,
   * stalled-job checks): `'none'` records only the messaging spans (PRODUCER add, CONSUMER
   * process); `'traced'` also the internal ones inside a trace; `'all'` also those of BullMQ's
   * background loops, each a trace of its own every few seconds. Default `'none'`.
   */
  readonly internalSpans?: 'none' | 'traced' | 'all';
  /**
   * A job or add whose parent trace was not sampled gets no span of its own: the job runs in the
   * parent's (unsampled) context, which is what a ParentBased sampler (the OpenTelemetry default, and
   * `@autoweave/tracing`'s) decides anyway, without paying for a span nobody keeps. Set false when your
   * sampler may record children of unsampled parents. Default true.
   */
  readonly followParentSampling?: boolean;
  /** Keep BullMQ's `bullmq.job.result` (the processor's JSON return value) on the `job completed` event. Default false. */
  readonly captureJobResult?: boolean;
  /** String attribute values longer than this are cut. Default 1024. */
  readonly maxAttributeLength?: number;
  /** Told about metadata that could not be read and internal errors (once per kind). */
  readonly logger?: BullMQLogger;
}

export interface BullMQTelemetryStats {
  /** Job metadata that was not a readable JSON carrier; those jobs ran without a parent trace. */
  readonly invalidMetadata: number;
  /** Errors inside this instrumentation, caught before they reached BullMQ. */
  readonly internalErrors: number;
}

/** BullMQ's `Telemetry` on OpenTelemetry: pass it as `{ telemetry }` to Queue, Worker and FlowProducer. */
export interface BullMQTelemetry extends Telemetry<Context> {
  stats(): BullMQTelemetryStats;
}

/** Queue states the depth gauge can report (each one a `getJobCounts` type). */
export type QueueDepthState =
  'waiting' | 'active' | 'delayed' | 'failed' | 'prioritized' | 'waiting-children' | 'completed';

// Structural `any` is what bullmq's own defaults use; it lets Queue<MyData> and Worker<MyData, MyResult> in.
/* eslint-disable @typescript-eslint/no-explicit-any */
/** A BullMQ Queue (any data type). */
export type AnyQueue = Queue<any, any, string, any, any>;
/** A BullMQ Worker (any data, result or job name type). */
export type AnyWorker = Worker<any, any, any, any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface QueueTargets {
  /** Queues whose depth is read on scrape (`autoweave_queue_jobs`). */
  readonly queues?: readonly AnyQueue[];
  /** Workers whose job events are counted and timed. */
  readonly workers?: readonly AnyWorker[];
}

export interface InstrumentQueuesOptions {
  /** Where the metrics go. Without it nothing is counted; failed jobs still get their exception on the span. */
  readonly metrics?: MetricsHandle;
  /**
   * The in-process SLO evaluator: final job outcomes are recorded for `slo` there too, so it sees
   * the same events as `autoweave_business_operations_total`.
   */
  readonly sloEvaluator?: Pick<SloEvaluator, 'slos' | 'record'>;
  /** The ratio SLO over `autoweave_business_operations_total` that jobs count towards. Default `OPERATION_ERRORS_SLO`. */
  readonly slo?: SloDefinition;
  /**
   * The `operation` label of `autoweave_business_operations_total` for a job, or false to record no
   * business operations. Default `job.<queue>`.
   */
  readonly businessOperation?: false | ((queue: string, jobName: string) => string);
  /** States the depth gauge reports. Default waiting, active, delayed, failed, prioritized, waiting-children. */
  readonly states?: readonly QueueDepthState[];
  /** A scrape within this many ms of the last `getJobCounts` round trip reuses its values. Default 5000. */
  readonly scrapeCacheMs?: number;
  /** How long a scrape waits for `getJobCounts` before showing the last values and counting a failure. Default 2000. */
  readonly scrapeTimeoutMs?: number;
  /** `job_name` values always kept as they are. */
  readonly jobNames?: readonly string[];
  /** Further distinct `job_name` values per metric before `__overflow__`. Default 50. */
  readonly maxJobNames?: number;
  /** Buckets (seconds) of `autoweave_queue_job_duration_seconds`. */
  readonly durationBuckets?: readonly number[];
  /** Buckets (seconds) of `autoweave_queue_job_wait_seconds`. */
  readonly waitBuckets?: readonly number[];
  /** Told when reading queue depth starts and stops failing, and about internal errors. */
  readonly logger?: BullMQLogger;
}

export interface QueueInstrumentationStats {
  /** `getJobCounts` round trips made for the depth gauge. */
  readonly depthReads: number;
  /** Scrapes that showed the last depth values because reading failed or timed out. */
  readonly depthFailures: number;
  /** Errors inside this instrumentation, caught before they reached BullMQ or the scrape. */
  readonly internalErrors: number;
}

export interface QueueInstrumentation {
  stats(): QueueInstrumentationStats;
  /**
   * Removes the listeners this call added and stops reading the depth of its queues. Never closes
   * a queue, worker or connection. Idempotent.
   */
  shutdown(): Promise<void>;
}
