import { runWithTenant } from '@autoweave/tenant-isolation';
import { checkMetrics } from '@autoweave/test-utils';
import { MetricDefinitionError, createMetrics, type MetricsHandle } from './index';

function lines(body: string, name: string): string[] {
  return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('typed metric factories', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    await metrics.shutdown();
  });

  it.each([
    ['counter', 'jobs_total', /must start with "autoweave_"/],
    ['counter', 'autoweave_jobs', /must end with "_total"/],
    ['counter', 'autoweave_Jobs_total', /lower snake case/],
    ['gauge', 'autoweave_queue_total', /must not end with "_total"/],
    ['histogram', 'autoweave_job_duration', /must be in seconds/],
    ['histogram', 'autoweave_job_duration_ms', /non-base unit/],
    ['histogram', 'autoweave_payload_size', /must be in bytes/],
    ['histogram', 'autoweave_jobs', /must end with its unit/],
    ['gauge', 'autoweave_request_latency', /must be in seconds/],
  ] as const)('rejects %s name %s with a clear error', (kind, name, message) => {
    expect(() => metrics[kind]({ name, help: 'x' })).toThrow(MetricDefinitionError);
    expect(() => metrics[kind]({ name, help: 'x' })).toThrow(message);
  });

  it('rejects bad label names, missing help and a second metric with the same name', () => {
    expect(() =>
      metrics.counter({ name: 'autoweave_a_total', help: 'x', labelNames: ['bad-label'] }),
    ).toThrow(/not a valid Prometheus label name/);
    expect(() => metrics.histogram({ name: 'autoweave_a_seconds', help: 'x', labelNames: ['le'] })).toThrow(
      /"le"/,
    );
    expect(() => metrics.counter({ name: 'autoweave_b_total', help: ' ' })).toThrow(/help/);
    metrics.counter({ name: 'autoweave_c_total', help: 'x' });
    expect(() => metrics.counter({ name: 'autoweave_c_total', help: 'x' })).toThrow(/already registered/);
  });

  it('uses caller-supplied histogram buckets', async () => {
    const h = metrics.histogram({
      name: 'autoweave_usb_event_duration_seconds',
      help: 'x',
      buckets: [0.05, 0.08, 0.1],
    });
    h.observe({}, 0.07);
    h.observe({}, 0.09);
    const { body } = await metrics.collect();
    expect(h.buckets).toEqual([0.05, 0.08, 0.1]);
    expect(lines(body, 'autoweave_usb_event_duration_seconds_bucket')).toEqual([
      'autoweave_usb_event_duration_seconds_bucket{le="0.05"} 0',
      'autoweave_usb_event_duration_seconds_bucket{le="0.08"} 1',
      'autoweave_usb_event_duration_seconds_bucket{le="0.1"} 2',
      'autoweave_usb_event_duration_seconds_bucket{le="+Inf"} 2',
    ]);
  });

  it.each([
    [[], /must not be empty/],
    [[0.1, 0.05], /strictly increasing/],
    [[0.1, 0.1], /strictly increasing/],
    [[0, 1], /finite number > 0/],
    [[-1, 1], /finite number > 0/],
    [[1, Infinity], /finite number > 0/],
    [[NaN], /finite number > 0/],
  ])('rejects buckets %p', (buckets, message) => {
    expect(() => metrics.histogram({ name: 'autoweave_x_seconds', help: 'x', buckets })).toThrow(message);
  });

  it('bounds 10,000 hostile label values to the cap plus one overflow series and counts the rest', async () => {
    const requests = metrics.counter({
      name: 'autoweave_requests_total',
      help: 'x',
      labelNames: ['tenant_id', 'route'] as const,
      labelBounds: { route: { cap: 50 } },
    });
    for (let i = 0; i < 10_000; i++) requests.inc({ tenant_id: 'acme', route: `/users/${i}\n"}` });

    const { body } = await metrics.collect();

    const series = lines(body, 'autoweave_requests_total');
    expect(series).toHaveLength(51);
    expect(series).toContain('autoweave_requests_total{tenant_id="acme",route="__overflow__"} 9950');
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_requests_total",label="route"} 9950\n',
    );
    expect((await checkMetrics(body)).ok).toBe(true);
  });

  it('applies the default cap of 100 and allow-lists', async () => {
    const ops = metrics.counter({
      name: 'autoweave_ops_total',
      help: 'x',
      labelNames: ['op', 'kind'],
      labelBounds: { kind: { allow: ['read', 'write'], allowOnly: true } },
    });
    for (let i = 0; i < 1000; i++) ops.inc({ op: `op${i}`, kind: i % 2 === 0 ? 'read' : 'delete' });
    const { body } = await metrics.collect();
    const series = lines(body, 'autoweave_ops_total');
    expect(new Set(series.map((l) => /op="([^"]*)"/.exec(l)?.[1])).size).toBe(101);
    expect(series.some((l) => l.includes('kind="delete"'))).toBe(false);
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_ops_total",label="op"} 900\n',
    );
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_ops_total",label="kind"} 500\n',
    );
  });

  it('never throws on bad values or labels, and counts what it dropped', async () => {
    const c = metrics.counter({ name: 'autoweave_x_total', help: 'x', labelNames: ['a'] });
    const g = metrics.gauge({ name: 'autoweave_y', help: 'x', labelNames: ['a'] });
    const h = metrics.histogram({ name: 'autoweave_z_seconds', help: 'x', labelNames: ['a'] });
    const hostile: unknown[] = [null, undefined, 42, 'str', { a: { nested: true } }, { a: undefined }];
    for (const labels of hostile) {
      expect(() => c.inc(labels as never)).not.toThrow();
      expect(() => g.set(labels as never, 1)).not.toThrow();
      expect(() => h.observe(labels as never, 0.1)).not.toThrow();
    }
    expect(() => c.inc({ a: 'x' }, -1)).not.toThrow();
    expect(() => c.inc({ a: 'x' }, NaN)).not.toThrow();
    expect(() => g.set({ a: 'x' }, Infinity)).not.toThrow();
    expect(() => h.observe({ a: 'x' }, -0.5)).not.toThrow();
    expect(() => h.observe({ a: 'x' }, 'slow' as unknown as number)).not.toThrow();

    const { body } = await metrics.collect();
    expect(body).toContain(
      'autoweave_metrics_observations_dropped_total{metric="autoweave_x_total",reason="invalid_value"} 2\n',
    );
    expect(body).toContain(
      'autoweave_metrics_observations_dropped_total{metric="autoweave_z_seconds",reason="invalid_value"} 2\n',
    );
    expect(body).toContain('autoweave_x_total{a="__overflow__"} 6\n');
    expect((await checkMetrics(body)).ok).toBe(true);
  });

  it('times a block with startTimer', async () => {
    const h = metrics.histogram({ name: 'autoweave_block_duration_seconds', help: 'x' });
    const stop = h.startTimer({});
    const seconds = stop();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect((await metrics.collect()).body).toContain('autoweave_block_duration_seconds_count 1\n');
  });
});

describe('recordBusinessOperation', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics({ defaultMetrics: false, businessDurationBuckets: [0.01, 0.1, 1] });
  });
  afterEach(async () => {
    await metrics.shutdown();
  });

  it('counts operations by tenant and outcome and records the duration in seconds', async () => {
    metrics.recordBusinessOperation('plugin.install', 'acme', { success: true, durationMs: 50 });
    metrics.recordBusinessOperation('plugin.install', 'acme', { success: false });
    metrics.recordBusinessOperation('plugin.install', 'globex');

    const { body } = await metrics.collect();

    const ops = lines(body, 'autoweave_business_operations_total');
    expect(ops).toEqual(
      expect.arrayContaining([
        'autoweave_business_operations_total{operation="plugin.install",tenant_id="acme",outcome="success"} 1',
        'autoweave_business_operations_total{operation="plugin.install",tenant_id="acme",outcome="failure"} 1',
        'autoweave_business_operations_total{operation="plugin.install",tenant_id="globex",outcome="unknown"} 1',
      ]),
    );
    expect(body).toContain(
      'autoweave_business_operation_duration_seconds_bucket{le="0.1",operation="plugin.install",tenant_id="acme",outcome="success"} 1\n',
    );
    expect(body).toContain(
      'autoweave_business_operation_duration_seconds_sum{operation="plugin.install",tenant_id="acme",outcome="success"} 0.05\n',
    );
    expect(lines(body, 'autoweave_business_operation_duration_seconds_count')).toHaveLength(1);
  });

  it('takes the tenant from the current context and bounds invalid or excess tenant ids', async () => {
    runWithTenant('initech', () => metrics.recordBusinessOperation('login'));
    metrics.recordBusinessOperation('login', 'NOT A TENANT'); // rejected: invalid id
    // outside any tenant: its own value, not a rejection; the negative duration is dropped
    metrics.recordBusinessOperation('login', undefined, { durationMs: -5 });
    metrics.recordBusinessOperation('login', '', { success: true });
    for (let i = 0; i < 150; i++) metrics.recordBusinessOperation('login', `tenant-${i}`, { success: true });

    const { body } = await metrics.collect();

    expect(body).toContain(
      'autoweave_business_operations_total{operation="login",tenant_id="initech",outcome="unknown"} 1\n',
    );
    expect(body).toContain(
      'autoweave_business_operations_total{operation="login",tenant_id="__none__",outcome="unknown"} 1\n',
    );
    expect(body).toContain(
      'autoweave_business_operations_total{operation="login",tenant_id="__none__",outcome="success"} 1\n',
    );
    const tenants = new Set(
      lines(body, 'autoweave_business_operations_total').map((l) => /tenant_id="([^"]*)"/.exec(l)?.[1]),
    );
    // initech and 99 generated ids fill the cap of 100; __none__ is outside it; the rest overflow
    expect(tenants.size).toBe(102);
    expect(tenants.has('__overflow__')).toBe(true);
    // NOT A TENANT and tenant-99 … tenant-149, each once: making zero series adds no rejections
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_business_operations_total",label="tenant_id"} 52\n',
    );
    expect(body).toContain(
      'autoweave_metrics_observations_dropped_total{metric="autoweave_business_operation_duration_seconds",reason="invalid_value"} 1\n',
    );
  });

  it('makes the success and failure series of a new operation and tenant together, so the error ratio reads 0, not no data', async () => {
    metrics.recordBusinessOperation('job', 'acme', { success: true });
    metrics.recordBusinessOperation('job', 'acme', { success: true });
    runWithTenant('globex', () => metrics.recordBusinessOperation('job', undefined, { success: false }));

    const ops = lines((await metrics.collect()).body, 'autoweave_business_operations_total');
    expect(ops.sort()).toEqual([
      'autoweave_business_operations_total{operation="job",tenant_id="acme",outcome="failure"} 0',
      'autoweave_business_operations_total{operation="job",tenant_id="acme",outcome="success"} 2',
      'autoweave_business_operations_total{operation="job",tenant_id="globex",outcome="failure"} 1',
      'autoweave_business_operations_total{operation="job",tenant_id="globex",outcome="success"} 0',
    ]);
  });
});

describe('bound series (labels)', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    await metrics.shutdown();
  });

  it('records into the same series as the labelled calls', async () => {
    const h = metrics.histogram({
      name: 'autoweave_job_duration_seconds',
      help: 'x',
      labelNames: ['tenant_id', 'outcome'] as const,
      buckets: [0.01, 0.1],
    });
    const c = metrics.counter({ name: 'autoweave_jobs_total', help: 'x', labelNames: ['queue'] as const });
    const g = metrics.gauge({ name: 'autoweave_jobs_waiting', help: 'x', labelNames: ['queue'] as const });

    const acme = h.labels({ tenant_id: 'acme', outcome: 'success' });
    acme.observe(0.005);
    h.observe({ tenant_id: 'acme', outcome: 'success' }, 0.05);
    acme.startTimer()();
    c.labels({ queue: 'mail' }).inc();
    c.inc({ queue: 'mail' }, 2);
    const waiting = g.labels({ queue: 'mail' });
    waiting.set(5);
    waiting.inc();
    waiting.dec(3);

    const { body } = await metrics.collect();

    expect(body).toContain('autoweave_job_duration_seconds_count{tenant_id="acme",outcome="success"} 3\n');
    expect(body).toContain(
      'autoweave_job_duration_seconds_bucket{le="0.1",tenant_id="acme",outcome="success"} 3\n',
    );
    expect(body).toContain('autoweave_jobs_total{queue="mail"} 3\n');
    expect(body).toContain('autoweave_jobs_waiting{queue="mail"} 3\n');
    expect((await checkMetrics(body)).ok).toBe(true);
  });

  it('bounds label values once, when bound, and still counts invalid values', async () => {
    const c = metrics.counter({
      name: 'autoweave_calls_total',
      help: 'x',
      labelNames: ['route'] as const,
      labelBounds: { route: { cap: 1 } },
    });
    c.inc({ route: '/a' });
    const hostile = c.labels({ route: '/b' });
    hostile.inc();
    hostile.inc();
    hostile.inc(-1);
    expect(() => c.labels(null as never).inc()).not.toThrow();

    const { body } = await metrics.collect();

    expect(body).toContain('autoweave_calls_total{route="__overflow__"} 3\n');
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_calls_total",label="route"} 2\n',
    );
    expect(body).toContain(
      'autoweave_metrics_observations_dropped_total{metric="autoweave_calls_total",reason="invalid_value"} 1\n',
    );
  });

  it('keeps recording after registry.resetMetrics(), from zero', async () => {
    const h = metrics.histogram({ name: 'autoweave_step_duration_seconds', help: 'x', labelNames: ['step'] });
    const bound = h.labels({ step: 'parse' });
    bound.observe(0.2);
    h.observe({ step: 'render' }, 0.2);
    metrics.registry.resetMetrics();
    bound.observe(0.3);

    const { body } = await metrics.collect();

    expect(body).toContain('autoweave_step_duration_seconds_count{step="parse"} 1\n');
    expect(body).toContain('autoweave_step_duration_seconds_sum{step="parse"} 0.3\n');
    expect(body).not.toContain('step="render"');
  });
});

describe('series storage', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    await metrics.shutdown();
  });

  it('puts values on and between many bucket bounds in the right bucket (upper bounds inclusive)', async () => {
    const buckets = Array.from({ length: 40 }, (_, i) => (i + 1) / 10);
    const h = metrics.histogram({ name: 'autoweave_wide_seconds', help: 'x', buckets });
    for (const v of [0, 0.1, 0.15, 1, 2.05, 4, 4.01, 100]) h.observe({}, v);

    const { body } = await metrics.collect();
    const bucket = (le: string) =>
      Number(
        body
          .split('\n')
          .find((l) => l.startsWith(`autoweave_wide_seconds_bucket{le="${le}"} `))
          ?.split(' ')[1],
      );

    expect(bucket('0.1')).toBe(2);
    expect(bucket('0.2')).toBe(3);
    expect(bucket('1')).toBe(4);
    expect(bucket('2')).toBe(4);
    expect(bucket('2.1')).toBe(5);
    expect(bucket('4')).toBe(6);
    expect(bucket('+Inf')).toBe(8);
    expect(body).toContain('autoweave_wide_seconds_count 8\n');
  });

  it('counts a literal __overflow__ value as rejected once the label is full', async () => {
    const c = metrics.counter({
      name: 'autoweave_paths_total',
      help: 'x',
      labelNames: ['path'] as const,
      labelBounds: { path: { cap: 1 } },
    });
    c.inc({ path: '/a' });
    c.inc({ path: '/b' });
    c.inc({ path: '__overflow__' });

    const { body } = await metrics.collect();

    expect(body).toContain('autoweave_paths_total{path="__overflow__"} 2\n');
    expect(body).toContain(
      'autoweave_metrics_label_values_rejected_total{metric="autoweave_paths_total",label="path"} 2\n',
    );
  });

  it("gives unregistered tenants the tenant bound's own overflow value, and counts a literal one", async () => {
    const m = createMetrics({
      defaultMetrics: false,
      tenantBound: { allow: ['acme', 'globex'], allowOnly: true, overflowValue: '__unknown__' },
    });
    try {
      const c = m.counter({ name: 'autoweave_calls_total', help: 'x', labelNames: ['tenant_id'] as const });
      c.inc({ tenant_id: 'acme' });
      c.inc({ tenant_id: 'mallory' });
      c.inc({ tenant_id: '__unknown__' });
      runWithTenant('globex', () => c.inc({} as { tenant_id: string })); // tenant from the context

      const { body } = await m.collect();

      expect(lines(body, 'autoweave_calls_total').sort()).toEqual([
        'autoweave_calls_total{tenant_id="__unknown__"} 2',
        'autoweave_calls_total{tenant_id="acme"} 1',
        'autoweave_calls_total{tenant_id="globex"} 1',
      ]);
      expect(body).toContain(
        'autoweave_metrics_label_values_rejected_total{metric="autoweave_calls_total",label="tenant_id"} 2\n',
      );
    } finally {
      await m.shutdown();
    }
  });

  it('is rendered by prom-client itself too, in both formats', async () => {
    const h = metrics.histogram({ name: 'autoweave_render_seconds', help: 'x', labelNames: ['a'] });
    const c = metrics.counter({ name: 'autoweave_render_total', help: 'x', labelNames: ['a'] });
    h.observe({ a: 'x' }, 0.2);
    c.inc({ a: 'x' });

    const openMetrics = await metrics.registry.metrics();

    expect(openMetrics).toContain('autoweave_render_seconds_bucket{le="0.25",a="x"} 1');
    expect(openMetrics).toContain('autoweave_render_total{a="x"} 1');
    expect((await metrics.collect('openmetrics')).body).toContain('autoweave_render_total{a="x"} 1\n');
  });
});

describe('gauges read on scrape (collect)', () => {
  let metrics: MetricsHandle;
  beforeEach(() => {
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterEach(() => metrics.shutdown());

  it('calls collect before each exposition and shows the values it set', async () => {
    let depth = 3;
    let calls = 0;
    const gauge = metrics.gauge({
      name: 'autoweave_test_queue_depth',
      help: 'Jobs waiting.',
      labelNames: ['queue'] as const,
      collect: () => {
        calls++;
        gauge.set({ queue: 'q' }, depth);
      },
    });
    expect((await metrics.collect()).body).toContain('autoweave_test_queue_depth{queue="q"} 3');
    depth = 5;
    expect((await metrics.collect()).body).toContain('autoweave_test_queue_depth{queue="q"} 5');
    expect(calls).toBe(2);
  });

  it('shares one collect call between overlapping scrapes', async () => {
    let calls = 0;
    let release!: () => void;
    metrics.gauge({
      name: 'autoweave_test_slow_gauge',
      help: 'Read slowly.',
      collect: () => {
        calls++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const scrapes = [metrics.collect(), metrics.collect(), metrics.collect()];
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all(scrapes);
    expect(calls).toBe(1);
  });

  it('keeps the last values and counts the failure when collect throws or rejects, then recovers', async () => {
    let mode: 'ok' | 'throw' | 'reject' = 'ok';
    const gauge = metrics.gauge({
      name: 'autoweave_test_flaky_gauge',
      help: 'Read from a flaky source.',
      collect: () => {
        if (mode === 'throw') throw new Error('down');
        if (mode === 'reject') return Promise.reject(new Error('down'));
        gauge.set({}, 7);
      },
    });
    await metrics.collect();
    mode = 'throw';
    const thrown = (await metrics.collect()).body;
    mode = 'reject';
    const rejected = (await metrics.collect()).body;
    for (const body of [thrown, rejected]) expect(body).toContain('autoweave_test_flaky_gauge 7');
    expect(rejected).toContain(
      'autoweave_metrics_observations_dropped_total{metric="autoweave_test_flaky_gauge",reason="collect_failed"} 2',
    );
    mode = 'ok';
    gauge.set({}, 0);
    expect((await metrics.collect()).body).toContain('autoweave_test_flaky_gauge 7');
  });
});
