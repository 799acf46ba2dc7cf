// initializeObservability: the manager that starts the signal packages per the feature flags and
// hands their tracer provider, metrics, SLO evaluator and logger to each integration.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyTracerProvider, createNoopMeter, type MeterProvider, type Tracer } from '@opentelemetry/api';
import { createLogger, type LoggerHandle, type LokiOptions } from '@autoweave/logging';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import {
  OPERATION_ERRORS_SLO,
  USB_EVENT_LATENCY_SLO,
  createSloEvaluator,
  publishSloMetrics,
  type SloEvaluator,
  type SloMetrics,
} from '@autoweave/sli-slo';
import { startTracing, type RecentTraceBuffer, type TracingHandle } from '@autoweave/tracing';
import { instrumentUsbWatcher, type UsbInstrumentation, type UsbWatcher } from '@autoweave/integration-usb';
import {
  instrumentPluginLoader,
  type PluginInstrumentation,
  type PluginLoaderLike,
} from '@autoweave/integration-plugins';
import type * as BullMQIntegration from '@autoweave/integration-bullmq';
import type { BullMQTelemetry, QueueInstrumentation, QueueTargets } from '@autoweave/integration-bullmq';
import type * as GraphQLIntegration from '@autoweave/integration-graphql';
import type { AutoweaveGraphQLPlugin } from '@autoweave/integration-graphql';
import { resolveConfig } from './config';
import { EventLoopWatch, ExporterWatch } from './health';
import { createHttpMiddleware, defineHttpInstruments, type HttpInstruments } from './http-middleware';
import type {
  ComponentHealth,
  GraphQLPluginOptions,
  HttpMiddleware,
  HttpMiddlewareOptions,
  ObservabilityConfig,
  ObservabilityHealth,
  ObservabilityManager,
  ObservabilityStats,
  PluginOptions,
  QueueOptions,
  QueueTelemetryOptions,
  ResolvedObservabilityConfig,
  UsbOptions,
} from './types';

const INSTRUMENTATION_NAME = '@autoweave/observability';
const UNKNOWN_TENANT = '__unknown__';
const SAMPLE_INTERVAL_MS = 1000;
const EVENT_LOOP_WINDOW_MS = 10_000;

const NOOP_METER_PROVIDER: MeterProvider = { getMeter: () => createNoopMeter() };

type State = 'new' | 'running' | 'stopped';

interface Stoppable {
  shutdown(): void | Promise<void>;
}

// The optional peers (bullmq, graphql, @envelop/core) load only when their method is first called,
// so a service without GraphQL or BullMQ can use the rest of the facade.
function loadOptional<T>(id: string, method: string, peers: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id) as T;
  } catch (error) {
    throw new Error(
      `${method} needs ${peers} installed (optional peer dependencies of @autoweave/observability): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

const loadBullMQIntegration = (method: string): typeof BullMQIntegration =>
  loadOptional('@autoweave/integration-bullmq', method, 'bullmq');

const loadGraphQLIntegration = (): typeof GraphQLIntegration =>
  loadOptional('@autoweave/integration-graphql', 'graphqlPlugin()', 'graphql and @envelop/core');

async function settle(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch {
    // Shutdown is best effort per part; what could not be flushed is already counted as dropped.
  }
}

class Manager implements ObservabilityManager {
  readonly config: ResolvedObservabilityConfig;
  readonly tracerProvider = new ProxyTracerProvider();
  readonly tracer: Tracer;

  #state: State = 'new';
  #initializing: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #tracing: TracingHandle | undefined;
  #metrics: MetricsHandle | undefined;
  #logger: LoggerHandle | undefined;
  #slo: SloEvaluator | undefined;
  #sloMetrics: SloMetrics | undefined;
  #httpInstruments: HttpInstruments | undefined;
  #traceWatch: ExporterWatch | undefined;
  #logWatch: ExporterWatch | undefined;
  #eventLoop: EventLoopWatch | undefined;
  #sampler: NodeJS.Timeout | undefined;
  readonly #instrumentations: Stoppable[] = [];
  readonly #httpCounters = { exported: 0, internalErrors: 0 };

  constructor(config: ResolvedObservabilityConfig) {
    this.config = config;
    this.tracer = this.tracerProvider.getTracer(config.serviceName, config.serviceVersion);
  }

  get #anySignal(): boolean {
    const c = this.config;
    return c.enableTracing || c.enableMetrics || c.enableSlo;
  }

  get metrics(): MetricsHandle {
    if (this.#metrics === undefined) {
      const on = this.config.enableMetrics;
      const tenants = this.config.tenants;
      this.#metrics = createMetrics({
        defaultMetrics: on && this.config.enableHealthMonitoring,
        registerGlobal: on,
        ...(tenants === undefined
          ? {}
          : { tenantBound: { allow: tenants, allowOnly: true, overflowValue: UNKNOWN_TENANT } }),
      });
    }
    return this.#metrics;
  }

  get logger(): LoggerHandle {
    if (this.#logger === undefined) {
      const c = this.config;
      const on = c.enableLogging;
      this.#logger = createLogger({
        service: c.serviceName,
        environment: c.environment,
        level: c.logLevel,
        stream: on ? (c.logStream ?? process.stdout) : false,
        meterProvider: c.enableMetrics ? this.metrics.meterProvider : NOOP_METER_PROVIDER,
        ...(on && c.lokiEndpoint !== undefined ? { loki: this.#lokiOptions(c.lokiEndpoint) } : {}),
      });
    }
    return this.#logger;
  }

  get slo(): SloEvaluator {
    this.#slo ??= createSloEvaluator({
      slos: this.config.slos,
      intervalMs: this.config.enableSlo ? this.config.metricsExportInterval : 0,
    });
    return this.#slo;
  }

  get recentTraces(): RecentTraceBuffer | undefined {
    return this.#tracing?.recentTraces;
  }

  #lokiOptions(url: string): LokiOptions {
    const { tenants, lokiDefaultOrgId } = this.config;
    const known = tenants === undefined ? undefined : new Set(tenants);
    return {
      url,
      ...(tenants === undefined ? {} : { tenants, tenantOverflowValue: UNKNOWN_TENANT }),
      ...(known === undefined ? {} : { acceptTenant: (id: string) => known.has(id) }),
      ...(lokiDefaultOrgId === undefined ? {} : { defaultOrgId: lokiDefaultOrgId }),
    };
  }

  initialize(): Promise<void> {
    if (this.#stopping !== undefined) {
      return Promise.reject(new Error('observability was shut down; create a new manager'));
    }
    this.#initializing ??= Promise.resolve().then(() => this.#start());
    return this.#initializing;
  }

  #start(): void {
    const c = this.config;
    // Metrics first: tracing and logging register their drop counters on its MeterProvider.
    const meterProvider = c.enableMetrics ? this.metrics.meterProvider : NOOP_METER_PROVIDER;
    if (c.enableTracing) {
      this.#tracing = startTracing({
        serviceName: c.serviceName,
        environment: c.environment,
        resourceAttributes: c.resourceAttributes,
        sampleRate: c.samplingRate,
        recentTraces: c.recentTraces,
        meterProvider,
        ...(c.serviceVersion === undefined ? {} : { serviceVersion: c.serviceVersion }),
        ...(c.otlpEndpoint === undefined ? {} : { endpoint: c.otlpEndpoint }),
        ...(c.maxTraceExportBatchSize === undefined
          ? {}
          : { batch: { maxExportBatchSize: c.maxTraceExportBatchSize } }),
      });
      this.tracerProvider.setDelegate(this.#tracing.provider);
      if (c.otlpEndpoint !== undefined) {
        const tracing = this.#tracing;
        this.#traceWatch = new ExporterWatch(() => {
          const s = tracing.stats();
          return { delivered: s.exported, failed: s.dropped.export_failed + s.dropped.queue_full };
        }, c.healthWindowMs);
      }
    }
    if (c.enableLogging) {
      const logger = this.logger;
      if (c.lokiEndpoint !== undefined) {
        this.#logWatch = new ExporterWatch(() => {
          const s = logger.stats();
          return { delivered: s.sent, failed: s.retries + s.dropped.rejected + s.dropped.buffer_full };
        }, c.healthWindowMs);
      }
    }
    if (c.enableSlo) {
      const evaluator = this.slo;
      if (c.enableMetrics) {
        this.#sloMetrics = publishSloMetrics(
          evaluator,
          this.metrics.meterProvider.getMeter(INSTRUMENTATION_NAME),
        );
      }
    }
    if (c.enableHealthMonitoring) {
      const now = Date.now();
      this.#eventLoop = new EventLoopWatch(c.eventLoopDelayThresholdMs, EVENT_LOOP_WINDOW_MS, now);
      // Between health() calls the counters could both move; sampling keeps the order of events visible.
      this.#sampler = setInterval(() => this.#sample(Date.now()), SAMPLE_INTERVAL_MS);
      this.#sampler.unref();
    }
    this.#state = 'running';
  }

  #sample(now: number): void {
    this.#traceWatch?.observe(now);
    this.#logWatch?.observe(now);
    this.#eventLoop?.tick(now);
  }

  async flush(): Promise<void> {
    await Promise.all([this.#tracing?.forceFlush(), this.#logger?.flush()]);
  }

  shutdown(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // Wait for a start in progress so nothing it creates outlives the shutdown.
    await this.#initializing?.catch(() => undefined);
    this.#state = 'stopped';
    if (this.#sampler !== undefined) clearInterval(this.#sampler);
    this.#eventLoop?.stop();
    const instrumentations = this.#instrumentations.splice(0).reverse();
    // One part failing to stop must not keep the others from stopping, nor reject into the app.
    await Promise.all(instrumentations.map((i) => settle(() => i.shutdown())));
    await settle(() => {
      this.#sloMetrics?.stop();
      this.#slo?.close();
    });
    await settle(() => this.#logger?.shutdown());
    await settle(() => this.#tracing?.shutdown());
    await settle(() => this.#metrics?.shutdown());
  }

  #track<T extends Stoppable>(handle: T): T {
    if (this.#stopping !== undefined) void Promise.resolve(handle.shutdown()).catch(() => undefined);
    else this.#instrumentations.push(handle);
    return handle;
  }

  /** What every integration gets, per the flags; the caller's own options win. */
  #common(component: string, sloId: string | undefined) {
    const c = this.config;
    return {
      tracerProvider: this.tracerProvider,
      ...(c.enableMetrics ? { metrics: this.metrics } : {}),
      ...(c.enableSlo && (sloId === undefined || c.slos.some((s) => s.id === sloId))
        ? { sloEvaluator: this.slo }
        : {}),
      ...(c.enableLogging ? { logger: this.logger.child({ component }) } : {}),
    };
  }

  instrumentUSBDaemon(watcher: UsbWatcher, options: UsbOptions = {}): UsbInstrumentation {
    if (!this.#anySignal) return { shutdown: () => {} };
    const sloId = options.slo?.id ?? USB_EVENT_LATENCY_SLO.id;
    return this.#track(instrumentUsbWatcher(watcher, { ...this.#common('usb', sloId), ...options }));
  }

  instrumentPluginLoader(loader: PluginLoaderLike, options: PluginOptions = {}): PluginInstrumentation {
    if (!this.#anySignal) return { shutdown: async () => {}, stats: () => ({ internalErrors: 0 }) };
    return this.#track(instrumentPluginLoader(loader, { ...this.#common('plugins', undefined), ...options }));
  }

  instrumentQueueManager(targets: QueueTargets, options: QueueOptions = {}): QueueInstrumentation {
    if (!this.#anySignal) {
      return {
        shutdown: async () => {},
        stats: () => ({ depthReads: 0, depthFailures: 0, internalErrors: 0 }),
      };
    }
    const { instrumentQueues } = loadBullMQIntegration('instrumentQueueManager()');
    const { tracerProvider: _unused, ...common } = this.#common(
      'queue',
      options.slo?.id ?? OPERATION_ERRORS_SLO.id,
    );
    return this.#track(
      instrumentQueues(targets, { scrapeCacheMs: this.config.metricsExportInterval, ...common, ...options }),
    );
  }

  bullmqTelemetry(options: QueueTelemetryOptions = {}): BullMQTelemetry | undefined {
    if (!this.config.enableTracing) return undefined;
    const { createBullMQTelemetry } = loadBullMQIntegration('bullmqTelemetry()');
    const logger = this.config.enableLogging ? { logger: this.logger.child({ component: 'queue' }) } : {};
    return createBullMQTelemetry({ tracerProvider: this.tracerProvider, ...logger, ...options });
  }

  graphqlPlugin(options: GraphQLPluginOptions = {}): AutoweaveGraphQLPlugin {
    const c = this.config;
    if (!c.enableTracing && !c.enableMetrics) return { shutdown: async () => {} };
    const { useAutoweaveGraphQL } = loadGraphQLIntegration();
    const { sloEvaluator: _unused, ...common } = this.#common('graphql', undefined);
    return this.#track(
      useAutoweaveGraphQL({
        ...common,
        maskErrors: c.enableProductionOptimizations,
        includeDocument: !c.enableProductionOptimizations,
        // Without spans, resolver wrapping would only cost: keep operation-level metrics.
        ...(c.enableTracing ? {} : { resolvers: 'none' as const }),
        ...options,
      }),
    );
  }

  createHTTPMiddleware(options: HttpMiddlewareOptions = {}): HttpMiddleware {
    const c = this.config;
    if (c.enableMetrics) this.#httpInstruments ??= defineHttpInstruments(this.metrics);
    const availability =
      c.enableSlo && c.slos.some((s) => s.id === 'availability') ? this.slo.bind('availability') : undefined;
    return createHttpMiddleware(
      {
        tracer: c.enableTracing ? this.tracerProvider.getTracer(INSTRUMENTATION_NAME) : undefined,
        instruments: this.#httpInstruments,
        availability,
        counters: this.#httpCounters,
      },
      options,
    );
  }

  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    if (!this.config.enableMetrics) {
      return (_req, res) => {
        res.statusCode = 404;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('metrics are disabled\n');
      };
    }
    return this.metrics.handler;
  }

  health(): ObservabilityHealth {
    const c = this.config;
    const now = Date.now();
    const lifecycle = (on: boolean): ComponentHealth | undefined => {
      if (!on) return { status: 'disabled' };
      if (this.#state === 'new') return { status: 'degraded', detail: 'not initialized' };
      if (this.#state === 'stopped') return { status: 'disabled', detail: 'shut down' };
      return undefined;
    };
    const tracing = lifecycle(c.enableTracing) ??
      this.#traceWatch?.health(now, `OTLP ${c.otlpEndpoint ?? ''}`) ?? {
        status: 'ok',
        detail: 'in-process recent-trace buffer only (no OTLP endpoint)',
      };
    const logging = lifecycle(c.enableLogging) ??
      this.#logWatch?.health(now, `Loki ${c.lokiEndpoint ?? ''}`) ?? {
        status: 'ok',
        detail: 'stdout only (no Loki endpoint)',
      };
    const metrics = lifecycle(c.enableMetrics) ?? { status: 'ok' };
    const slo = lifecycle(c.enableSlo) ?? this.#sloHealth();
    const runtime = lifecycle(c.enableHealthMonitoring) ?? this.#eventLoop?.health(now) ?? { status: 'ok' };
    const components = { tracing, logging, metrics, slo, runtime };
    const degraded = Object.values(components).some((h) => h.status === 'degraded');
    return { status: degraded ? 'degraded' : 'ok', components };
  }

  #sloHealth(): ComponentHealth {
    let firing = 0;
    for (const s of this.slo.snapshot().slos) {
      for (const g of s.groups) for (const a of g.alerts) if (a.firing) firing++;
    }
    return { status: 'ok', detail: `${this.config.slos.length} SLOs, ${firing} alert tiers firing` };
  }

  stats(): ObservabilityStats {
    const c = this.config;
    const slo = c.enableSlo && this.#slo !== undefined ? this.#slo.snapshot().dropped : undefined;
    return {
      tracing: this.#tracing?.stats(),
      logging: c.enableLogging ? this.#logger?.stats() : undefined,
      slo:
        slo === undefined
          ? undefined
          : {
              dropped: {
                unknown_slo: slo.unknownSlo,
                invalid_value: slo.invalidValue,
                wrong_kind: slo.wrongKind,
              },
            },
      http: {
        exported: this.#httpCounters.exported,
        dropped: { internal_error: this.#httpCounters.internalErrors },
      },
    };
  }
}

/**
 * Validates `config` (throwing `ObservabilityConfigError` with every bad field) and returns the
 * manager. Nothing starts until `initialize()`.
 */
export function initializeObservability(config: ObservabilityConfig): ObservabilityManager {
  return new Manager(resolveConfig(config));
}
