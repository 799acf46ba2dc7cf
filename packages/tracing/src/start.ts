// startTracing: builds the tracer provider and its export pipeline, and returns the handle that owns them.
import {
  context,
  metrics,
  propagation,
  trace,
  ProxyTracerProvider,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { ParentBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Attributes } from '@opentelemetry/api';
import { CountingBatchSpanProcessor } from './batch-processor';
import { resolveConfig } from './config';
import { createCounters } from './counters';
import { PooledIdGenerator, TraceIdRatioSampler } from './ids';
import { ImmediateSpanProcessor, RecentTraceBuffer } from './recent-traces';
import { registerSelfMetrics } from './self-metrics';
import { RedactingSpanProcessor, TenantBudgetSampler } from './tenant-budget';
import { TenantSpanProcessor } from './tenant-processor';
import type {
  InstrumentationOptions,
  TracingHandle,
  TracingOptions,
  TracingStats,
  WithSpanOptions,
} from './types';
import { withSpan } from './with-span';

/** Semantic-convention key for the deployment environment (incubating in semantic-conventions 1.x). */
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

function buildResource(options: TracingOptions): ReturnType<typeof defaultResource> {
  const fromCode: Attributes = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) fromCode[ATTR_SERVICE_NAME] = options.serviceName;
  if (options.serviceVersion !== undefined) fromCode[ATTR_SERVICE_VERSION] = options.serviceVersion;
  if (options.environment !== undefined) fromCode[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = options.environment;
  // Later merges win: SDK defaults < OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME < code.
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes(fromCode));
}

function buildInstrumentations(options: InstrumentationOptions | undefined): Instrumentation[] {
  const list: Instrumentation[] = [];
  const http = options?.http;
  if (http !== undefined && http !== false) list.push(new HttpInstrumentation(http === true ? {} : http));
  const ioredis = options?.ioredis;
  if (ioredis !== undefined && ioredis !== false) {
    list.push(new IORedisInstrumentation(ioredis === true ? {} : ioredis));
  }
  return list;
}

/**
 * Starts tracing: a NodeTracerProvider with a tenant-stamping processor, ParentBased(TraceIdRatio)
 * sampling, bounded span limits, batch export over OTLP/gRPC (when an endpoint is configured) and/or
 * the in-process recent-trace buffer. Throws `TracingConfigError` for a bad option; after that,
 * nothing in the pipeline throws into the app. Call `shutdown()` on exit.
 */
export function startTracing(options: TracingOptions = {}): TracingHandle {
  const config = resolveConfig(options);
  const counters = createCounters();
  const processors: SpanProcessor[] = [new TenantSpanProcessor()];
  if (options.redact !== undefined) processors.push(new RedactingSpanProcessor(options.redact));

  let batch: CountingBatchSpanProcessor | undefined;
  if (config.endpoint !== undefined) {
    const exporter = new OTLPTraceExporter({
      url: config.endpoint,
      compression: config.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
      timeoutMillis: config.batch.exportTimeoutMillis,
    });
    batch = new CountingBatchSpanProcessor(exporter, config.batch, counters);
    processors.push(batch);
  }
  const recentTraces =
    config.recentTraces === undefined ? undefined : new RecentTraceBuffer(config.recentTraces);
  if (recentTraces !== undefined) {
    // The buffer's outcome is what stats() reports only when it is the sole export target.
    processors.push(new ImmediateSpanProcessor(recentTraces, batch === undefined ? counters : undefined));
  }

  const idGenerator = new PooledIdGenerator();
  const ratioSampler = new ParentBasedSampler({
    root: new TraceIdRatioSampler(config.sampleRate, idGenerator),
  });
  const provider = new NodeTracerProvider({
    resource: buildResource(options),
    idGenerator,
    sampler:
      options.tenantBudget === undefined
        ? ratioSampler
        : new TenantBudgetSampler(ratioSampler, options.tenantBudget),
    spanLimits: config.spanLimits,
    spanProcessors: processors,
    forceFlushTimeoutMillis: config.batch.flushTimeoutMillis,
  });

  let registeredGlobal = false;
  if (options.registerGlobal ?? true) {
    provider.register({
      contextManager: new AsyncLocalStorageContextManager(),
      propagator: new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    });
    const global = trace.getTracerProvider();
    registeredGlobal = global instanceof ProxyTracerProvider && global.getDelegate() === provider;
  }

  const instrumentations = buildInstrumentations(options.instrumentations);
  const unregisterInstrumentations =
    instrumentations.length === 0
      ? () => {}
      : registerInstrumentations({ instrumentations, tracerProvider: provider });

  const stats = (): TracingStats => ({
    exported: counters.exported,
    dropped: { ...counters.dropped },
    queueSize: batch?.queueSize ?? 0,
    recentTraces: recentTraces?.stats(),
  });
  const unregisterMetrics = registerSelfMetrics(options.meterProvider ?? metrics.getMeterProvider(), stats);

  const defaultTracerName = options.serviceName ?? '@autoweave/tracing';
  const tracers = new Map<string, Tracer>();
  const tracer = (name = defaultTracerName, version?: string): Tracer => {
    const key = `${name}@${version ?? ''}`;
    let t = tracers.get(key);
    if (t === undefined) {
      t = provider.getTracer(name, version);
      tracers.set(key, t);
    }
    return t;
  };

  const flush = async (): Promise<void> => {
    try {
      await provider.forceFlush();
    } catch {
      // Flushing is best effort; what could not be exported is already counted.
    }
  };

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    try {
      unregisterInstrumentations();
    } catch {
      // An instrumentation failing to unpatch must not fail the app's shutdown.
    }
    await flush();
    try {
      await provider.shutdown();
    } catch {
      // Processors never reject; this guards against a third-party exporter that does.
    }
    unregisterMetrics();
    if (registeredGlobal) {
      trace.disable();
      propagation.disable();
      context.disable();
    }
  };

  return {
    provider,
    recentTraces,
    tracer,
    withSpan: <T>(name: string, fn: (span: Span) => T, spanOptions?: WithSpanOptions): T =>
      withSpan(tracer(), name, fn, spanOptions),
    stats,
    forceFlush: flush,
    shutdown: () => (shutdownPromise ??= shutdown()),
  };
}
