import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkMetrics,
  startLokiPeer,
  startOtlpPeer,
  type LokiPeer,
  type OtlpPeer,
} from '@autoweave/test-utils';
import { currentTenant } from '@autoweave/tenant-isolation';
import { initializeObservability, type ObservabilityManager } from './index';
import { serve, waitFor, type TestServer } from './test-fixtures/server';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const KEYS: Record<string, string> = { 'acme-key': 'acme', 'globex-key': 'globex' };

describe('a manager exporting to real protocol peers', () => {
  let otlp: OtlpPeer;
  let loki: LokiPeer;
  let obs: ObservabilityManager;
  let server: TestServer;
  const seenTenants: (string | undefined)[] = [];

  beforeAll(async () => {
    otlp = await startOtlpPeer();
    loki = await startLokiPeer();
    obs = initializeObservability({
      serviceName: 'facade-test',
      serviceVersion: '9.9.9',
      environment: 'test',
      otlpEndpoint: otlp.url,
      lokiEndpoint: loki.url,
      tenants: ['acme', 'globex'],
      lokiDefaultOrgId: 'platform',
      logStream: false,
      healthWindowMs: 60_000,
      env: {},
    });
    await obs.initialize();
    await obs.initialize(); // idempotent
    const middleware = obs.createHTTPMiddleware({
      authenticate: (req) => KEYS[(req.headers.authorization ?? '').replace(/^Bearer /, '')],
      ignorePaths: ['/metrics'],
      routes: ['/graphql', '/jobs/*'],
    });
    const metrics = obs.metricsHandler();
    const log = obs.logger.child({ component: 'test-app' });
    server = await serve((req: IncomingMessage, res: ServerResponse) =>
      middleware(req, res, () => {
        if (req.url === '/metrics') return metrics(req, res);
        seenTenants.push(currentTenant());
        log.info('handled request', { path: req.url });
        res.statusCode = req.url === '/fail' ? 503 : 200;
        res.end('done');
      }),
    );
  });

  afterAll(async () => {
    await server.close();
    await obs.shutdown();
    await otlp.stop();
    await loki.stop();
  });

  test('a request becomes a SERVER span under the caller trace, with http semconv and the authenticated tenant', async () => {
    seenTenants.length = 0;
    const res = await fetch(`${server.url}/graphql?query=x`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer acme-key',
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        baggage: 'tenant.id=globex,other=1',
        'user-agent': 'facade-test/1',
      },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await obs.flush();
    const [span] = await otlp.waitForSpans(1, 20_000, (s) => s.traceId === TRACE_ID);
    expect(span).toMatchObject({
      name: 'POST /graphql',
      kind: 'SERVER',
      parentSpanId: PARENT_ID,
      status: { code: 'UNSET' },
      scope: { name: '@autoweave/observability' },
    });
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(server.url).port),
      'client.address': '127.0.0.1',
      'http.response.status_code': 200,
      'user_agent.original': 'facade-test/1',
      'network.protocol.version': '1.1',
      'tenant.id': 'acme',
    });
    expect(span?.resource).toMatchObject({
      'service.name': 'facade-test',
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
    });
    // The tenant comes from the credential; the client's tenant.id baggage is ignored.
    expect(seenTenants).toEqual(['acme']);
  });

  test('a client-sent tenant.id baggage alone gives no tenant', async () => {
    seenTenants.length = 0;
    await fetch(`${server.url}/graphql`, { headers: { baggage: 'tenant.id=globex' } });
    expect(seenTenants).toEqual([undefined]);
  });

  test('a 5xx marks the span as an error; unknown paths get no http.route', async () => {
    otlp.clear();
    await fetch(`${server.url}/fail`);
    await fetch(`${server.url}/jobs/42`);
    await obs.flush();
    const spans = await otlp.waitForSpans(2);
    const fail = spans.find((s) => s.attributes['url.path'] === '/fail');
    expect(fail).toMatchObject({ name: 'GET', status: { code: 'ERROR' } });
    expect(fail?.attributes['http.route']).toBeUndefined();
    expect(fail?.attributes['error.type']).toBe('503');
    const job = spans.find((s) => s.attributes['url.path'] === '/jobs/42');
    expect(job).toMatchObject({ name: 'GET /jobs/*' });
    expect(job?.attributes['http.route']).toBe('/jobs/*');
  });

  test('logs reach Loki under the tenant X-Scope-OrgID with the trace ids of the request', async () => {
    loki.clear();
    await fetch(`${server.url}/graphql`, {
      headers: { authorization: 'Bearer globex-key', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    await fetch(`${server.url}/graphql`);
    await obs.flush();
    const entries = await loki.waitForEntries(2);
    const globex = entries.find((e) => e.labels.tenant_id === 'globex');
    expect(globex?.orgId).toBe('globex');
    expect(globex?.labels).toMatchObject({ service: 'facade-test', environment: 'test' });
    expect(JSON.parse(globex?.line ?? '{}')).toMatchObject({
      message: 'handled request',
      component: 'test-app',
      trace_id: TRACE_ID,
      tenant_id: 'globex',
    });
    const anonymous = entries.find((e) => e.labels.tenant_id !== 'globex');
    expect(anonymous?.orgId).toBe('platform');
  });

  test('/metrics passes promtool and carries the request, SLO, tracing and runtime series', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const check = await checkMetrics(text);
    expect(check.stderr).toBe('');
    expect(check.ok).toBe(true);
    expect(text).toMatch(
      /^autoweave_requests_total\{method="POST",route="\/graphql",status_class="2xx"\} [1-9]/m,
    );
    expect(text).toMatch(/^autoweave_requests_total\{method="GET",route="other",status_class="5xx"\} 1$/m);
    expect(text).toMatch(
      /^autoweave_requests_total\{method="GET",route="\/jobs\/\*",status_class="2xx"\} 1$/m,
    );
    expect(text).toMatch(
      /^autoweave_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="other",status_class="5xx"\} 1$/m,
    );
    expect(text).toMatch(/^autoweave_slo_sli_ratio\{slo_id="availability"/m);
    expect(text).toMatch(/^autoweave_tracing_spans_exported_total [1-9]/m);
    expect(text).toMatch(/^autoweave_logging_/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // /metrics itself is an ignored path: it is not counted.
    expect(text).not.toMatch(/route="\/metrics"/);
  });

  test('the availability SLO counts the same requests as the metric', () => {
    const availability = obs.slo.snapshot().slos.find((s) => s.id === 'availability');
    const fiveMinutes = availability?.groups[0]?.windows.find((w) => w.window === '5m');
    expect(fiveMinutes?.total).toBe(obs.stats().http.exported);
    expect((fiveMinutes?.total ?? 0) - (fiveMinutes?.good ?? 0)).toBe(1);
  });

  test('tracing health goes degraded while the OTLP peer is down and ok once export succeeds again', async () => {
    expect(obs.health().components.tracing.status).toBe('ok');
    await otlp.stop();
    await fetch(`${server.url}/graphql`);
    await obs.flush();
    await waitFor(() => obs.health().components.tracing.status === 'degraded', 'tracing degraded');
    const health = obs.health();
    expect(health.status).toBe('degraded');
    expect(health.components.tracing.detail).toMatch(/export to OTLP http:\/\/127\.0\.0\.1:\d+ failing/);
    expect(obs.stats().tracing?.dropped.export_failed).toBeGreaterThan(0);

    await otlp.restart();
    // The gRPC channel reconnects with backoff: keep sending until an export gets through.
    await waitFor(async () => {
      await fetch(`${server.url}/graphql`);
      await obs.flush();
      return obs.health().components.tracing.status === 'ok';
    }, 'tracing ok again');
    expect(otlp.spans.length).toBeGreaterThan(0);
  });

  test('logging health goes degraded while Loki fails and ok once a push succeeds', async () => {
    expect(obs.health().components.logging.status).toBe('ok');
    loki.failWith(503);
    await fetch(`${server.url}/graphql`);
    await waitFor(() => obs.health().components.logging.status === 'degraded', 'logging degraded');
    expect(obs.health().components.logging.detail).toMatch(
      /export to Loki http:\/\/127\.0\.0\.1:\d+ failing/,
    );
    loki.failWith(null);
    await obs.flush();
    await waitFor(() => obs.health().components.logging.status === 'ok', 'logging ok again');
  });
});

describe('shutdown', () => {
  test('flushes spans and logs, is idempotent, and the manager cannot start again', async () => {
    const otlp = await startOtlpPeer();
    const loki = await startLokiPeer();
    const obs = initializeObservability({
      serviceName: 'shutdown-test',
      otlpEndpoint: otlp.url,
      lokiEndpoint: loki.url,
      logStream: false,
      env: {},
    });
    try {
      await obs.initialize();
      obs.tracer.startActiveSpan('last words', (span) => {
        obs.logger.logger.warn('going down');
        span.end();
      });
      // The batch delay (5 s) has not passed: only shutdown's flush can have delivered these.
      await Promise.all([obs.shutdown(), obs.shutdown()]);
      await obs.shutdown();
      expect(otlp.spans.map((s) => s.name)).toEqual(['last words']);
      const lines = loki.entries().map((e) => JSON.parse(e.line) as { message: string; trace_id: string });
      expect(lines).toEqual([
        expect.objectContaining({ message: 'going down', trace_id: otlp.spans[0]?.traceId }),
      ]);
      await expect(obs.initialize()).rejects.toThrow(/shut down/);
      expect(obs.health().components.tracing).toEqual({ status: 'disabled', detail: 'shut down' });
    } finally {
      await obs.shutdown();
      await otlp.stop();
      await loki.stop();
    }
  });
});
