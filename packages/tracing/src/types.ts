// Public types of @autoweave/tracing.
import type { Attributes, Context, MeterProvider, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { SpanLimits } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import type { IORedisInstrumentationConfig } from '@opentelemetry/instrumentation-ioredis';
import type { AttributeRedactor, TelemetryBudget } from '@autoweave/tenant-isolation';
import type { RecentTraceBuffer } from './recent-traces';

/** Why a span never reached its exporter. */
export type DropReason = 'queue_full' | 'export_failed' | 'shutdown';

/** Limits of the batch export queue (OTLP). */
export interface BatchOptions {
  /** Spans waiting for export; when full, new spans are dropped and counted. Env `OTEL_BSP_MAX_QUEUE_SIZE`. Default 2048. */
  maxQueueSize?: number;
  /** Spans per export call. Env `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. Default 512 (at most `maxQueueSize`). */
  maxExportBatchSize?: number;
  /** Delay between exports when the queue is not full. Env `OTEL_BSP_SCHEDULE_DELAY`. Default 5000 ms. */
  scheduledDelayMillis?: number;
  /** Deadline of one export call; a batch that misses it is dropped. Env `OTEL_BSP_EXPORT_TIMEOUT`. Default 10000 ms. */
  exportTimeoutMillis?: number;
  /** Upper bound for `forceFlush()`/`shutdown()`; what is still queued after it is dropped. Default 30000 ms. */
  flushTimeoutMillis?: number;
}

/** Bounds of the in-process recent-trace buffer. */
export interface RecentTraceBufferOptions {
  /** Traces kept; the oldest trace is evicted first. Default 100. */
  maxTraces?: number;
  /** Spans kept per trace; later spans of a full trace are dropped and counted. Default 256. */
  maxSpansPerTrace?: number;
}

/** Opt-in auto-instrumentations (require-hook based: start tracing before requiring the library). */
export interface InstrumentationOptions {
  /** Node's `http`/`https` client and server spans. */
  http?: boolean | HttpInstrumentationConfig;
  /** `ioredis` command spans. */
  ioredis?: boolean | IORedisInstrumentationConfig;
}

export interface TracingOptions {
  /** `service.name`. Falls back to `OTEL_SERVICE_NAME`, then `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name` (e.g. `production`). */
  environment?: string;
  /** More resource attributes; these win over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Attributes;
  /**
   * OTLP/gRPC collector, e.g. `http://127.0.0.1:4317` (`http://` = plaintext). Falls back to
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, then `OTEL_EXPORTER_OTLP_ENDPOINT`. Without any, spans
   * go only to the recent-trace buffer.
   */
  endpoint?: string;
  /**
   * OTLP request compression. Falls back to `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, then
   * `OTEL_EXPORTER_OTLP_COMPRESSION`, then `'none'` (gzip costs about 10 µs of CPU per span).
   */
  compression?: 'gzip' | 'none';
  /**
   * Fraction of new traces to sample, 0..1, used as `ParentBased(TraceIdRatio(rate))`: a span with
   * a parent follows the parent's decision. Falls back to `OTEL_TRACES_SAMPLER_ARG`, then 1.
   */
  sampleRate?: number;
  /** Span limits; unset fields take the bounded defaults (value length 4096, 128 of everything else). */
  spanLimits?: SpanLimits;
  /** The OTLP export queue. */
  batch?: BatchOptions;
  /**
   * Keep the last traces in memory for a /debug page. Default: on when no endpoint is configured,
   * off otherwise; `true` or bounds turn it on next to OTLP.
   */
  recentTraces?: boolean | RecentTraceBufferOptions;
  /** Auto-instrumentations to enable; none by default. */
  instrumentations?: InstrumentationOptions;
  /** Where the tracing pipeline's own metrics go. Default: `metrics.getMeterProvider()` at start. */
  meterProvider?: MeterProvider;
  /**
   * Register the provider, an AsyncLocalStorage context manager and the W3C trace-context + baggage
   * propagator as OpenTelemetry globals (undone by `shutdown()`). Default true. With false nothing
   * global is touched: use `handle.tracer()` and register a context manager yourself.
   */
  registerGlobal?: boolean;
  /**
   * Per-tenant span budget (the tenant limiter of `@autoweave/tenant-isolation`): a new local trace of
   * a tenant whose `spans` bucket is empty is not recorded; children of a recorded span are charged.
   */
  tenantBudget?: TelemetryBudget;
  /** Redacts span and event attributes when a span ends, before any export (the tenant redactor). */
  redact?: AttributeRedactor;
}

/** Counters of the export pipeline, as plain numbers. */
export interface TracingStats {
  /** Spans the exporter accepted (the OTLP collector, or the buffer when it is the only target). */
  exported: number;
  /** Spans lost, by reason. */
  dropped: Record<DropReason, number>;
  /** Spans waiting in the export queue now. */
  queueSize: number;
  /** The buffer's own counters, when it is enabled. */
  recentTraces: RecentTraceStats | undefined;
}

export interface RecentTraceStats {
  traces: number;
  spans: number;
  /** Whole traces evicted to make room for newer ones. */
  evictedTraces: number;
  /** Spans not kept because their trace already had `maxSpansPerTrace`. */
  droppedSpans: number;
}

/** Extra options of `withSpan`: the usual span options plus an explicit parent context. */
export interface WithSpanOptions extends SpanOptions {
  /** Parent context; default the active one. */
  parent?: Context;
}

export interface TracingHandle {
  /** The SDK provider (pass it to integrations that take a `tracerProvider`). */
  readonly provider: NodeTracerProvider;
  /** The recent-trace buffer, when enabled. */
  readonly recentTraces: RecentTraceBuffer | undefined;
  /** A tracer from this provider; `name` defaults to the service name. */
  tracer(name?: string, version?: string): Tracer;
  /** `withSpan` on this handle's default tracer. */
  withSpan<T>(name: string, fn: (span: Span) => T, options?: WithSpanOptions): T;
  stats(): TracingStats;
  /** Exports everything queued now; never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, shuts the exporters down and unregisters what start registered. Safe to call twice; never rejects. */
  shutdown(): Promise<void>;
}

/** A span of the recent-trace buffer, as plain data. */
export interface RecentSpan {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  /** Start time, Unix epoch milliseconds. */
  startTimeMs: number;
  durationMs: number;
  attributes: Attributes;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message: string | undefined };
  events: { name: string; timeMs: number; attributes: Attributes }[];
  /** Instrumentation scope (tracer) name. */
  scope: string;
}

/** A span with its children, for rendering a trace tree. */
export interface RecentSpanNode extends RecentSpan {
  children: RecentSpanNode[];
}

export interface RecentTrace {
  traceId: string;
  /** The root span's name (or the earliest span's when the root is not here). */
  name: string;
  startTimeMs: number;
  durationMs: number;
  spanCount: number;
  /** Spans of this trace not kept because of `maxSpansPerTrace`. */
  droppedSpans: number;
  /** `tenant.id` of the root span, if any. */
  tenant: string | undefined;
  /** True when any span has ERROR status. */
  hasError: boolean;
  /**
   * Spans whose parent is not in the buffer (the root, or children of a remote parent), each with
   * its subtree; siblings ordered by start time.
   */
  roots: RecentSpanNode[];
}

export interface RecentTraceQuery {
  /** At most this many traces, newest first. Default all. */
  limit?: number;
  /** Only traces whose root span has this `tenant.id`. */
  tenant?: string;
  /** Only traces with an ERROR span. */
  errorsOnly?: boolean;
}
