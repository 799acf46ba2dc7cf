import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '@autoweave/test-utils';
import { defineSlo } from './define';
import { DEFAULT_TIERS } from './define-tiers';
import { DEFAULT_SLOS } from './defaults';
import { goFormatG, humanizePercentage } from './go-format';
import { buildRuleTestSuites, generateRuleTests } from './promtool-tests';
import { generatePrometheusRules, rulesToYaml } from './rules';
import type { SloDefinition } from './types';

jest.setTimeout(240_000);

interface Result {
  readonly code: number | null;
  readonly output: string;
}

function promtool(args: readonly string[], cwd: string): Promise<Result> {
  const bin = findBinary('promtool', 'PROMTOOL_BIN');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Runs `jobs` with at most one per core, in order of results. */
async function limited<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return results;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sli-slo-promtool-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Rules one file per SLO and their suites, written to a temp dir. */
async function writePerSlo(
  slos: readonly SloDefinition[],
): Promise<{ dir: string; tests: string[]; rules: string[] }> {
  const dir = await tempDir();
  const rules: string[] = [];
  for (const slo of slos) {
    const file = `${slo.id}.rules.yml`;
    await writeFile(join(dir, file), rulesToYaml(generatePrometheusRules([slo])));
    rules.push(file);
  }
  const tests = generateRuleTests(slos, { ruleFile: (slo) => `${slo.id}.rules.yml` });
  for (const [name, text] of Object.entries(tests)) await writeFile(join(dir, name), text);
  return { dir, tests: Object.keys(tests), rules };
}

async function expectPromtoolPasses(
  dir: string,
  rules: readonly string[],
  tests: readonly string[],
): Promise<void> {
  const check = await promtool(['check', 'rules', ...rules], dir);
  expect(check.output).toContain('SUCCESS');
  expect(check.code).toBe(0);
  const results = await limited(tests.map((t) => () => promtool(['test', 'rules', t], dir)));
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`promtool test rules ${tests[i]} failed:\n${r.output.slice(0, 4000)}`);
  });
}

// Custom definitions covering what the defaults do not: 28d and 7d windows, a good-events ratio, a
// bad counter of its own, latency with matchers, grouping on two labels, the min-events guard,
// routing labels and a tier with `for:`.
const CHECKOUT = defineSlo({
  id: 'checkout-success',
  service: 'checkout',
  description: '99.5% of checkouts succeed, per tenant.',
  objective: 0.995,
  window: '28d',
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_checkout_requests_total', matchers: { job: 'shop' } },
    good: { metric: 'autoweave_checkout_requests_total', matchers: { job: 'shop', outcome: 'success' } },
  },
  groupBy: ['tenant_id'],
  minEvents: 200,
  labels: { team: 'payments' },
  runbookUrl: 'https://runbooks.example.com/checkout.md',
});

const SEARCH = defineSlo({
  id: 'search-latency',
  service: 'search',
  description: '99% of "searches" answer within 1 s {{ not a template }}.',
  objective: 0.99,
  window: '7d',
  sli: {
    kind: 'latency',
    histogram: 'autoweave_search_duration_seconds',
    thresholdSeconds: 1,
    matchers: { route: '/search' },
  },
});

const JOBS = defineSlo({
  id: 'job-failures',
  service: 'worker',
  description: '99.9% of jobs complete.',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_jobs_total' },
    bad: { metric: 'autoweave_jobs_failed_total' },
  },
  groupBy: ['queue', 'region'],
  tiers: DEFAULT_TIERS.map((t) => (t.name === 'page-fast' ? { ...t, for: '2m' } : t)),
});

const CUSTOM = [CHECKOUT, SEARCH, JOBS];

describe('generated promtool suites', () => {
  it('pass `promtool check rules` and `promtool test rules` for the four default SLOs', async () => {
    const { dir, rules, tests } = await writePerSlo(DEFAULT_SLOS);
    expect(tests).toHaveLength(8);
    await expectPromtoolPasses(dir, rules, tests);
  });

  it('pass for 28d and 7d windows, good and bad ratios, latency with matchers, groups, min-events and for:', async () => {
    const { dir, rules, tests } = await writePerSlo(CUSTOM);
    await expectPromtoolPasses(dir, rules, tests);
  });

  it('pass when several SLOs share one rule file and one metric, each suite expecting the others’ alerts too', async () => {
    const strict = defineSlo({
      id: 'api-strict',
      service: 'api',
      description: '99.9% of API calls succeed.',
      objective: 0.999,
      sli: {
        kind: 'ratio',
        total: { metric: 'autoweave_requests_total' },
        bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
      },
    });
    const loose = defineSlo({
      ...strict,
      id: 'api-loose',
      objective: 0.99,
      description: '99% of API calls succeed.',
    });
    const dir = await tempDir();
    await writeFile(join(dir, 'slo-rules.yml'), rulesToYaml(generatePrometheusRules([strict, loose])));
    const files = generateRuleTests([strict, loose], { ruleFile: 'slo-rules.yml' });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    // The strict SLO's outage also pages the loose one: its suite says so.
    expect(files['api-strict.test.yml']).toContain('slo_id: api-loose');
    await expectPromtoolPasses(
      dir,
      ['slo-rules.yml'],
      Object.keys(files).filter((f) => !f.includes('.long.')),
    );
  });

  it('fail when the rules no longer do what the definitions say', async () => {
    const { dir, rules } = await writePerSlo([DEFAULT_SLOS[2] as SloDefinition]);
    const file = join(dir, rules[0] as string);
    const original = await readFile(file, 'utf8');
    const mutations: [string, (text: string) => string][] = [
      ['page threshold 10x too high', (t) => t.replace('> 0.0144)', '> 0.144)')],
      [
        'page reads the 30m ratio as its short window',
        (t) => t.replace(/(ratio_rate1h\{[^}]*\} > 0\.0144\)\n\s*and\n.*?)ratio_rate5m/, '$1ratio_rate30m'),
      ],
      ['no-data alert waits 5m instead of 10m', (t) => t.replace('for: 10m', 'for: 5m')],
      ['page labelled as a ticket', (t) => t.replace('severity: page', 'severity: ticket')],
    ];
    for (const [what, mutate] of mutations) {
      const mutated = mutate(original);
      expect({ what, changed: mutated !== original }).toEqual({ what, changed: true });
      await writeFile(file, mutated);
      const result = await promtool(['test', 'rules', 'availability.test.yml'], dir);
      expect({ what, code: result.code }).toEqual({ what, code: 1 });
      expect(result.output).toContain('FAILED');
    }
    await writeFile(file, original);
    const restored = await promtool(['test', 'rules', 'availability.test.yml'], dir);
    expect(restored.code).toBe(0);
  });

  it('page the 99.9% availability SLO within 2 minutes of a full outage and resolve within 10 minutes of recovery', () => {
    const suites = buildRuleTestSuites(DEFAULT_SLOS, { ruleFile: 'slo-rules.yml' });
    const outage = (id: string) =>
      suites
        .find((s) => s.slo.id === id && s.fileName.endsWith('.test.yml') && !s.fileName.includes('.long.'))
        ?.scenarios.find((s) => s.key === 'outage')?.facts;
    expect(outage('availability')).toMatchObject({ pageAfterMs: 2 * 60_000 });
    for (const slo of DEFAULT_SLOS) {
      expect((outage(slo.id)?.['resolvedAfterMs'] ?? Infinity) <= 10 * 60_000).toBe(true);
    }
    // A 95% objective tolerates 5% bad events: 14.4x over 1h needs 72% of an hour bad (43.2m).
    expect(outage('usb-event-latency')).toMatchObject({ pageAfterMs: 44 * 60_000 });
  });

  it('raise the ticket, not a page, for a sustained burn just over 1x, after 2.5 days of a 3d window', () => {
    const [suite] = buildRuleTestSuites([DEFAULT_SLOS[2] as SloDefinition], { ruleFile: 'r.yml' }).filter(
      (s) => s.fileName.includes('.long.'),
    );
    const slow = suite?.scenarios.find((s) => s.key === 'slow-burn');
    expect(slow?.name).toContain('raises the ticket after 2d12h30m and never pages');
    expect(slow?.facts).toMatchObject({ burn: 1.2 });
  });

  it('show only the failing group alerting in a grouped SLO', () => {
    const suites = buildRuleTestSuites([JOBS], { ruleFile: 'r.yml' });
    const alerts = suites.flatMap((s) => s.scenarios.flatMap((sc) => sc.alerts.flatMap((a) => a.alerts)));
    expect(alerts.length).toBeGreaterThan(0);
    const burn = alerts.filter((a) => a.labels['slo_tier'] !== undefined);
    expect(burn.every((a) => a.labels['queue'] === 'failing' && a.labels['region'] === 'failing')).toBe(true);
  });

  it('keep a low-traffic outage quiet until the long window holds minEvents events', () => {
    const suites = buildRuleTestSuites([CHECKOUT], { ruleFile: 'r.yml' });
    const low = suites.flatMap((s) => s.scenarios).find((s) => s.key === 'low-traffic');
    expect(low?.alerts[0]?.alerts).toEqual([]);
    expect(low?.alerts[1]?.alerts.length).toBeGreaterThan(0);
    expect(low?.name).toContain('fewer than 200 events');
  });

  it('still pass for a page tier slower than 0.5x and a min-events guard of a few events', async () => {
    const edge = defineSlo({
      id: 'edge',
      service: 'edge',
      description: 'A 3d SLO whose page tier pages on a slow burn.',
      objective: 0.99,
      window: '3d',
      sli: {
        kind: 'ratio',
        total: { metric: 'x_total' },
        bad: { metric: 'x_total', matchers: { outcome: 'failure' } },
      },
      minEvents: 3,
      tiers: [
        { name: 'page-fast', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 2 },
        { name: 'page-creep', severity: 'page', shortWindow: '30m', longWindow: '6h', budgetPercent: 3 },
        { name: 'ticket-slow', severity: 'ticket', shortWindow: '6h', longWindow: '3d', budgetPercent: 10 },
      ],
    });
    const suites = buildRuleTestSuites([edge], { ruleFile: 'edge.rules.yml' });
    const half = suites.flatMap((s) => s.scenarios).find((s) => s.key === 'half-burn');
    expect(half?.name).toContain("a page tier's factor is under 0.5");
    const { dir, rules, tests } = await writePerSlo([edge]);
    await expectPromtoolPasses(dir, rules, tests);
  });

  it('refuse windows the synthetic samples cannot resolve', () => {
    const tiny = defineSlo({
      id: 'tiny',
      service: 's',
      description: 'd',
      objective: 0.99,
      window: '1d',
      sli: { kind: 'ratio', total: { metric: 'x_total' }, bad: { metric: 'x_total', matchers: { o: 'f' } } },
      tiers: [
        { name: 'page-fast', severity: 'page', shortWindow: '90s', longWindow: '1h', budgetPercent: 5 },
      ],
    });
    expect(() => generateRuleTests([tiny], { ruleFile: 'r.yml' })).toThrow(/whole minutes, at least 5m/);
  });
});

describe('humanizePercentage as Prometheus expands it', () => {
  it('matches Go %.4g: half-to-even on the exact binary value, exponent form outside 1e-4..1e4', () => {
    expect(goFormatG(100, 4)).toBe('100');
    expect(goFormatG(1.44, 4)).toBe('1.44');
    expect(goFormatG(1.5625, 4)).toBe('1.562');
    expect(goFormatG(1.5635, 4)).toBe('1.563');
    expect(goFormatG(12345, 4)).toBe('1.234e+04');
    expect(goFormatG(0.00001234, 4)).toBe('1.234e-05');
    expect(goFormatG(0, 4)).toBe('0');
    expect(goFormatG(9.99951, 4)).toBe('10');
    expect(humanizePercentage(0.016949152542372878)).toBe('1.695%');
  });

  it('agrees with the template engine of the installed Prometheus on awkward values', async () => {
    const values = [0.015625, 0.0144, 1 / 3, 0.999951, 1.5e-7, 0.5, 1, 0, 123.456, 0.00012345, 2 / 59];
    const dir = await tempDir();
    const rules = {
      groups: [
        {
          name: 'fmt',
          rules: values.map((v, i) => ({
            alert: 'Fmt',
            expr: `vector(${String(v)})`,
            labels: { i: String(i) },
            annotations: { text: '{{ $value | humanizePercentage }}' },
          })),
        },
      ],
    };
    await writeFile(join(dir, 'fmt.yml'), JSON.stringify(rules));
    const suite = {
      rule_files: ['fmt.yml'],
      tests: [
        {
          input_series: [],
          alert_rule_test: [
            {
              eval_time: '0m',
              alertname: 'Fmt',
              exp_alerts: values.map((v, i) => ({
                exp_labels: { i: String(i) },
                exp_annotations: { text: humanizePercentage(v) },
              })),
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'fmt.test.yml'), JSON.stringify(suite));
    const result = await promtool(['test', 'rules', 'fmt.test.yml'], dir);
    expect(result.output).toContain('SUCCESS');
  });
});
