import { createTenantLimiter, runWithTenant, type TenantLimiter } from '@autoweave/tenant-isolation';
import { captureJsonLines, startLokiPeer, type CapturedLines, type LokiPeer } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle } from './index';

describe('per-tenant log budgets', () => {
  let peer: LokiPeer;
  let out: CapturedLines;
  let handle: LoggerHandle;
  let limiter: TenantLimiter;
  let now = 0;

  beforeEach(async () => {
    now = 0;
    peer = await startLokiPeer();
    out = captureJsonLines();
    limiter = createTenantLimiter({
      now: () => now,
      limitsFor: (id) => (id === 'flood' ? { logLinesPerSecond: 20 } : { logLinesPerSecond: 200 }),
    });
    handle = createLogger({
      service: 'api',
      environment: 'test',
      stream: out.stream,
      loki: { url: peer.url, intervalMs: 20 },
      tenantBudget: limiter,
    });
  });

  afterEach(async () => {
    await handle.shutdown();
    limiter.close();
    await peer.stop();
  });

  it("drops only the flooding tenant's lines, everywhere, and counts them", async () => {
    // One simulated second: "flood" logs 200 lines (10x its 20/s), "steady" 100 (half its 200/s).
    for (let i = 0; i < 200; i++) {
      runWithTenant('flood', () => handle.logger.info('flood line', { i }));
      if (i % 2 === 0) runWithTenant('steady', () => handle.logger.info('steady line', { i }));
      runWithTenant('steady', () => handle.logger.debug('below the level: never budgeted'));
      now += 5;
    }
    handle.logger.info('outside any tenant');
    await handle.flush();

    const stdout = out.records();
    const count = (tenant: string | undefined) => stdout.filter((l) => l.tenant_id === tenant).length;
    expect(count('steady')).toBe(100);
    expect(count(undefined)).toBe(1);
    // A burst of 20, plus 19.9 refilled at 20/s by the last line (995 ms): 39 whole lines.
    expect(count('flood')).toBe(39);

    const entries = await peer.waitForEntries(140);
    expect(entries.filter((e) => e.orgId === 'steady')).toHaveLength(100);
    expect(entries.filter((e) => e.orgId === 'flood')).toHaveLength(39);
    expect(handle.stats().dropped.tenant_budget).toBe(161);

    const byTenant = new Map(limiter.stats().byTenant.map((t) => [t.tenant, t]));
    expect(byTenant.get('flood')?.rejected.logs).toBe(161);
    expect(byTenant.get('steady')?.rejected.logs).toBe(0);
  });
});
