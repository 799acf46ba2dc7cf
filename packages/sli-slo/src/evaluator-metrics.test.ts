import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { checkMetrics } from '@autoweave/test-utils';
import { defineSlo } from './define';
import { createSloEvaluator } from './evaluator';
import { type SloEvaluator } from './evaluator-types';
import { publishSloMetrics } from './evaluator-metrics';

const M = 60_000;
const T0 = Math.ceil(Date.UTC(2026, 2, 1) / (12 * 60 * M)) * 12 * 60 * M;

const AVAILABILITY = defineSlo({
  id: 'availability',
  service: 'platform',
  description: '99.9% of requests without 5xx.',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_requests_total' },
    bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
  },
  groupBy: ['tenant_id'],
});
const USB = defineSlo({
  id: 'usb-event-latency',
  service: 'usb-watcher',
  description: '95% of USB events within 80 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_usb_event_duration_seconds', thresholdSeconds: 0.08 },
});

let metrics: MetricsHandle;
let evaluator: SloEvaluator;
let clock = T0;
beforeEach(() => {
  clock = T0;
  metrics = createMetrics({ defaultMetrics: false });
  evaluator = createSloEvaluator({ slos: [AVAILABILITY, USB], now: () => clock, intervalMs: 0 });
});
afterEach(async () => {
  evaluator.close();
  await metrics.shutdown();
});

/** One sample of the exposition: name, labels (any order) and value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

async function exposition(): Promise<{
  body: string;
  value: (name: string, labels?: Record<string, string>) => number | undefined;
}> {
  const { body } = await metrics.collect();
  const parsed: Sample[] = [];
  for (const line of body.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (m === null || line.startsWith('#')) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_][a-z0-9_]*)="([^"]*)"/gi)].map((l) => [l[1], l[2]]),
    );
    parsed.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  return {
    body,
    value: (name, labels = {}) => parsed.find((p) => p.name === name && same(p.labels, labels))?.value,
  };
}

describe('publishSloMetrics', () => {
  it('exposes SLI, error ratio, burn rate, budget, objective and alert states that pass promtool', async () => {
    publishSloMetrics(evaluator, metrics.meterProvider.getMeter('@autoweave/sli-slo'));
    evaluator.recordMany('availability', 980, 1000, { tenant_id: 'acme' }); // 2% errors: 20× burn
    evaluator.recordMany('availability', 1000, 1000, { tenant_id: 'globex' });
    evaluator.recordLatency('usb-event-latency', 0.05);
    evaluator.recordLatency('usb-event-latency', 0.5);
    evaluator.record('no-such-slo', true);

    const { body, value } = await exposition();
    const acme = { slo_id: 'availability', slo_service: 'platform', tenant_id: 'acme' };
    expect(value('autoweave_slo_sli_ratio', { ...acme, slo_window: '5m' })).toBe(0.98);
    expect(value('autoweave_slo_error_ratio', { ...acme, slo_window: '1h' })).toBe(0.02);
    expect(value('autoweave_slo_burn_rate', { ...acme, slo_window: '30d' })).toBeCloseTo(20, 9);
    expect(value('autoweave_slo_window_events', { ...acme, slo_window: '5m' })).toBe(1000);
    expect(value('autoweave_slo_error_budget_remaining_ratio', acme)).toBeCloseTo(-19, 9);
    expect(value('autoweave_slo_objective_ratio', { slo_id: 'availability', slo_service: 'platform' })).toBe(
      0.999,
    );
    const pageFast = { slo_tier: 'page-fast', severity: 'page' };
    expect(value('autoweave_slo_alert_firing', { ...acme, ...pageFast })).toBe(1);
    expect(value('autoweave_slo_alert_firing', { ...acme, ...pageFast, tenant_id: 'globex' })).toBe(0);
    const usb = { slo_id: 'usb-event-latency', slo_service: 'usb-watcher' };
    expect(value('autoweave_slo_sli_ratio', { ...usb, slo_window: '5m' })).toBe(0.5);
    expect(value('autoweave_slo_events_dropped_total', { reason: 'unknown_slo' })).toBe(1);

    const check = await checkMetrics(body);
    expect(check).toMatchObject({ ok: true, stderr: '' });
  });

  it('turns the SLI of a window without events into NaN, as the rules do, instead of repeating the last value', async () => {
    publishSloMetrics(evaluator, metrics.meterProvider.getMeter('@autoweave/sli-slo'));
    evaluator.recordLatency('usb-event-latency', 0.5);
    const usb = (w: string) => ({ slo_id: 'usb-event-latency', slo_service: 'usb-watcher', slo_window: w });
    const before = await exposition();
    expect(before.value('autoweave_slo_sli_ratio', usb('5m'))).toBe(0);
    clock = T0 + 10 * M;
    const { value, body } = await exposition();
    expect(value('autoweave_slo_sli_ratio', usb('5m'))).toBeNaN();
    expect(value('autoweave_slo_error_ratio', usb('5m'))).toBeNaN();
    expect(value('autoweave_slo_burn_rate', usb('5m'))).toBe(0);
    expect(value('autoweave_slo_sli_ratio', usb('1h'))).toBe(0);
    expect((await checkMetrics(body)).ok).toBe(true);
  });

  it('publishes only the windows asked for, and stops following the evaluator after stop()', async () => {
    const published = publishSloMetrics(evaluator, metrics.meterProvider.getMeter('@autoweave/sli-slo'), {
      windows: ['5m'],
    });
    const usb5m = { slo_id: 'usb-event-latency', slo_service: 'usb-watcher', slo_window: '5m' };
    evaluator.recordMany('usb-event-latency', 1, 2);
    const { body, value } = await exposition();
    expect(body).toMatch(/slo_window="5m"/);
    expect(body).not.toMatch(/slo_window="1h"/);
    expect(value('autoweave_slo_window_events', usb5m)).toBe(2);
    published.stop();
    evaluator.recordMany('usb-event-latency', 1, 2);
    expect((await exposition()).value('autoweave_slo_window_events', usb5m)).toBe(2);
  });
});
