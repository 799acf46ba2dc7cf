import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { startPrometheus, type PromSample, type RunningPrometheus } from '@autoweave/test-utils';
import { createMetrics, type MetricsHandle } from './index';

const value = (samples: PromSample[]): number | undefined => samples[0]?.value;

describe('a real Prometheus scraping the handler', () => {
  const provider = new NodeTracerProvider();
  let metrics: MetricsHandle;
  let server: Server;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    provider.register();
    metrics = createMetrics();
    server = createServer(metrics.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({
      targets: [{ address: `127.0.0.1:${port}`, job: 'autoweave' }],
      scrapeInterval: '1s',
      exemplarStorage: true,
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await metrics.shutdown();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('returns the recorded counter, histogram count, OTel counter and exemplar over the query API', async () => {
    const prom = prometheus as RunningPrometheus;
    const jobs = metrics.counter({ name: 'autoweave_jobs_total', help: 'Jobs.', labelNames: ['tenant_id'] });
    const duration = metrics.histogram({ name: 'autoweave_job_duration_seconds', help: 'Job time.' });
    jobs.inc({ tenant_id: 'acme' }, 7);
    const traceId = trace.getTracer('test').startActiveSpan('job', (span) => {
      duration.observe({}, 0.3);
      duration.observe({}, 0.05);
      span.end();
      return span.spanContext().traceId;
    });
    metrics.meterProvider
      .getMeter('@autoweave/tracing')
      .createObservableCounter('autoweave.tracing.spans.dropped', { unit: '{span}' })
      .addCallback((r) => r.observe(4, { reason: 'queue_full' }));

    const counter = await prom.waitFor(
      'autoweave_jobs_total{tenant_id="acme"}',
      (s) => value(s) === 7,
      60_000,
    );
    const count = await prom.waitFor('autoweave_job_duration_seconds_count', (s) => value(s) === 2, 60_000);
    const otel = await prom.waitFor(
      'autoweave_tracing_spans_dropped_total{reason="queue_full"}',
      (s) => value(s) === 4,
      60_000,
    );
    const up = await prom.query('up{job="autoweave"}');
    const defaults = await prom.query('process_cpu_user_seconds_total');

    expect(counter[0]?.metric).toMatchObject({ job: 'autoweave', tenant_id: 'acme' });
    expect(value(count)).toBe(2);
    expect(value(otel)).toBe(4);
    expect(value(up)).toBe(1);
    expect(defaults).toHaveLength(1);

    const exemplars = await prom.queryExemplars('autoweave_job_duration_seconds_bucket');
    expect(exemplars.map((e) => e.labels.trace_id)).toContain(traceId);
  });
});
