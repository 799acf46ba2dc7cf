import { EventLoopWatch, ExporterWatch, type ExporterCounters } from './health';
import { initializeObservability } from './index';

describe('ExporterWatch', () => {
  let counters: ExporterCounters;
  const watch = () => new ExporterWatch(() => counters, 60_000);

  beforeEach(() => {
    counters = { delivered: 0, failed: 0 };
  });

  test('ok until a failure, degraded after it, ok again once something is delivered', () => {
    const w = watch();
    expect(w.health(1_000, 'OTLP x').status).toBe('ok');
    counters = { delivered: 0, failed: 3 };
    const failing = w.health(2_000, 'OTLP x');
    expect(failing).toEqual({
      status: 'degraded',
      detail: 'export to OTLP x failing: 3 lost or retried since the last success, last failure 0s ago',
    });
    counters = { delivered: 0, failed: 5 };
    expect(w.health(7_000, 'OTLP x').detail).toMatch(/5 lost or retried/);
    counters = { delivered: 10, failed: 5 };
    expect(w.health(8_000, 'OTLP x')).toEqual({ status: 'ok', detail: 'exporting to OTLP x' });
  });

  test('a failure older than the window without any attempt since no longer counts', () => {
    const w = watch();
    w.observe(0);
    counters = { delivered: 0, failed: 1 };
    expect(w.health(1_000, 't').status).toBe('degraded');
    expect(w.health(61_000, 't').status).toBe('degraded');
    expect(w.health(61_001, 't').status).toBe('ok');
  });

  test('a delivery seen in the same reading as failures is taken as recovery', () => {
    const w = watch();
    w.observe(0);
    counters = { delivered: 4, failed: 2 };
    expect(w.health(1_000, 't').status).toBe('ok');
  });

  test('a new episode counts its failures from zero', () => {
    const w = watch();
    counters = { delivered: 0, failed: 7 };
    w.observe(1);
    counters = { delivered: 1, failed: 7 };
    w.observe(2);
    counters = { delivered: 1, failed: 9 };
    expect(w.health(3, 't').detail).toMatch(/: 2 lost or retried/);
  });
});

describe('EventLoopWatch', () => {
  test('a blocked event loop makes the runtime degraded; the detail gives the p99', async () => {
    const w = new EventLoopWatch(5, 60_000, Date.now());
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const block = Date.now() + 200;
      while (Date.now() < block) {
        // Holding the event loop is what this test measures.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const health = w.health(Date.now());
      expect(health.status).toBe('degraded');
      expect(health.detail).toMatch(/^event-loop delay p99 \d+\.\d ms \(threshold 5 ms\)$/);
    } finally {
      w.stop();
    }
  });

  test('an idle event loop is ok', async () => {
    const w = new EventLoopWatch(1_000, 60_000, Date.now());
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(w.health(Date.now()).status).toBe('ok');
    } finally {
      w.stop();
    }
  });
});

describe('manager health before initialize()', () => {
  test('every enabled component says it is not initialized; disabled ones say disabled', async () => {
    const obs = initializeObservability({ serviceName: 'early', enableLogging: false, env: {} });
    const health = obs.health();
    expect(health.status).toBe('degraded');
    expect(health.components).toEqual({
      tracing: { status: 'degraded', detail: 'not initialized' },
      logging: { status: 'disabled' },
      metrics: { status: 'degraded', detail: 'not initialized' },
      slo: { status: 'degraded', detail: 'not initialized' },
      runtime: { status: 'degraded', detail: 'not initialized' },
    });
    await obs.shutdown();
  });
});
