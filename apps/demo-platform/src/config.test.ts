import { DemoConfigError, readConfig } from './config';

describe('readConfig', () => {
  it('defaults to a demo that needs no backend', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      redisUrl: undefined,
      usb: 'auto',
      observability: true,
      samplingRate: 1,
      otlpEndpoint: undefined,
      lokiUrl: undefined,
      queuePrefix: 'autoweave-demo',
    });
    expect(config.tenantsFile).toMatch(/apps[/\\]demo-platform[/\\]tenants\.yaml$/);
  });

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '4100',
      REDIS_URL: 'redis://127.0.0.1:6380',
      AUTOWEAVE_USB: 'SIMULATE',
      AUTOWEAVE_OBSERVABILITY: 'off',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
      LOKI_URL: 'http://127.0.0.1:3100',
    });
    expect(config).toMatchObject({
      port: 4100,
      redisUrl: 'redis://127.0.0.1:6380',
      usb: 'simulate',
      observability: false,
      samplingRate: 0.1,
      otlpEndpoint: 'http://127.0.0.1:4317',
      lokiUrl: 'http://127.0.0.1:3100',
    });
  });

  it('lists every bad variable with what it accepts', () => {
    let error: unknown;
    try {
      readConfig({
        PORT: '80000',
        AUTOWEAVE_USB: 'yes',
        OTEL_TRACES_SAMPLER_ARG: '10%',
        REDIS_URL: 'localhost:6379',
        LOKI_URL: 'ftp://x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DemoConfigError);
    expect((error as DemoConfigError).problems).toEqual([
      'PORT: must be a whole number from 0 to 65535, got "80000"',
      'REDIS_URL: must start with redis:// or rediss://, got "localhost:6379"',
      'AUTOWEAVE_USB: must be one of auto, off, simulate, got "yes"',
      'OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces kept), got "10%"',
      'LOKI_URL: must start with http:// or https://, got "ftp://x"',
    ]);
  });
});
