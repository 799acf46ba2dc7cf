// Public types of @autoweave/observability.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { LoggerHandle, LoggingStats } from '@autoweave/logging';
import type { MetricsHandle } from '@autoweave/metrics';
import type { SloDefinition, SloEvaluator } from '@autoweave/sli-slo';
import type { RecentTraceBuffer, RecentTraceBufferOptions, TracingStats } from '@autoweave/tracing';
import type { InstrumentUsbOptions, UsbInstrumentation, UsbWatcher } from '@autoweave/integration-usb';
import type {
  InstrumentPluginLoaderOptions,
  PluginInstrumentation,
  PluginLoaderLike,
} from '@autoweave/integration-plugins';
import type {
  BullMQTelemetry,
  BullMQTelemetryOptions,
  InstrumentQueuesOptions,
  QueueInstrumentation,
  QueueTargets,
} from '@autoweave/integration-bullmq';
import type { AutoweaveGraphQLOptions, AutoweaveGraphQLPlugin } from '@autoweave/integration-graphql';

export interface ObservabilityConfig {
  /** `service.name` of spans, `service` of logs. Falls back to `OTEL_SERVICE_NAME`; one of them is required. */
  readonly serviceName?: string;
  /** `service.version`. Falls back to `service.version` in `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly serviceVersion?: string;
  /**
   * `deployment.environment.name` and the `environment` of logs. Falls back to
   * `deployment.environment.name` (or `deployment.environment`) in `OTEL_RESOURCE_ATTRIBUTES`, then
   * `NODE_ENV`, then `development`.
   */
  readonly environment?: string;
  /**
   * OTLP/gRPC collector (Tempo, an OpenTelemetry Collector), e.g. `http://127.0.0.1:4317`. Falls back to
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, then `OTEL_EXPORTER_OTLP_ENDPOINT`. Without one, spans go only
   * to the in-process recent-trace buffer.
   */
  readonly otlpEndpoint?: string;
  /** Loki base URL, e.g. `http://127.0.0.1:3100`. Falls back to `LOKI_URL`. Without one, logs go to stdout only. */
  readonly lokiEndpoint?: string;
  /**
   * Share of new traces recorded, 0..1 (`ParentBased(TraceIdRatio)`). Falls back to `OTEL_TRACES_SAMPLER`
   * + `OTEL_TRACES_SAMPLER_ARG`, then 0.1 with production optimizations, else 1.
   */
  readonly samplingRate?: number;
  /** Spans, the OTLP exporter and the recent-trace buffer. Default true (false when `OTEL_SDK_DISABLED=true`). */
  readonly enableTracing?: boolean;
  /** The /metrics exposition and every metric of the integrations. Default true (false when `OTEL_SDK_DISABLED=true`). */
  readonly enableMetrics?: boolean;
  /** JSON logs (stdout, and Loki with an endpoint). Default true (false when `OTEL_SDK_DISABLED=true`). */
  readonly enableLogging?: boolean;
  /**
   * Node.js runtime metrics (prom-client's `process_*`/`nodejs_*`, event-loop lag included) and the
   * `runtime` health component (event-loop delay p99), plus a 1 s sampler that notices exporter
   * failures between `health()` calls. Default true (false when `OTEL_SDK_DISABLED=true`).
   */
  readonly enableHealthMonitoring?: boolean;
  /** The in-process SLO evaluator (and its `autoweave_slo_*` series). Default: `enableMetrics`. */
  readonly enableSlo?: boolean;
  /** Spans per OTLP export call. Falls back to `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, then 512 (at most the queue size, 2048). */
  readonly maxTraceExportBatchSize?: number;
  /**
   * How stale in-process aggregates may get, in ms: the SLO evaluator re-evaluates its alert states this
   * often and a BullMQ queue-depth read is reused by scrapes for this long. Falls back to
   * `OTEL_METRIC_EXPORT_INTERVAL`, then 10000.
   */
  readonly metricsExportInterval?: number;
  /**
   * Production defaults: sampling 0.1 instead of 1, GraphQL errors masked, no GraphQL document on spans,
   * log level `info` instead of `debug`. Default: `environment === 'production'`.
   */
  readonly enableProductionOptimizations?: boolean;
  /**
   * Registered tenant ids: each keeps its own `tenant_id` label value in metrics and logs and its own
   * Loki org (X-Scope-OrgID). Other tenants fold into `__unknown__` and are sent with `lokiDefaultOrgId`.
   * Default: none registered, every valid tenant id is accepted (up to the label caps).
   */
  readonly tenants?: readonly string[];
  /** X-Scope-OrgID for logs outside any (registered) tenant. Default: none (no header). */
  readonly lokiDefaultOrgId?: string;
  /** SLOs to evaluate in process. Default `DEFAULT_SLOS` of @autoweave/sli-slo. */
  readonly slos?: readonly SloDefinition[];
  /** Keep recent traces in memory for a /debug page (also next to OTLP). Default true. */
  readonly recentTraces?: boolean | RecentTraceBufferOptions;
  /** Lowest log level written. Default `info` with production optimizations, else `debug`. */
  readonly logLevel?: string;
  /** Where JSON log lines go; `false` for none. Default `process.stdout`. */
  readonly logStream?: NodeJS.WritableStream | false;
  /** An exporter failure keeps its component `degraded` for this long unless an export succeeds. Default 60000 ms. */
  readonly healthWindowMs?: number;
  /** Event-loop delay p99 above which the `runtime` health component is `degraded`. Default 500 ms. */
  readonly eventLoopDelayThresholdMs?: number;
  /** Environment variables to read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One bad field of an {@link ObservabilityConfig} (or environment variable). */
export interface ConfigProblem {
  /** The option (`samplingRate`, `recentTraces.maxTraces`) or environment variable (`OTEL_TRACES_SAMPLER_ARG`). */
  readonly field: string;
  readonly message: string;
}

/** The configuration after defaults and environment variables, as the manager uses it. */
export interface ResolvedObservabilityConfig {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  readonly environment: string;
  readonly otlpEndpoint: string | undefined;
  readonly lokiEndpoint: string | undefined;
  readonly samplingRate: number;
  readonly enableTracing: boolean;
  readonly enableMetrics: boolean;
  readonly enableLogging: boolean;
  readonly enableHealthMonitoring: boolean;
  readonly enableSlo: boolean;
  readonly maxTraceExportBatchSize: number | undefined;
  readonly metricsExportInterval: number;
  readonly enableProductionOptimizations: boolean;
  readonly tenants: readonly string[] | undefined;
  readonly lokiDefaultOrgId: string | undefined;
  readonly slos: readonly SloDefinition[];
  readonly recentTraces: boolean | RecentTraceBufferOptions;
  readonly logLevel: string;
  readonly logStream: NodeJS.WritableStream | false | undefined;
  readonly healthWindowMs: number;
  readonly eventLoopDelayThresholdMs: number;
  /** Attributes parsed from `OTEL_RESOURCE_ATTRIBUTES` (service name/version/environment removed). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

export type ComponentStatus = 'ok' | 'degraded' | 'disabled';

export interface ComponentHealth {
  readonly status: ComponentStatus;
  readonly detail?: string;
}

export interface ObservabilityHealth {
  /** `degraded` when any component is; telemetry trouble never means the app is down. */
  readonly status: 'ok' | 'degraded';
  readonly components: {
    /** Degraded while OTLP export has failed within `healthWindowMs` and nothing was exported since. */
    readonly tracing: ComponentHealth;
    /** Degraded while Loki pushes have failed within `healthWindowMs` and nothing was sent since. */
    readonly logging: ComponentHealth;
    readonly metrics: ComponentHealth;
    /** Ok while evaluating; the detail says how many alert tiers are firing. */
    readonly slo: ComponentHealth;
    /** Event-loop delay (needs `enableHealthMonitoring`). */
    readonly runtime: ComponentHealth;
  };
}

/** Counters of the SLO evaluator's ignored events. */
export interface SloStats {
  readonly dropped: Readonly<Record<'unknown_slo' | 'invalid_value' | 'wrong_kind', number>>;
}

/** Counters of the HTTP middleware. */
export interface HttpStats {
  /** Requests observed (span and metrics). */
  readonly exported: number;
  readonly dropped: Readonly<Record<'internal_error', number>>;
}

/** Exported and dropped telemetry by signal; a signal is undefined while disabled. */
export interface ObservabilityStats {
  /** @autoweave/tracing's counters (`exported`, `dropped.{queue_full,export_failed,shutdown}`, queue, buffer). */
  readonly tracing: TracingStats | undefined;
  /** @autoweave/logging's counters (`sent`, `dropped.{redacted,...,buffer_full,rejected,shutdown}`, buffer, retries). */
  readonly logging: LoggingStats | undefined;
  readonly slo: SloStats | undefined;
  readonly http: HttpStats;
}

/** Request → tenant id, or undefined for an anonymous request. Must not throw (a throw counts as anonymous). */
export type Authenticate = (req: IncomingMessage) => string | undefined;

export interface HttpMiddlewareOptions {
  /** Resolves the request's tenant from its credentials; `next()` then runs inside `runWithTenant(id)`. */
  readonly authenticate?: Authenticate;
  /** Paths (exact, or a prefix ending in `/*`) that get neither span nor metrics, e.g. `/metrics`, `/healthz`. */
  readonly ignorePaths?: readonly string[];
  /**
   * Known routes (exact paths, or a prefix ending in `/*`): the `route` label and `http.route`. Any
   * other path is `other`, so clients cannot create series. Default `['/graphql']`.
   */
  readonly routes?: readonly string[];
}

export type HttpMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Options of `instrumentUSBDaemon`: those of `instrumentUsbWatcher`; what you set wins over the manager's. */
export type UsbOptions = InstrumentUsbOptions;
/** Options of `instrumentPluginLoader`: those of the plugins integration; what you set wins over the manager's. */
export type PluginOptions = InstrumentPluginLoaderOptions;
/** Options of `instrumentQueueManager`: those of `instrumentQueues`; what you set wins over the manager's. */
export type QueueOptions = InstrumentQueuesOptions;
/** Options of `bullmqTelemetry`: those of `createBullMQTelemetry`; what you set wins over the manager's. */
export type QueueTelemetryOptions = BullMQTelemetryOptions;
/** Options of `graphqlPlugin`: those of `useAutoweaveGraphQL`; what you set wins over the manager's. */
export type GraphQLPluginOptions = AutoweaveGraphQLOptions;

export interface ObservabilityManager {
  /** The configuration in effect (defaults and environment applied). */
  readonly config: ResolvedObservabilityConfig;
  /** Starts metrics, tracing, logging and the SLO evaluator per the flags. Idempotent; rejects only after `shutdown()`. */
  initialize(): Promise<void>;
  /** Pushes queued spans and buffered logs now; never rejects. */
  flush(): Promise<void>;
  /** Undoes every instrumentation, flushes and stops logging, tracing, SLO and metrics. Idempotent; never rejects. */
  shutdown(): Promise<void>;
  /** A tracer of `tracerProvider` named after the service. */
  readonly tracer: Tracer;
  /** Delegates to the SDK provider once tracing starts; a no-op provider while tracing is disabled or not started. */
  readonly tracerProvider: TracerProvider;
  /** The metrics handle (created on first use; with metrics disabled it feeds nothing the facade exposes). */
  readonly metrics: MetricsHandle;
  /** The logger (created on first use; with logging disabled it writes nowhere). */
  readonly logger: LoggerHandle;
  /** The SLO evaluator (created on first use; with SLOs disabled nothing records into it). */
  readonly slo: SloEvaluator;
  /** The in-process recent-trace buffer, once tracing runs with it on. */
  readonly recentTraces: RecentTraceBuffer | undefined;
  instrumentUSBDaemon(watcher: UsbWatcher, options?: UsbOptions): UsbInstrumentation;
  instrumentPluginLoader(loader: PluginLoaderLike, options?: PluginOptions): PluginInstrumentation;
  instrumentQueueManager(targets: QueueTargets, options?: QueueOptions): QueueInstrumentation;
  /** BullMQ telemetry to pass as `{ telemetry }` to Queue/Worker; undefined while tracing is disabled. */
  bullmqTelemetry(options?: QueueTelemetryOptions): BullMQTelemetry | undefined;
  /** The envelop plugin of @autoweave/integration-graphql; an empty plugin when tracing and metrics are off. */
  graphqlPlugin(options?: GraphQLPluginOptions): AutoweaveGraphQLPlugin;
  createHTTPMiddleware(options?: HttpMiddlewareOptions): HttpMiddleware;
  /** GET /metrics handler; answers 404 while metrics are disabled. */
  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  health(): ObservabilityHealth;
  stats(): ObservabilityStats;
}
