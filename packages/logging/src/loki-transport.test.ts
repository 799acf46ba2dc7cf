import { runWithTenant } from '@autoweave/tenant-isolation';
import { discardStream, startLokiPeer, type LokiPeer } from '@autoweave/test-utils';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { createLogger, DROPPED_METRIC, SENT_METRIC, type LoggerHandle, type LoggerOptions } from './index';

class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Loki transport', () => {
  let peer: LokiPeer;
  const handles: LoggerHandle[] = [];
  const meterProviders: MeterProvider[] = [];

  const logger = (
    overrides: Partial<LoggerOptions> = {},
    loki: Partial<NonNullable<LoggerOptions['loki']>> = {},
  ) => {
    const handle = createLogger({
      service: 'usb-daemon',
      environment: 'test',
      stream: discardStream(),
      ...overrides,
      loki: { url: peer.url, intervalMs: 20, minBackoffMs: 20, maxBackoffMs: 200, ...loki },
    });
    handles.push(handle);
    return handle;
  };

  beforeEach(async () => {
    peer = await startLokiPeer();
  });

  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.shutdown()));
    await Promise.all(meterProviders.splice(0).map((m) => m.shutdown()));
    await peer.stop();
  });

  it('pushes JSON lines with the fixed label set and one tenant per request with its X-Scope-OrgID', async () => {
    const { logger: log } = logger({}, { defaultOrgId: 'platform' });
    for (let i = 0; i < 3; i++) {
      runWithTenant('acme', () => log.info('acme event', { i }));
      runWithTenant('globex', () => log.warn('globex event', { i }));
    }
    log.info('no tenant here');

    const entries = await peer.waitForEntries(7);
    expect(peer.requests.every((r) => r.path === '/loki/api/v1/push' && r.status === 204)).toBe(true);
    for (const request of peer.requests) {
      const tenants = new Set(request.streams.map((s) => s.labels.tenant_id));
      expect(tenants.size).toBe(1);
      const [tenant] = [...tenants];
      expect(request.orgId).toBe(tenant === '__none__' ? 'platform' : tenant);
      expect(request.contentEncoding).toBe('gzip');
    }
    const acme = entries.filter((e) => e.orgId === 'acme');
    expect(acme).toHaveLength(3);
    expect(acme[0]?.labels).toEqual({
      service: 'usb-daemon',
      environment: 'test',
      level: 'info',
      tenant_id: 'acme',
    });
    const body = JSON.parse(acme[0]?.line ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      level: 'info',
      message: 'acme event',
      i: 0,
      tenant_id: 'acme',
      service: 'usb-daemon',
      environment: 'test',
    });
    expect(entries.filter((e) => e.orgId === 'globex').map((e) => e.labels.level)).toEqual([
      'warn',
      'warn',
      'warn',
    ]);
    const none = entries.find((e) => e.labels.tenant_id === '__none__');
    expect(none?.orgId).toBe('platform');
    expect(JSON.parse(none?.line ?? '{}')).not.toHaveProperty('tenant_id');
    expect(entries.every((e) => /^\d{19}$/.test(e.tsNs))).toBe(true);
  });

  it('sends records without a tenant and without defaultOrgId with no X-Scope-OrgID header', async () => {
    const { logger: log } = logger();
    log.info('plain');
    const [entry] = await peer.waitForEntries(1);
    expect(entry?.orgId).toBeUndefined();
    expect(peer.requests[0]?.headers['x-scope-orgid']).toBeUndefined();
  });

  it('never turns caller fields into labels and ignores a caller-supplied tenant_id', async () => {
    const { logger: log } = logger();
    log.info('hostile', { tenant_id: 'evil', level_label: '{a="b"}', service_name: 'x'.repeat(1000) });
    const [entry] = await peer.waitForEntries(1);
    expect(Object.keys(entry?.labels ?? {}).sort()).toEqual(['environment', 'level', 'service', 'tenant_id']);
    expect(entry?.labels.tenant_id).toBe('__none__');
    expect(JSON.parse(entry?.line ?? '{}')).not.toHaveProperty('tenant_id');
  });

  it('retries a push answered 500 and delivers it once Loki recovers', async () => {
    peer.failWith(500);
    const handle = logger();
    handle.logger.info('survives a 500');
    await peer.waitForRequests(2);
    expect(peer.entries()).toHaveLength(0);
    peer.failWith(null);
    const [entry] = await peer.waitForEntries(1);
    expect(JSON.parse(entry?.line ?? '{}')).toMatchObject({ message: 'survives a 500' });
    await waitFor('stats to settle', () => handle.stats().sent === 1);
    expect(handle.stats().retries).toBeGreaterThanOrEqual(2);
    expect(handle.stats().dropped.rejected).toBe(0);
  });

  it('treats 429 as retryable', async () => {
    peer.failWith(429);
    const handle = logger();
    handle.logger.info('throttled');
    await peer.waitForRequests(1);
    peer.failWith(null);
    await peer.waitForEntries(1);
    expect(handle.stats().dropped.rejected).toBe(0);
  });

  it('drops and counts a batch Loki rejects with 400, without retrying it', async () => {
    peer.failWith(400);
    const handle = logger();
    handle.logger.info('too old');
    handle.logger.info('also too old');
    await waitFor('rejection to be counted', () => handle.stats().dropped.rejected === 2);
    peer.failWith(null);
    handle.logger.info('fine');
    await peer.waitForEntries(1);
    await handle.flush();
    expect(peer.entries().map((e) => (JSON.parse(e.line) as { message: string }).message)).toEqual(['fine']);
    expect(handle.stats()).toMatchObject({ sent: 1, buffered: 0 });
  });

  it('keeps logging while Loki is down, stays bounded, counts overflow drops, and delivers the buffer when Loki returns', async () => {
    const reader = new TestReader();
    const withReader = new MeterProvider({ readers: [reader] });
    meterProviders.push(withReader);
    await peer.stop();
    const handle = logger({ meterProvider: withReader }, { maxBufferedRecords: 50 });

    for (let i = 0; i < 200; i++) handle.logger.info('while loki is down', { i });
    expect(handle.stats().buffered).toBe(50);
    expect(handle.stats().dropped.buffer_full).toBe(150);
    await waitFor('a failed push', () => handle.stats().retries >= 1);
    for (let i = 200; i < 210; i++) handle.logger.info('still down', { i });
    expect(handle.stats().buffered).toBe(50);
    expect(handle.stats().dropped.buffer_full).toBe(160);

    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const dropped = points.find((m) => m.descriptor.name === DROPPED_METRIC);
    const byReason = new Map(
      (dropped?.dataPoints as DataPoint<number>[]).map((p) => [p.attributes.reason, p.value] as const),
    );
    expect(byReason.get('buffer_full')).toBe(160);
    expect(byReason.get('rejected')).toBe(0);
    expect(points.find((m) => m.descriptor.name === SENT_METRIC)?.dataPoints[0]?.value).toBe(0);

    await peer.restart();
    const entries = await peer.waitForEntries(50, 30_000);
    const delivered = entries.map((e) => (JSON.parse(e.line) as { i: number }).i);
    expect(delivered).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await waitFor('sent to be counted', () => handle.stats().sent === 50);
    expect(handle.stats().buffered).toBe(0);

    const after = await reader.collect();
    const sent = after.resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === SENT_METRIC);
    expect(sent?.dataPoints[0]?.value).toBe(50);
  });

  it('bounds the tenant_id label under 1,000 distinct tenants while each tenant keeps its own org id', async () => {
    const handle = logger({}, { tenantCap: 20, tenants: ['acme'], batchSize: 5000 });
    for (let t = 0; t < 1000; t++) runWithTenant(`tenant-${t}`, () => handle.logger.info('hello'));
    runWithTenant('acme', () => handle.logger.info('known tenant'));
    await handle.flush(30_000);
    const entries = await peer.waitForEntries(1001, 30_000);
    const labelValues = new Set(entries.map((e) => e.labels.tenant_id));
    expect(labelValues.size).toBeLessThanOrEqual(22);
    expect(labelValues).toContain('__overflow__');
    expect(labelValues).toContain('acme');
    expect(new Set(entries.map((e) => e.orgId)).size).toBe(1001);
    expect(handle.stats().tenantLabelOverflows).toBe(980);
  });

  it('follows a live tenant list: registered tenants get their label and org, unknown ids the default org', async () => {
    const registered = new Set(['acme']);
    const handle = logger(
      {},
      {
        acceptTenant: (id) => registered.has(id),
        tenantOverflowValue: '__unknown__',
        defaultOrgId: 'platform',
      },
    );
    runWithTenant('acme', () => handle.logger.info('known'));
    runWithTenant('mallory', () => handle.logger.info('unknown'));
    registered.add('globex'); // registered at runtime
    runWithTenant('globex', () => handle.logger.info('added later'));
    await handle.flush();
    const entries = await peer.waitForEntries(3);
    const byMessage = new Map(entries.map((e) => [(JSON.parse(e.line) as { message: string }).message, e]));
    expect(byMessage.get('known')).toMatchObject({ orgId: 'acme', labels: { tenant_id: 'acme' } });
    expect(byMessage.get('unknown')).toMatchObject({
      orgId: 'platform',
      labels: { tenant_id: '__unknown__' },
    });
    expect(byMessage.get('added later')).toMatchObject({ orgId: 'globex', labels: { tenant_id: 'globex' } });
  });

  it('flush() waits for pending pushes and shutdown() is safe twice and counts what could not be sent', async () => {
    const handle = logger({ shutdownTimeoutMs: 300 }, { intervalMs: 60_000 });
    handle.logger.info('pending');
    expect(peer.entries()).toHaveLength(0);
    await handle.flush();
    expect(peer.entries()).toHaveLength(1);

    await peer.stop();
    handle.logger.info('lost at shutdown');
    await Promise.all([handle.shutdown(), handle.shutdown()]);
    await handle.shutdown();
    expect(handle.stats()).toMatchObject({ buffered: 0, sent: 1 });
    expect(handle.stats().dropped.shutdown).toBe(1);
    handle.logger.info('after shutdown');
    expect(handle.stats().dropped.shutdown).toBe(2);
  });
});
