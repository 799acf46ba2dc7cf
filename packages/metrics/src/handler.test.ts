import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Gauge } from 'prom-client';
import { checkMetrics } from '@autoweave/test-utils';
import { createMetrics, negotiateFormat, type MetricsHandle } from './index';

interface Reply {
  status: number;
  contentType: string | undefined;
  body: string;
}

function get(server: Server, headers: Record<string, string> = {}): Promise<Reply> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function listen(metrics: MetricsHandle): Promise<Server> {
  const server = createServer(metrics.handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('content negotiation', () => {
  it.each([
    [undefined, 'prometheus'],
    ['', 'prometheus'],
    ['text/plain', 'prometheus'],
    ['*/*', 'prometheus'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text;q=0', 'prometheus'],
    ['text/plain;q=0.9, application/openmetrics-text;q=0.5', 'prometheus'],
  ] as const)('Accept %p → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

describe('the /metrics handler', () => {
  const provider = new NodeTracerProvider();
  let metrics: MetricsHandle;
  let server: Server;

  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(async () => {
    metrics = createMetrics();
    server = await listen(metrics);
  });
  afterEach(async () => {
    await close(server);
    await metrics.shutdown();
  });

  it('answers OpenMetrics with the active span trace id as exemplar when Prometheus asks for it', async () => {
    const latency = metrics.histogram({
      name: 'autoweave_http_request_duration_seconds',
      help: 'x',
      labelNames: ['route'],
    });
    const requests = metrics.counter({
      name: 'autoweave_http_requests_total',
      help: 'x',
      labelNames: ['route'],
    });
    const ids = trace.getTracer('test').startActiveSpan('GET /users', (span) => {
      latency.observe({ route: '/users' }, 0.042);
      requests.inc({ route: '/users' });
      span.end();
      return span.spanContext();
    });

    const reply = await get(server, { Accept: PROMETHEUS_ACCEPT });

    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(reply.body.endsWith('# EOF\n')).toBe(true);
    expect(reply.body).toMatch(
      new RegExp(
        `^autoweave_http_request_duration_seconds_bucket\\{le="0.05",route="/users"\\} 1 # \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\} 0.042 \\d+\\.\\d{3}$`,
        'm',
      ),
    );
    expect(reply.body).toMatch(
      new RegExp(
        `^autoweave_http_requests_total\\{route="/users"\\} 1 # \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\} 1 `,
        'm',
      ),
    );
    expect(reply.body).toContain('# TYPE autoweave_http_requests counter\n');
  });

  it('answers Prometheus text without exemplars otherwise, and promtool accepts it', async () => {
    const latency = metrics.histogram({ name: 'autoweave_http_request_duration_seconds', help: 'x' });
    trace.getTracer('test').startActiveSpan('op', (span) => {
      latency.observe({}, 0.042);
      span.end();
    });

    const reply = await get(server);

    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.body).toContain('autoweave_http_request_duration_seconds_bucket{le="0.05"} 1\n');
    expect(reply.body).not.toContain('trace_id');
    expect(reply.body).not.toContain('# EOF');
    expect(await checkMetrics(reply.body)).toMatchObject({ ok: true });
  });

  it('keeps one exemplar per bucket, +Inf included, also for bound series and outside later spans', async () => {
    const latency = metrics.histogram({
      name: 'autoweave_job_duration_seconds',
      help: 'x',
      labelNames: ['queue'],
      buckets: [0.1, 1],
    });
    const mail = latency.labels({ queue: 'mail' });
    const ids = trace.getTracer('test').startActiveSpan('job', (span) => {
      mail.observe(0.05);
      mail.observe(30);
      span.end();
      return span.spanContext();
    });
    mail.observe(0.07); // no span: the exemplar of the 0.1 bucket stays

    const { body } = await metrics.collect('openmetrics');

    const exemplar = `# \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\}`;
    expect(body).toMatch(
      new RegExp(
        `^autoweave_job_duration_seconds_bucket\\{le="0.1",queue="mail"\\} 2 ${exemplar} 0.05 `,
        'm',
      ),
    );
    expect(body).toMatch(
      new RegExp(
        `^autoweave_job_duration_seconds_bucket\\{le="\\+Inf",queue="mail"\\} 3 ${exemplar} 30 `,
        'm',
      ),
    );
    expect(body).toContain('autoweave_job_duration_seconds_bucket{le="1",queue="mail"} 2\n');
    expect((await checkMetrics((await metrics.collect()).body)).ok).toBe(true);
  });

  it('gives each bucket the exemplar of its latest observation as spans alternate', async () => {
    const latency = metrics.histogram({
      name: 'autoweave_step_duration_seconds',
      help: 'x',
      labelNames: ['step'],
      buckets: [1],
    });
    const tracer = trace.getTracer('test');
    const observeIn = (name: string, ...values: number[]) =>
      tracer.startActiveSpan(name, (span) => {
        for (const v of values) latency.observe({ step: 'a' }, v);
        span.end();
        return span.spanContext();
      });
    const bucketLine = async () =>
      (await metrics.collect('openmetrics')).body
        .split('\n')
        .find((l) => l.startsWith('autoweave_step_duration_seconds_bucket{le="1"'));

    const first = observeIn('first', 0.1, 0.2);
    expect(await bucketLine()).toContain(`{trace_id="${first.traceId}",span_id="${first.spanId}"} 0.2 `);
    const second = observeIn('second', 0.3);
    expect(await bucketLine()).toContain(`{trace_id="${second.traceId}",span_id="${second.spanId}"} 0.3 `);
    expect(await bucketLine()).not.toContain(first.spanId);
    // Back under the first span (a parent resumed after its child): its exemplar, with the new value.
    context.with(trace.setSpanContext(context.active(), first), () => latency.observe({ step: 'a' }, 0.5));
    expect(await bucketLine()).toContain(`{trace_id="${first.traceId}",span_id="${first.spanId}"} 0.5 `);
    const third = observeIn('third', 0.4);
    expect(await bucketLine()).toContain(`{trace_id="${third.traceId}",span_id="${third.spanId}"} 0.4 `);
  });

  it('leaves exemplars out when no span is active', async () => {
    metrics.histogram({ name: 'autoweave_idle_duration_seconds', help: 'x' }).observe({}, 0.1);
    const reply = await get(server, { Accept: 'application/openmetrics-text' });
    expect(reply.body).toContain('autoweave_idle_duration_seconds_bucket{le="0.25"} 1\n');
    expect(reply.body).not.toContain('trace_id');
  });

  it('returns 500 with a message, and keeps serving, when a collector fails', async () => {
    let failing = true;
    new Gauge({
      name: 'autoweave_flaky',
      help: 'x',
      registers: [metrics.registry],
      collect() {
        if (failing) throw new Error('disk gone');
      },
    });

    const broken = await get(server);
    failing = false;
    const healed = await get(server);

    expect(broken.status).toBe(500);
    expect(broken.body).toBe('metrics collection failed: disk gone\n');
    expect(healed.status).toBe(200);
  });

  it('returns 500 instead of throwing after shutdown', async () => {
    await metrics.shutdown();
    const reply = await get(server);
    expect(reply.status).toBe(500);
    expect(reply.body).toMatch(/shut down/);
  });
});
