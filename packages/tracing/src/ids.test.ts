import { ROOT_CONTEXT, SpanKind, TraceFlags, isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { TraceIdRatioBasedSampler, type SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { PooledIdGenerator, TraceIdRatioSampler, traceIdRatioValue } from './ids';
import { startTracing } from './index';

const decide = (
  sampler: { shouldSample: TraceIdRatioSampler['shouldSample'] },
  traceId: string,
): SamplingDecision => sampler.shouldSample(ROOT_CONTEXT, traceId, 'op', SpanKind.INTERNAL, {}, []).decision;

describe('ids and TraceIdRatio sampling', () => {
  test('trace and span ids are valid lowercase W3C ids, different each time', () => {
    const ids = new PooledIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // Several pool refills' worth.
    for (let i = 0; i < 1000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(isValidTraceId(traceId)).toBe(true);
      expect(isValidSpanId(spanId)).toBe(true);
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(1000);
    expect(spanIds.size).toBe(1000);
  });

  test('all-zero random bytes still give valid ids', () => {
    const ids = new PooledIdGenerator((pool) => pool.fill(0));
    const traceId = ids.generateTraceId();
    expect(traceId).toBe(`${'0'.repeat(31)}1`);
    expect(ids.generateSpanId()).toBe(`${'0'.repeat(15)}1`);
    // The remembered ratio value is the one of the corrected id.
    expect(ids.lastTraceValue).toBe(traceIdRatioValue(traceId));
  });

  test('decides exactly like the SDK TraceIdRatioBasedSampler, for generated and foreign ids', () => {
    const ids = new PooledIdGenerator();
    const foreign = [
      '00000000000000000000000000000001',
      'ffffffffffffffffffffffffffffffff',
      '4BF92F3577B34DA6A3CE929D0E0E4736',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '0000000000000000000000000000000g',
      '00000000000000000000000000000000',
      'abc',
      '',
    ];
    for (const rate of [0, 1e-9, 0.1, 0.25, 0.5, 0.999, 1]) {
      const sdk = new TraceIdRatioBasedSampler(rate);
      const ours = new TraceIdRatioSampler(rate, ids);
      for (let i = 0; i < 500; i++) {
        const traceId = ids.generateTraceId();
        expect(decide(ours, traceId)).toBe(decide(sdk, traceId));
      }
      for (const traceId of foreign) expect(decide(ours, traceId)).toBe(decide(sdk, traceId));
      expect(ours.toString()).toBe(sdk.toString());
    }
  });

  test('the remembered value of the latest trace id equals the value parsed from it', () => {
    const ids = new PooledIdGenerator();
    for (let i = 0; i < 500; i++) {
      const traceId = ids.generateTraceId();
      expect(ids.lastTraceId).toBe(traceId);
      expect(ids.lastTraceValue).toBe(traceIdRatioValue(traceId));
    }
  });

  test('an unsampled root span is non-recording but carries a valid context with the sampled flag off', async () => {
    const tracing = startTracing({ serviceName: 'ids', sampleRate: 0, registerGlobal: false });
    try {
      const span = tracing.tracer().startSpan('unsampled', { attributes: { a: 1 } });
      const ctx = span.spanContext();
      expect(span.isRecording()).toBe(false);
      expect(isValidTraceId(ctx.traceId)).toBe(true);
      expect(isValidSpanId(ctx.spanId)).toBe(true);
      expect(ctx.traceFlags & TraceFlags.SAMPLED).toBe(0);
      span.end();
    } finally {
      await tracing.shutdown();
    }
  });

  test('at 10% roughly a tenth of root spans are sampled, and sampled spans are recorded', async () => {
    const tracing = startTracing({ serviceName: 'ids', sampleRate: 0.1, registerGlobal: false });
    try {
      let sampled = 0;
      for (let i = 0; i < 5000; i++) {
        const span = tracing.tracer().startSpan('maybe');
        const flagged = (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
        expect(span.isRecording()).toBe(flagged);
        if (flagged) sampled++;
        span.end();
      }
      expect(sampled).toBeGreaterThan(350);
      expect(sampled).toBeLessThan(650);
    } finally {
      await tracing.shutdown();
    }
  });
});
