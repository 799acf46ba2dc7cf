import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '@autoweave/test-utils';
import { parse } from 'yaml';
import { defineSlo } from './define';
import { AVAILABILITY_SLO, DEFAULT_SLOS } from './defaults';
import { generateInhibitRules, inhibitRulesToYaml } from './inhibit';

/** Alertmanager's tools from PATH (Debian: prometheus-alertmanager), or the env override. */
function binary(names: readonly string[], envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  throw new Error(
    `${names.join(' or ')} not found on PATH and ${envVar} is not set; apt-get install -y prometheus-alertmanager`,
  );
}

const CHECKOUT = defineSlo({
  id: 'checkout',
  service: 'shop',
  description: 'Checkouts succeed.',
  objective: 0.995,
  sli: {
    kind: 'ratio',
    total: { metric: 'x_requests_total' },
    bad: { metric: 'x_requests_total', matchers: { outcome: 'failure' } },
  },
  groupBy: ['tenant_id'],
});

function alertmanagerConfig(): string {
  return [
    'route:',
    '  receiver: blackhole',
    'receivers:',
    '  - name: blackhole',
    inhibitRulesToYaml(generateInhibitRules([...DEFAULT_SLOS, CHECKOUT])),
  ].join('\n');
}

function run(bin: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sli-slo-inhibit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateInhibitRules', () => {
  it('lets a page inhibit the tickets of the same SLO and group only', () => {
    expect(generateInhibitRules([CHECKOUT])).toEqual([
      {
        source_matchers: [
          'alertname="SloErrorBudgetBurn"',
          'slo_id="checkout"',
          'slo_service="shop"',
          'severity="page"',
        ],
        target_matchers: [
          'alertname="SloErrorBudgetBurn"',
          'slo_id="checkout"',
          'slo_service="shop"',
          'severity="ticket"',
        ],
        equal: ['slo_id', 'slo_service', 'tenant_id'],
      },
    ]);
  });

  it('follows the burn alert name and skips SLOs without both pages and tickets', () => {
    const pagesOnly = defineSlo({
      ...AVAILABILITY_SLO,
      id: 'pages-only',
      tiers: [{ name: 'page-fast', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 2 }],
    });
    const rules = generateInhibitRules([AVAILABILITY_SLO, pagesOnly], { burnAlertName: 'BudgetBurn' });
    expect(rules.map((r) => r.source_matchers[0])).toEqual(['alertname="BudgetBurn"']);
    expect(() => generateInhibitRules([], { burnAlertName: 'no spaces' })).toThrow('not a valid alert name');
  });

  it('writes YAML that amtool accepts as part of an alertmanager.yml', async () => {
    const text = alertmanagerConfig();
    expect(parse(text)).toMatchObject({ inhibit_rules: expect.any(Array) });
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, text);
    const result = await run(binary(['amtool'], 'AMTOOL_BIN'), ['check-config', file]);
    expect(result.output).toContain(`- ${DEFAULT_SLOS.length + 1} inhibit rules`);
    expect(result.code).toBe(0);
  });

  it('is rejected by amtool once a matcher is broken, so the check above means something', async () => {
    const file = join(dir, 'broken.yml');
    await writeFile(file, alertmanagerConfig().replace('severity="page"', 'severity=="page"'));
    const result = await run(binary(['amtool'], 'AMTOOL_BIN'), ['check-config', file]);
    expect(result.code).not.toBe(0);
  });
});

describe('a real Alertmanager with the generated inhibit rules', () => {
  let child: ChildProcess | undefined;
  let url: string;

  beforeAll(async () => {
    const file = join(dir, 'am-live.yml');
    await writeFile(file, alertmanagerConfig());
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      binary(['prometheus-alertmanager', 'alertmanager'], 'ALERTMANAGER_BIN'),
      [
        `--config.file=${file}`,
        `--storage.path=${join(dir, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await until(async () => (await fetch(`${url}/-/ready`)).ok, 'Alertmanager to be ready');
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    let last: unknown;
    for (;;) {
      try {
        if (await check()) return;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${String(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const burn = (severity: string, tier: string, extra: Record<string, string>): Record<string, string> => ({
    alertname: 'SloErrorBudgetBurn',
    severity,
    slo_tier: tier,
    ...extra,
  });

  it('holds back the ticket of the paging tenant and lets other tenants and SLOs through', async () => {
    const checkout = { slo_id: 'checkout', slo_service: 'shop' };
    const alerts = [
      burn('page', 'page-fast', { ...checkout, tenant_id: 'acme' }),
      burn('ticket', 'ticket-slow', { ...checkout, tenant_id: 'acme' }),
      burn('ticket', 'ticket-slow', { ...checkout, tenant_id: 'globex' }),
      burn('ticket', 'ticket-fast', { slo_id: 'availability', slo_service: 'platform' }),
    ];
    const posted = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels }))),
    });
    expect(posted.ok).toBe(true);

    type ApiAlert = { labels: Record<string, string>; status: { inhibitedBy: string[] } };
    let seen: ApiAlert[] = [];
    const inhibited = (a: ApiAlert): boolean => a.status.inhibitedBy.length > 0;
    // The inhibitor learns about the page asynchronously; wait until it has.
    await until(async () => {
      seen = (await (await fetch(`${url}/api/v2/alerts`)).json()) as ApiAlert[];
      return seen.length === alerts.length && seen.some(inhibited);
    }, 'the page to inhibit');
    const state = seen
      .map(
        (a) =>
          `${a.labels['slo_id']}/${a.labels['tenant_id'] ?? '-'}/${a.labels['severity']}: ${inhibited(a) ? 'inhibited' : 'active'}`,
      )
      .sort();
    expect(state).toEqual([
      'availability/-/ticket: active',
      'checkout/acme/page: active',
      'checkout/acme/ticket: inhibited',
      'checkout/globex/ticket: active',
    ]);
  });
});
