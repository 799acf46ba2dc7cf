// The done-when: one event stream goes through the SLO instruments into both the in-process
// evaluator and a /metrics exporter scraped by a real Prometheus; the SLI per window that the
// evaluator reports and the one Prometheus computes with the rules' own expression agree.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { startPrometheus, type PromSample, type RunningPrometheus } from '@autoweave/test-utils';
import { defineSlo } from './define';
import { DEFAULT_TIERS } from './define-tiers';
import { createSloEvaluator } from './evaluator';
import { type SloEvaluator, type SloSnapshot } from './evaluator-types';
import { publishSloMetrics } from './evaluator-metrics';
import { errorRatioExpr } from './promql';
import { sloCounter, sloHistogram } from './slo-instruments';
import type { SloDefinition } from './types';

/** With an extra 20s/1m tier, so two of its windows roll over while the test runs. */
const OPERATIONS = defineSlo({
  id: 'operation-errors',
  service: 'platform',
  description: 'Fewer than 1% of jobs fail.',
  objective: 0.99,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_jobs_total' },
    bad: { metric: 'autoweave_jobs_total', matchers: { outcome: 'failure' } },
  },
  tiers: [
    ...DEFAULT_TIERS,
    { name: 'rollover', severity: 'ticket', shortWindow: '20s', longWindow: '1m', budgetPercent: 0.01 },
  ],
});
const USB = defineSlo({
  id: 'usb-event-latency',
  service: 'usb-watcher',
  description: '95% of USB events within 80 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_usb_event_duration_seconds', thresholdSeconds: 0.08 },
});
const AVAILABILITY = defineSlo({
  id: 'availability',
  service: 'platform',
  description: '99.9% of requests without a 5xx, per tenant.',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_requests_total' },
    bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
  },
  groupBy: ['tenant_id'],
});
const SLOS = [OPERATIONS, USB, AVAILABILITY];
const TENANTS = ['acme', 'globex'] as const;
const WINDOWS = ['5m', '30m', '1h'];
const ROLLING = ['20s', '1m'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How each phase's events are judged: a known error share per SLO (and tenant), changed midway. */
interface Phase {
  readonly jobFails: (i: number) => boolean;
  readonly usbSeconds: (i: number) => number;
  readonly fiveXx: Record<(typeof TENANTS)[number], (i: number) => boolean>;
}
const PHASE_A: Phase = {
  jobFails: (i) => i % 50 === 0, // 2%
  usbSeconds: (i) => (i % 10 === 0 ? 0.2 : i % 10 === 5 ? 0.08 : 0.01), // 10% slow; 0.08 is good
  fiveXx: { acme: (i) => i % 100 === 0, globex: (i) => i % 20 === 0 }, // 1%, 5%
};
const PHASE_B: Phase = {
  jobFails: (i) => i % 10 === 0, // 10%
  usbSeconds: (i) => (i % 10 < 3 ? 0.25 : i % 10 === 5 ? 0.08 : 0.02), // 30% slow
  fiveXx: { acme: (i) => i % 100 < 6, globex: (i) => i % 200 === 0 }, // 6%, 0.5%
};

describe('the in-process evaluator and a real Prometheus fed the same events', () => {
  let metrics: MetricsHandle;
  let evaluator: SloEvaluator;
  let server: Server;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    metrics = createMetrics({ defaultMetrics: false });
    evaluator = createSloEvaluator({ slos: SLOS, intervalMs: 0 });
    publishSloMetrics(evaluator, metrics.meterProvider.getMeter('@autoweave/sli-slo'), { windows: ['5m'] });
    server = createServer(metrics.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [{ address: `127.0.0.1:${port}` }], scrapeInterval: '1s' });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    evaluator.close();
    await metrics.shutdown();
  });

  it('agree on the SLI of every window within 1 percentage point, before and after the error ratio changes', async () => {
    const prom = prometheus as RunningPrometheus;
    const jobs = sloCounter(metrics, evaluator, OPERATIONS, { help: 'Jobs processed.' });
    const usb = sloHistogram(metrics, evaluator, USB, { help: 'USB event handling time.' });
    const requests = sloCounter(metrics, evaluator, AVAILABILITY, {
      help: 'Requests answered.',
      labelNames: ['tenant_id', 'status_class'] as const,
    });
    // Every series exists at 0 before the first event, so rate() sees every increment.
    const jobsBound = jobs.labels({});
    const usbBound = usb.labels({});
    const requestsBound = Object.fromEntries(
      TENANTS.map((t) => [
        t,
        Object.fromEntries(
          ['2xx', '4xx', '5xx'].map((c) => [c, requests.labels({ tenant_id: t, status_class: c })]),
        ),
      ]),
    ) as Record<string, Record<string, { record(ok?: boolean): void }>>;
    await prom.waitFor(
      'count(autoweave_jobs_total) + count(autoweave_requests_total) + count(autoweave_usb_event_duration_seconds_count)',
      (s) => s[0]?.value === 2 + 6 + 1,
      60_000,
    );

    const sent = { jobs: 0, usb: 0, requests: 0 };
    const expected = {
      jobs: { bad: 0, total: 0 },
      usb: { bad: 0, total: 0 },
      acme: { bad: 0, total: 0 },
      globex: { bad: 0, total: 0 },
    };
    let i = 0;
    const run = async (phase: Phase, ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (let k = 0; k < 10; k++, i++) {
          const fails = phase.jobFails(i);
          if (k % 2 === 0) jobs.record({}, !fails);
          else jobsBound.record(!fails);
          expected.jobs.total++;
          if (fails) expected.jobs.bad++;
          const seconds = phase.usbSeconds(i);
          if (k % 2 === 0) usb.observe({}, seconds);
          else usbBound.observe(seconds);
          expected.usb.total++;
          if (seconds > 0.08) expected.usb.bad++;
          for (const tenant of TENANTS) {
            const bad = phase.fiveXx[tenant](i);
            const status = bad ? '5xx' : i % 7 === 0 ? '4xx' : '2xx';
            if (k % 2 === 0) requests.record({ tenant_id: tenant, status_class: status });
            else requestsBound[tenant]?.[status]?.record();
            expected[tenant].total++;
            if (bad) expected[tenant].bad++;
          }
          sent.jobs++;
          sent.usb++;
          sent.requests += TENANTS.length;
        }
        await sleep(20);
      }
    };

    /** Pauses the stream until Prometheus has scraped its last events, then compares both answers. */
    const compare = async () => {
      await prom.waitFor('sum(autoweave_jobs_total)', (s) => s[0]?.value === sent.jobs, 30_000);
      await prom.waitFor(
        'sum(autoweave_usb_event_duration_seconds_count)',
        (s) => s[0]?.value === sent.usb,
        30_000,
      );
      await prom.waitFor('sum(autoweave_requests_total)', (s) => s[0]?.value === sent.requests, 30_000);
      const answers = new Map<string, PromSample[]>();
      for (const slo of SLOS) {
        for (const w of slo === OPERATIONS ? [...ROLLING, ...WINDOWS] : WINDOWS) {
          answers.set(`${slo.id} ${w}`, await prom.query(errorRatioExpr(slo, w)));
        }
      }
      const snap = evaluator.snapshot();
      const rows: { slo: string; group: string; window: string; evaluator: number; prometheus: number }[] =
        [];
      const add = (slo: SloDefinition, group: Record<string, string>, w: string) => {
        const fromProm = (answers.get(`${slo.id} ${w}`) ?? []).find((s) =>
          Object.entries(group).every(([k, v]) => s.metric[k] === v),
        );
        rows.push({
          slo: slo.id,
          group: JSON.stringify(group),
          window: w,
          evaluator: errorRatioOf(snap, slo.id, group, w),
          prometheus: fromProm?.value ?? Number.NaN,
        });
      };
      for (const w of ROLLING) add(OPERATIONS, {}, w);
      for (const w of WINDOWS) {
        add(OPERATIONS, {}, w);
        add(USB, {}, w);
        for (const t of TENANTS) add(AVAILABILITY, { tenant_id: t }, w);
      }
      return rows;
    };

    await run(PHASE_A, 12_000);
    const afterA = await compare();
    const shareA = {
      jobs: expected.jobs.bad / expected.jobs.total,
      usb: expected.usb.bad / expected.usb.total,
      acme: expected.acme.bad / expected.acme.total,
    };
    await run(PHASE_B, 12_000);
    const afterB = await compare();

    const rows = [...afterA, ...afterB];
    expect(rows).toHaveLength(2 * (ROLLING.length + WINDOWS.length * 4));
    // no answer on one side only (NaN) fails this too
    const agree = (r: (typeof rows)[number]) =>
      Math.abs(r.evaluator - r.prometheus) <= 0.01 ||
      (Number.isNaN(r.evaluator) && Number.isNaN(r.prometheus));
    expect(rows.filter((r) => !agree(r))).toEqual([]);
    if (process.env.SLO_AGREEMENT_REPORT !== undefined) {
      writeFileSync(process.env.SLO_AGREEMENT_REPORT, JSON.stringify(rows, null, 1));
    }
    // the evaluator counts exactly what was sent, and the stream did change midway
    const at = (rows: typeof afterA, slo: string, group = '{}') =>
      rows.find((r) => r.slo === slo && r.group === group && r.window === '5m')?.evaluator;
    expect(at(afterA, 'operation-errors')).toBeCloseTo(shareA.jobs, 12);
    expect(at(afterA, 'usb-event-latency')).toBeCloseTo(shareA.usb, 12);
    expect(at(afterA, 'availability', '{"tenant_id":"acme"}')).toBeCloseTo(shareA.acme, 12);
    expect(at(afterB, 'operation-errors')).toBeCloseTo(expected.jobs.bad / expected.jobs.total, 12);
    expect(at(afterB, 'usb-event-latency')).toBeCloseTo(expected.usb.bad / expected.usb.total, 12);
    expect(at(afterB, 'availability', '{"tenant_id":"globex"}')).toBeCloseTo(
      expected.globex.bad / expected.globex.total,
      12,
    );
    expect((at(afterB, 'operation-errors') as number) - shareA.jobs).toBeGreaterThan(0.02);
    // the 20s window has rolled past phase A: it sees (almost) only phase B's 10% failures
    const rolled = afterB.find((r) => r.slo === 'operation-errors' && r.window === '20s')
      ?.evaluator as number;
    expect(rolled).toBeGreaterThan((at(afterB, 'operation-errors') as number) + 0.01);
    expect((at(afterB, 'usb-event-latency') as number) - shareA.usb).toBeGreaterThan(0.05);

    // and the evaluator's own series reach Prometheus through the same exporter
    await prom.waitFor(
      'autoweave_slo_window_events{slo_id="operation-errors",slo_window="5m"}',
      (s) => s[0]?.value === expected.jobs.total,
      30_000,
    );
  }, 180_000);
});

function errorRatioOf(snap: SloSnapshot, id: string, group: Record<string, string>, window: string): number {
  const g = snap.slos
    .find((s) => s.id === id)
    ?.groups.find((x) => JSON.stringify(x.labels) === JSON.stringify(group));
  return g?.windows.find((w) => w.window === window)?.errorRatio ?? Number.NaN;
}
