import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import {
  OPERATION_ERRORS_SLO,
  PLUGIN_LOAD_LATENCY_SLO,
  createSloEvaluator,
  validateSlosAgainst,
  type SloEvaluator,
} from '@autoweave/sli-slo';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { checkMetrics, recordSpans, useAsyncContext, type SpanRecorder } from '@autoweave/test-utils';
import {
  PLUGIN_METRICS,
  createPluginLoader,
  instrumentPluginLoader,
  type PluginInstrumentation,
  type PluginLoader,
} from './index';
import { PACKAGE_VERSION } from './instrument';
import type { PluginLoaderLike } from './types';
import { FIXTURES, recordingLogger, sampleValue, sleep } from './test-fixtures/helpers';

const LOAD = PLUGIN_METRICS.loadDuration;
const EXEC = PLUGIN_METRICS.executionDuration;
const FAILURES = PLUGIN_METRICS.failures;
const OPS = PLUGIN_METRICS.businessOperations;
/** The attributes of a span of the echo fixture that succeeded for tenant acme. */
const ECHO_SUCCEEDED_FOR_ACME = {
  'autoweave.plugin.name': 'echo',
  'autoweave.plugin.version': '1.2.3',
  'autoweave.plugin.outcome': 'success',
  'tenant.id': 'acme',
};

let recorder: SpanRecorder;
let metrics: MetricsHandle;
let loader: PluginLoader;
let instrumentation: PluginInstrumentation;
let restoreContext: () => void;

beforeAll(() => {
  restoreContext = useAsyncContext();
});
afterAll(() => restoreContext());

beforeEach(() => {
  recorder = recordSpans();
  metrics = createMetrics({ defaultMetrics: false });
  loader = createPluginLoader({ directory: FIXTURES, loadTimeoutMs: 2000 });
  instrumentation = instrumentPluginLoader(loader, { tracerProvider: recorder.provider, metrics });
});
afterEach(async () => {
  await instrumentation.shutdown();
  await loader.close();
  await metrics.shutdown();
  await recorder.shutdown();
});

const spans = (name?: string): ReadableSpan[] =>
  recorder.spans().filter((s) => name === undefined || s.name === name);
const only = (name: string): ReadableSpan => {
  const found = spans(name);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
};
const body = async (): Promise<string> => (await metrics.collect()).body;
/** Plugin executions of `tenant` with `outcome` in autoweave_business_operations_total. */
const operations = (text: string, tenant: string, outcome: string): number | undefined =>
  sampleValue(text, OPS, { operation: 'plugin.execute', tenant_id: tenant, outcome });

describe('instrumentPluginLoader: load', () => {
  test('a load is a plugin.load span and an observation in the SLO histogram, its threshold a bucket', async () => {
    await runWithTenant('acme', () => loader.load('echo'));
    const span = only('plugin.load');
    expect(span.attributes).toEqual(ECHO_SUCCEEDED_FOR_ACME);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.instrumentationScope).toMatchObject({
      name: '@autoweave/integration-plugins',
      version: PACKAGE_VERSION,
    });
    const text = await body();
    expect(sampleValue(text, `${LOAD}_count`, { plugin: 'echo', outcome: 'success' })).toBe(1);
    expect(sampleValue(text, `${LOAD}_bucket`, { le: '0.2', plugin: 'echo', outcome: 'success' })).toBe(1);
  });

  test('a load the loader answers from its cache is marked cached and not observed', async () => {
    await loader.load('echo');
    await loader.load('echo');
    const [first, second] = spans('plugin.load');
    expect(first?.attributes['autoweave.plugin.cached']).toBeUndefined();
    expect(second?.attributes['autoweave.plugin.cached']).toBe(true);
    expect(sampleValue(await body(), `${LOAD}_count`, { plugin: 'echo', outcome: 'success' })).toBe(1);
  });

  test('an invalid manifest fails the load span with error.type invalid-manifest and is counted', async () => {
    await expect(loader.load('bad-manifest')).rejects.toMatchObject({ reason: 'invalid-manifest' });
    const span = only('plugin.load');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringMatching(/invalid manifest/),
    });
    expect(span.attributes).toMatchObject({
      'autoweave.plugin.name': 'bad-manifest',
      'autoweave.plugin.outcome': 'failure',
      'error.type': 'invalid-manifest',
    });
    expect(span.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'PluginManifestError' },
    });
    const text = await body();
    expect(
      sampleValue(text, FAILURES, { plugin: 'bad-manifest', phase: 'load', reason: 'invalid-manifest' }),
    ).toBe(1);
    expect(sampleValue(text, `${LOAD}_count`, { plugin: 'bad-manifest', outcome: 'failure' })).toBe(1);
  });

  test('a missing plugin and a module that fails to import are counted as not-found and error', async () => {
    await expect(loader.load('missing')).rejects.toMatchObject({ reason: 'not-found' });
    await expect(loader.load('broken')).rejects.toMatchObject({ reason: 'error' });
    expect(spans('plugin.load').map((s) => s.attributes['error.type'])).toEqual(['not-found', 'error']);
    const text = await body();
    expect(sampleValue(text, FAILURES, { plugin: 'missing', phase: 'load', reason: 'not-found' })).toBe(1);
    expect(sampleValue(text, FAILURES, { plugin: 'broken', phase: 'load', reason: 'error' })).toBe(1);
  });
});

describe('instrumentPluginLoader: execute', () => {
  test('an execution is a plugin.execute span, a duration observation and a successful business operation', async () => {
    await loader.load('echo');
    await expect(loader.execute('echo', 'hi', { tenantId: 'acme' })).resolves.toMatchObject({ input: 'hi' });
    const span = only('plugin.execute');
    expect(span.attributes).toEqual(ECHO_SUCCEEDED_FOR_ACME);
    const text = await body();
    expect(sampleValue(text, `${EXEC}_count`, { plugin: 'echo', outcome: 'success' })).toBe(1);
    expect(operations(text, 'acme', 'success')).toBe(1);
  });

  test('the tenant comes from the current context when the call does not name one', async () => {
    await loader.load('echo');
    await runWithTenant('globex', () => loader.execute('echo'));
    expect(only('plugin.execute').attributes['tenant.id']).toBe('globex');
    expect(operations(await body(), 'globex', 'success')).toBe(1);
  });

  test("the execute span is the caller's child and the parent of the plugin's own spans", async () => {
    trace.setGlobalTracerProvider(recorder.provider); // the plugin uses the global API, as plugins do
    try {
      await loader.load('spanning');
      const tracer: Tracer = recorder.provider.getTracer('caller');
      await tracer.startActiveSpan('request', async (request) => {
        await loader.execute('spanning', 2);
        request.end();
      });
    } finally {
      trace.disable();
    }
    const request = only('request');
    const execute = only('plugin.execute');
    const work = only('spanning.work');
    expect(execute.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(work.parentSpanContext?.spanId).toBe(execute.spanContext().spanId);
    expect(work.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  test('a plugin that throws: ERROR span with the exception, failure counted, business operation failed', async () => {
    await loader.load('failing');
    await expect(loader.execute('failing', 1, { tenantId: 'acme' })).rejects.toMatchObject({
      reason: 'error',
    });
    const span = only('plugin.execute');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'plugin "failing": execute failed: cannot handle 1',
    });
    expect(span.attributes).toMatchObject({ 'autoweave.plugin.outcome': 'failure', 'error.type': 'error' });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    const text = await body();
    expect(sampleValue(text, FAILURES, { plugin: 'failing', phase: 'execute', reason: 'error' })).toBe(1);
    expect(sampleValue(text, `${EXEC}_count`, { plugin: 'failing', outcome: 'failure' })).toBe(1);
    expect(operations(text, 'acme', 'failure')).toBe(1);
  });

  test('a plugin that hangs: the span ends at the deadline with error.type timeout', async () => {
    await loader.load('hanging');
    await expect(loader.execute('hanging', null, { timeoutMs: 50 })).rejects.toMatchObject({
      reason: 'timeout',
    });
    const span = only('plugin.execute');
    expect(span.attributes['error.type']).toBe('timeout');
    expect(span.status.message).toBe('plugin "hanging": execute timed out after 50 ms');
    const text = await body();
    expect(sampleValue(text, FAILURES, { plugin: 'hanging', phase: 'execute', reason: 'timeout' })).toBe(1);
    expect(sampleValue(text, `${EXEC}_bucket`, { le: '0.025', plugin: 'hanging', outcome: 'failure' })).toBe(
      0,
    );
  });

  test("a caller's cancellation is counted as aborted, and as an operation of unknown outcome", async () => {
    await loader.load('hanging');
    const controller = new AbortController();
    const running = loader.execute('hanging', null, { signal: controller.signal, tenantId: 'acme' });
    await sleep(5);
    controller.abort();
    await expect(running).rejects.toMatchObject({ reason: 'aborted' });
    expect(only('plugin.execute').attributes['error.type']).toBe('aborted');
    const text = await body();
    expect(sampleValue(text, FAILURES, { plugin: 'hanging', phase: 'execute', reason: 'aborted' })).toBe(1);
    expect(operations(text, 'acme', 'unknown')).toBe(1);
  });

  test('executing a plugin that is not loaded is counted as not-loaded', async () => {
    await expect(loader.execute('echo')).rejects.toMatchObject({ reason: 'not-loaded' });
    expect(only('plugin.execute').attributes['error.type']).toBe('not-loaded');
    expect(
      sampleValue(await body(), FAILURES, { plugin: 'echo', phase: 'execute', reason: 'not-loaded' }),
    ).toBe(1);
  });
});

describe('instrumentPluginLoader: metrics', () => {
  test('the exposition passes promtool check metrics', async () => {
    await loader.load('echo');
    await loader.execute('echo', 1, { tenantId: 'acme' });
    await loader.load('bad-manifest').catch(() => undefined);
    const result = await checkMetrics(await body());
    expect(result).toMatchObject({ ok: true, stderr: '' });
  });

  test('the load histogram is the one the plugin-load-latency SLO and its generated rules read', async () => {
    await loader.load('echo');
    expect(validateSlosAgainst([PLUGIN_LOAD_LATENCY_SLO, OPERATION_ERRORS_SLO], metrics)).toEqual([]);
    const rules = readFileSync(
      join(__dirname, '../../../../deploy/prometheus/rules/plugin-load-latency.yml'),
      'utf8',
    );
    expect(rules).toContain(`sum(rate(${LOAD}_bucket{le="0.2"}[5m]))`);
    expect(
      sampleValue(await body(), `${LOAD}_bucket`, { le: '0.2', plugin: 'echo', outcome: 'success' }),
    ).toBe(1);
  });

  test('plugin names beyond maxPluginLabels share one __overflow__ series', async () => {
    const bounded = createMetrics({ defaultMetrics: false });
    const other = createPluginLoader({ directory: FIXTURES });
    const handle = instrumentPluginLoader(other, {
      tracerProvider: recorder.provider,
      metrics: bounded,
      maxPluginLabels: 2,
    });
    try {
      for (const name of ['missing-a', 'missing-b', 'missing-c', 'missing-d']) {
        await other.load(name).catch(() => undefined);
      }
      const text = (await bounded.collect()).body;
      const plugins = [...text.matchAll(new RegExp(`^${FAILURES}\\{plugin="([^"]+)"`, 'gm'))].map(
        (m) => m[1],
      );
      expect(plugins).toEqual(['missing-a', 'missing-b', '__overflow__']);
      expect(
        sampleValue(text, FAILURES, { plugin: '__overflow__', phase: 'load', reason: 'not-found' }),
      ).toBe(2);
    } finally {
      await handle.shutdown();
      await other.close();
      await bounded.shutdown();
    }
  });

  test('two loaders can share one metrics handle', async () => {
    const second = createPluginLoader({ directory: FIXTURES });
    const handle = instrumentPluginLoader(second, { tracerProvider: recorder.provider, metrics });
    try {
      await loader.load('echo');
      await second.load('echo');
      expect(sampleValue(await body(), `${LOAD}_count`, { plugin: 'echo', outcome: 'success' })).toBe(2);
    } finally {
      await handle.shutdown();
      await second.close();
    }
  });
});

describe('instrumentPluginLoader: SLO evaluator', () => {
  let evaluator: SloEvaluator;
  let sloMetrics: MetricsHandle;
  let sloLoader: PluginLoader;
  let handle: PluginInstrumentation;
  beforeEach(() => {
    evaluator = createSloEvaluator({ slos: [PLUGIN_LOAD_LATENCY_SLO, OPERATION_ERRORS_SLO], intervalMs: 0 });
    sloMetrics = createMetrics({ defaultMetrics: false });
    sloLoader = createPluginLoader({ directory: FIXTURES, loadTimeoutMs: 2000 });
    handle = instrumentPluginLoader(sloLoader, {
      tracerProvider: recorder.provider,
      metrics: sloMetrics,
      sloEvaluator: evaluator,
    });
  });
  afterEach(async () => {
    await handle.shutdown();
    await sloLoader.close();
    await sloMetrics.shutdown();
    evaluator.close();
  });
  const window5m = (id: string) =>
    evaluator
      .snapshot()
      .slos.find((s) => s.id === id)
      ?.groups[0]?.windows.find((w) => w.window === '5m');

  test('the evaluator counts the same loads and executions as the exposition', async () => {
    await sloLoader.load('echo');
    await sloLoader.load('failing');
    await sloLoader.load('bad-manifest').catch(() => undefined);
    await sloLoader.execute('echo', 1, { tenantId: 'acme' });
    await sloLoader.execute('failing', 1, { tenantId: 'acme' }).catch(() => undefined);

    expect(window5m('plugin-load-latency')).toMatchObject({ good: 3, total: 3 });
    expect(window5m('operation-errors')).toMatchObject({ good: 1, total: 2 });
    const text = (await sloMetrics.collect()).body;
    expect(sampleValue(text, `${LOAD}_bucket`, { le: '0.2', plugin: 'echo', outcome: 'success' })).toBe(1);
    expect(operations(text, 'acme', 'failure')).toBe(1);
  });

  test('refuses a second evaluator on a metrics handle that already feeds one', () => {
    const other = createPluginLoader({ directory: FIXTURES });
    expect(() => instrumentPluginLoader(other, { metrics: sloMetrics })).toThrow(
      /pass the same sloEvaluator/,
    );
  });
});

describe('instrumentPluginLoader: lifecycle and safety', () => {
  test('shutdown puts the original methods back and stops the telemetry', async () => {
    const plain = createPluginLoader({ directory: FIXTURES });
    const { load, execute } = plain;
    const handle = instrumentPluginLoader(plain, { tracerProvider: recorder.provider });
    expect(plain.load).not.toBe(load);
    await handle.shutdown();
    await handle.shutdown();
    expect(plain.load).toBe(load);
    expect(plain.execute).toBe(execute);
    await plain.load('echo');
    expect(spans()).toEqual([]);
    await plain.close();
  });

  test('refuses to instrument the same loader twice while instrumented', async () => {
    expect(() => instrumentPluginLoader(loader)).toThrow(/instrumented already/);
    await instrumentation.shutdown();
    const again = instrumentPluginLoader(loader, { tracerProvider: recorder.provider });
    await again.shutdown();
  });

  test('instruments any loader of the same shape, reading reasons from its errors', async () => {
    const timeout = Object.assign(new Error('took too long'), { name: 'TimeoutError' });
    const foreign = {
      load: (name: string) => Promise.resolve({ manifest: { name, version: '9.9.9' } }),
      execute: async (name: string): Promise<unknown> => {
        await Promise.resolve();
        if (name === 'slow') throw timeout;
        if (name === 'odd') throw Object.assign(new Error('odd'), { reason: 'made-up' });
        return name;
      },
    };
    const own = createMetrics({ defaultMetrics: false });
    const handle = instrumentPluginLoader(foreign, { tracerProvider: recorder.provider, metrics: own });
    try {
      await foreign.load('fast');
      await expect(foreign.execute('fast')).resolves.toBe('fast');
      await expect(foreign.execute('slow')).rejects.toBe(timeout);
      await expect(foreign.execute('odd')).rejects.toThrow('odd');
      const executes = spans('plugin.execute');
      expect(executes[0]?.attributes['autoweave.plugin.version']).toBe('9.9.9');
      expect(executes.map((s) => s.attributes['error.type'])).toEqual([undefined, 'timeout', 'error']);
      expect(
        sampleValue((await own.collect()).body, FAILURES, {
          plugin: 'odd',
          phase: 'execute',
          reason: 'error',
        }),
      ).toBe(1);
    } finally {
      await handle.shutdown();
      await own.shutdown();
    }
  });

  test("returns the loader's own promise, or its plain value, and has ended the span when the caller resumes", async () => {
    const pending = Promise.resolve('from the loader');
    const syncLoader = {
      load: (name: string) => ({ manifest: { name, version: '1.2.3' } }),
      execute: (name: string): unknown => (name === 'async' ? pending : `plain ${name}`),
    };
    // load and execute answer synchronously here, outside the typed contract (a JavaScript loader)
    const handle = instrumentPluginLoader(syncLoader as unknown as PluginLoaderLike, {
      tracerProvider: recorder.provider,
    });
    try {
      // the same promise object: no extra hop, and a rejection stays the caller's to handle
      expect(syncLoader.execute('async')).toBe(pending);
      expect(await pending).toBe('from the loader');
      expect(spans('plugin.execute').map((s) => s.attributes['autoweave.plugin.outcome'])).toEqual([
        'success',
      ]);
      // a loader that answers synchronously still does: the wrapper does not turn it into a promise
      expect(syncLoader.execute('now')).toBe('plain now');
      expect(syncLoader.load('now')).toEqual({ manifest: { name: 'now', version: '1.2.3' } });
      expect(spans().map((s) => s.name)).toEqual(['plugin.execute', 'plugin.execute', 'plugin.load']);
    } finally {
      await handle.shutdown();
    }
  });

  test('telemetry that throws never reaches the loader or its caller; it is counted and told once', async () => {
    const broken: TracerProvider = {
      getTracer: () =>
        ({
          startSpan: () => {
            throw new Error('tracer exploded');
          },
        }) as unknown as Tracer,
    };
    const logger = recordingLogger();
    const own = createMetrics({ defaultMetrics: false });
    const plain = createPluginLoader({ directory: FIXTURES });
    const handle = instrumentPluginLoader(plain, { tracerProvider: broken, metrics: own, logger });
    try {
      await plain.load('echo');
      await expect(plain.execute('echo', 'still works')).resolves.toMatchObject({ input: 'still works' });
      expect(handle.stats().internalErrors).toBe(2);
      expect(logger.records).toEqual([
        {
          level: 'warn',
          message:
            'plugin instrumentation failed; the loader is unaffected, further failures are only counted',
          meta: { error: 'tracer exploded' },
        },
      ]);
      expect(sampleValue((await own.collect()).body, PLUGIN_METRICS.telemetryErrors)).toBe(2);
    } finally {
      await handle.shutdown();
      await plain.close();
      await own.shutdown();
    }
  });

  test('checks its arguments and names what to change', () => {
    expect(() => instrumentPluginLoader({} as never)).toThrow(
      'instrumentPluginLoader: loader must be an object with load(name) and execute(name, input, options) methods',
    );
    const plain = createPluginLoader({ directory: FIXTURES });
    expect(() => instrumentPluginLoader(plain, { maxPluginLabels: 0 })).toThrow(
      'options.maxPluginLabels must be a whole number ≥ 1',
    );
    expect(() => instrumentPluginLoader(plain, { operationName: 'Plugin Run' })).toThrow(
      'options.operationName must be',
    );
    expect(() => instrumentPluginLoader(plain, { tracerProvider: {} as never })).toThrow(
      'options.tracerProvider must be',
    );
  });

  test('the tracer version is the package version', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});
