// The /debug page in a real browser (headless Chromium) after a load run against the built demo.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { getRedis, type RedisForTests } from '@autoweave/test-utils';
import { DEMO_KEYS } from './demo-keys';
import { runLoad, type LoadReport } from './load/run';
import { startDemo, type DemoProcess } from './test/demo-process';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const HOSTILE_LABEL = '<img src=x onerror="window.__xss=1">';

let redis: RedisForTests;
let demo: DemoProcess;
let browser: Browser;
let report: LoadReport;

beforeAll(async () => {
  // A missing browser fails the run, in CI and locally alike: this test never skips.
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_BIN`,
    );
  }
  redis = await getRedis();
  demo = await startDemo({ REDIS_URL: redis.url });
  browser = await chromium.launch({ executablePath: CHROMIUM });
  report = await runLoad({
    url: demo.url,
    durationMs: 5000,
    rps: 20,
    tenants: Object.entries(DEMO_KEYS).map(([tenant, key]) => ({ tenant, key })),
    jobWaitMs: 15_000,
    timeoutMs: 10_000,
    json: false,
    seed: 1,
  });
  // An alert whose label is markup, as a hostile or careless rule could send it.
  const webhook = await fetch(`${demo.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'demo',
      groupKey: '{}:{alertname="SloErrorBudgetBurn"}',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://127.0.0.1:9093',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'SloErrorBudgetBurn', severity: 'page', slo: HOSTILE_LABEL },
          annotations: { summary: 'burning <b>fast</b>' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://127.0.0.1:9090/graph',
          fingerprint: 'b1e55ed0b1e55ed0',
        },
      ],
    }),
  });
  expect(webhook.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (demo !== undefined) await demo.stop();
  await redis?.stop();
});

it('shows trace trees, the SLO table, tenants and alerts from a load run, live, with untrusted text as text', async () => {
  expect(report.isolationViolations).toBe(0);
  expect(report.operations.find((o) => o.operation === 'all')?.requests).toBe(100);

  const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('dialog', (dialog) => pageErrors.push(`dialog opened: ${dialog.message()}`));
  await page.goto(`${demo.url}/debug`);

  // Trace trees: every one attributed to a demo tenant, some with the whole job pipeline.
  await page.waitForSelector('details.trace');
  const summaries = await page.locator('details.trace > summary').allTextContents();
  expect(summaries.length).toBeGreaterThan(5);
  expect(summaries.some((s) => /tenant (acme|globex)/.test(s))).toBe(true);
  const counts = summaries.map((s) => Number(/(\d+) spans?/.exec(s)?.[1] ?? 0));
  // Among the newer traces, so the one opened is still listed after the refreshes below.
  const newer = counts.slice(0, 40);
  const deepest = newer.indexOf(Math.max(...newer));
  expect(counts[deepest]).toBeGreaterThanOrEqual(5);
  const trace = page.locator('details.trace').nth(deepest);
  await trace.locator('summary').first().click();
  const openKey = await trace.getAttribute('data-key');
  const spans = trace.locator('details.span');
  expect(await spans.count()).toBe(counts[deepest]);
  expect(await spans.first().isVisible()).toBe(true);
  const names = await trace.locator('.sname').allTextContents();
  expect(names.join('\n')).toMatch(/POST \/graphql/);
  expect(names.join('\n')).toMatch(/runPlugin|plugin/);
  // Waterfall bars: each drawn, placed by its offset, and the last span to end reaches the lane's end.
  const bars = await trace.locator('.lane').evaluateAll((lanes) =>
    lanes.map((lane) => {
      const l = lane.getBoundingClientRect();
      const b = (lane.firstElementChild as Element).getBoundingClientRect();
      return { start: b.left - l.left, end: b.right - l.left, lane: l.width };
    }),
  );
  expect(bars.every((b) => b.end > b.start)).toBe(true);
  expect(bars.some((b) => b.start > 1)).toBe(true);
  const lane = bars[0]?.lane ?? 0;
  expect(lane).toBeGreaterThan(100);
  expect(Math.max(...bars.map((b) => b.end))).toBeCloseTo(lane, -1);

  // The SLO table with the four default SLOs and a status each.
  await page.waitForSelector('#slos table');
  const sloRows = await page.locator('#slos tbody tr').allTextContents();
  for (const id of ['availability', 'operation-errors', 'plugin-load-latency', 'usb-event-latency']) {
    expect(sloRows.some((row) => row.includes(id))).toBe(true);
  }
  for (const row of sloRows) expect(row).toMatch(/OK|WARNING|CRITICAL|NO_DATA/);
  expect(sloRows.find((r) => r.includes('availability'))).toMatch(/\d+ good \/ \d+/);

  const tenants = await page.locator('#tenants tbody tr').allTextContents();
  expect(tenants.some((r) => r.startsWith('acme'))).toBe(true);
  expect(tenants.some((r) => r.startsWith('globex'))).toBe(true);
  expect(await page.locator('#telemetry tbody tr').allTextContents()).toEqual(
    expect.arrayContaining([expect.stringMatching(/^tracing\d+/)]),
  );

  // The hostile alert label is shown as text; no element was created from it and nothing ran.
  const alertText = await page.locator('#alerts').textContent();
  expect(alertText).toContain(`slo=${HOSTILE_LABEL}`);
  expect(await page.locator('#alerts img, main img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

  // Live: a request made now appears at the top within a few refreshes, and the expanded trace stays open.
  const before = await page.locator('details.trace').first().getAttribute('data-key');
  const run = await demo.gql(DEMO_KEYS.globex, 'mutation { runPlugin(name: "echo", input: {n: 1}) { id } }');
  expect(run.body.errors).toBeUndefined();
  await page.waitForFunction(
    (key) => document.querySelector('details.trace')?.getAttribute('data-key') !== key,
    before,
    { timeout: 15_000 },
  );
  expect(await page.locator('#live').textContent()).toMatch(/^updated /);
  expect(
    await page
      .locator(`details.trace[data-key="${openKey ?? ''}"]`)
      .evaluate((el) => (el as HTMLDetailsElement).open),
  ).toBe(true);

  // The tenant filter: only globex's traces, and the choice survives a reload (it is in the URL).
  await page.selectOption('#f-tenant', 'globex');
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('details.trace > summary .tenant')).every(
      (el) => el.textContent === 'tenant globex',
    ),
  );
  expect(page.url()).toContain('?tenant=globex');
  await page.reload();
  expect(await page.locator('#f-tenant').inputValue()).toBe('globex');
  const tenantsShown = new Set(await page.locator('details.trace > summary .tenant').allTextContents());
  expect([...tenantsShown]).toEqual(['tenant globex']);

  const dir = mkdtempSync(join(tmpdir(), 'autoweave-debug-page-'));
  const screenshot = join(dir, 'debug.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`/debug screenshot: ${screenshot}`);
  expect(existsSync(screenshot)).toBe(true);
  expect(pageErrors).toEqual([]);
});
