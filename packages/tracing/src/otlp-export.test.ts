import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { startOtlpPeer, type OtlpPeer } from '@autoweave/test-utils';
import { TracingConfigError, startTracing } from './index';

/** A reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function collect(reader: CollectingReader, name: string): Promise<DataPoint<number>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<number>[];
}

describe('OTLP/gRPC export', () => {
  let peer: OtlpPeer;
  beforeAll(async () => {
    peer = await startOtlpPeer();
  });
  afterAll(async () => {
    await peer.stop();
  });
  beforeEach(() => peer.clear());

  test('spans reach the collector gzip-compressed with resource attributes, tenant.id and parent links', async () => {
    const previous = process.env.OTEL_RESOURCE_ATTRIBUTES;
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'team=payments,service.name=from-env';
    const tracing = startTracing({
      serviceName: 'checkout',
      serviceVersion: '1.2.3',
      environment: 'test',
      endpoint: peer.url,
      compression: 'gzip',
      batch: { scheduledDelayMillis: 50 },
    });
    if (previous === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    else process.env.OTEL_RESOURCE_ATTRIBUTES = previous;
    try {
      await runWithTenant('acme', () =>
        tracing.withSpan('handle-order', async () => {
          await Promise.resolve();
          tracing.withSpan('charge-card', () => undefined);
        }),
      );
      tracing.withSpan('no-tenant', () => undefined);
      const spans = await peer.waitForSpans(3);
      const parent = spans.find((s) => s.name === 'handle-order');
      const child = spans.find((s) => s.name === 'charge-card');
      const outside = spans.find((s) => s.name === 'no-tenant');
      expect(parent?.parentSpanId).toBe('');
      expect(child?.parentSpanId).toBe(parent?.spanId);
      expect(child?.traceId).toBe(parent?.traceId);
      expect(parent?.attributes['tenant.id']).toBe('acme');
      expect(child?.attributes['tenant.id']).toBe('acme');
      expect(outside?.attributes['tenant.id']).toBeUndefined();
      expect(parent?.resource).toMatchObject({
        'service.name': 'checkout',
        'service.version': '1.2.3',
        'deployment.environment.name': 'test',
        team: 'payments',
        'telemetry.sdk.language': 'nodejs',
      });
      expect(peer.requests.length).toBeGreaterThan(0);
      expect(peer.requests.every((r) => r.encoding === 'gzip')).toBe(true);
      // The collector has the spans slightly before the exporter hears back.
      await waitFor(() => tracing.stats().exported === 3, 30_000, 'the export result');
      expect(tracing.stats().queueSize).toBe(0);
    } finally {
      await tracing.shutdown();
    }
  });

  test('OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT are honoured when options omit them', async () => {
    process.env.OTEL_SERVICE_NAME = 'env-named';
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = peer.url;
    let tracing;
    try {
      tracing = startTracing({ batch: { scheduledDelayMillis: 50 } });
    } finally {
      delete process.env.OTEL_SERVICE_NAME;
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    }
    try {
      tracing.withSpan('env-configured', () => undefined);
      const [span] = await peer.waitForSpans(1);
      expect(span?.resource['service.name']).toBe('env-named');
      // Uncompressed unless asked: the OTLP exporter specification's default.
      expect(peer.requests[0]?.encoding).toBe('identity');
      expect(tracing.recentTraces).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });

  test('OTEL_EXPORTER_OTLP_COMPRESSION turns gzip on; the traces-specific variable and the option win over it', async () => {
    const exportWith = async (env: Record<string, string>, options: { compression?: 'gzip' | 'none' }) => {
      peer.clear();
      Object.assign(process.env, env);
      let tracing;
      try {
        tracing = startTracing({ endpoint: peer.url, batch: { scheduledDelayMillis: 50 }, ...options });
      } finally {
        for (const name of Object.keys(env)) delete process.env[name];
      }
      try {
        tracing.withSpan('compressed?', () => undefined);
        await peer.waitForSpans(1);
        return peer.requests.map((r) => r.encoding);
      } finally {
        await tracing.shutdown();
      }
    };
    expect(await exportWith({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, {})).toEqual(['gzip']);
    expect(
      await exportWith(
        { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' },
        {},
      ),
    ).toEqual(['identity']);
    expect(await exportWith({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, { compression: 'none' })).toEqual([
      'identity',
    ]);
  });

  test('a bad compression setting names its source', () => {
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'brotli';
    try {
      let thrown: unknown;
      try {
        startTracing({ endpoint: peer.url });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TracingConfigError);
      expect(thrown).toMatchObject({ field: 'OTEL_EXPORTER_OTLP_COMPRESSION' });
      expect((thrown as Error).message).toContain(`'gzip' or 'none', got "brotli"`);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
    }
    expect(() => startTracing({ compression: 'zstd' as 'gzip' })).toThrow(/compression must be/);
  });

  test('a hostile 1 MB attribute is truncated to the length limit and attributes are capped in count', async () => {
    const tracing = startTracing({
      serviceName: 'limits',
      endpoint: peer.url,
      batch: { scheduledDelayMillis: 50 },
    });
    try {
      tracing.withSpan('hostile', (span) => {
        span.setAttribute('payload', 'x'.repeat(1024 * 1024));
        for (let i = 0; i < 500; i++) span.setAttribute(`attr.${i}`, i);
      });
      const [span] = await peer.waitForSpans(1);
      expect(span?.attributes.payload).toBe('x'.repeat(4096));
      expect(Object.keys(span?.attributes ?? {})).toHaveLength(128);
      expect(span?.droppedAttributesCount).toBe(501 - 128);
    } finally {
      await tracing.shutdown();
    }
  });

  test('span limits are configurable', async () => {
    const tracing = startTracing({
      serviceName: 'limits',
      endpoint: peer.url,
      spanLimits: { attributeValueLengthLimit: 100, attributeCountLimit: 5, eventCountLimit: 2 },
      batch: { scheduledDelayMillis: 50 },
    });
    try {
      tracing.withSpan('bounded', (span) => {
        span.setAttribute('payload', 'y'.repeat(10_000));
        for (let i = 0; i < 10; i++) span.setAttribute(`attr.${i}`, i);
        for (let i = 0; i < 10; i++) span.addEvent(`event-${i}`);
      });
      const [span] = await peer.waitForSpans(1);
      expect(span?.attributes.payload).toBe('y'.repeat(100));
      expect(Object.keys(span?.attributes ?? {})).toHaveLength(5);
      expect(span?.events).toHaveLength(2);
      expect(span?.droppedEventsCount).toBe(8);
    } finally {
      await tracing.shutdown();
    }
  });

  test('with the collector down the app keeps working, drops are counted in stats and metrics, and export resumes after restart', async () => {
    const own = await startOtlpPeer();
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const tracing = startTracing({
      serviceName: 'resilient',
      endpoint: own.url,
      meterProvider,
      registerGlobal: false,
      batch: {
        scheduledDelayMillis: 20,
        maxQueueSize: 50,
        maxExportBatchSize: 10,
        exportTimeoutMillis: 3000,
      },
    });
    try {
      await own.stop();
      const results: number[] = [];
      for (let i = 0; i < 200; i++) results.push(tracing.withSpan('while-down', () => i));
      expect(results).toHaveLength(200);
      // 10 went out in a batch, 50 fit the queue, the rest were refused at once.
      expect(tracing.stats().dropped.queue_full).toBe(140);
      await waitFor(() => tracing.stats().dropped.export_failed > 0, 30_000, 'a failed export');
      await tracing.forceFlush();
      const stats = tracing.stats();
      expect(stats.exported).toBe(0);
      expect(stats.dropped.queue_full + stats.dropped.export_failed).toBe(200);

      const dropped = await collect(reader, 'autoweave.tracing.spans.dropped');
      const byReason = Object.fromEntries(dropped.map((p) => [String(p.attributes.reason), p.value]));
      expect(byReason).toEqual({ queue_full: 140, export_failed: stats.dropped.export_failed, shutdown: 0 });
      const queue = await collect(reader, 'autoweave.tracing.queue.size');
      expect(queue[0]?.value).toBe(0);

      await own.restart();
      await waitFor(
        async () => {
          tracing.withSpan('after-restart', () => undefined);
          await tracing.forceFlush();
          return own.spans.some((s) => s.name === 'after-restart');
        },
        60_000,
        'export to resume',
      );
      expect(tracing.stats().exported).toBeGreaterThan(0);
      const exported = await collect(reader, 'autoweave.tracing.spans.exported');
      expect(exported[0]?.value).toBe(tracing.stats().exported);
    } finally {
      await tracing.shutdown();
      await meterProvider.shutdown();
      await own.stop();
    }
  });

  test('a collector answering with an error counts the batch as export_failed', async () => {
    const failing = await startOtlpPeer({ failWith: 14 });
    const tracing = startTracing({ serviceName: 'rejected', endpoint: failing.url, registerGlobal: false });
    try {
      for (let i = 0; i < 3; i++) tracing.withSpan('rejected', () => undefined);
      await tracing.forceFlush();
      expect(tracing.stats().dropped.export_failed).toBe(3);
      expect(failing.spans).toHaveLength(0);
    } finally {
      await tracing.shutdown();
      await failing.stop();
    }
  });

  test('defaults the self-metrics to the global meter provider', async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
    const tracing = startTracing({ serviceName: 'global-meter', endpoint: peer.url });
    try {
      tracing.withSpan('one', () => undefined);
      await tracing.forceFlush();
      const exported = await collect(reader, 'autoweave.tracing.spans.exported');
      expect(exported[0]?.value).toBe(1);
    } finally {
      await tracing.shutdown();
      metrics.disable();
      await meterProvider.shutdown();
    }
  });
});
