// The benchmarks of issue 4's in-process SLO evaluator: recording one event against a bare counter
// bump (budget 1 µs added), the SLO instruments against the bare metrics instruments they wrap, and
// the evaluator's heap after 1e5 and after 1e7 events (run in a child process with --expose-gc).
// `node --expose-gc dist/slo.js memory` runs only the memory measurement and prints one JSON line.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import {
  createSloEvaluator,
  defineSlo,
  sloCounter,
  sloHistogram,
  type SloEvaluator,
  type SloDefinition,
} from '@autoweave/sli-slo';
import { keep, type Pair } from './harness.js';

const TENANTS = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
/** One labels object per tenant, made once: what a request handler passes along. */
const TENANT_LABELS = TENANTS.map((tenant_id) => ({ tenant_id }));

const availability = (id: string, groupBy: string[]): SloDefinition =>
  defineSlo({
    id,
    service: 'bench',
    description: '99.9% of requests without a server error.',
    objective: 0.999,
    sli: {
      kind: 'ratio',
      total: { metric: 'autoweave_bench_requests_total' },
      bad: { metric: 'autoweave_bench_requests_total', matchers: { outcome: 'failure' } },
    },
    groupBy,
  });
const AVAILABILITY = availability('availability', []);
const AVAILABILITY_BY_TENANT = availability('availability-by-tenant', ['tenant_id']);
const LATENCY_BY_TENANT: SloDefinition = defineSlo({
  id: 'latency-by-tenant',
  service: 'bench',
  description: '95% of requests within 80 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_bench_request_duration_seconds', thresholdSeconds: 0.08 },
  groupBy: ['tenant_id'],
});
const SLOS = [AVAILABILITY, AVAILABILITY_BY_TENANT, LATENCY_BY_TENANT];

/** What a hand-written tally would at least do: find the tenant, bump its good/total counts. */
function tally() {
  const counts = new Map(TENANTS.map((t) => [t, { good: 0, total: 0 }]));
  return (labels: { tenant_id: string }, good: boolean) => {
    const entry = counts.get(labels.tenant_id);
    if (entry !== undefined) {
      entry.total++;
      if (good) entry.good++;
    }
    keep(entry);
  };
}

export function sloPairs(): Pair[] {
  let evaluator: SloEvaluator | undefined;
  let metrics: MetricsHandle | undefined;
  let i = 0;
  const setup = () => {
    evaluator = createSloEvaluator({ slos: SLOS, intervalMs: 0 });
    metrics = createMetrics({ defaultMetrics: false });
    i = 0;
  };
  const teardown = async () => {
    evaluator?.close();
    await metrics?.shutdown();
  };
  // 1 bad in 1000, so good and bad both take their path
  const good = () => i % 1000 !== 0;

  const plain = { n: 0 };
  const bareHistogram = () =>
    metrics!.histogram({
      name: 'autoweave_bench_plain_duration_seconds',
      help: 'Bare histogram, same buckets and labels.',
      labelNames: ['tenant_id'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  const bareCounter = () =>
    metrics!.counter({
      name: 'autoweave_bench_plain_total',
      help: 'Bare counter, same labels.',
      labelNames: ['tenant_id', 'outcome'] as const,
    });

  let observeBare: (labels: { tenant_id: string }, s: number) => void = () => undefined;
  let observeSlo: (labels: { tenant_id: string }, s: number) => void = () => undefined;
  let incBare: (labels: { tenant_id: string }, ok: boolean) => void = () => undefined;
  let recordSlo: (labels: { tenant_id: string }, ok: boolean) => void = () => undefined;
  const tallyByTenant = tally();

  return [
    {
      name: 'SLO evaluator: record one event, SLO without groups',
      budgetUs: 1,
      setup,
      baseline: () => {
        plain.n += good() ? 1 : 0;
        i++;
        keep(plain);
      },
      instrumented: () => {
        evaluator!.record('availability', good());
        i++;
      },
      teardown,
    },
    {
      name: 'SLO evaluator: record one event, grouped by tenant_id (100 tenants)',
      budgetUs: 1,
      setup,
      baseline: () => {
        tallyByTenant(TENANT_LABELS[i % 100]!, good());
        i++;
      },
      instrumented: () => {
        evaluator!.record('availability-by-tenant', good(), TENANT_LABELS[i % 100]);
        i++;
      },
      teardown,
    },
    {
      name: 'sloHistogram.observe vs the bare @autoweave/metrics histogram (tenant_id label)',
      budgetUs: 1,
      setup: () => {
        setup();
        const bare = bareHistogram();
        const slo = sloHistogram(metrics!, evaluator!, LATENCY_BY_TENANT, {
          help: 'Request time.',
          labelNames: ['tenant_id'] as const,
        });
        observeBare = (labels, s) => bare.observe(labels, s);
        observeSlo = (labels, s) => slo.observe(labels, s);
      },
      baseline: () => {
        observeBare(TENANT_LABELS[i % 100]!, (i % 200) / 1000);
        i++;
      },
      instrumented: () => {
        observeSlo(TENANT_LABELS[i % 100]!, (i % 200) / 1000);
        i++;
      },
      teardown,
    },
    {
      name: 'sloCounter.record vs the bare @autoweave/metrics counter (tenant_id, outcome)',
      budgetUs: 1,
      setup: () => {
        setup();
        const bare = bareCounter();
        const slo = sloCounter(metrics!, evaluator!, AVAILABILITY_BY_TENANT, {
          help: 'Requests.',
          labelNames: ['tenant_id'] as const,
        });
        incBare = (labels, ok) =>
          bare.inc({ tenant_id: labels.tenant_id, outcome: ok ? 'success' : 'failure' });
        recordSlo = (labels, ok) => slo.record(labels, ok);
      },
      baseline: () => {
        incBare(TENANT_LABELS[i % 100]!, good());
        i++;
      },
      instrumented: () => {
        recordSlo(TENANT_LABELS[i % 100]!, good());
        i++;
      },
      teardown,
    },
  ];
}

export interface SloMemoryResult {
  readonly groups: number;
  readonly windows: number;
  readonly eventsSmall: number;
  readonly eventsLarge: number;
  readonly heapAfterSmallMiB: number;
  readonly heapAfterLargeMiB: number;
  readonly growthMiB: number;
  readonly seconds: number;
}

const mib = (bytes: number) => bytes / 2 ** 20;

async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

/** In this process: heap after 1e5 events, then after 1e7, into one SLO grouped by 100 tenants. */
async function measureMemory(): Promise<SloMemoryResult> {
  const small = 100_000;
  const large = 10_000_000;
  // A clock 1 ms per event: 1e7 events span ~2.8 h, so buckets of every window roll many times.
  let clock = Date.UTC(2026, 0, 1);
  const evaluator = createSloEvaluator({ slos: [AVAILABILITY_BY_TENANT], now: () => clock, intervalMs: 0 });
  const feed = (from: number, to: number) => {
    for (let n = from; n < to; n++) {
      clock++;
      evaluator.record('availability-by-tenant', n % 1000 !== 0, TENANT_LABELS[n % 100]);
    }
  };
  feed(0, small);
  keep(evaluator.snapshot());
  const afterSmall = await settledHeap();
  const started = performance.now();
  feed(small, large);
  const seconds = (performance.now() - started) / 1000;
  keep(evaluator.snapshot());
  const afterLarge = await settledHeap();
  const snap = evaluator.snapshot();
  const group = snap.slos[0]?.groups[0];
  evaluator.close();
  return {
    groups: snap.slos[0]?.groups.length ?? 0,
    windows: group?.windows.length ?? 0,
    eventsSmall: small,
    eventsLarge: large,
    heapAfterSmallMiB: mib(afterSmall),
    heapAfterLargeMiB: mib(afterLarge),
    growthMiB: mib(afterLarge - afterSmall),
    seconds,
  };
}

/** Runs the memory measurement in a child `node --expose-gc` so other benchmarks do not blur it. */
export function sloMemory(): SloMemoryResult {
  const script = fileURLToPath(import.meta.url);
  return JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', script, 'memory'], { encoding: 'utf8' }).trim(),
  ) as SloMemoryResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'memory') {
  void measureMemory().then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
}
