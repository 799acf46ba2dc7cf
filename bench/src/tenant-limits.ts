// The paired benchmarks of issue 3's tenant limits: a limiter check against a bare Map lookup and
// counter increment over the same tenants, so the added cost is the token bucket itself.
import { createTenantLimiter, type TenantLimiter } from '@autoweave/tenant-isolation';
import { keep, type Pair } from './harness.js';

/** Many tenants, cycled through, so the Map lookup is not always the same hot entry. */
const TENANTS = Array.from({ length: 1000 }, (_, i) => `tenant-${i}`);

interface Baseline {
  readonly run: () => void;
}

/** What a hand-written limiter without buckets would at least do: find the tenant, bump a counter. */
function mapBaseline(): Baseline {
  const counts = new Map<string, { n: number }>(TENANTS.map((t) => [t, { n: 0 }]));
  let i = 0;
  return {
    run: () => {
      const entry = counts.get(TENANTS[i++ % TENANTS.length]!);
      if (entry !== undefined) entry.n++;
      keep(entry);
    },
  };
}

function limiterPair(
  name: string,
  limits: { requestsPerSecond: number; spansPerSecond: number },
  op: (limiter: TenantLimiter, tenant: string) => unknown,
): Pair {
  let limiter: TenantLimiter | undefined;
  const baseline = mapBaseline();
  let i = 0;
  let audited = 0;
  return {
    name,
    budgetUs: 0.5,
    setup: () => {
      limiter = createTenantLimiter({
        defaultLimits: { ...limits, logLinesPerSecond: 1000, newSeriesPerMinute: 100 },
        audit: {
          record: () => {
            audited++;
          },
        },
      });
      // Every tenant has its buckets (and, for the over-limit row, an empty one) before measuring.
      for (const tenant of TENANTS) {
        for (let k = 0; k < 3; k++) op(limiter, tenant);
      }
    },
    baseline: () => baseline.run(),
    instrumented: () => {
      keep(op(limiter!, TENANTS[i++ % TENANTS.length]!));
    },
    teardown: () => {
      limiter?.close();
      keep(audited);
    },
  };
}

export function limitPairs(): Pair[] {
  return [
    limiterPair(
      'rate-limit check, allowed',
      { requestsPerSecond: 1e9, spansPerSecond: 1e9 },
      (limiter, tenant) => limiter.checkRequest(tenant),
    ),
    limiterPair(
      'rate-limit check, over limit (429 with Retry-After, audit coalesced)',
      { requestsPerSecond: 1, spansPerSecond: 1 },
      (limiter, tenant) => limiter.checkRequest(tenant),
    ),
    limiterPair(
      'telemetry budget tryTake (spans)',
      { requestsPerSecond: 1e9, spansPerSecond: 1e9 },
      (limiter, tenant) => limiter.tryTake(tenant, 'spans'),
    ),
  ];
}
