import { startOtlpPeer } from '@autoweave/test-utils';
import type { SloAlertEvent } from '@autoweave/sli-slo';
import { initializeObservability, type ObservabilityConfig } from './index';
import { serve, waitFor } from './test-fixtures/server';

const base: ObservabilityConfig = { serviceName: 'settings-test', logStream: false, env: {} };

describe('settings that change what the manager does', () => {
  test('samplingRate 0 records no new trace; 1 records every one', async () => {
    for (const [rate, expected] of [
      [0, 0],
      [1, 20],
    ] as const) {
      const obs = initializeObservability({ ...base, samplingRate: rate });
      await obs.initialize();
      try {
        for (let i = 0; i < 20; i++) obs.tracer.startSpan(`op ${i}`).end();
        expect(obs.recentTraces?.traces()).toHaveLength(expected);
      } finally {
        await obs.shutdown();
      }
    }
  });

  test('maxTraceExportBatchSize bounds the spans of each OTLP export call', async () => {
    const peer = await startOtlpPeer();
    const obs = initializeObservability({ ...base, otlpEndpoint: peer.url, maxTraceExportBatchSize: 2 });
    await obs.initialize();
    try {
      for (let i = 0; i < 5; i++) obs.tracer.startSpan(`op ${i}`).end();
      await obs.flush();
      await peer.waitForSpans(5);
      expect(peer.requests.map((r) => r.spanCount)).toEqual([2, 2, 1]);
    } finally {
      await obs.shutdown();
      await peer.stop();
    }
  });

  test('metricsExportInterval paces the SLO evaluator: alerts fire without anyone asking for a snapshot', async () => {
    const obs = initializeObservability({ ...base, metricsExportInterval: 100 });
    await obs.initialize();
    const events: SloAlertEvent[] = [];
    obs.slo.subscribe((event) => events.push(event));
    const middleware = obs.createHTTPMiddleware();
    const server = await serve((req, res) =>
      middleware(req, res, () => {
        res.statusCode = 500;
        res.end();
      }),
    );
    try {
      for (let i = 0; i < 5; i++) await fetch(`${server.url}/graphql`);
      await waitFor(() => events.some((e) => e.sloId === 'availability' && e.state === 'firing'), 'an alert');
      expect(obs.config.metricsExportInterval).toBe(100);
    } finally {
      await server.close();
      await obs.shutdown();
    }
  });
});
