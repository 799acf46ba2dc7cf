import { checkMetrics } from '@autoweave/test-utils';
import { metrics as otelMetrics } from '@opentelemetry/api';
import { Registry, register as globalRegistry } from 'prom-client';
import { createMetrics, otelToPrometheusName, type MetricsHandle } from './index';

/** `# TYPE` names of a Prometheus text exposition. */
function typeNames(body: string): string[] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ')[2] ?? '');
}

function sampleLines(body: string, name: string): string[] {
  return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('the /metrics exposition', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics();
  });
  afterEach(async () => {
    await metrics.shutdown();
  });

  it('passes promtool check metrics with prom-client, OpenTelemetry and default Node.js metrics', async () => {
    metrics
      .counter({ name: 'autoweave_jobs_total', help: 'Jobs.', labelNames: ['queue'] })
      .inc({ queue: 'a' });
    metrics
      .histogram({ name: 'autoweave_job_duration_seconds', help: 'Job time.', labelNames: ['queue'] })
      .observe({ queue: 'a' }, 0.2);
    metrics.gauge({ name: 'autoweave_queue_depth', help: 'Queued jobs.' }).set({}, 4);
    metrics.recordBusinessOperation('checkout', 'acme', { success: true, durationMs: 30 });
    const meter = metrics.meterProvider.getMeter('test');
    meter
      .createObservableCounter('autoweave.tracing.spans.dropped', {
        unit: '{span}',
        description: 'Dropped spans.',
      })
      .addCallback((r) => r.observe(3, { reason: 'queue_full' }));
    meter
      .createHistogram('http.server.request.duration', { unit: 's' })
      .record(0.3, { 'http.request.method': 'GET' });
    meter.createUpDownCounter('autoweave.pool.connections').add(2);

    const { body, contentType } = await metrics.collect('prometheus');

    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const promtool = await checkMetrics(body);
    expect(promtool).toMatchObject({ ok: true, stderr: '' });
    expect(sampleLines(body, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(sampleLines(body, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
    expect(body).toContain('autoweave_jobs_total{queue="a"} 1\n');
    expect(body).toContain('autoweave_tracing_spans_dropped_total{reason="queue_full"} 3\n');
    expect(body).toContain('http_server_request_duration_seconds_count{http_request_method="GET"} 1\n');
    expect(body).toContain('# TYPE autoweave_pool_connections gauge\n');
    expect(body).not.toContain('# EOF');
  });

  it('keeps one family when prom-client and OpenTelemetry use the same name, and counts the other', async () => {
    metrics.counter({ name: 'autoweave_jobs_total', help: 'Jobs.' }).inc({}, 2);
    metrics.meterProvider.getMeter('test').createCounter('autoweave.jobs').add(5);

    const { body } = await metrics.collect('prometheus');

    const names = typeNames(body);
    expect(new Set(names).size).toBe(names.length);
    expect(sampleLines(body, 'autoweave_jobs_total')).toEqual(['autoweave_jobs_total 2']);
    expect(body).toContain('autoweave_metrics_duplicate_families 1\n');
    expect((await checkMetrics(body)).ok).toBe(true);
  });

  it('has no duplicate family names in either format', async () => {
    metrics.meterProvider.getMeter('a').createCounter('autoweave.logging.records.dropped').add(1);
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const names = typeNames((await metrics.collect(format)).body);
      expect(names.length).toBeGreaterThan(10);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('keeps the standard process_* and nodejs_* names, with an optional prefix', async () => {
    const prefixed = createMetrics({ defaultMetrics: { prefix: 'autoweave_' } });
    try {
      const { body } = await prefixed.collect();
      expect(sampleLines(body, 'autoweave_process_cpu_user_seconds_total')).toHaveLength(1);
      expect(sampleLines(body, 'process_cpu_user_seconds_total')).toHaveLength(0);
      expect((await checkMetrics(body)).ok).toBe(true);
    } finally {
      await prefixed.shutdown();
    }
    const none = createMetrics({ defaultMetrics: false });
    try {
      expect((await none.collect()).body).not.toContain('process_cpu');
    } finally {
      await none.shutdown();
    }
  });
});

describe('OpenTelemetry to Prometheus names', () => {
  it.each([
    ['autoweave.tracing.spans.dropped', '{span}', 'counter', 'autoweave_tracing_spans_dropped_total'],
    ['autoweave.logging.records.dropped', '{record}', 'counter', 'autoweave_logging_records_dropped_total'],
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['process.memory.usage', 'By', 'gauge', 'process_memory_usage_bytes'],
    ['requests', '1', 'counter', 'requests_total'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['net.io', 'By/s', 'gauge', 'net_io_bytes_per_second'],
    ['jobs.total', '', 'counter', 'jobs_total'],
    ['db.latency_seconds', 's', 'histogram', 'db_latency_seconds'],
  ] as const)('%s (%s, %s) → %s', (name, unit, type, expected) => {
    expect(otelToPrometheusName(name, unit, type)).toBe(expected);
  });
});

describe('registries and the global MeterProvider', () => {
  it('uses a new registry by default, never the prom-client global one', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    try {
      metrics.counter({ name: 'autoweave_isolated_total', help: 'x' }).inc({});
      expect(metrics.registry).not.toBe(globalRegistry);
      expect(await globalRegistry.metrics()).not.toContain('autoweave_isolated_total');
    } finally {
      await metrics.shutdown();
    }
  });

  it('works on a caller-supplied Prometheus-format registry (without exemplars) and leaves it populated', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, defaultMetrics: false });
    metrics.counter({ name: 'autoweave_supplied_total', help: 'x' }).inc({}, 3);
    expect((await metrics.collect()).body).toContain('autoweave_supplied_total 3\n');
    await metrics.shutdown();
    expect(registry.getSingleMetric('autoweave_supplied_total')).toBeDefined();
  });

  it('registers the global MeterProvider only when asked, and releases it on shutdown', async () => {
    const local = createMetrics({ defaultMetrics: false });
    otelMetrics.getMeter('lib').createCounter('autoweave.ignored').add(1);
    expect((await local.collect()).body).not.toContain('autoweave_ignored_total');
    await local.shutdown();

    const global = createMetrics({ defaultMetrics: false, registerGlobal: true });
    otelMetrics.getMeter('lib').createCounter('autoweave.global.calls').add(2);
    expect((await global.collect()).body).toContain('autoweave_global_calls_total 2\n');
    await global.shutdown();
    expect(otelMetrics.getMeterProvider()).not.toBe(global.meterProvider);
  });
});
