import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { TENANT_BUDGET_METRICS, observeTenantBudgets } from './budget-metrics';
import type { TenantLimits } from './policy-types';
import { createTenantLimiter, type TenantLimiter } from './rate-limit';

interface Point {
  readonly metric: string;
  readonly value: number;
  readonly attributes: Attributes;
}

/** A pull reader: collects only when asked, as a Prometheus scrape does. */
class PullReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

/** A real SDK MeterProvider with a pull reader; `collect()` flattens what one collection saw. */
function pullMeter() {
  const reader = new PullReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  const meter = provider.getMeter('test');
  const collect = async (): Promise<Point[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((m) =>
        m.dataPointType === DataPointType.SUM || m.dataPointType === DataPointType.GAUGE
          ? m.dataPoints.map((p) => ({ metric: m.descriptor.name, value: p.value, attributes: p.attributes }))
          : [],
      ),
    );
  };
  const instruments = async () => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((m) => ({
        type:
          m.dataPointType === DataPointType.SUM && m.isMonotonic
            ? 'monotonic sum'
            : DataPointType[m.dataPointType].toLowerCase(),
        name: m.descriptor.name,
        unit: m.descriptor.unit,
      })),
    );
  };
  return { meter, collect, instruments };
}

/** Points in a stable order: by metric name, then by attributes. */
const sorted = (points: Point[]) =>
  [...points].sort(
    (a, b) =>
      a.metric.localeCompare(b.metric) ||
      JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)),
  );

const tight: TenantLimits = {
  requestsPerSecond: 1,
  spansPerSecond: 2,
  logLinesPerSecond: 2,
  newSeriesPerMinute: 1,
};

const open: TenantLimiter[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});
const limiterAt = (now: () => number, pressured = false) => {
  const l = createTenantLimiter({
    defaultLimits: tight,
    now,
    pressure: { underPressure: () => pressured },
  });
  open.push(l);
  return l;
};

describe('tenant budget metrics', () => {
  it('registers the documented instruments', async () => {
    const { meter, instruments } = pullMeter();
    const limiter = limiterAt(() => 0);
    observeTenantBudgets(limiter, meter);
    limiter.checkRequest('acme');
    limiter.checkRequest('acme');
    limiter.tryTake('acme', 'spans', 5);
    expect(await instruments()).toEqual([
      { type: 'monotonic sum', name: 'autoweave.tenant.telemetry.dropped', unit: '{item}' },
      {
        type: 'monotonic sum',
        name: 'autoweave.tenant.requests.rejected',
        unit: '{request}',
      },
      { type: 'gauge', name: 'autoweave.tenant.pressure', unit: '' },
    ]);
    expect(TENANT_BUDGET_METRICS.telemetryDropped).toBe('autoweave.tenant.telemetry.dropped');
  });

  it('reports what each tenant lost, by signal, and only for tenants that lost something', async () => {
    const { meter, collect } = pullMeter();
    const limiter = limiterAt(() => 0);
    observeTenantBudgets(limiter, meter);
    for (let i = 0; i < 5; i++) {
      limiter.checkRequest('acme');
      limiter.tryTake('acme', 'spans');
      limiter.tryTake('acme', 'logs', 2);
    }
    limiter.tryTake('acme', 'series', 3);
    limiter.tryTake('quiet', 'spans');

    expect(sorted(await collect())).toEqual([
      { metric: 'autoweave.tenant.pressure', value: 0, attributes: {} },
      { metric: 'autoweave.tenant.requests.rejected', value: 4, attributes: { 'tenant.id': 'acme' } },
      {
        metric: 'autoweave.tenant.telemetry.dropped',
        value: 8,
        attributes: { 'tenant.id': 'acme', signal: 'logs' },
      },
      {
        metric: 'autoweave.tenant.telemetry.dropped',
        value: 3,
        attributes: { 'tenant.id': 'acme', signal: 'series' },
      },
      {
        metric: 'autoweave.tenant.telemetry.dropped',
        value: 3,
        attributes: { 'tenant.id': 'acme', signal: 'spans' },
      },
    ]);
  });

  it('counts up across collections', async () => {
    const { meter, collect } = pullMeter();
    const limiter = limiterAt(() => 0);
    observeTenantBudgets(limiter, meter);
    const spans = async () =>
      (await collect()).find((p) => p.metric === 'autoweave.tenant.telemetry.dropped')?.value;
    for (let i = 0; i < 3; i++) limiter.tryTake('acme', 'spans');
    expect(await spans()).toBe(1);
    for (let i = 0; i < 3; i++) limiter.tryTake('acme', 'spans');
    expect(await spans()).toBe(4);
  });

  it('sums tenants beyond maxTenantLabels under __overflow__, so the series count stays bounded', async () => {
    const { meter, collect } = pullMeter();
    const limiter = limiterAt(() => 0);
    observeTenantBudgets(limiter, meter, { maxTenantLabels: 2 });
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < 3; i++) limiter.checkRequest(`tenant-${t}`);
    }
    const rejected = sorted(await collect()).filter((p) => p.metric === 'autoweave.tenant.requests.rejected');
    expect(rejected).toEqual([
      {
        metric: 'autoweave.tenant.requests.rejected',
        value: 96,
        attributes: { 'tenant.id': '__overflow__' },
      },
      { metric: 'autoweave.tenant.requests.rejected', value: 2, attributes: { 'tenant.id': 'tenant-0' } },
      { metric: 'autoweave.tenant.requests.rejected', value: 2, attributes: { 'tenant.id': 'tenant-1' } },
    ]);
  });

  it('labels only accepted tenants, folding unregistered ids into the overflow value', async () => {
    const { meter, collect } = pullMeter();
    const limiter = limiterAt(() => 0);
    const registered = new Set(['acme']);
    observeTenantBudgets(limiter, meter, {
      accept: (id) => registered.has(id),
      overflowValue: '__unknown__',
    });
    for (const tenant of ['acme', 'from-baggage', 'another-stranger']) {
      for (let i = 0; i < 3; i++) limiter.checkRequest(tenant);
    }
    const rejected = sorted(await collect()).filter((p) => p.metric === 'autoweave.tenant.requests.rejected');
    expect(rejected).toEqual([
      { metric: 'autoweave.tenant.requests.rejected', value: 4, attributes: { 'tenant.id': '__unknown__' } },
      { metric: 'autoweave.tenant.requests.rejected', value: 2, attributes: { 'tenant.id': 'acme' } },
    ]);
  });

  it('reports 1 on the pressure gauge while telemetry budgets are reduced', async () => {
    const { meter, collect } = pullMeter();
    observeTenantBudgets(
      limiterAt(() => 0, true),
      meter,
    );
    expect(await collect()).toEqual([{ metric: 'autoweave.tenant.pressure', value: 1, attributes: {} }]);
  });

  it('stops observing after stop()', async () => {
    const { meter, collect } = pullMeter();
    const handle = observeTenantBudgets(
      limiterAt(() => 0),
      meter,
    );
    handle.stop();
    expect(await collect()).toEqual([]);
  });

  it('refuses a negative label cap', () => {
    const { meter } = pullMeter();
    expect(() =>
      observeTenantBudgets(
        limiterAt(() => 0),
        meter,
        { maxTenantLabels: -1 },
      ),
    ).toThrow(/maxTenantLabels must be an integer ≥ 0, got -1/);
  });
});
