import { DEFAULT_SLOS, AVAILABILITY_SLO } from '@autoweave/sli-slo';
import { ObservabilityConfigError, initializeObservability } from './index';
import type { ConfigProblem, ObservabilityConfig } from './index';

/** The problems initializeObservability reports for `config`; fails the test when it does not throw. */
function problems(config: unknown): ConfigProblem[] {
  try {
    initializeObservability(config as ObservabilityConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    return [...(error as ObservabilityConfigError).problems];
  }
  throw new Error('expected an ObservabilityConfigError');
}

const resolve = (config: ObservabilityConfig) => initializeObservability(config).config;

describe('config validation', () => {
  test.each([
    ['serviceName', 42, /non-empty string/],
    ['serviceName', '  ', /non-empty string/],
    ['serviceVersion', 1, /non-empty string/],
    ['environment', false, /non-empty string/],
    ['otlpEndpoint', 'not a url', /URL such as http:\/\/127\.0\.0\.1:4317/],
    ['otlpEndpoint', 'ftp://127.0.0.1:4317', /http: or https:/],
    ['lokiEndpoint', 3100, /URL such as http:\/\/127\.0\.0\.1:3100/],
    ['samplingRate', 1.5, /from 0 to 1/],
    ['samplingRate', -0.1, /from 0 to 1/],
    ['samplingRate', '0.5', /from 0 to 1/],
    ['samplingRate', Number.NaN, /from 0 to 1/],
    ['enableTracing', 'yes', /true or false/],
    ['enableMetrics', 1, /true or false/],
    ['enableLogging', null, /true or false/],
    ['enableHealthMonitoring', 'false', /true or false/],
    ['enableSlo', 0, /true or false/],
    ['enableProductionOptimizations', 'true', /true or false/],
    ['maxTraceExportBatchSize', 0, /integer >= 1/],
    ['maxTraceExportBatchSize', 10.5, /integer >= 1/],
    ['metricsExportInterval', 50, /integer >= 100 ms/],
    ['tenants', 'acme', /array of tenant ids/],
    ['slos', {}, /array of SLO definitions/],
    ['recentTraces', 'yes', /true, false or/],
    ['logLevel', 'loud', /one of error, warn, info/],
    ['logStream', {}, /writable stream or false/],
    ['healthWindowMs', -1, /integer >= 1 ms/],
    ['eventLoopDelayThresholdMs', 'x', /integer >= 1 ms/],
    ['env', 'PATH', /object of environment variables/],
  ])('%s = %p is rejected with a message naming the field', (field, value, message) => {
    const found = problems({ serviceName: 'svc', env: {}, [field]: value });
    expect(found).toEqual([{ field, message: expect.stringMatching(message) as string }]);
  });

  test('every bad field is listed at once, and the message names each of them', () => {
    let error: unknown;
    try {
      initializeObservability({
        serviceName: '',
        samplingRate: 7,
        otlpEndpoint: 'nowhere',
        tenants: ['acme', 'Not Valid'],
        recentTraces: { maxTraces: 0, extra: 1 } as never,
        env: {},
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    const fields = (error as ObservabilityConfigError).problems.map((p) => p.field).sort();
    expect(fields).toEqual(
      [
        'otlpEndpoint',
        'recentTraces.extra',
        'recentTraces.maxTraces',
        'samplingRate',
        'serviceName',
        'tenants[1]',
      ].sort(),
    );
    for (const field of fields) expect((error as Error).message).toContain(`- ${field}: `);
  });

  test('an unknown key gets a "did you mean" hint when it looks like a typo', () => {
    expect(problems({ serviceName: 'svc', env: {}, samplingrate: 0.5 })).toEqual([
      { field: 'samplingrate', message: 'is not an option; did you mean samplingRate?' },
    ]);
    expect(problems({ serviceName: 'svc', env: {}, otlpEndpiont: 'http://127.0.0.1:4317' })).toEqual([
      { field: 'otlpEndpiont', message: 'is not an option; did you mean otlpEndpoint?' },
    ]);
    // The seeds' `tenantId`: the closest option is the list of registered tenants.
    expect(problems({ serviceName: 'svc', env: {}, tenantId: 'acme' })).toEqual([
      { field: 'tenantId', message: 'is not an option; did you mean tenants?' },
    ]);
    expect(problems({ serviceName: 'svc', env: {}, colour: 'blue' })).toEqual([
      { field: 'colour', message: 'is not an option' },
    ]);
  });

  test('serviceName is required unless OTEL_SERVICE_NAME gives it', () => {
    expect(problems({ env: {} })).toEqual([
      { field: 'serviceName', message: 'is required (or set OTEL_SERVICE_NAME)' },
    ]);
    expect(resolve({ env: { OTEL_SERVICE_NAME: 'from-env' } }).serviceName).toBe('from-env');
  });

  test('recentTraces.*, tenants[i], slos[i] and env.* name the nested field', () => {
    expect(
      problems({
        serviceName: 'svc',
        env: { OK: 'x', BAD: 3 as never },
        recentTraces: { maxSpansPerTrace: 1.5 },
        slos: [AVAILABILITY_SLO, { id: 'x' }, AVAILABILITY_SLO],
      })
        .map((p) => p.field)
        .sort(),
    ).toEqual(['env.BAD', 'recentTraces.maxSpansPerTrace', 'slos[1]', 'slos[2]']);
  });

  test('a non-object config is reported as such', () => {
    expect(problems(undefined)).toEqual([{ field: 'config', message: 'must be an object, got undefined' }]);
  });
});

describe('defaults and environment variables', () => {
  test('defaults without any environment', () => {
    expect(resolve({ serviceName: 'svc', env: {} })).toEqual({
      serviceName: 'svc',
      serviceVersion: undefined,
      environment: 'development',
      otlpEndpoint: undefined,
      lokiEndpoint: undefined,
      samplingRate: 1,
      enableTracing: true,
      enableMetrics: true,
      enableLogging: true,
      enableHealthMonitoring: true,
      enableSlo: true,
      maxTraceExportBatchSize: undefined,
      metricsExportInterval: 10_000,
      enableProductionOptimizations: false,
      tenants: undefined,
      lokiDefaultOrgId: undefined,
      slos: DEFAULT_SLOS,
      recentTraces: true,
      logLevel: 'debug',
      logStream: undefined,
      healthWindowMs: 60_000,
      eventLoopDelayThresholdMs: 500,
      resourceAttributes: {},
    });
  });

  const env = {
    OTEL_SERVICE_NAME: 'env-svc',
    OTEL_RESOURCE_ATTRIBUTES:
      'service.version=2.0.0,deployment.environment.name=staging,team=pay%20ments,service.name=ignored',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
    OTEL_METRIC_EXPORT_INTERVAL: '2000',
    LOKI_URL: 'http://127.0.0.1:3100',
  };

  test('OTEL_* and LOKI_URL fill what the config leaves out', () => {
    const c = resolve({ env });
    expect(c).toMatchObject({
      serviceName: 'env-svc',
      serviceVersion: '2.0.0',
      environment: 'staging',
      otlpEndpoint: 'http://127.0.0.1:4317',
      lokiEndpoint: 'http://127.0.0.1:3100',
      samplingRate: 0.25,
      maxTraceExportBatchSize: 64,
      metricsExportInterval: 2000,
      resourceAttributes: { team: 'pay ments' },
    });
  });

  test('the config wins over the environment', () => {
    const given = {
      serviceName: 'code',
      serviceVersion: '3.0.0',
      environment: 'qa',
      otlpEndpoint: 'http://127.0.0.1:14317',
      lokiEndpoint: 'http://127.0.0.1:13100',
      samplingRate: 0.5,
      maxTraceExportBatchSize: 8,
      metricsExportInterval: 500,
    };
    expect(resolve({ env, ...given })).toMatchObject(given);
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(
      resolve({
        serviceName: 'svc',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:2',
        },
      }).otlpEndpoint,
    ).toBe('http://127.0.0.1:2');
  });

  test.each([
    ['always_on', undefined, 1],
    ['always_off', '0.5', 0],
    ['parentbased_always_on', undefined, 1],
    ['parentbased_always_off', undefined, 0],
    ['traceidratio', '0.3', 0.3],
    ['traceidratio', undefined, 1],
    [undefined, '0.4', 0.4],
  ])('OTEL_TRACES_SAMPLER=%s with ARG %s samples %d', (sampler, arg, rate) => {
    const c = resolve({
      serviceName: 'svc',
      env: { OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: arg },
    });
    expect(c.samplingRate).toBe(rate);
  });

  test('bad environment values are reported under the variable name', () => {
    expect(
      problems({
        serviceName: 'svc',
        env: {
          OTEL_TRACES_SAMPLER: 'jaeger_remote',
          OTEL_TRACES_SAMPLER_ARG: 'half',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
          LOKI_URL: 'loki',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '-3',
          OTEL_METRIC_EXPORT_INTERVAL: 'soon',
          OTEL_SDK_DISABLED: 'yes',
          OTEL_RESOURCE_ATTRIBUTES: 'novalue',
        },
      })
        .map((p) => p.field)
        .sort(),
    ).toEqual(
      [
        'LOKI_URL',
        'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_METRIC_EXPORT_INTERVAL',
        'OTEL_RESOURCE_ATTRIBUTES',
        'OTEL_SDK_DISABLED',
        'OTEL_TRACES_SAMPLER',
        'OTEL_TRACES_SAMPLER_ARG',
      ].sort(),
    );
  });

  test('an environment variable the config overrides is not checked', () => {
    expect(
      resolve({ serviceName: 'svc', samplingRate: 0.2, env: { OTEL_TRACES_SAMPLER_ARG: 'half' } })
        .samplingRate,
    ).toBe(0.2);
  });

  test('OTEL_SDK_DISABLED=true turns every signal off unless the config turns one on', () => {
    const off = resolve({ serviceName: 'svc', env: { OTEL_SDK_DISABLED: 'true' } });
    expect(off).toMatchObject({
      enableTracing: false,
      enableMetrics: false,
      enableLogging: false,
      enableHealthMonitoring: false,
      enableSlo: false,
    });
    const some = resolve({ serviceName: 'svc', enableMetrics: true, env: { OTEL_SDK_DISABLED: 'TRUE' } });
    expect(some).toMatchObject({ enableTracing: false, enableMetrics: true, enableSlo: true });
  });

  test('production optimizations: default from environment; lower sampling and log level defaults', () => {
    const prod = resolve({ serviceName: 'svc', environment: 'production', env: {} });
    expect(prod).toMatchObject({ enableProductionOptimizations: true, samplingRate: 0.1, logLevel: 'info' });
    const fromNodeEnv = resolve({ serviceName: 'svc', env: { NODE_ENV: 'production' } });
    expect(fromNodeEnv.enableProductionOptimizations).toBe(true);
    const explicit = resolve({
      serviceName: 'svc',
      environment: 'production',
      enableProductionOptimizations: false,
      env: {},
    });
    expect(explicit).toMatchObject({ samplingRate: 1, logLevel: 'debug' });
    const sampled = resolve({
      serviceName: 'svc',
      enableProductionOptimizations: true,
      env: { OTEL_TRACES_SAMPLER_ARG: '0.5' },
    });
    expect(sampled.samplingRate).toBe(0.5);
  });

  test('enableSlo follows enableMetrics unless set', () => {
    expect(resolve({ serviceName: 'svc', enableMetrics: false, env: {} }).enableSlo).toBe(false);
    expect(resolve({ serviceName: 'svc', enableMetrics: false, enableSlo: true, env: {} }).enableSlo).toBe(
      true,
    );
  });
});
