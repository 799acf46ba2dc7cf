import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  TraceFlags,
  baggageEntryMetadataFromString,
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  trace,
  type Context,
} from '@opentelemetry/api';
import { MAX_METADATA_LENGTH, readCarrier, tenantFromMetadata, writeCarrier } from './metadata';
import { W3CPropagator } from './w3c-propagator';

const propagator = new W3CPropagator();
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

const withSpan = (flags = TraceFlags.SAMPLED, ctx: Context = ROOT_CONTEXT): Context =>
  trace.setSpanContext(ctx, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: flags,
    traceState: createTraceState('vendor=a1,other=b2'),
  });

const inject = (ctx: Context): Record<string, string> => {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
};
const extract = (carrier: Record<string, string>): Context =>
  propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);

describe('W3C trace context', () => {
  it('writes traceparent and tracestate as the W3C spec spells them, and reads them back as a remote parent', () => {
    for (const flags of [TraceFlags.SAMPLED, TraceFlags.NONE]) {
      const carrier = inject(withSpan(flags));
      expect(carrier).toEqual({
        traceparent: `00-${TRACE_ID}-${SPAN_ID}-0${flags}`,
        tracestate: 'vendor=a1,other=b2',
      });
      const parent = trace.getSpanContext(extract(carrier));
      expect(parent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: flags, isRemote: true });
      expect(parent?.traceState?.serialize()).toBe('vendor=a1,other=b2');
    }
  });

  it('writes nothing for a context without a valid span', () => {
    expect(inject(ROOT_CONTEXT)).toEqual({});
    expect(inject(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(INVALID_SPAN_CONTEXT)))).toEqual({});
  });

  it.each([
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['extra fields on version 00', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['garbage', 'not a traceparent'],
  ])('ignores an invalid traceparent (%s)', (_, traceparent) => {
    expect(trace.getSpanContext(extract({ traceparent }))).toBeUndefined();
  });

  it('accepts a future version with more fields', () => {
    expect(
      trace.getSpanContext(extract({ traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-future` }))?.traceId,
    ).toBe(TRACE_ID);
  });
});

describe('W3C baggage', () => {
  it('round-trips entries with reserved characters and metadata', () => {
    const baggage = propagation.createBaggage({
      'tenant.id': { value: 'acme' },
      'user note': { value: 'a,b;c=d é', metadata: baggageEntryMetadataFromString('prop=1') },
    });
    const carrier = inject(propagation.setBaggage(ROOT_CONTEXT, baggage));
    expect(carrier.baggage).toBe('tenant.id=acme,user%20note=a%2Cb%3Bc%3Dd%20%C3%A9;prop=1');
    const back = propagation.getBaggage(extract(carrier));
    expect(back?.getEntry('tenant.id')?.value).toBe('acme');
    expect(back?.getEntry('user note')?.value).toBe('a,b;c=d é');
    expect(back?.getEntry('user note')?.metadata?.toString()).toBe('prop=1');
  });

  it('keeps to the W3C limits: 180 pairs, 4096 bytes a pair, 8192 bytes in all', () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, { value: 'v' }]));
    const pairs = inject(
      propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage(many)),
    ).baggage?.split(',');
    expect(pairs).toHaveLength(180);

    const big = propagation.createBaggage({
      huge: { value: 'x'.repeat(5000) },
      a: { value: 'y'.repeat(4000) },
      b: { value: 'z'.repeat(4000) },
      c: { value: 'w'.repeat(4000) },
    });
    const header = inject(propagation.setBaggage(ROOT_CONTEXT, big)).baggage ?? '';
    expect(header.length).toBeLessThanOrEqual(8192);
    expect(header).not.toContain('huge=');
    expect(header.split(',').map((p) => p.split('=')[0])).toEqual(['a', 'b']);
  });

  it('skips malformed pairs and keeps the rest', () => {
    const back = propagation.getBaggage(
      extract({ baggage: 'bad%E0%A4%A=1, =novalue, noequals, tenant.id = acme ' }),
    );
    expect(back?.getAllEntries().map(([k, e]) => [k, e.value])).toEqual([['tenant.id', 'acme']]);
  });
});

describe('job metadata', () => {
  it('is the JSON carrier bullmq-otel writes too', () => {
    const ctx = propagation.setBaggage(
      withSpan(),
      propagation.createBaggage({ 'tenant.id': { value: 'acme' } }),
    );
    const metadata = writeCarrier(propagator, ctx);
    expect(JSON.parse(metadata)).toEqual({
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
      tracestate: 'vendor=a1,other=b2',
      baggage: 'tenant.id=acme',
    });
    expect(trace.getSpanContext(readCarrier(propagator, metadata) ?? ROOT_CONTEXT)?.spanId).toBe(SPAN_ID);
    expect(tenantFromMetadata(metadata)).toBe('acme');
  });

  it('writes exactly what JSON.stringify of the injected carrier gives, and reads every layout back alike', () => {
    const baggages = [
      undefined,
      propagation.createBaggage({ 'tenant.id': { value: 'acme' } }),
      propagation.createBaggage({
        'tenant.id': { value: 'acme' },
        'user note': { value: 'a "quoted" \\ é' },
      }),
      propagation.createBaggage({ k: { value: 'v', metadata: baggageEntryMetadataFromString('p=1') } }),
    ];
    const spans = [
      ROOT_CONTEXT,
      withSpan(TraceFlags.NONE),
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        traceFlags: TraceFlags.SAMPLED,
      }),
    ];
    for (const base of spans) {
      for (const baggage of baggages) {
        const ctx = baggage === undefined ? base : propagation.setBaggage(base, baggage);
        const metadata = writeCarrier(propagator, ctx);
        expect(metadata).toBe(JSON.stringify(inject(ctx)));
        // the same JSON re-serialised with spaces takes the general path: both must agree
        const spaced = JSON.stringify(JSON.parse(metadata), null, 1);
        for (const text of [metadata, spaced]) {
          const back = readCarrier(propagator, text) ?? ROOT_CONTEXT;
          expect(trace.getSpanContext(back)).toEqual(trace.getSpanContext(extract(inject(ctx))));
          expect(propagation.getBaggage(back)?.getAllEntries()).toEqual(
            propagation.getBaggage(extract(inject(ctx)))?.getAllEntries(),
          );
        }
      }
    }
  });

  it('reads metadata with a raw control character in its baggage as JSON does: not at all', () => {
    const metadata = `{"traceparent":"00-${TRACE_ID}-${SPAN_ID}-01","baggage":"tenant.id=acme\n"}`;
    expect(() => JSON.parse(metadata) as unknown).toThrow();
    expect(readCarrier(propagator, metadata)).toBeUndefined();
  });

  it.each([
    ['an uppercase trace id', `{"traceparent":"00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01"}`],
    ['an all-zero span id', `{"traceparent":"00-${TRACE_ID}-0000000000000000-01"}`],
    ['a bad separator', `{"traceparent":"00-${TRACE_ID}_${SPAN_ID}-01"}`],
  ])('gives no parent for %s', (_, metadata) => {
    expect(trace.getSpanContext(readCarrier(propagator, metadata) ?? ROOT_CONTEXT)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"traceparent":'],
    ['an array', '[]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['too long', JSON.stringify({ baggage: 'x'.repeat(MAX_METADATA_LENGTH) })],
    ['not a string', 42],
  ])('is refused when it is %s', (_, metadata) => {
    expect(readCarrier(propagator, metadata)).toBeUndefined();
  });

  it('reads only string values', () => {
    const ctx = readCarrier(propagator, JSON.stringify({ traceparent: 7, baggage: ['tenant.id=acme'] }));
    expect(ctx).toBeDefined();
    expect(trace.getSpanContext(ctx as Context)).toBeUndefined();
    expect(propagation.getBaggage(ctx as Context)).toBeUndefined();
  });

  it('carries no tenant whose id breaks the tenant id rule', () => {
    expect(tenantFromMetadata(JSON.stringify({ baggage: 'tenant.id=Not_Valid!' }))).toBeUndefined();
    expect(tenantFromMetadata(JSON.stringify({ baggage: 'tenant.id=acme-2' }))).toBe('acme-2');
  });
});
