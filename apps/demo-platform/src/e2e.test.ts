// End to end: the built demo as a child process on real Redis with simulated USB, exporting to an
// OTLP/gRPC protocol peer and a Loki protocol peer, driven over HTTP for two tenants.
import { readFileSync } from 'node:fs';
import {
  checkMetrics,
  getRedis,
  startLokiPeer,
  startOtlpPeer,
  type LokiPeer,
  type OtlpPeer,
  type ReceivedSpan,
  type RedisForTests,
} from '@autoweave/test-utils';
import { DEMO_KEYS } from './demo-keys';
import { eventually, startDemo, type DemoProcess } from './test/demo-process';

const RUN_PLUGIN = /* GraphQL */ `
  mutation RunPlugin($name: String!, $input: JSON) {
    runPlugin(name: $name, input: $input) {
      id
      plugin
      state
      traceId
      createdAt
    }
  }
`;
const JOB = /* GraphQL */ `
  query Job($id: ID!) {
    job(id: $id) {
      id
      plugin
      state
      result
      error
      attempts
      finishedAt
      traceId
    }
  }
`;

let redis: RedisForTests;
let otlp: OtlpPeer;
let loki: LokiPeer;
let demo: DemoProcess;

beforeAll(async () => {
  redis = await getRedis();
  otlp = await startOtlpPeer();
  loki = await startLokiPeer();
  demo = await startDemo({
    REDIS_URL: redis.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    LOKI_URL: loki.url,
    OTEL_TRACES_SAMPLER_ARG: '1',
  });
}, 90_000);

afterAll(async () => {
  const code = await demo?.stop('SIGTERM');
  await otlp?.stop();
  await loki?.stop();
  await redis?.stop();
  expect(code).toBe(0);
}, 90_000);

async function runAndWait(key: string, name: string, input: unknown) {
  const started = await demo.gql(key, RUN_PLUGIN, { name, input });
  expect(started.body.errors).toBeUndefined();
  const job = started.body.data?.runPlugin as { id: string; traceId: string | null; state: string };
  expect(job.traceId).toMatch(/^[0-9a-f]{32}$/);
  const done = await eventually(`job ${job.id} to finish`, async () => {
    const { body } = await demo.gql(key, JOB, { id: job.id });
    const found = body.data?.job as { state: string } | undefined;
    return found !== undefined && (found.state === 'completed' || found.state === 'failed')
      ? found
      : undefined;
  });
  return { job, done: done as { state: string; result: unknown; attempts: number; traceId: string } };
}

function spanByName(spans: readonly ReceivedSpan[], pattern: RegExp): ReceivedSpan {
  const span = spans.find((s) => pattern.test(s.name));
  if (span === undefined)
    throw new Error(`no span matching ${pattern} in: ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe('demo platform end to end', () => {
  it('traces one plugin run from HTTP through GraphQL, the queue and the worker to the plugin, all as the tenant', async () => {
    const { job, done } = await runAndWait(DEMO_KEYS.acme, 'echo', { hello: 'world' });
    expect(done.state).toBe('completed');
    expect(done.result).toMatchObject({ echoed: { hello: 'world' }, tenant: 'acme' });
    expect(done.traceId).toBe(job.traceId);

    const traceId = job.traceId as string;
    // Every hop, since they end (and are exported) at different times.
    const hops = [/^mutation RunPlugin$/, /^add plugin-runs/, /^process plugin-runs/, /^plugin\.execute$/];
    const spans = await eventually('the whole trace at the OTLP peer', () => {
      const inTrace = otlp.spans.filter((s) => s.traceId === traceId);
      const complete =
        hops.every((hop) => inTrace.some((s) => hop.test(s.name))) &&
        inTrace.some((s) => s.kind.includes('SERVER') && s.attributes['http.request.method'] !== undefined);
      return complete ? inTrace : undefined;
    });

    const http = spans.find(
      (s) => s.kind.includes('SERVER') && s.attributes['http.request.method'] === 'POST',
    );
    expect(http).toBeDefined();
    const graphql = spanByName(spans, /^mutation RunPlugin$/);
    const producer = spanByName(spans, /^add plugin-runs/);
    const consumer = spanByName(spans, /^process plugin-runs/);
    const plugin = spanByName(spans, /^plugin\.execute$/);
    expect(http?.parentSpanId).toBe('');
    // Each hop is a descendant of the one before it.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (span: ReceivedSpan): string[] => {
      const chain: string[] = [];
      for (let p = byId.get(span.parentSpanId); p !== undefined; p = byId.get(p.parentSpanId))
        chain.push(p.spanId);
      return chain;
    };
    expect(ancestors(graphql)).toContain(http?.spanId);
    expect(ancestors(producer)).toContain(graphql.spanId);
    expect(consumer.parentSpanId).toBe(producer.spanId);
    expect(ancestors(plugin)).toContain(consumer.spanId);
    expect(plugin.attributes['autoweave.plugin.name']).toBe('echo');
    for (const span of spans) {
      expect({ span: span.name, tenant: span.attributes['tenant.id'] }).toEqual({
        span: span.name,
        tenant: 'acme',
      });
    }
    expect(http?.resource['service.name']).toBe('autoweave-demo-platform');
  });

  it("sends each tenant's logs with their trace ids under that tenant's X-Scope-OrgID", async () => {
    const acme = await runAndWait(DEMO_KEYS.acme, 'echo', { n: 1 });
    const globex = await runAndWait(DEMO_KEYS.globex, 'slow-report', { rows: 10 });
    expect(globex.done.state).toBe('completed');

    const entries = await eventually('both tenants’ worker logs at the Loki peer', () => {
      const all = loki
        .entries()
        .map((e) => ({ ...e, record: JSON.parse(e.line) as Record<string, unknown> }));
      const has = (traceId: string | null) =>
        ['running plugin', 'plugin finished'].every((message) =>
          all.some((e) => e.record.trace_id === traceId && e.record.message === message),
        );
      return has(acme.job.traceId) && has(globex.job.traceId) ? all : undefined;
    });
    for (const [tenant, traceId] of [
      ['acme', acme.job.traceId],
      ['globex', globex.job.traceId],
    ] as const) {
      const lines = entries.filter((e) => e.record.trace_id === traceId);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const line of lines) {
        expect({ message: line.record.message, orgId: line.orgId, tenant: line.record.tenant_id }).toEqual({
          message: line.record.message,
          orgId: tenant,
          tenant,
        });
      }
    }
  });

  it('serves /metrics that pass promtool with the USB, plugin, queue, GraphQL and SLO series', async () => {
    const attach = await demo.gql(
      DEMO_KEYS.globex,
      'mutation { simulateUsbEvent(action: ATTACH, vendorId: 4660, productId: 22136) }',
    );
    expect(attach.body).toEqual({ data: { simulateUsbEvent: true } });
    const devices = await eventually('the simulated device to be listed', async () => {
      const { body } = await demo.gql(
        DEMO_KEYS.globex,
        '{ devices { id vendorId productId serial attachedAt } }',
      );
      const list = body.data?.devices as { vendorId: number }[];
      return list.some((d) => d.vendorId === 4660) ? list : undefined;
    });
    expect(devices.find((d) => d.vendorId === 4660)).toMatchObject({
      productId: 22136,
      serial: expect.stringMatching(/^SIM/),
    });
    // Simulated events say so in the logs, and their log lines belong to the event's span.
    const attachedLog = demo
      .logs()
      .find((r) => r.message === 'USB device attached' && r.vendorId === 4660 && r.enumerated === false);
    expect(attachedLog).toMatchObject({
      simulated: true,
      component: 'usb',
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    await runAndWait(DEMO_KEYS.acme, 'flaky-fetch', {});

    const { status, text } = await demo.get('/metrics');
    expect(status).toBe(200);
    const promtool = await checkMetrics(text);
    expect(promtool.stderr).toBe('');
    expect(promtool.ok).toBe(true);
    for (const series of [
      /^autoweave_usb_events_total\{[^}]*action="attach"[^}]*\} [1-9]/m,
      /^autoweave_usb_devices_attached(\{[^}]*\})? [1-9]/m,
      /^autoweave_plugin_execution_duration_seconds_count\{[^}]*plugin="echo"[^}]*\} [1-9]/m,
      /^autoweave_plugin_load_duration_seconds_count\{[^}]*plugin="slow-report"/m,
      /^autoweave_queue_jobs_completed_total\{[^}]*queue="plugin-runs"[^}]*\} [1-9]/m,
      /^autoweave_queue_jobs\{[^}]*queue="plugin-runs"/m,
      /^autoweave_graphql_operation_duration_seconds_count\{[^}]*operation_name="RunPlugin"[^}]*\} [1-9]/m,
      /^autoweave_requests_total\{[^}]*route="\/graphql"[^}]*\} [1-9]/m,
      /^autoweave_slo_error_budget_remaining_ratio\{[^}]*slo_id="availability"/m,
      /^autoweave_slo_objective_ratio\{/m,
      /^autoweave_business_operations_total\{[^}]*tenant_id="acme"/m,
      /^# TYPE autoweave_alertmanager_notifications_total counter/m,
    ]) {
      expect(text).toMatch(series);
    }
  });

  it("answers another tenant's job id exactly as an unknown one: NOT_FOUND", async () => {
    const { job } = await runAndWait(DEMO_KEYS.acme, 'echo', { secret: 'acme only' });
    const asGlobex = await demo.gql(DEMO_KEYS.globex, JOB, { id: job.id });
    expect(asGlobex.body.data).toBeNull();
    expect(asGlobex.body.errors).toEqual([
      expect.objectContaining({
        message: `job ${job.id} not found`,
        extensions: expect.objectContaining({ code: 'NOT_FOUND' }),
      }),
    ]);
    const unknown = await demo.gql(DEMO_KEYS.globex, JOB, { id: 'no-such-job' });
    expect(unknown.body.errors?.[0]?.message).toBe('job no-such-job not found');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const asAcme = await demo.gql(DEMO_KEYS.acme, JOB, { id: job.id });
    expect((asAcme.body.data?.job as { id: string }).id).toBe(job.id);
  });

  it('rejects a spoofed X-Tenant-ID with 403 and audits it; no key is 401', async () => {
    const spoofed = await demo.gql(DEMO_KEYS.acme, '{ plugins { name } }', undefined, {
      'x-tenant-id': 'globex',
    });
    expect(spoofed.status).toBe(403);
    expect(spoofed.body).toMatchObject({ error: 'tenant_mismatch' });
    const matching = await demo.gql(DEMO_KEYS.acme, '{ plugins { name loaded } }', undefined, {
      'x-tenant-id': 'acme',
    });
    expect(matching.status).toBe(200);
    expect(matching.body.data?.plugins).toEqual(
      expect.arrayContaining([
        { name: 'echo', loaded: true },
        { name: 'slow-report', loaded: true },
        { name: 'flaky-fetch', loaded: true },
      ]),
    );
    const anonymous = await demo.gql(undefined, '{ plugins { name } }');
    expect(anonymous.status).toBe(401);

    const audited = await eventually('the mismatch in the audit log', () => {
      const lines = readFileSync(demo.auditFile, 'utf8').split('\n').filter(Boolean);
      const events = lines.map(
        (l) => JSON.parse(l) as { type: string; tenant?: string; data?: { claimedTenant?: string } },
      );
      return events.find((e) => e.type === 'auth.tenant_mismatch');
    });
    expect(audited).toMatchObject({ tenant: 'acme', data: { claimedTenant: 'globex' } });
  });

  it('validates Alertmanager webhooks, keeps the alerts for /debug and counts them', async () => {
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="AutoweaveSloBurnRate"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'demo',
      groupLabels: { alertname: 'AutoweaveSloBurnRate' },
      commonLabels: { alertname: 'AutoweaveSloBurnRate', severity: 'page' },
      commonAnnotations: {},
      externalURL: 'http://127.0.0.1:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'AutoweaveSloBurnRate', severity: 'page', slo_id: 'availability' },
          annotations: { summary: 'availability burning its budget' },
          startsAt: '2025-01-01T12:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://127.0.0.1:9090/graph',
          fingerprint: 'c0ffee0123456789',
        },
      ],
    };
    const post = (body: unknown) =>
      fetch(`${demo.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { problems?: string[]; accepted?: number },
      }));

    expect(await post(payload)).toEqual({ status: 200, body: { accepted: 1 } });
    const bad = await post({
      ...payload,
      alerts: [{ ...payload.alerts[0], startsAt: 'yesterday', labels: {} }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\[0\]\.startsAt: /),
        expect.stringMatching(/^alerts\[0\]\.labels\.alertname: /),
      ]),
    );
    expect((await post('{not json')).status).toBe(400);

    const debug = JSON.parse((await demo.get('/debug/data')).text) as {
      alerts: { fingerprint: string; status: string }[];
    };
    expect(debug.alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fingerprint: 'c0ffee0123456789', status: 'firing' }),
      ]),
    );
    const metrics = (await demo.get('/metrics')).text;
    expect(metrics).toMatch(/^autoweave_alertmanager_notifications_total\{status="firing"\} 1$/m);
    expect(metrics).toMatch(/^autoweave_alertmanager_notifications_total\{status="invalid"\} 2$/m);
  });

  it('labels simulated USB in /healthz and reports Redis, worker and exporters in /readyz', async () => {
    const health = JSON.parse((await demo.get('/healthz')).text) as {
      usb: { mode: string; simulated: boolean };
    };
    expect(health.usb).toMatchObject({ mode: 'simulate', simulated: true });
    const ready = await demo.get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'ready',
      checks: { redis: { status: 'ok' }, worker: { status: 'ok' }, exporters: { status: 'ok' } },
    });
  });
});
