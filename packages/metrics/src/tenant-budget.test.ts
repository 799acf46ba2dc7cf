import { createTenantLimiter } from '@autoweave/tenant-isolation';
import { createMetrics } from './index';

describe('per-tenant new-series budgets', () => {
  it("drops only the new series of a tenant over its budget; its existing series and other tenants' keep recording", async () => {
    let now = 0;
    const limiter = createTenantLimiter({
      now: () => now,
      limitsFor: (id) => (id === 'flood' ? { newSeriesPerMinute: 5 } : { newSeriesPerMinute: 100 }),
    });
    const metrics = createMetrics({ defaultMetrics: false, labelValueCap: 1000, tenantBudget: limiter });
    try {
      const requests = metrics.counter({
        name: 'autoweave_requests_total',
        help: 'Requests by route and tenant.',
        labelNames: ['route', 'tenant_id'] as const,
      });
      // "flood" asks for 50 distinct routes (10x its 5 new series a minute), "steady" for 10.
      for (let i = 0; i < 50; i++) {
        requests.inc({ route: `/r${i}`, tenant_id: 'flood' });
        if (i < 10) requests.inc({ route: `/r${i}`, tenant_id: 'steady' });
        now += 100;
      }
      requests.inc({ route: '/r0', tenant_id: 'flood' }); // an existing series still counts

      const { body } = await metrics.collect();
      const series = (tenant: string) =>
        body
          .split('\n')
          .filter((l) => l.startsWith('autoweave_requests_total{') && l.includes(`tenant_id="${tenant}"`));
      expect(series('steady')).toHaveLength(10);
      expect(series('flood')).toHaveLength(5);
      expect(body).toContain('autoweave_requests_total{route="/r0",tenant_id="flood"} 2\n');
      expect(body).toContain(
        'autoweave_metrics_observations_dropped_total{metric="autoweave_requests_total",reason="tenant_budget"} 45\n',
      );
      const byTenant = new Map(limiter.stats().byTenant.map((t) => [t.tenant, t]));
      expect(byTenant.get('flood')?.rejected.series).toBe(45);
      expect(byTenant.get('steady')?.rejected.series).toBe(0);
    } finally {
      limiter.close();
      await metrics.shutdown();
    }
  });
});
