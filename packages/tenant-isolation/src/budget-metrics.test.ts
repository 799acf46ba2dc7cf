import {
  createNoopMeter,
  type Attributes,
  type BatchObservableCallback,
  type Meter,
  type Observable,
} from '@opentelemetry/api';
import { TENANT_BUDGET_METRICS, observeTenantBudgets } from './budget-metrics';
import type { TenantLimits } from './policy-types';
import { createTenantLimiter, type TenantLimiter } from './rate-limit';

interface Point {
  readonly metric: string;
  readonly value: number;
  readonly attributes: Attributes;
}

/**
 * A Meter that does what an SDK pull reader does at collection time: runs the batch callbacks and
 * keeps what they observe. (@opentelemetry/sdk-metrics is not a dependency of this package.)
 */
function pullMeter() {
  const callbacks = new Map<BatchObservableCallback, Observable[]>();
  const instruments: {
    kind: string;
    name: string;
    unit?: string | undefined;
    description?: string | undefined;
  }[] = [];
  const names = new Map<Observable, string>();
  const observable =
    (kind: string) =>
    (name: string, options?: { unit?: string; description?: string }): Observable => {
      const instrument: Observable = { addCallback: () => undefined, removeCallback: () => undefined };
      instruments.push({ kind, name, unit: options?.unit, description: options?.description });
      names.set(instrument, name);
      return instrument;
    };
  const meter = Object.assign(Object.create(createNoopMeter()) as Meter, {
    createObservableCounter: observable('counter'),
    createObservableGauge: observable('gauge'),
    addBatchObservableCallback: (cb: BatchObservableCallback, obs: Observable[]) => callbacks.set(cb, obs),
    removeBatchObservableCallback: (cb: BatchObservableCallback) => callbacks.delete(cb),
  });
  const collect = async (): Promise<Point[]> => {
    const points: Point[] = [];
    for (const [cb, allowed] of callbacks) {
      await cb({
        observe(instrument, value, attributes = {}) {
          if (!allowed.includes(instrument))
            throw new Error('observed an instrument not registered with the callback');
          points.push({ metric: names.get(instrument)!, value, attributes });
        },
      });
    }
    return points;
  };
  return { meter, collect, instruments };
}

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
  it('registers the documented instruments', () => {
    const { meter, instruments } = pullMeter();
    observeTenantBudgets(
      limiterAt(() => 0),
      meter,
    );
    expect(instruments.map(({ kind, name, unit }) => ({ kind, name, unit }))).toEqual([
      { kind: 'counter', name: 'autoweave.tenant.telemetry.dropped', unit: '{item}' },
      { kind: 'counter', name: 'autoweave.tenant.requests.rejected', unit: '{request}' },
      { kind: 'gauge', name: 'autoweave.tenant.pressure', unit: undefined },
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

    expect(await collect()).toEqual([
      { metric: 'autoweave.tenant.pressure', value: 0, attributes: {} },
      { metric: 'autoweave.tenant.requests.rejected', value: 4, attributes: { 'tenant.id': 'acme' } },
      {
        metric: 'autoweave.tenant.telemetry.dropped',
        value: 3,
        attributes: { 'tenant.id': 'acme', signal: 'spans' },
      },
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
    const rejected = (await collect()).filter((p) => p.metric === 'autoweave.tenant.requests.rejected');
    expect(rejected).toEqual([
      { metric: 'autoweave.tenant.requests.rejected', value: 2, attributes: { 'tenant.id': 'tenant-0' } },
      { metric: 'autoweave.tenant.requests.rejected', value: 2, attributes: { 'tenant.id': 'tenant-1' } },
      {
        metric: 'autoweave.tenant.requests.rejected',
        value: 96,
        attributes: { 'tenant.id': '__overflow__' },
      },
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
