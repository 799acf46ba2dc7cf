import { trace } from '@opentelemetry/api';
import { startOtlpPeer } from '@autoweave/test-utils';
import { startTracing } from './index';

describe('lifecycle', () => {
  test('shutdown flushes queued spans and is safe to call twice', async () => {
    const peer = await startOtlpPeer();
    try {
      // A long delay: only shutdown's flush can deliver these.
      const tracing = startTracing({
        serviceName: 'lifecycle',
        endpoint: peer.url,
        batch: { scheduledDelayMillis: 60_000 },
      });
      for (let i = 0; i < 5; i++) tracing.withSpan('queued', () => undefined);
      expect(tracing.stats().queueSize).toBe(5);
      const first = tracing.shutdown();
      const second = tracing.shutdown();
      await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
      await expect(tracing.shutdown()).resolves.toBeUndefined();
      expect(peer.spans.filter((s) => s.name === 'queued')).toHaveLength(5);
      expect(tracing.stats()).toMatchObject({ exported: 5, queueSize: 0 });
    } finally {
      await peer.stop();
    }
  });

  test('spans ended after shutdown are counted as dropped, never thrown', async () => {
    const peer = await startOtlpPeer();
    const tracing = startTracing({ serviceName: 'late', endpoint: peer.url, registerGlobal: false });
    try {
      const early = tracing.tracer().startSpan('started-before');
      await tracing.shutdown();
      expect(() => early.end()).not.toThrow();
      expect(tracing.withSpan('after', () => 'still works')).toBe('still works');
      expect(tracing.stats().dropped.shutdown).toBe(2);
      expect(peer.spans).toHaveLength(0);
    } finally {
      await tracing.shutdown();
      await peer.stop();
    }
  });

  test('without an endpoint, spans after shutdown are counted as dropped too', async () => {
    const tracing = startTracing({ serviceName: 'buffer-only', registerGlobal: false });
    tracing.withSpan('kept', () => undefined);
    await tracing.shutdown();
    tracing.withSpan('late', () => undefined);
    expect(tracing.stats()).toMatchObject({ exported: 1, dropped: { shutdown: 1 } });
    expect(tracing.recentTraces?.traces().map((t) => t.name)).toEqual(['kept']);
  });

  test('registers the global provider by default and unregisters it on shutdown', async () => {
    const tracing = startTracing({ serviceName: 'global' });
    trace.getTracer('via-global-api').startSpan('global-span').end();
    expect(tracing.recentTraces?.traces().map((t) => t.name)).toEqual(['global-span']);
    await tracing.shutdown();
    const again = startTracing({ serviceName: 'global-again' });
    trace.getTracer('via-global-api').startSpan('second').end();
    expect(again.recentTraces?.traces().map((t) => t.name)).toEqual(['second']);
    await again.shutdown();
  });

  test('registerGlobal: false leaves the global API alone', async () => {
    const tracing = startTracing({ serviceName: 'local', registerGlobal: false });
    try {
      trace.getTracer('via-global-api').startSpan('not-ours').end();
      tracing.tracer().startSpan('ours').end();
      expect(tracing.recentTraces?.traces().map((t) => t.name)).toEqual(['ours']);
    } finally {
      await tracing.shutdown();
    }
  });
});
