import { seededRandom } from '@autoweave/test-utils';
import type { AuditEventInput, BudgetKind, TenantLimits } from './policy-types';
import { OVERFLOW_TENANT, createTenantLimiter, type TenantLimiter } from './rate-limit';

/** A clock the test moves by hand, in ms. */
function manualClock(start = 0) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

const limits = (over: Partial<TenantLimits> = {}): TenantLimits => ({
  requestsPerSecond: 10,
  spansPerSecond: 100,
  logLinesPerSecond: 50,
  newSeriesPerMinute: 60,
  ...over,
});

const open: TenantLimiter[] = [];
const track = (l: TenantLimiter) => {
  open.push(l);
  return l;
};
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});

/** Runs `seconds` of traffic in 1 ms steps; `rates` are attempts per second for each tenant and kind. */
function drive(
  limiter: TenantLimiter,
  clock: ReturnType<typeof manualClock>,
  seconds: number,
  rates: Record<string, Partial<Record<BudgetKind, number>>>,
): Record<string, Record<BudgetKind, number>> {
  const admitted: Record<string, Record<BudgetKind, number>> = {};
  for (const tenant of Object.keys(rates)) admitted[tenant] = { requests: 0, spans: 0, logs: 0, series: 0 };
  for (let ms = 0; ms < seconds * 1000; ms++) {
    for (const [tenant, perKind] of Object.entries(rates)) {
      for (const [kind, perSecond] of Object.entries(perKind) as [BudgetKind, number][]) {
        // `perSecond` attempts spread evenly: how many fall in this millisecond.
        const due = Math.floor(((ms + 1) * perSecond) / 1000) - Math.floor((ms * perSecond) / 1000);
        for (let i = 0; i < due; i++) {
          const ok =
            kind === 'requests' ? limiter.checkRequest(tenant).allowed : limiter.tryTake(tenant, kind);
          if (ok) admitted[tenant]![kind]++;
        }
      }
    }
    clock.advance(1);
  }
  return admitted;
}

describe('tenant limiter: isolation', () => {
  it("lets tenant A flood at 10× its limit without changing tenant B's admitted requests and telemetry", () => {
    const plan = limits();
    const bTraffic = { requests: 9, spans: 90, logs: 45, series: 1 };
    const run = (withA: boolean) => {
      const clock = manualClock();
      const limiter = track(createTenantLimiter({ limitsFor: () => plan, now: clock.now }));
      const rates: Record<string, Partial<Record<BudgetKind, number>>> = { 'tenant-b': bTraffic };
      if (withA) rates['tenant-a'] = { requests: 100, spans: 1000, logs: 500, series: 10 };
      return { admitted: drive(limiter, clock, 10, rates), stats: limiter.stats() };
    };

    const alone = run(false);
    const flooded = run(true);

    // B sees exactly what it sees alone: every one of its (under-limit) attempts admitted.
    expect(flooded.admitted['tenant-b']).toEqual(alone.admitted['tenant-b']);
    expect(flooded.admitted['tenant-b']).toEqual({ requests: 90, spans: 900, logs: 450, series: 10 });
    const b = flooded.stats.byTenant.find((s) => s.tenant === 'tenant-b')!;
    expect(b.rejected).toEqual({ requests: 0, spans: 0, logs: 0, series: 0 });

    // A gets one burst plus its rate over the 9.999 s between its first and last attempt; the rest
    // is refused and counted.
    const a = flooded.admitted['tenant-a']!;
    expect(a.requests).toBe(10 + 99);
    expect(a.spans).toBe(100 + 999);
    expect(a.logs).toBe(50 + 499);
    expect(a.series).toBe(60 + 9); // the per-minute burst, then 1/s
    const aStats = flooded.stats.byTenant.find((s) => s.tenant === 'tenant-a')!;
    expect(aStats.rejected).toEqual({
      requests: 1000 - a.requests,
      spans: 10_000 - a.spans,
      logs: 5000 - a.logs,
      series: 100 - a.series,
    });
  });

  it('gives each tenant the limits of its own plan and the defaults to tenants the registry does not know', () => {
    const clock = manualClock();
    const plans: Record<string, TenantLimits> = {
      small: limits({ requestsPerSecond: 2 }),
      big: limits({ requestsPerSecond: 20 }),
    };
    const limiter = track(
      createTenantLimiter({
        limitsFor: (id) => plans[id],
        defaultLimits: limits({ requestsPerSecond: 5 }),
        now: clock.now,
      }),
    );
    const admittedAtOnce = (tenant: string) => {
      let n = 0;
      while (limiter.checkRequest(tenant).allowed) n++;
      return n;
    };
    expect(admittedAtOnce('small')).toBe(2);
    expect(admittedAtOnce('big')).toBe(20);
    expect(admittedAtOnce('stranger')).toBe(5);
  });
});

describe('tenant limiter: Retry-After', () => {
  it('says in whole seconds, rounded up, when the next request will be allowed', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({ defaultLimits: limits({ requestsPerSecond: 0.25 }), now: clock.now }),
    );
    expect(limiter.checkRequest('acme')).toEqual({ allowed: true });
    expect(limiter.checkRequest('acme')).toEqual({ allowed: false, retryAfterSeconds: 4 });
    clock.advance(1500);
    expect(limiter.checkRequest('acme')).toEqual({ allowed: false, retryAfterSeconds: 3 }); // 2.5 s left
    clock.advance(2499);
    expect(limiter.checkRequest('acme')).toEqual({ allowed: false, retryAfterSeconds: 1 }); // 1 ms left
    clock.advance(1);
    expect(limiter.checkRequest('acme')).toEqual({ allowed: true });
  });

  it('never answers less than 1 second, and caps the wait when a plan allows no requests', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({
        limitsFor: (id) => (id === 'suspended' ? { requestsPerSecond: 0 } : undefined),
        defaultLimits: limits({ requestsPerSecond: 1000 }),
        maxRetryAfterSeconds: 600,
        now: clock.now,
      }),
    );
    for (let i = 0; i < 1000; i++) limiter.checkRequest('busy');
    expect(limiter.checkRequest('busy')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.checkRequest('suspended')).toEqual({ allowed: false, retryAfterSeconds: 600 });
  });
});

describe('tenant limiter: pressure', () => {
  it('halves telemetry budgets but not requests while the pressure source says so', () => {
    const clock = manualClock();
    let pressure = false;
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ requestsPerSecond: 10, spansPerSecond: 100 }),
        pressure: { underPressure: () => pressure },
        now: clock.now,
      }),
    );
    const traffic = { acme: { requests: 20, spans: 200 } };
    drive(limiter, clock, 2, traffic); // empties the bursts
    const calm = drive(limiter, clock, 10, traffic);
    pressure = true;
    drive(limiter, clock, 1, traffic); // settles on the reduced burst
    const pressured = drive(limiter, clock, 10, traffic);
    expect(limiter.stats().telemetryFactor).toBe(0.5);
    pressure = false;
    drive(limiter, clock, 1, traffic);
    const after = drive(limiter, clock, 10, traffic);

    expect(calm.acme!.spans).toBe(1000);
    expect(pressured.acme!.spans).toBe(500);
    expect(after.acme!.spans).toBe(1000);
    expect(pressured.acme!.requests).toBe(calm.acme!.requests);
    expect(calm.acme!.requests).toBe(100);
  });

  it('scales requests too with pressureAffectsRequests, and setPressure overrides the source', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ requestsPerSecond: 10 }),
        pressure: { underPressure: () => false },
        pressureAffectsRequests: true,
        telemetryPressureFactor: 0.2,
        now: clock.now,
      }),
    );
    limiter.setPressure(true);
    expect(limiter.underPressure()).toBe(true);
    let burst = 0;
    while (limiter.checkRequest('acme').allowed) burst++;
    expect(burst).toBe(2); // 10 × 0.2
    limiter.setPressure(undefined);
    expect(limiter.underPressure()).toBe(false);
  });

  it('keeps admitting one unit per refill when the reduced burst would be below one', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ spansPerSecond: 1, spanBurst: 1 }),
        pressure: { underPressure: () => true },
        now: clock.now,
      }),
    );
    expect(limiter.tryTake('acme', 'spans')).toBe(true);
    expect(limiter.tryTake('acme', 'spans')).toBe(false);
    clock.advance(2000); // 0.5 spans/s under pressure
    expect(limiter.tryTake('acme', 'spans')).toBe(true);
  });

  it('treats a pressure source that throws as no pressure', () => {
    const limiter = track(
      createTenantLimiter({
        pressure: {
          underPressure: () => {
            throw new Error('probe broke');
          },
        },
      }),
    );
    expect(limiter.underPressure()).toBe(false);
    expect(limiter.tryTake('acme', 'spans')).toBe(true);
  });
});

describe('tenant limiter: charge and debt', () => {
  it('keeps child spans of an admitted trace and makes later roots pay the debt', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({ defaultLimits: limits({ spansPerSecond: 10 }), now: clock.now }),
    );
    for (let i = 0; i < 10; i++) expect(limiter.tryTake('acme', 'spans')).toBe(true);
    limiter.charge('acme', 'spans', 25); // debt floors at one burst: -10
    expect(limiter.tryTake('acme', 'spans')).toBe(false);
    clock.advance(1000); // back to 0 tokens
    expect(limiter.tryTake('acme', 'spans')).toBe(false);
    clock.advance(100);
    expect(limiter.tryTake('acme', 'spans')).toBe(true);
    const acme = limiter.stats().byTenant.find((s) => s.tenant === 'acme')!;
    expect(acme.admitted.spans).toBe(10 + 25 + 1);
    expect(acme.rejected.spans).toBe(2);
  });

  it('counts a refused batch as that many dropped units', () => {
    const limiter = track(createTenantLimiter({ defaultLimits: limits({ logLinesPerSecond: 10 }) }));
    expect(limiter.tryTake('acme', 'logs', 8)).toBe(true);
    expect(limiter.tryTake('acme', 'logs', 5)).toBe(false);
    expect(limiter.stats().totals.rejected.logs).toBe(5);
  });
});

describe('tenant limiter: bounded memory', () => {
  it('tracks at most maxTenants of 100,000 distinct tenants and serves the rest from one overflow set', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({ defaultLimits: limits(), maxTenants: 10_000, idleMs: 60_000, now: clock.now }),
    );
    for (let i = 0; i < 100_000; i++) limiter.tryTake(`t-${i}`, 'spans');
    let stats = limiter.stats();
    expect(stats.tenants).toBe(10_000);
    expect(stats.overflowed).toBe(90_000);
    expect(stats.byTenant).toHaveLength(10_001);
    const shared = stats.byTenant.find((s) => s.tenant === OVERFLOW_TENANT)!;
    expect(shared.admitted.spans).toBe(100); // one burst, shared by 90,000
    expect(shared.rejected.spans).toBe(90_000 - 100);
    // The tracked tenants are untouched by the overflow crowd.
    expect(limiter.tryTake('t-42', 'spans')).toBe(true);

    // Once they are idle, the next 100,000 evict them; the table never holds more than the cap.
    clock.advance(60_000);
    for (let i = 100_000; i < 200_000; i++) {
      limiter.tryTake(`t-${i}`, 'spans');
      if (i % 20_000 === 0) expect(limiter.stats().tenants).toBeLessThanOrEqual(10_000);
    }
    stats = limiter.stats();
    expect(stats.tenants).toBe(10_000);
    expect(stats.evictions).toBe(10_000);
    expect(stats.byTenant.length).toBeLessThanOrEqual(10_001);
    // Counts of evicted tenants stay in the totals.
    expect(stats.totals.admitted.spans + stats.totals.rejected.spans).toBe(200_001);
  });

  it('gives a new tenant its own buckets as soon as the oldest entry is idle, not at the next scheduled sweep', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({ maxTenants: 2, idleMs: 1000, sweepIntervalMs: 3_600_000, now: clock.now }),
    );
    limiter.checkRequest('a');
    clock.advance(500);
    limiter.checkRequest('b');
    clock.advance(100);
    limiter.checkRequest('c');
    expect(limiter.stats().byTenant.map((s) => s.tenant)).toEqual(['a', 'b', OVERFLOW_TENANT]);
    clock.set(1000);
    limiter.checkRequest('c');
    expect(limiter.stats().byTenant.map((s) => s.tenant)).toEqual(['b', 'c', OVERFLOW_TENANT]);
    expect(limiter.stats().evictions).toBe(1);
  });

  it('brings an evicted tenant back with a full bucket and fresh counters', () => {
    const clock = manualClock();
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ requestsPerSecond: 3 }),
        idleMs: 10_000,
        now: clock.now,
      }),
    );
    for (let i = 0; i < 5; i++) limiter.checkRequest('acme');
    clock.advance(60_000);
    limiter.checkRequest('other'); // a new tenant triggers the due sweep
    expect(limiter.stats().byTenant.map((s) => s.tenant)).toEqual(['other']);
    let burst = 0;
    while (limiter.checkRequest('acme').allowed) burst++;
    expect(burst).toBe(3);
    const acme = limiter.stats().byTenant.find((s) => s.tenant === 'acme')!;
    expect(acme.admitted.requests).toBe(3);
    expect(limiter.stats().totals.admitted.requests).toBe(3 + 1 + 3);
  });

  it('forget() drops a tenant at once', () => {
    const limiter = track(createTenantLimiter());
    limiter.checkRequest('acme');
    limiter.forget('acme');
    limiter.forget('never-seen');
    expect(limiter.stats().tenants).toBe(0);
  });
});

describe('tenant limiter: hostile tenant ids', () => {
  it('never throws and never gives an invalid id its own entry, whatever the value', () => {
    const random = seededRandom(20240611);
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCZ0123456789-_.:/\\ \u0000\u202e😀é\n"\'{}';
    const idAlphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-';
    const randomString = () => {
      // Half look like tenant ids (some too long or starting with "-"), half are anything.
      const chars = random() < 0.5 ? idAlphabet : alphabet;
      const len = Math.floor(random() * 70);
      let out = '';
      for (let i = 0; i < len; i++) out += chars[Math.floor(random() * chars.length)];
      return random() < 0.01 ? out.repeat(200) : out;
    };
    const fixed: unknown[] = [
      undefined,
      null,
      0,
      -1,
      Number.NaN,
      {},
      [],
      Symbol('x'),
      () => 'acme',
      '',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      OVERFLOW_TENANT,
      'x'.repeat(64),
      'x'.repeat(1_000_000),
      'ACME',
      '-acme',
      { toString: () => 'acme' },
    ];
    const clock = manualClock();
    const limiter = track(createTenantLimiter({ maxTenants: 500, now: clock.now }));
    const valid = new Set<string>();
    const kinds: BudgetKind[] = ['requests', 'spans', 'logs', 'series'];
    const thrown: unknown[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = i < fixed.length ? fixed[i] : randomString();
      if (typeof id === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) valid.add(id);
      const hostile = id as string;
      const n = [1, 0, -5, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 2.5][i % 7];
      try {
        limiter.checkRequest(hostile);
        limiter.tryTake(hostile, kinds[i % 4]!, n);
        limiter.charge(hostile, kinds[(i + 1) % 4]!, n);
        if (i % 3 === 0) limiter.forget(hostile);
        limiter.refreshLimits(hostile);
      } catch (error) {
        thrown.push(error);
      }
      if (i % 97 === 0) clock.advance(13);
    }
    expect(thrown).toEqual([]);
    const stats = limiter.stats();
    expect(valid.size).toBeGreaterThan(5000);
    expect(stats.tenants).toBeLessThanOrEqual(500);
    expect(stats.tenants).toBeLessThanOrEqual(valid.size);
    expect(stats.invalidTenantIds).toBeGreaterThan(0);
    for (const s of stats.byTenant) {
      expect(s.tenant === OVERFLOW_TENANT || valid.has(s.tenant)).toBe(true);
      for (const kind of kinds) {
        expect(Number.isFinite(s.admitted[kind])).toBe(true);
        expect(Number.isFinite(s.rejected[kind])).toBe(true);
      }
    }
  });

  it('passes only valid ids to limitsFor', () => {
    const asked: string[] = [];
    const limiter = track(
      createTenantLimiter({
        limitsFor: (id) => {
          asked.push(id);
          return undefined;
        },
      }),
    );
    limiter.checkRequest('Bad Id');
    limiter.checkRequest('__overflow__');
    limiter.checkRequest('good-id');
    expect(asked).toEqual(['good-id']);
  });
});

describe('tenant limiter: audit', () => {
  it('writes at most one rate_limit.exceeded entry per tenant per interval, with the count since the last one', () => {
    const clock = manualClock();
    const entries: AuditEventInput[] = [];
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ requestsPerSecond: 1, spansPerSecond: 1 }),
        audit: { record: (e) => entries.push(e) },
        auditIntervalMs: 60_000,
        now: clock.now,
      }),
    );
    limiter.checkRequest('acme'); // the one token
    for (let i = 0; i < 1000; i++) {
      limiter.checkRequest('acme');
      limiter.tryTake('acme', 'spans', 5); // telemetry drops are not audited by default
      limiter.checkRequest('globex');
      limiter.checkRequest('globex');
      clock.advance(10); // refills 0.01 token: every one of these after the first is refused
    }
    // 10 s in: one entry per tenant, written at the first refusal.
    expect(entries).toEqual([
      {
        type: 'rate_limit.exceeded',
        tenant: 'acme',
        data: { rejected: 1, byKind: { requests: 1 }, windowSeconds: 0 },
      },
      {
        type: 'rate_limit.exceeded',
        tenant: 'globex',
        data: { rejected: 1, byKind: { requests: 1 }, windowSeconds: 0 },
      },
    ]);
    clock.set(60_000);
    expect(limiter.checkRequest('acme').allowed).toBe(true); // refilled
    expect(limiter.checkRequest('acme').allowed).toBe(false);
    expect(entries).toHaveLength(3);
    const byTenant = limiter.stats().byTenant;
    const acme = byTenant.find((s) => s.tenant === 'acme')!.rejected.requests;
    const globex = byTenant.find((s) => s.tenant === 'globex')!.rejected.requests;
    expect(acme).toBeGreaterThan(980); // about 10 of the 1000 loop requests found a refilled token
    // Everything since the first entry, over the window from the second refusal (t = 10 ms) to now.
    expect(entries[2]).toEqual({
      type: 'rate_limit.exceeded',
      tenant: 'acme',
      data: { rejected: acme - 1, byKind: { requests: acme - 1 }, windowSeconds: 59.99 },
    });
    limiter.close(); // flushes globex's pending count
    expect(entries).toHaveLength(4);
    expect(entries[3]).toMatchObject({ tenant: 'globex', data: { rejected: globex - 1 } });
  });

  it('audits telemetry drops when asked, and survives a sink that throws', () => {
    const limiter = track(
      createTenantLimiter({
        defaultLimits: limits({ spansPerSecond: 1 }),
        auditKinds: ['spans'],
        audit: {
          record: () => {
            throw new Error('disk full');
          },
        },
      }),
    );
    expect(limiter.tryTake('acme', 'spans')).toBe(true);
    expect(() => limiter.tryTake('acme', 'spans')).not.toThrow();
    expect(limiter.tryTake('acme', 'spans')).toBe(false);
  });
});

describe('tenant limiter: limits from the registry', () => {
  it('applies a plan change after refreshLimits, keeping the tokens already spent', () => {
    const clock = manualClock();
    let plan = limits({ requestsPerSecond: 2 });
    const limiter = track(createTenantLimiter({ limitsFor: () => plan, now: clock.now }));
    expect(limiter.checkRequest('acme').allowed).toBe(true);
    expect(limiter.checkRequest('acme').allowed).toBe(true);
    expect(limiter.checkRequest('acme').allowed).toBe(false);
    plan = limits({ requestsPerSecond: 100 });
    limiter.refreshLimits();
    expect(limiter.checkRequest('acme').allowed).toBe(false); // no tokens yet
    clock.advance(100); // 10 tokens at the new rate
    let n = 0;
    while (limiter.checkRequest('acme').allowed) n++;
    expect(n).toBe(10);
    plan = limits({ requestsPerSecond: 1 });
    limiter.refreshLimits('acme');
    clock.advance(60_000);
    n = 0;
    while (limiter.checkRequest('acme').allowed) n++;
    expect(n).toBe(1); // burst shrank with the plan
  });

  it('falls back to the defaults, field by field, when limitsFor throws or returns nonsense, and counts it', () => {
    const defaults = limits({ requestsPerSecond: 3 });
    const limiter = track(
      createTenantLimiter({
        defaultLimits: defaults,
        limitsFor: (id) => {
          if (id === 'boom') throw new Error('registry down');
          if (id === 'partial') return { spansPerSecond: 7 };
          if (id === 'junk') return { requestsPerSecond: -4, requestBurst: 0.5 };
          return undefined;
        },
      }),
    );
    const burst = (tenant: string, kind: BudgetKind) => {
      let n = 0;
      while (n < 1000 && limiter.tryTake(tenant, kind)) n++;
      return n;
    };
    expect(burst('boom', 'requests')).toBe(3);
    expect(burst('partial', 'spans')).toBe(7);
    expect(burst('partial', 'requests')).toBe(3);
    expect(burst('junk', 'requests')).toBe(3);
    expect(limiter.stats().limitErrors).toBe(3); // the throw, the negative rate, the burst below 1
  });
});

describe('tenant limiter: configuration', () => {
  it('refuses nonsensical options, naming the field and what to use', () => {
    expect(() => createTenantLimiter({ maxTenants: 0 })).toThrow(/maxTenants must be an integer ≥ 1, got 0/);
    expect(() => createTenantLimiter({ idleMs: -1 })).toThrow(/idleMs must be a finite number > 0/);
    expect(() => createTenantLimiter({ telemetryPressureFactor: 2 })).toThrow(
      /telemetryPressureFactor must be a number in \(0, 1\], got 2/,
    );
    expect(() => createTenantLimiter({ defaultLimits: limits({ spansPerSecond: Number.NaN }) })).toThrow(
      /defaultLimits\.spansPerSecond must be a number ≥ 0 \(Infinity for no limit\), got NaN/,
    );
    expect(() => createTenantLimiter({ defaultLimits: limits({ logLineBurst: 0 }) })).toThrow(
      /defaultLimits\.logLineBurst must be a finite number ≥ 1/,
    );
    expect(() => createTenantLimiter({ auditKinds: ['bytes' as BudgetKind] })).toThrow(
      /unknown budget kind "bytes"; use requests, spans, logs or series/,
    );
  });

  it('treats Infinity as no limit', () => {
    const limiter = track(createTenantLimiter({ defaultLimits: limits({ spansPerSecond: Infinity }) }));
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) if (limiter.tryTake('acme', 'spans')) admitted++;
    expect(admitted).toBe(10_000);
  });
});
