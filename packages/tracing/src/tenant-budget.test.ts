import { context, propagation, trace, ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import {
  createTenantLimiter,
  runWithTenant,
  withTenantBaggage,
  type TenantLimiter,
} from '@autoweave/tenant-isolation';
import { startTracing, type TracingHandle } from './index';

describe('per-tenant span budgets', () => {
  let now = 0;
  let limiter: TenantLimiter;
  let tracing: TracingHandle;

  beforeEach(() => {
    now = 0;
    limiter = createTenantLimiter({
      now: () => now,
      limitsFor: (id) => (id === 'flood' ? { spansPerSecond: 10 } : { spansPerSecond: 100 }),
    });
    tracing = startTracing({
      serviceName: 'budgets',
      registerGlobal: false,
      recentTraces: { maxTraces: 5000 },
      tenantBudget: limiter,
    });
  });

  afterEach(async () => {
    limiter.close();
    await tracing.shutdown();
  });

  const tracesOf = (tenant: string) =>
    (tracing.recentTraces?.traces() ?? []).filter((t) => t.tenant === tenant);

  /** One root span with one child, as `tenant`, through an explicit context (no global context manager). */
  function rootWithChild(tenant: string): void {
    runWithTenant(tenant, () => {
      const tracer = tracing.tracer();
      const root = tracer.startSpan('request');
      const child = tracer.startSpan('db', {}, trace.setSpan(ROOT_CONTEXT, root));
      child.end();
      root.end();
    });
  }

  it("leaves tenant B's spans untouched while tenant A floods at 10× its budget", () => {
    // One simulated second: A tries 100 traces against a budget of 10 spans/s, B stays within 100.
    for (let i = 0; i < 100; i++) {
      rootWithChild('flood');
      if (i % 2 === 0) rootWithChild('steady');
      now += 10;
    }
    expect(tracesOf('steady')).toHaveLength(50);
    expect(tracesOf('steady').every((t) => t.spanCount === 2)).toBe(true);

    const flood = tracesOf('flood');
    // 10 tokens of burst plus 10 refilled over the second = 20 spans = 10 whole traces (root + child).
    expect(flood).toHaveLength(10);
    expect(flood.every((t) => t.spanCount === 2)).toBe(true); // admitted traces stay whole

    const byTenant = new Map(limiter.stats().byTenant.map((t) => [t.tenant, t]));
    expect(byTenant.get('steady')?.rejected.spans).toBe(0);
    expect(byTenant.get('steady')?.admitted.spans).toBe(100);
    expect(byTenant.get('flood')?.rejected.spans).toBe(100 - flood.length);
  });

  it('budgets a trace continued from another process by the tenant in its baggage', () => {
    const tracer = tracing.tracer();
    const carrier: Record<string, string> = {};
    const remote = withTenantBaggage(ROOT_CONTEXT, 'flood');
    propagation.inject(remote, carrier);
    let kept = 0;
    for (let i = 0; i < 50; i++) {
      const span: Span = tracer.startSpan('consume', {}, remote);
      if (span.isRecording()) kept++;
      span.end();
    }
    expect(kept).toBe(10);
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('does not budget spans outside any tenant', () => {
    const tracer = tracing.tracer();
    for (let i = 0; i < 500; i++) tracer.startSpan('background').end();
    expect(tracing.recentTraces?.traces()).toHaveLength(500);
  });
});
