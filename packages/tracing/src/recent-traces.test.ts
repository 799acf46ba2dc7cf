import { SpanStatusCode } from '@opentelemetry/api';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { RecentTraceBuffer, startTracing } from './index';

describe('recent-trace buffer', () => {
  test('is the default target without an OTLP endpoint and returns trace trees', async () => {
    const tracing = startTracing({ serviceName: 'debug-page' });
    try {
      await runWithTenant('acme', () =>
        tracing.withSpan('GET /orders', async (root) => {
          root.setAttribute('http.route', '/orders');
          await tracing.withSpan('db.query', async (db) => {
            db.addEvent('rows', { count: 3 });
            await tracing.withSpan('pool.acquire', () => Promise.resolve());
          });
          tracing.withSpan('render', (span) =>
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'template' }),
          );
        }),
      );
      const traces = tracing.recentTraces?.traces() ?? [];
      expect(traces).toHaveLength(1);
      const t = traces[0];
      expect(t).toMatchObject({
        name: 'GET /orders',
        spanCount: 4,
        droppedSpans: 0,
        tenant: 'acme',
        hasError: true,
      });
      expect(t?.roots).toHaveLength(1);
      const root = t?.roots[0];
      expect(root?.parentSpanId).toBeUndefined();
      expect(root?.attributes).toMatchObject({ 'http.route': '/orders', 'tenant.id': 'acme' });
      expect(root?.children.map((c) => c.name)).toEqual(['db.query', 'render']);
      const db = root?.children[0];
      expect(db?.parentSpanId).toBe(root?.spanId);
      expect(db?.events).toEqual([expect.objectContaining({ name: 'rows', attributes: { count: 3 } })]);
      expect(db?.children.map((c) => c.name)).toEqual(['pool.acquire']);
      expect(root?.children[1]?.status).toEqual({ code: 'ERROR', message: 'template' });
      for (const span of [root, db]) {
        expect(span?.durationMs).toBeGreaterThanOrEqual(0);
        expect(span?.startTimeMs).toBeGreaterThan(Date.UTC(2020, 0, 1));
      }
      expect(t?.durationMs).toBeGreaterThanOrEqual(root?.durationMs ?? Infinity);
      expect(tracing.recentTraces?.trace(t?.traceId ?? '')?.spanCount).toBe(4);
      expect(JSON.parse(JSON.stringify(traces))).toEqual(traces); // renderable as JSON as is
    } finally {
      await tracing.shutdown();
    }
  });

  test("a trace's duration is never shorter than its root span's, whatever the rounding", async () => {
    const tracing = startTracing({ serviceName: 'durations', registerGlobal: false });
    try {
      const tracer = tracing.tracer();
      for (let i = 0; i < 300; i++) {
        const startSeconds = 1_700_000_000 + i;
        const startNanos = (i * 7_919_017) % 1e9;
        const span = tracer.startSpan('root', { startTime: [startSeconds, startNanos] });
        span.end([startSeconds + 10, (startNanos + i * 104_729) % 1e9]);
        const t = tracing.recentTraces?.trace(span.spanContext().traceId);
        expect(t?.durationMs).toBeGreaterThanOrEqual(t?.roots[0]?.durationMs ?? Infinity);
      }
    } finally {
      await tracing.shutdown();
    }
  });

  test('reads are copies taken from the ended span, unaffected by later changes', async () => {
    const tracing = startTracing({ serviceName: 'copies', registerGlobal: false });
    try {
      const span = tracing.tracer().startSpan('root', { attributes: { step: 1 } });
      span.end();
      span.setAttribute('step', 2); // ignored by the SDK: the span has ended
      const first = tracing.recentTraces?.trace(span.spanContext().traceId);
      expect(first?.roots[0]?.attributes).toEqual({ step: 1 });
      (first!.roots[0]!.attributes as Record<string, unknown>).step = 3;
      const again = tracing.recentTraces?.trace(span.spanContext().traceId);
      expect(again?.roots[0]?.attributes).toEqual({ step: 1 });
    } finally {
      await tracing.shutdown();
    }
  });

  test('keeps at most maxTraces, evicting the oldest and counting evictions', async () => {
    const tracing = startTracing({
      serviceName: 'bounded',
      recentTraces: { maxTraces: 3, maxSpansPerTrace: 2 },
    });
    try {
      for (let i = 0; i < 5; i++) tracing.withSpan(`trace-${i}`, () => undefined);
      expect(tracing.recentTraces?.traces().map((t) => t.name)).toEqual(['trace-4', 'trace-3', 'trace-2']);
      expect(tracing.recentTraces?.traces({ limit: 1 }).map((t) => t.name)).toEqual(['trace-4']);

      tracing.withSpan('wide', () => {
        for (let i = 0; i < 4; i++) tracing.withSpan(`child-${i}`, () => undefined);
      });
      const wide = tracing.recentTraces?.traces({ limit: 1 })[0];
      expect(wide?.spanCount).toBe(2);
      expect(wide?.droppedSpans).toBe(3); // children end first, so the root and two more are over the cap
      expect(tracing.stats().recentTraces).toEqual({
        traces: 3,
        spans: 2 + 1 + 1,
        evictedTraces: 3,
        droppedSpans: 3,
      });
    } finally {
      await tracing.shutdown();
    }
  });

  test('filters by tenant and by error', async () => {
    const tracing = startTracing({ serviceName: 'filters' });
    try {
      runWithTenant('t1', () => tracing.withSpan('a', () => undefined));
      runWithTenant('t2', () => tracing.withSpan('b', (s) => s.setStatus({ code: SpanStatusCode.ERROR })));
      expect(tracing.recentTraces?.traces({ tenant: 't1' }).map((t) => t.name)).toEqual(['a']);
      expect(tracing.recentTraces?.traces({ errorsOnly: true }).map((t) => t.name)).toEqual(['b']);
    } finally {
      await tracing.shutdown();
    }
  });

  test('runs next to OTLP when asked, and rejects bad bounds', async () => {
    expect(() => new RecentTraceBuffer({ maxTraces: 0 })).toThrow(
      /recentTraces.maxTraces must be a positive integer/,
    );
    const tracing = startTracing({
      serviceName: 'both',
      endpoint: 'http://127.0.0.1:1',
      recentTraces: true,
      registerGlobal: false,
    });
    try {
      tracing.withSpan('both', () => undefined);
      expect(tracing.recentTraces?.traces().map((t) => t.name)).toEqual(['both']);
    } finally {
      await tracing.shutdown();
    }
  });
});
