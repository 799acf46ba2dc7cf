import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createSloEvaluator, DEFAULT_SLOS, type SloEvaluator, type SloStatus } from '@autoweave/sli-slo';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import { createDebugRoutes, summarizeSlo, summarizeSlos, type DebugData, type DebugSources } from './index';
import { RENDER_FUNCTIONS, renderSections } from './render';
import type { ActiveAlert, TenantActivity } from './types';

const HOSTILE_SPAN = '<img src=x onerror="alert(1)">';
const HOSTILE_ATTR = '"><script>alert(2)</script>';
const HOSTILE_LABEL = "</td><svg onload=alert('3')>";

let tracing: TracingHandle;
let slo: SloEvaluator;
const now = Date.UTC(2026, 0, 1);
const servers: Server[] = [];

const tenants: TenantActivity[] = [
  { tenant: 'acme', requests: 12, errors: 1, jobs: 4, pluginRuns: 4, lastSeen: new Date(now).toISOString() },
  { tenant: 'globex', requests: 0, errors: 0, jobs: 0, pluginRuns: 0, lastSeen: undefined },
];
const alerts: ActiveAlert[] = [
  {
    fingerprint: 'r1',
    alertname: 'OldResolved',
    status: 'resolved',
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2026-01-01T00:05:00Z',
    labels: { alertname: 'OldResolved' },
    annotations: {},
    receivedAt: '2026-01-01T00:05:01Z',
  },
  {
    fingerprint: 'f1',
    alertname: 'SloBurnRate',
    severity: 'page',
    status: 'firing',
    startsAt: '2026-01-01T00:01:00Z',
    labels: { alertname: 'SloBurnRate', team: HOSTILE_LABEL },
    annotations: { summary: HOSTILE_LABEL },
    receivedAt: '2026-01-01T00:01:02Z',
  },
];

function sourcesWith(overrides: Partial<DebugSources> = {}): DebugSources {
  return {
    traces: () => tracing.recentTraces?.traces() ?? [],
    slo: () => slo.snapshot(),
    tenants: () => tenants,
    telemetry: () => ({
      tracing: tracing.stats(),
      logging: { sent: 7, dropped: { loki_down: 3, buffer_full: 0 } },
    }),
    alerts: () => alerts,
    ...overrides,
  };
}

async function serve(sources: DebugSources): Promise<string> {
  const routes = createDebugRoutes(sources);
  const server = createServer((req, res) => {
    if (!routes(req, res)) {
      res.writeHead(404).end('not found');
    }
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'debug-page-test', registerGlobal: false, recentTraces: true });
  const tracer = tracing.tracer();
  // One request trace: SERVER root with two children, the second failing with hostile text. Parents
  // are passed explicitly: this test registers no context manager.
  const root = tracer.startSpan('POST /graphql', {
    kind: SpanKind.SERVER,
    attributes: { 'tenant.id': 'acme' },
  });
  const child = tracer.startSpan(
    'graphql.execute',
    { attributes: { 'tenant.id': 'acme' } },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  tracer
    .startSpan(
      HOSTILE_SPAN,
      { attributes: { 'tenant.id': 'acme', 'plugin.input': HOSTILE_ATTR, retries: [1, 2] } },
      trace.setSpan(ROOT_CONTEXT, child),
    )
    .setStatus({ code: SpanStatusCode.ERROR, message: 'boom <b>' })
    .end();
  child.end();
  root.end();
  await tracing.forceFlush();
  slo = createSloEvaluator({ slos: DEFAULT_SLOS, intervalMs: 0, now: () => now });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  slo.close();
  await tracing.shutdown();
});

describe('GET /debug/data', () => {
  it('returns each trace as a depth-first span list with offsets, tenant and error marks', async () => {
    const url = await serve(sourcesWith());
    const response = await fetch(`${url}/debug/data`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const data = (await response.json()) as DebugData;
    expect(data.traces).toHaveLength(1);
    const [first] = data.traces;
    expect(first).toMatchObject({
      name: 'POST /graphql',
      tenant: 'acme',
      spanCount: 3,
      hasError: true,
      hiddenSpans: 0,
    });
    expect(first?.spans.map((s) => [s.depth, s.name, s.error])).toEqual([
      [0, 'POST /graphql', false],
      [1, 'graphql.execute', false],
      [2, HOSTILE_SPAN, true],
    ]);
    const failing = first?.spans[2];
    expect(failing?.statusMessage).toBe('boom <b>');
    expect(failing?.tenant).toBe('acme');
    expect(failing?.attributes).toEqual(
      expect.arrayContaining([
        ['plugin.input', HOSTILE_ATTR],
        ['retries', '[1,2]'],
      ]),
    );
    for (const span of first?.spans ?? []) {
      expect(span.offsetMs).toBeGreaterThanOrEqual(0);
      expect(span.offsetMs + span.durationMs).toBeLessThanOrEqual((first?.durationMs ?? 0) + 0.001);
    }
  });

  it('summarises the SLOs, tenants, dropped telemetry by signal and reason, and alerts firing first', async () => {
    for (let i = 0; i < 99; i++) slo.record('availability', true);
    slo.record('availability', false);
    const data = (await (await fetch(`${await serve(sourcesWith())}/debug/data`)).json()) as DebugData;
    const availability = data.slos.find((s) => s.id === 'availability');
    expect(availability).toMatchObject({ sli: 0.99, good: 99, total: 100 });
    // 1% errors against a 0.5% or 0.1% budget: overspent, so CRITICAL whatever the objective.
    expect(availability?.errorBudgetRemaining).toBeLessThan(0);
    expect(availability?.status).toBe('CRITICAL');
    expect(data.slos.find((s) => s.id === 'usb-event-latency')).toMatchObject({
      sli: null,
      status: 'NO_DATA',
    });
    expect(data.sloEvaluatedAt).toBe(new Date(now).toISOString());
    expect(data.tenants).toEqual(JSON.parse(JSON.stringify(tenants)));
    const logging = data.telemetry.find((t) => t.signal === 'logging');
    expect(logging).toEqual({
      signal: 'logging',
      exported: 7,
      droppedTotal: 3,
      dropped: [
        { reason: 'loki_down', count: 3 },
        { reason: 'buffer_full', count: 0 },
      ],
    });
    const tracingRow = data.telemetry.find((t) => t.signal === 'tracing');
    expect(tracingRow?.dropped.map((d) => d.reason).sort()).toEqual([
      'export_failed',
      'queue_full',
      'shutdown',
    ]);
    expect(data.alerts.map((a) => a.fingerprint)).toEqual(['f1', 'r1']);
    expect(data.errors).toEqual([]);
  });

  it('filters traces by tenant and by failure from the query string', async () => {
    const url = await serve(sourcesWith());
    const get = async (query: string) =>
      (await (await fetch(`${url}/debug/data${query}`)).json()) as DebugData;
    expect((await get('?tenant=acme')).traces).toHaveLength(1);
    expect((await get('?tenant=globex')).traces).toEqual([]);
    expect((await get('?tenant=globex')).filter).toEqual({ tenant: 'globex', errorsOnly: false });
    expect((await get('?errors=1&tenant=acme')).traces).toHaveLength(1);
    expect((await get('?tenant=')).filter).toEqual({ tenant: null, errorsOnly: false });
    const page = await (
      await fetch(`${url}/debug?tenant=${encodeURIComponent(HOSTILE_LABEL)}&errors=1`)
    ).text();
    expect(page).toContain('No recent trace matches the filter.');
    expect(page).toContain(`<option value="&lt;/td&gt;&lt;svg onload=alert(&#39;3&#39;)&gt;" selected>`);
    expect(page).toContain('<input type="checkbox" id="f-errors" checked>');
    expect(page).not.toContain('<svg');
  });

  it('keeps serving when a source throws, and names the source', async () => {
    const url = await serve(
      sourcesWith({
        alerts: () => {
          throw new Error('alert store unavailable');
        },
      }),
    );
    const data = (await (await fetch(`${url}/debug/data`)).json()) as DebugData;
    expect(data.errors).toEqual(['alerts: alert store unavailable']);
    expect(data.alerts).toEqual([]);
    expect(data.traces).toHaveLength(1);
    const page = await (await fetch(`${url}/debug`)).text();
    expect(page).toContain('alerts: alert store unavailable');
  });
});

describe('GET /debug', () => {
  it('renders hostile span names, attributes and alert labels as text, under a nonce-only CSP', async () => {
    const response = await fetch(`${await serve(sourcesWith())}/debug`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('&lt;/td&gt;&lt;svg onload=alert(&#39;3&#39;)&gt;');
    expect(page).toContain('boom &lt;b&gt;');
    for (const raw of [HOSTILE_SPAN, HOSTILE_ATTR, HOSTILE_LABEL, '<svg', '<img'])
      expect(page).not.toContain(raw);
    // The only script is ours, carrying the nonce.
    expect(page.match(/<script/g)).toEqual(['<script']);
    expect(page).toContain(`<script nonce="${nonce ?? ''}">`);
    // The first paint already shows the trace tree, with the failing span marked.
    expect(page).toContain('<details class="trace err"');
    expect(page).toContain('<details class="span err"');
    expect(page).toContain('<span class="tenant">acme</span>');
  });

  it('labels a simulated USB source in the header, and says nothing when the demo does not tell', async () => {
    const simulated = await serve(
      sourcesWith({
        platform: () => ({
          usbMode: 'simulate',
          usbDetail: 'sample devices <plugged> every 15 s',
          observability: 'on',
          samplingRate: 0.1,
        }),
      }),
    );
    const page = await (await fetch(`${simulated}/debug`)).text();
    expect(page).toContain(
      '<b class="sim">USB simulated</b>: sample devices &lt;plugged&gt; every 15 s · observability on · sampling 10%',
    );
    const data = (await (await fetch(`${simulated}/debug/data`)).json()) as DebugData;
    expect(data.platform?.usbMode).toBe('simulate');
    const silent = await (await fetch(`${await serve(sourcesWith())}/debug`)).text();
    expect(silent).toContain('<span id="platform"></span>');
  });

  it('embeds render functions that stand alone and render what the server renders', async () => {
    const data = (await (await fetch(`${await serve(sourcesWith())}/debug/data`)).json()) as DebugData;
    // Evaluated in an empty context, as the browser sees them: a reference to an import would throw.
    const source = RENDER_FUNCTIONS.map((fn) => fn.toString()).join('\n');
    const inPage = runInNewContext(`${source}\nrenderSections(${JSON.stringify(data)})`) as Record<
      string,
      string
    >;
    expect({ ...inPage }).toEqual(renderSections(data));
    expect(inPage.traces).toContain('&lt;img src=x');
  });

  it('answers only its own paths, and only GET', async () => {
    const url = await serve(sourcesWith());
    expect((await fetch(`${url}/debugger`)).status).toBe(404);
    expect((await fetch(`${url}/debug?x=1`)).status).toBe(200);
    const post = await fetch(`${url}/debug/data`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('rejects bad limits naming the option', () => {
    expect(() => createDebugRoutes(sourcesWith(), { maxTraces: 0 })).toThrow(
      'debug.maxTraces must be a positive integer',
    );
  });
});

describe('summarizeSlo', () => {
  // Plain SloStatus data, as the evaluator returns it, for the rules the evaluator cannot reach quickly.
  const sloStatus = (good: number, total: number, firing: ('page' | 'ticket')[] = []): SloStatus => ({
    id: 'x',
    service: 'demo',
    description: 'x',
    sliKind: 'ratio',
    objective: 0.99,
    errorBudget: 0.01,
    window: '30d',
    groupBy: [],
    overflowedEvents: 0,
    groups: [
      {
        labels: {},
        windows: [
          { window: '5m', good: 0, total: 0, sli: null, errorRatio: null, burnRate: 0 },
          { window: '30d', good, total, sli: total ? good / total : null, errorRatio: null, burnRate: 0 },
        ],
        errorBudgetRemaining: 0,
        alerts: firing.map((severity, i) => ({
          tier: `tier-${i}`,
          severity,
          shortWindow: '5m',
          longWindow: '1h',
          factor: 14.4,
          threshold: 0.144,
          firing: true,
          shortErrorRatio: 0.5,
          longErrorRatio: 0.5,
          shortBurnRate: 50,
          longBurnRate: 50,
          longWindowEvents: 10,
          since: 0,
        })),
      },
    ],
  });

  it('reads the SLO window over all groups and grades the budget', () => {
    expect(summarizeSlo(sloStatus(0, 0))).toMatchObject({
      status: 'NO_DATA',
      sli: null,
      errorBudgetRemaining: null,
    });
    expect(summarizeSlo(sloStatus(1000, 1000))).toMatchObject({
      status: 'OK',
      sli: 1,
      errorBudgetRemaining: 1,
    });
    const half = summarizeSlo(sloStatus(995, 1000));
    expect(half.status).toBe('OK');
    expect(half.errorBudgetRemaining).toBeCloseTo(0.5, 9);
    const low = summarizeSlo(sloStatus(992, 1000));
    expect(low.status).toBe('WARNING');
    expect(low.errorBudgetRemaining).toBeCloseTo(0.2, 9);
    expect(summarizeSlo(sloStatus(990, 1000)).status).toBe('CRITICAL');
  });

  it('is WARNING while a ticket tier fires and CRITICAL while a page tier fires', () => {
    expect(summarizeSlo(sloStatus(1000, 1000, ['ticket']))).toMatchObject({
      status: 'WARNING',
      firing: ['tier-0 (ticket)'],
    });
    expect(summarizeSlo(sloStatus(1000, 1000, ['ticket', 'page'])).status).toBe('CRITICAL');
  });

  it('follows a real evaluator from NO_DATA through OK to CRITICAL', () => {
    const evaluator = createSloEvaluator({ slos: DEFAULT_SLOS, intervalMs: 0, now: () => now });
    const status = () => summarizeSlos(evaluator.snapshot()).find((s) => s.id === 'operation-errors');
    expect(status()).toMatchObject({ status: 'NO_DATA', total: 0 });
    evaluator.recordMany('operation-errors', 500, 500);
    expect(status()).toMatchObject({ status: 'OK', sli: 1, errorBudgetRemaining: 1, total: 500 });
    evaluator.recordMany('operation-errors', 0, 100);
    expect(status()).toMatchObject({ status: 'CRITICAL', total: 600 });
    expect(status()?.firing.length).toBeGreaterThan(0);
    evaluator.close();
  });
});
