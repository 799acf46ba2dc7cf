// The paired benchmarks of issue 2: each instrumented operation against the same code without it.
import type { Tracer } from '@opentelemetry/api';
import { discardStream } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle } from '@autoweave/logging';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import { Histogram, Registry } from 'prom-client';
import winston from 'winston';
import { keep, type Pair } from './harness.js';
import { startPeerProcess, type PeerProcess } from './peer.js';

export interface SpanNotes {
  readonly name: string;
  exported: number;
  dropped: Record<string, number>;
}

function spanPair(
  name: string,
  budgetUs: number,
  sampleRate: number,
  exportTo: 'otlp' | 'buffer',
  notes: SpanNotes[],
): Pair {
  let tracing: TracingHandle | undefined;
  let tracer: Tracer | undefined;
  let peer: PeerProcess | undefined;
  return {
    name,
    budgetUs,
    setup: async () => {
      peer = exportTo === 'otlp' ? await startPeerProcess() : undefined;
      tracing = startTracing({
        serviceName: 'bench',
        sampleRate,
        registerGlobal: false,
        ...(peer ? { endpoint: peer.url } : { recentTraces: true }),
      });
      tracer = tracing.tracer('bench');
    },
    baseline: () => {
      keep({ 'http.method': 'GET', 'http.route': '/orders/:id', 'order.items': 3 });
    },
    instrumented: () => {
      const span = tracer!.startSpan('order.process', {
        attributes: { 'http.method': 'GET', 'http.route': '/orders/:id', 'order.items': 3 },
      });
      span.end();
    },
    teardown: async () => {
      await tracing?.forceFlush();
      const stats = tracing!.stats();
      notes.push({ name, exported: stats.exported, dropped: { ...stats.dropped } });
      await tracing?.shutdown();
      await peer?.stop();
    },
  };
}

export function signalPairs(notes: SpanNotes[]): Pair[] {
  let metrics: MetricsHandle | undefined;
  let observe: (v: number) => void = () => undefined;
  let rawObserve: (v: number) => void = () => undefined;
  let logs: LoggerHandle | undefined;
  let rawLogger: winston.Logger | undefined;
  // Logs are measured inside an active span and tenant, as in a request handler: the context
  // manager must be registered for the logger to see the span.
  let spanContext: TracingHandle | undefined;
  const insideSpanAndTenant = <T>(run: () => Promise<T>): Promise<T> => {
    spanContext = startTracing({ serviceName: 'bench-logs', registerGlobal: true, recentTraces: true });
    return runWithTenant('acme', () => spanContext!.withSpan('request', () => run())).finally(() =>
      spanContext?.shutdown(),
    );
  };

  return [
    spanPair(
      'span create + end, 3 attributes, 10% sampling, OTLP/gRPC to a live peer',
      1.5,
      0.1,
      'otlp',
      notes,
    ),
    spanPair('span create + end, 3 attributes, 100% sampling, OTLP/gRPC to a live peer', 6, 1, 'otlp', notes),
    spanPair(
      'span create + end, 3 attributes, 100% sampling, in-process trace buffer',
      6,
      1,
      'buffer',
      notes,
    ),
    {
      name: 'histogram observation with 2 labels (@autoweave/metrics)',
      budgetUs: 0.5,
      setup: () => {
        metrics = createMetrics({ defaultMetrics: false });
        const h = metrics.histogram({
          name: 'autoweave_bench_duration_seconds',
          help: 'bench',
          labelNames: ['tenant_id', 'outcome'],
        });
        observe = (v) => h.observe({ tenant_id: 'acme', outcome: 'success' }, v);
      },
      baseline: () => keep({ tenant_id: 'acme', outcome: 'success' }),
      instrumented: () => observe(0.012),
      teardown: () => metrics?.shutdown(),
    },
    {
      name: 'reference: raw prom-client histogram observation with 2 labels',
      setup: () => {
        const h = new Histogram({
          name: 'raw_bench_duration_seconds',
          help: 'bench',
          labelNames: ['tenant_id', 'outcome'],
          registers: [new Registry()],
        });
        rawObserve = (v) => h.observe({ tenant_id: 'acme', outcome: 'success' }, v);
      },
      baseline: () => keep({ tenant_id: 'acme', outcome: 'success' }),
      instrumented: () => rawObserve(0.012),
    },
    {
      name: 'log call below the active level (debug at info)',
      budgetUs: 0.1,
      setup: () => {
        logs = createLogger({ service: 'bench', level: 'info', stream: discardStream() });
      },
      baseline: () => keep({ items: 3 }),
      instrumented: () => logs!.logger.debug('order details', { items: 3 }),
      teardown: () => logs?.shutdown(),
      around: insideSpanAndTenant,
    },
    {
      name: 'emitted JSON log inside a span and tenant (trace_id, span_id, tenant_id)',
      budgetUs: 5,
      setup: () => {
        logs = createLogger({ service: 'bench', level: 'info', stream: discardStream() });
      },
      baseline: () => keep({ items: 3 }),
      instrumented: () => logs!.logger.info('order processed', { items: 3 }),
      teardown: () => logs?.shutdown(),
      around: insideSpanAndTenant,
    },
    {
      name: 'reference: plain winston JSON log, no correlation',
      setup: () => {
        rawLogger = winston.createLogger({
          level: 'info',
          format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
          transports: [new winston.transports.Stream({ stream: discardStream() })],
        });
      },
      baseline: () => keep({ items: 3 }),
      instrumented: () => rawLogger!.info('order processed', { items: 3 }),
      teardown: () => {
        rawLogger?.close();
      },
    },
  ];
}
