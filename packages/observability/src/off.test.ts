import { trace } from '@opentelemetry/api';
import { currentTenant } from '@autoweave/tenant-isolation';
import { createScriptedUsbSource, createUsbWatcher } from '@autoweave/integration-usb';
import { createPluginLoader } from '@autoweave/integration-plugins';
import { tmpdir } from 'node:os';
import { initializeObservability, type ObservabilityConfig } from './index';
import { serve } from './test-fixtures/server';

const ALL_OFF: ObservabilityConfig = {
  serviceName: 'off-test',
  enableTracing: false,
  enableMetrics: false,
  enableLogging: false,
  enableHealthMonitoring: false,
  env: {},
};

describe('with every signal off', () => {
  test('OTEL_SDK_DISABLED=true alone turns everything off', () => {
    const { config } = initializeObservability({ serviceName: 'x', env: { OTEL_SDK_DISABLED: 'true' } });
    expect([config.enableTracing, config.enableMetrics, config.enableLogging, config.enableSlo]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  test('no spans, no global provider, no buffer, and inert instrumentations that wrap nothing', async () => {
    const obs = initializeObservability(ALL_OFF);
    await obs.initialize();
    try {
      const span = obs.tracer.startSpan('nothing');
      expect(span.isRecording()).toBe(false);
      span.end();
      expect(trace.getTracerProvider().getTracer('x').startSpan('y').isRecording()).toBe(false);
      expect(obs.recentTraces).toBeUndefined();

      const loader = createPluginLoader({ directory: tmpdir() });
      const { load, execute } = loader;
      const plugins = obs.instrumentPluginLoader(loader);
      expect([loader.load, loader.execute]).toEqual([load, execute]);
      expect(plugins.stats()).toEqual({ internalErrors: 0 });
      await plugins.shutdown();
      await loader.close();

      const watcher = createUsbWatcher({ source: createScriptedUsbSource() });
      const intercept = jest.spyOn(watcher, 'intercept');
      obs.instrumentUSBDaemon(watcher).shutdown();
      expect(intercept).not.toHaveBeenCalled();

      const queues = obs.instrumentQueueManager({ queues: [] });
      expect(queues.stats()).toEqual({ depthReads: 0, depthFailures: 0, internalErrors: 0 });
      expect(obs.bullmqTelemetry()).toBeUndefined();

      const plugin = obs.graphqlPlugin();
      expect(Object.keys(plugin)).toEqual(['shutdown']);
    } finally {
      await obs.shutdown();
    }
  });

  test('the middleware only sets the tenant and calls next; /metrics answers 404; health is all disabled', async () => {
    const obs = initializeObservability(ALL_OFF);
    await obs.initialize();
    const middleware = obs.createHTTPMiddleware({ authenticate: () => 'acme' });
    const metrics = obs.metricsHandler();
    const seen: (string | undefined)[] = [];
    const server = await serve((req, res) =>
      middleware(req, res, () => {
        if (req.url === '/metrics') return metrics(req, res);
        seen.push(currentTenant());
        res.end('ok');
      }),
    );
    try {
      expect((await fetch(`${server.url}/graphql`)).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      expect(seen).toEqual(['acme']);
      expect(obs.stats()).toEqual({
        tracing: undefined,
        logging: undefined,
        slo: undefined,
        http: { exported: 0, dropped: { internal_error: 0 } },
      });
      expect(obs.health()).toEqual({
        status: 'ok',
        components: {
          tracing: { status: 'disabled' },
          logging: { status: 'disabled' },
          metrics: { status: 'disabled' },
          slo: { status: 'disabled' },
          runtime: { status: 'disabled' },
        },
      });
    } finally {
      await server.close();
      await obs.shutdown();
    }
  });
});

describe('one signal off', () => {
  test('metrics without tracing: the request is counted, no span is made', async () => {
    const obs = initializeObservability({ ...ALL_OFF, enableMetrics: true });
    await obs.initialize();
    const middleware = obs.createHTTPMiddleware();
    const server = await serve((req, res) =>
      middleware(req, res, () => {
        res.end(String(trace.getActiveSpan()?.isRecording() ?? false));
      }),
    );
    try {
      expect(await (await fetch(`${server.url}/graphql`)).text()).toBe('false');
      const text = (await obs.metrics.collect()).body;
      expect(text).toMatch(
        /^autoweave_requests_total\{method="GET",route="\/graphql",status_class="2xx"\} 1$/m,
      );
      expect(obs.health().components).toMatchObject({
        tracing: { status: 'disabled' },
        metrics: { status: 'ok' },
        slo: { status: 'ok' },
      });
    } finally {
      await server.close();
      await obs.shutdown();
    }
  });

  test('tracing without metrics: a span per request and no SLO evaluation', async () => {
    const obs = initializeObservability({ ...ALL_OFF, enableTracing: true });
    await obs.initialize();
    const middleware = obs.createHTTPMiddleware();
    const server = await serve((req, res) => middleware(req, res, () => res.end('ok')));
    try {
      await fetch(`${server.url}/graphql`);
      expect(obs.recentTraces?.traces().map((t) => t.name)).toEqual(['GET /graphql']);
      expect(obs.stats().slo).toBeUndefined();
    } finally {
      await server.close();
      await obs.shutdown();
    }
  });
});
