import { OVERFLOW_LABEL_VALUE } from '@autoweave/tenant-isolation';
import { createSloEvaluator } from './evaluator';
import { type SloAlertEvent, type SloEvaluator, type SloGroupStatus } from './evaluator-types';
import { defineSlo } from './define';
import type { SloDefinition, SloInput, SliInput } from './types';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** On a 12 h boundary, so every default bucket starts at T0. */
const T0 = Math.ceil(Date.UTC(2026, 2, 1) / (12 * H)) * 12 * H;

function slo(input: Partial<SloInput> & { id: string }, objective = 0.999): SloDefinition {
  return defineSlo({
    service: 'demo',
    description: `${input.id} fixture`,
    objective,
    sli: {
      kind: 'ratio',
      total: { metric: 'autoweave_requests_total' },
      bad: { metric: 'autoweave_requests_total', matchers: { outcome: 'failure' } },
    },
    labels: { team: 'platform' },
    ...input,
  });
}

const latencySli: SliInput = {
  kind: 'latency',
  histogram: 'autoweave_usb_event_duration_seconds',
  thresholdSeconds: 0.08,
};

/** An evaluator on a hand-driven clock, with every alert event collected. */
function harness(slos: SloDefinition[], extra: { maxGroups?: number } = {}) {
  let clock = T0;
  const events: SloAlertEvent[] = [];
  const evaluator = createSloEvaluator({
    slos,
    now: () => clock,
    intervalMs: 0,
    onAlertChange: (e) => events.push(e),
    ...extra,
  });
  return {
    evaluator,
    events,
    at: (ms: number) => (clock = T0 + ms),
    get now() {
      return clock;
    },
  };
}

const groupOf = (e: SloEvaluator, id: string, labels: Record<string, string> = {}): SloGroupStatus => {
  const status = e.snapshot().slos.find((s) => s.id === id);
  const group = status?.groups.find((g) => JSON.stringify(g.labels) === JSON.stringify(labels));
  if (group === undefined) throw new Error(`no group ${JSON.stringify(labels)} in ${id}`);
  return group;
};
const windowOf = (g: SloGroupStatus, w: string) => g.windows.find((x) => x.window === w);
const tierOf = (g: SloGroupStatus, t: string) => g.alerts.find((x) => x.tier === t);

describe('createSloEvaluator: the math', () => {
  it('gives SLI, error ratio and burn rate per window and the budget left over the SLO window', () => {
    const h = harness([slo({ id: 'availability' })]);
    for (let i = 0; i < 10_000; i++) h.evaluator.record('availability', i % 2000 !== 0);
    const g = groupOf(h.evaluator, 'availability');
    // 5 bad of 10,000: error ratio 0.0005 = half the 0.001 budget
    for (const w of ['5m', '1h', '30d']) {
      expect(windowOf(g, w)).toEqual({
        window: w,
        good: 9995,
        total: 10_000,
        sli: 0.9995,
        errorRatio: 0.0005,
        burnRate: expect.closeTo(0.5, 12) as number,
      });
    }
    expect(g.errorBudgetRemaining).toBeCloseTo(0.5, 12);
    expect(g.alerts.map((a) => a.firing)).toEqual([false, false, false, false]);
  });

  it('reports a window without events as sli null, burn 0, full budget, never firing, and JSON-safe', () => {
    const h = harness([slo({ id: 'availability' })]);
    h.evaluator.record('availability', false);
    h.at(10 * M); // the bad event has left 5m but not 1h
    const snap = h.evaluator.snapshot();
    const g = snap.slos[0]?.groups[0] as SloGroupStatus;
    expect(windowOf(g, '5m')).toEqual({
      window: '5m',
      good: 0,
      total: 0,
      sli: null,
      errorRatio: null,
      burnRate: 0,
    });
    expect(windowOf(g, '1h')?.errorRatio).toBe(1);
    // 1h and 5m would both have to exceed 14.4×: an empty 5m window never fires
    expect(tierOf(g, 'page-fast')).toMatchObject({
      firing: false,
      shortErrorRatio: null,
      shortBurnRate: 0,
      longBurnRate: 1000,
    });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);

    const empty = harness([slo({ id: 'availability' })]).evaluator.snapshot().slos[0]?.groups[0];
    expect(empty?.errorBudgetRemaining).toBe(1);
    expect(empty?.windows.every((w) => w.sli === null && w.burnRate === 0)).toBe(true);
  });

  it('spends the budget below zero when the SLO window holds more bad events than it allows', () => {
    const h = harness([slo({ id: 'availability' })]);
    h.evaluator.recordMany('availability', 997, 1000); // 0.3% errors = 3× the budget
    expect(groupOf(h.evaluator, 'availability').errorBudgetRemaining).toBeCloseTo(-2, 12);
  });

  it('forgets bad events once they are older than the 30d window', () => {
    const h = harness([slo({ id: 'availability' })]);
    h.evaluator.recordMany('availability', 900, 1000);
    h.at(29 * D);
    h.evaluator.recordMany('availability', 1000, 1000);
    expect(windowOf(groupOf(h.evaluator, 'availability'), '30d')).toMatchObject({ good: 1900, total: 2000 });
    h.at(30 * D); // the first batch's 12h bucket started at T0: gone exactly 30d later
    expect(windowOf(groupOf(h.evaluator, 'availability'), '30d')).toMatchObject({ good: 1000, total: 1000 });
    expect(groupOf(h.evaluator, 'availability').errorBudgetRemaining).toBe(1);
  });
});

describe('createSloEvaluator: multi-window multi-burn-rate alerts', () => {
  /** 1 event a second; `bad(t)` says which are bad; evaluates every second. */
  function drive(h: ReturnType<typeof harness>, fromS: number, toS: number, bad: (s: number) => boolean) {
    for (let s = fromS; s < toS; s++) {
      h.at(s * S);
      h.evaluator.record('availability', !bad(s));
      h.evaluator.evaluate();
    }
  }

  it('pages on a full outage once the 1h error ratio passes 14.4 × budget, and resolves ~5m after recovery', () => {
    const h = harness([slo({ id: 'availability' })]);
    drive(h, 0, 2 * 3600, () => false); // two healthy hours
    const outageStart = 2 * 3600;
    drive(h, outageStart, outageStart + 120, () => true);
    const fired = h.events.find((e) => e.tier === 'page-fast' && e.state === 'firing');
    expect(fired).toBeDefined();
    const firedAfterS = ((fired as SloAlertEvent).at - T0) / S - outageStart;
    // 1h window: 3600 events; needs > 0.0144 × 3600 ≈ 51.8 bad ones
    expect(firedAfterS).toBeGreaterThanOrEqual(51);
    expect(firedAfterS).toBeLessThanOrEqual(53);
    expect(fired).toMatchObject({
      sloId: 'availability',
      service: 'demo',
      labels: {},
      routing: { team: 'platform' },
      severity: 'page',
      shortWindow: '5m',
      longWindow: '1h',
      shortErrorRatio: expect.any(Number) as number,
      factor: 14.4,
      threshold: 0.0144,
    });
    expect((fired as SloAlertEvent).longErrorRatio).toBeGreaterThan(0.0144);
    expect((fired as SloAlertEvent).longErrorRatio).toBeLessThan(0.0144 + 2 / 3600);
    expect((fired as SloAlertEvent).longBurnRate).toBeCloseTo(
      ((fired as SloAlertEvent).longErrorRatio as number) / 0.001,
      9,
    );
    expect(tierOf(groupOf(h.evaluator, 'availability'), 'page-fast')).toMatchObject({
      firing: true,
      since: (fired as SloAlertEvent).at,
    });

    const recovery = outageStart + 120;
    drive(h, recovery, recovery + 15 * 60, () => false);
    const resolved = h.events.find((e) => e.tier === 'page-fast' && e.state === 'resolved');
    expect(resolved?.since).toBe((fired as SloAlertEvent).at);
    const resolvedAfterS = ((resolved as SloAlertEvent).at - T0) / S - recovery;
    // the 120 bad events must leave the 5m window (short leg) until < 1.44% of it is bad
    expect(resolvedAfterS).toBeGreaterThan(4 * 60);
    expect(resolvedAfterS).toBeLessThanOrEqual(5 * 60);
    // while the 1h window (long leg) still holds all 120 bad events
    expect(windowOf(groupOf(h.evaluator, 'availability'), '1h')?.total).toBe(3600);
  });

  it('never pages on a sustained 0.5× burn, and raises the 1× ticket only once the 3d window is burning', () => {
    const h = harness([slo({ id: 'availability' })]);
    // 0.05% errors: burn 0.5 on every window
    h.evaluator.recordMany('availability', 19_990, 20_000);
    for (let hour = 1; hour <= 80; hour++) {
      h.at(hour * H);
      h.evaluator.recordMany('availability', 19_990, 20_000);
      h.evaluator.evaluate();
    }
    expect(h.events).toEqual([]);
    // now 0.2% errors (2×): over the 1× ticket threshold; the 3d window needs time to follow
    for (let hour = 81; hour <= 81 + 72; hour++) {
      h.at(hour * H);
      h.evaluator.recordMany('availability', 19_960, 20_000);
      h.evaluator.evaluate();
    }
    expect(h.events.map((e) => [e.tier, e.state])).toEqual([['ticket-slow', 'firing']]);
  });

  it('does not fire below minEvents in the long window, however bad the ratio', () => {
    const guarded = slo({ id: 'availability', minEvents: 100 });
    const h = harness([guarded]);
    h.evaluator.recordMany('availability', 0, 99);
    h.evaluator.evaluate();
    expect(h.events).toEqual([]);
    expect(tierOf(groupOf(h.evaluator, 'availability'), 'page-fast')).toMatchObject({
      firing: false,
      shortErrorRatio: 1,
      longWindowEvents: 99,
    });
    h.evaluator.record('availability', false);
    h.evaluator.evaluate();
    expect(h.events.filter((e) => e.state === 'firing').map((e) => e.tier)).toEqual([
      'page-fast',
      'page-slow',
      'ticket-fast',
      'ticket-slow',
    ]);
  });

  it('compares with > like the rules: an error ratio exactly at the threshold does not fire', () => {
    const h = harness([slo({ id: 'availability' })]);
    h.evaluator.recordMany('availability', 10_000 - 144, 10_000); // exactly 0.0144
    h.evaluator.evaluate();
    expect(h.events.filter((e) => e.tier === 'page-fast')).toEqual([]);
    h.evaluator.record('availability', false);
    h.evaluator.evaluate();
    expect(h.events.filter((e) => e.tier === 'page-fast').map((e) => e.state)).toEqual(['firing']);
  });

  it('tells every listener, survives one that throws, and stops telling one that unsubscribed', () => {
    const h = harness([slo({ id: 'availability' })]);
    const a: string[] = [];
    const b: string[] = [];
    h.evaluator.on('alert', () => {
      throw new Error('listener bug');
    });
    const offA = h.evaluator.on('alert', (e) => a.push(`${e.tier}:${e.state}`));
    h.evaluator.subscribe((e) => b.push(`${e.tier}:${e.state}`));
    h.evaluator.record('availability', false);
    h.evaluator.evaluate();
    offA();
    h.at(7 * D);
    h.evaluator.evaluate();
    expect(a).toEqual(['page-fast:firing', 'page-slow:firing', 'ticket-fast:firing', 'ticket-slow:firing']);
    expect(b).toHaveLength(8);
    expect(b.slice(4)).toEqual([
      'page-fast:resolved',
      'page-slow:resolved',
      'ticket-fast:resolved',
      'ticket-slow:resolved',
    ]);
    expect(h.evaluator.snapshot().listenerErrors).toBe(8);
    expect(() => h.evaluator.on('change' as 'alert', () => undefined)).toThrow(/only event is 'alert'/);
  });

  it('evaluates on its own timer and reports the change to listeners', async () => {
    const evaluator = createSloEvaluator({ slos: [slo({ id: 'availability' })], intervalMs: 20 });
    try {
      const fired = new Promise<SloAlertEvent>((resolve) => evaluator.subscribe(resolve));
      evaluator.recordMany('availability', 0, 10);
      expect((await fired).state).toBe('firing');
    } finally {
      evaluator.close();
    }
  });
});

describe('createSloEvaluator: groups and hostile input', () => {
  it('keeps one set of counts and alert states per groupBy label set', () => {
    const h = harness([slo({ id: 'availability', groupBy: ['tenant_id', 'route'] })]);
    h.evaluator.recordMany('availability', 0, 10, { tenant_id: 'acme', route: '/a', other: 'ignored' });
    h.evaluator.recordMany('availability', 10, 10, { tenant_id: 'acme', route: '/b' });
    h.evaluator.record('availability', true, { tenant_id: 'globex', route: '/a' });
    const groups = h.evaluator.snapshot().slos[0]?.groups ?? [];
    expect(
      groups.map((g) => [
        g.labels,
        windowOf(g, '5m')?.good,
        windowOf(g, '5m')?.total,
        tierOf(g, 'page-fast')?.firing,
      ]),
    ).toEqual([
      [{ tenant_id: 'acme', route: '/a' }, 0, 10, true],
      [{ tenant_id: 'acme', route: '/b' }, 10, 10, false],
      [{ tenant_id: 'globex', route: '/a' }, 1, 1, false],
    ]);
    expect(h.events.map((e) => e.labels)).toEqual(Array(4).fill({ tenant_id: 'acme', route: '/a' }));
  });

  it('folds groups beyond maxGroups and bad label values into __overflow__ and counts them', () => {
    const h = harness([slo({ id: 'availability', groupBy: ['tenant_id'] })], { maxGroups: 3 });
    for (let i = 0; i < 100; i++) h.evaluator.record('availability', true, { tenant_id: `t-${i % 10}` });
    h.evaluator.record('availability', false, { tenant_id: 'x'.repeat(500) });
    h.evaluator.record('availability', false, { tenant_id: { toString: () => 'evil' } as unknown as string });
    h.evaluator.record('availability', false, undefined);
    h.evaluator.record('availability', false, 'nonsense' as unknown as Record<string, string>);
    h.evaluator.record('availability', true, { tenant_id: 7 });
    const status = h.evaluator.snapshot().slos[0];
    const totals = Object.fromEntries(
      (status?.groups ?? []).map((g) => [g.labels.tenant_id, windowOf(g, '5m')?.total]),
    );
    // t-0..t-2 take the 3 groups; t-3..t-9 (70 events), the 4 bad values and 7 overflow
    expect(totals).toEqual({ 't-0': 10, 't-1': 10, 't-2': 10, [OVERFLOW_LABEL_VALUE]: 75 });
    expect(status?.overflowedEvents).toBe(75);
  });

  it('counts and ignores unknown ids, invalid values and wrong kinds without ever throwing', () => {
    const h = harness([
      slo({ id: 'availability', groupBy: ['tenant_id'] }),
      slo({ id: 'usb-latency', sli: latencySli }),
    ]);
    const hostile: unknown[] = [undefined, null, NaN, -1, Infinity, '1', {}, [], Symbol('x'), 10n, () => 1];
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('hostile getter');
        },
      },
    );
    expect(() => {
      for (const v of hostile) {
        h.evaluator.record(v as string, true);
        h.evaluator.record('availability', v as boolean, { tenant_id: v as string });
        h.evaluator.recordLatency('usb-latency', v as number);
        h.evaluator.recordMany('availability', v as number, 1);
        h.evaluator.recordMany('availability', 1, v as number);
        h.evaluator.bind(v as string).record(true);
      }
      h.evaluator.record('availability', true, throwing);
      h.evaluator.bind('availability', throwing).record(true);
      h.evaluator.recordLatency('availability', 0.01);
      h.evaluator.record('nope', true);
    }).not.toThrow();
    const snap = h.evaluator.snapshot();
    // 11 hostile ids × 2 + 'nope'; 11 × 4 invalid values + the two throwing label objects
    expect(snap.dropped).toEqual({ unknownSlo: 23, invalidValue: 46, wrongKind: 1 });
    expect(snap.slos.flatMap((s) => s.groups).every((g) => windowOf(g, '5m')?.total === 0)).toBe(true);
  });

  it('counts a latency at the threshold as good, like the histogram bucket le="0.08"', () => {
    const h = harness([slo({ id: 'usb-latency', sli: latencySli }, 0.95)]);
    for (const seconds of [0, 0.05, 0.08, 0.0800001, 0.1, 3])
      h.evaluator.recordLatency('usb-latency', seconds);
    expect(windowOf(groupOf(h.evaluator, 'usb-latency'), '5m')).toMatchObject({
      good: 3,
      total: 6,
      sli: 0.5,
    });
    h.evaluator.record('usb-latency', false); // a caller may also judge events itself
    expect(windowOf(groupOf(h.evaluator, 'usb-latency'), '5m')).toMatchObject({ good: 3, total: 7 });
  });

  it('records through a bound recorder into the same group as the unbound calls', () => {
    const h = harness([slo({ id: 'usb-latency', sli: latencySli, groupBy: ['device'] })]);
    const bound = h.evaluator.bind('usb-latency', { device: 'hub' });
    bound.record(true);
    bound.recordLatency(0.2);
    bound.recordMany(3, 4);
    h.evaluator.recordLatency('usb-latency', 0.01, { device: 'hub' });
    expect(windowOf(groupOf(h.evaluator, 'usb-latency', { device: 'hub' }), '5m')).toMatchObject({
      good: 5,
      total: 7,
    });
  });

  it('refuses definitions it cannot evaluate, saying what to change', () => {
    expect(() => createSloEvaluator({ slos: [slo({ id: 'a' }), slo({ id: 'a' })] })).toThrow(
      /"a" is given twice/,
    );
    // definitions not made by defineSlo (hand-built or edited after it)
    expect(() => createSloEvaluator({ slos: [{ ...slo({ id: 'a' }), window: 'a month' }] })).toThrow(
      /"a month" is not a Prometheus duration; build definitions with defineSlo/,
    );
    expect(() => createSloEvaluator({ slos: [{ ...slo({ id: 'a' }), objective: 1 }] })).toThrow(
      /objective must be in \(0, 1\)/,
    );
    expect(() => createSloEvaluator({ slos: [], maxGroups: 0 })).toThrow(/maxGroups must be an integer ≥ 1/);
  });
});
