import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { checkMetrics } from '@autoweave/test-utils';
import { defineSlo } from './define';
import { createSloEvaluator } from './evaluator';
import { type SloEvaluator, type SloWindowStatus } from './evaluator-types';
import { SloInstrumentError, sloCounter, sloHistogram } from './slo-instruments';
import type { SloDefinition, SloInput } from './types';

const USB = defineSlo({
  id: 'usb-event-latency',
  service: 'usb-watcher',
  description: '95% of USB events within 80 ms.',
  objective: 0.95,
  sli: {
    kind: 'latency',
    histogram: 'autoweave_usb_event_duration_seconds',
    thresholdSeconds: 0.08,
    matchers: { component: 'usb' },
  },
  groupBy: ['tenant_id'],
});

const ratio = (id: string, sli: SloInput['sli'], groupBy: string[] = []): SloDefinition =>
  defineSlo({ id, service: 'platform', description: id, objective: 0.99, sli, groupBy });

const OPERATIONS = ratio('operation-errors', {
  kind: 'ratio',
  total: { metric: 'autoweave_jobs_total' },
  bad: { metric: 'autoweave_jobs_total', matchers: { outcome: 'failure' } },
});
const AVAILABILITY = ratio(
  'availability',
  {
    kind: 'ratio',
    total: { metric: 'autoweave_requests_total' },
    bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
  },
  ['route'],
);
const TWO_METRICS = ratio('plugin-runs', {
  kind: 'ratio',
  total: { metric: 'autoweave_plugin_runs_total', matchers: { kind: 'exec' } },
  good: { metric: 'autoweave_plugin_runs_ok_total', matchers: { kind: 'exec' } },
});

let metrics: MetricsHandle;
let evaluator: SloEvaluator;
beforeEach(() => {
  metrics = createMetrics({ defaultMetrics: false });
  evaluator = createSloEvaluator({ slos: [USB, OPERATIONS, AVAILABILITY, TWO_METRICS], intervalMs: 0 });
});
afterEach(async () => {
  evaluator.close();
  await metrics.shutdown();
});

/** Sample lines of the Prometheus text exposition, `name{labels} value` → value. */
async function samples(): Promise<Map<string, number>> {
  const { body } = await metrics.collect();
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const window5m = (id: string, labels: Record<string, string> = {}): SloWindowStatus | undefined =>
  evaluator
    .snapshot()
    .slos.find((s) => s.id === id)
    ?.groups.find((g) => JSON.stringify(g.labels) === JSON.stringify(labels))
    ?.windows.find((w) => w.window === '5m');

describe('sloHistogram', () => {
  it('records each observation in the histogram and the evaluator, with the threshold as a bucket', async () => {
    const h = sloHistogram(metrics, evaluator, USB, {
      help: 'USB event handling time.',
      labelNames: ['tenant_id'] as const,
      buckets: [0.05, 0.1, 0.5],
    });
    expect(h.metric.buckets).toEqual([0.05, 0.08, 0.1, 0.5]);
    for (const s of [0.01, 0.08, 0.09, 0.3]) h.observe({ tenant_id: 'acme' }, s);
    const bound = h.labels({ tenant_id: 'globex' });
    bound.observe(0.2);
    h.startTimer({ tenant_id: 'acme' })();

    const lines = await samples();
    // the SLI's matcher label is added with its fixed value
    expect(
      lines.get('autoweave_usb_event_duration_seconds_bucket{le="0.08",tenant_id="acme",component="usb"}'),
    ).toBe(3);
    expect(lines.get('autoweave_usb_event_duration_seconds_count{tenant_id="acme",component="usb"}')).toBe(5);
    expect(lines.get('autoweave_usb_event_duration_seconds_count{tenant_id="globex",component="usb"}')).toBe(
      1,
    );
    expect(window5m('usb-event-latency', { tenant_id: 'acme' })).toMatchObject({ good: 3, total: 5 });
    expect(window5m('usb-event-latency', { tenant_id: 'globex' })).toMatchObject({ good: 0, total: 1 });
    const check = await checkMetrics((await metrics.collect()).body);
    expect(check).toMatchObject({ ok: true, stderr: '' });
  });

  it('feeds the evaluator only with observations the SLI selects', () => {
    const h = sloHistogram(metrics, evaluator, USB, {
      help: 'Device event handling time.',
      labelNames: ['tenant_id', 'component'] as const,
    });
    h.observe({ tenant_id: 'acme', component: 'usb' }, 0.01);
    h.observe({ tenant_id: 'acme', component: 'bluetooth' }, 0.01);
    h.labels({ tenant_id: 'acme', component: 'bluetooth' }).observe(0.01);
    expect(window5m('usb-event-latency', { tenant_id: 'acme' })).toMatchObject({ good: 1, total: 1 });
  });

  it('refuses an SLO it cannot serve, saying what to change', () => {
    expect(() => sloHistogram(metrics, evaluator, USB, { help: 'x' })).toThrow(
      /grouped by "tenant_id"; add it to labelNames/,
    );
    expect(() => sloHistogram(metrics, evaluator, OPERATIONS, { help: 'x' })).toThrow(/use sloCounter/);
    const other = createSloEvaluator({ slos: [], intervalMs: 0 });
    expect(() => sloHistogram(metrics, other, USB, { help: 'x', labelNames: ['tenant_id'] })).toThrow(
      /add it to createSloEvaluator\(\{ slos \}\)/,
    );
    expect(() => sloHistogram(metrics, other, USB, { help: 'x' })).toThrow(SloInstrumentError);
  });
});

describe('sloCounter', () => {
  it('sets outcome from ok on one counter, creating both series at 0, and feeds the evaluator', async () => {
    const jobs = sloCounter(metrics, evaluator, OPERATIONS, {
      help: 'Jobs processed.',
      labelNames: ['queue'] as const,
    });
    jobs.record({ queue: 'email' }, false);
    let lines = await samples();
    expect(lines.get('autoweave_jobs_total{queue="email",outcome="failure"}')).toBe(1);
    expect(lines.get('autoweave_jobs_total{queue="email",outcome="success"}')).toBe(0);
    for (let i = 0; i < 9; i++) jobs.record({ queue: 'email' }, true);
    jobs.labels({ queue: 'usb' }).record(true);
    lines = await samples();
    expect(lines.get('autoweave_jobs_total{queue="email",outcome="success"}')).toBe(9);
    expect(lines.get('autoweave_jobs_total{queue="usb",outcome="failure"}')).toBe(0);
    expect(window5m('operation-errors')).toMatchObject({ good: 10, total: 11 });
    expect((await checkMetrics((await metrics.collect()).body)).ok).toBe(true);
  });

  it('lets the labels decide when labelNames include the label that tells bad from total', async () => {
    const requests = sloCounter(metrics, evaluator, AVAILABILITY, {
      help: 'Requests answered.',
      labelNames: ['route', 'status_class'] as const,
    });
    for (const status of ['2xx', '2xx', '4xx', '5xx'])
      requests.record({ route: '/graphql', status_class: status });
    requests.labels({ route: '/health', status_class: '5xx' }).record();
    const lines = await samples();
    expect(lines.get('autoweave_requests_total{route="/graphql",status_class="2xx"}')).toBe(2);
    expect(lines.get('autoweave_requests_total{route="/graphql",status_class="5xx"}')).toBe(1);
    expect(window5m('availability', { route: '/graphql' })).toMatchObject({ good: 3, total: 4 });
    expect(window5m('availability', { route: '/health' })).toMatchObject({ good: 0, total: 1 });
  });

  it('needs outcomeLabels when it cannot guess the good value, and uses them', async () => {
    expect(() => sloCounter(metrics, evaluator, AVAILABILITY, { help: 'x', labelNames: ['route'] })).toThrow(
      /cannot tell what a good event's status_class is; give outcomeLabels/,
    );
    expect(() =>
      sloCounter(metrics, evaluator, AVAILABILITY, {
        help: 'x',
        labelNames: ['route'],
        outcomeLabels: { good: { status_class: '2xx' }, bad: { status_class: '500' } },
      }),
    ).toThrow(/outcomeLabels.bad must be \{"status_class":"5xx"\}/);
    const requests = sloCounter(metrics, evaluator, AVAILABILITY, {
      help: 'Requests answered.',
      labelNames: ['route'],
      outcomeLabels: { good: { status_class: 'ok' }, bad: { status_class: '5xx' } },
    });
    requests.record({ route: '/a' }, true);
    const lines = await samples();
    expect(lines.get('autoweave_requests_total{route="/a",status_class="ok"}')).toBe(1);
    expect(lines.get('autoweave_requests_total{route="/a",status_class="5xx"}')).toBe(0);
  });

  it('counts total and good on two metrics with the fixed matcher labels', async () => {
    const runs = sloCounter(metrics, evaluator, TWO_METRICS, {
      help: 'Plugin runs.',
      partHelp: 'Plugin runs that succeeded.',
    });
    expect(runs.metrics.map((m) => m.name)).toEqual([
      'autoweave_plugin_runs_total',
      'autoweave_plugin_runs_ok_total',
    ]);
    runs.record({}, true);
    runs.record({}, false);
    runs.record({}, false);
    const lines = await samples();
    expect(lines.get('autoweave_plugin_runs_total{kind="exec"}')).toBe(3);
    expect(lines.get('autoweave_plugin_runs_ok_total{kind="exec"}')).toBe(1);
    expect(window5m('plugin-runs')).toMatchObject({ good: 1, total: 3 });
  });

  it('never throws on hostile labels or outcomes', () => {
    const jobs = sloCounter(metrics, evaluator, OPERATIONS, {
      help: 'Jobs.',
      labelNames: ['queue'] as const,
    });
    const throwing = new Proxy(
      {},
      {
        get: () => {
          throw new Error('hostile');
        },
        ownKeys: () => {
          throw new Error('hostile');
        },
      },
    );
    expect(() => {
      jobs.record(throwing as { queue: string }, true);
      jobs.labels(throwing as { queue: string }).record(true);
      jobs.record({ queue: 'x'.repeat(1000) }, 'yes' as unknown as boolean);
      jobs.record(undefined as unknown as { queue: string }, true);
    }).not.toThrow();
  });
});
