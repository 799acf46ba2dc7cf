import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';
import { TracingConfigError, startTracing } from './index';

describe('sampling: ParentBased(TraceIdRatio)', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const remoteSpanId = '00f067aa0ba902b7';

  test('rate 0 records no new traces', async () => {
    const tracing = startTracing({ serviceName: 'sampling', sampleRate: 0 });
    try {
      for (let i = 0; i < 100; i++) tracing.withSpan('unsampled', () => undefined);
      expect(tracing.recentTraces?.traces()).toEqual([]);
      expect(tracing.stats().exported).toBe(0);
    } finally {
      await tracing.shutdown();
    }
  });

  test('rate 1 records every trace', async () => {
    const tracing = startTracing({ serviceName: 'sampling', sampleRate: 1 });
    try {
      for (let i = 0; i < 100; i++) tracing.withSpan('sampled', () => undefined);
      expect(tracing.recentTraces?.traces()).toHaveLength(100);
      expect(tracing.stats().exported).toBe(100);
    } finally {
      await tracing.shutdown();
    }
  });

  test('a sampled remote parent is followed even at rate 0, an unsampled one even at rate 1', async () => {
    const lowRate = startTracing({ serviceName: 'sampling', sampleRate: 0 });
    try {
      const sampledParent = propagation.extract(ROOT_CONTEXT, {
        traceparent: `00-${traceId}-${remoteSpanId}-01`,
      });
      lowRate.withSpan('continues-remote-trace', () => undefined, { parent: sampledParent });
      const [trace] = lowRate.recentTraces?.traces() ?? [];
      expect(trace?.traceId).toBe(traceId);
      expect(trace?.roots[0]?.parentSpanId).toBe(remoteSpanId);
    } finally {
      await lowRate.shutdown();
    }
    const fullRate = startTracing({ serviceName: 'sampling', sampleRate: 1 });
    try {
      const unsampledParent = propagation.extract(ROOT_CONTEXT, {
        traceparent: `00-${traceId}-${remoteSpanId}-00`,
      });
      fullRate.withSpan('follows-unsampled-parent', () => undefined, { parent: unsampledParent });
      expect(fullRate.recentTraces?.traces()).toEqual([]);
    } finally {
      await fullRate.shutdown();
    }
  });

  test('OTEL_TRACES_SAMPLER_ARG sets the rate when the option is absent', async () => {
    process.env.OTEL_TRACES_SAMPLER_ARG = '0';
    let tracing;
    try {
      tracing = startTracing({ serviceName: 'sampling' });
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER_ARG;
    }
    try {
      for (let i = 0; i < 20; i++) tracing.withSpan('env-unsampled', () => undefined);
      expect(tracing.recentTraces?.traces()).toEqual([]);
    } finally {
      await tracing.shutdown();
    }
  });

  test('an invalid rate fails start with an error naming the field', () => {
    expect(() => startTracing({ sampleRate: 1.5 })).toThrow(TracingConfigError);
    expect(() => startTracing({ sampleRate: Number.NaN })).toThrow(/sampleRate must be a number from 0 to 1/);
    process.env.OTEL_TRACES_SAMPLER_ARG = 'half';
    try {
      expect(() => startTracing({})).toThrow(
        /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "half"/,
      );
      let error: unknown;
      try {
        startTracing({});
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ name: 'TracingConfigError', field: 'OTEL_TRACES_SAMPLER_ARG' });
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER_ARG;
    }
  });

  test('other invalid options fail start with the option named', () => {
    expect(() => startTracing({ endpoint: 'not a url' })).toThrow(/endpoint must be a URL/);
    expect(() => startTracing({ batch: { maxQueueSize: 0 } })).toThrow(
      /batch.maxQueueSize must be an integer >= 1/,
    );
    expect(() => startTracing({ spanLimits: { attributeValueLengthLimit: -1 } })).toThrow(
      /spanLimits.attributeValueLengthLimit/,
    );
  });
});
