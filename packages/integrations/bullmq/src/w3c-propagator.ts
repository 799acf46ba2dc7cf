// W3C trace context (traceparent/tracestate) and W3C baggage on @opentelemetry/api alone, so jobs
// carry their trace and tenant through Redis even when the application never registered a global
// propagator (and without a runtime dependency on @opentelemetry/core).
import {
  baggageEntryMetadataFromString,
  createTraceState,
  INVALID_SPANID,
  INVALID_TRACEID,
  propagation,
  trace,
  type BaggageEntry,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const BAGGAGE = 'baggage';

// The limits of the W3C baggage spec, as @opentelemetry/core applies them.
const MAX_BAGGAGE_PAIRS = 180;
const MAX_BAGGAGE_PAIR_BYTES = 4096;
const MAX_BAGGAGE_BYTES = 8192;

const TRACEPARENT_RE = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;
const ZERO_TRACE = /^0{32}$/;
const ZERO_SPAN = /^0{16}$/;

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

function encodeBaggage(ctx: Context): string | undefined {
  const baggage = propagation.getBaggage(ctx);
  if (baggage === undefined) return undefined;
  const pairs: string[] = [];
  let total = 0;
  for (const [key, entry] of baggage.getAllEntries()) {
    if (pairs.length >= MAX_BAGGAGE_PAIRS) break;
    let pair = `${encode(key)}=${encode(entry.value)}`;
    if (entry.metadata !== undefined) pair += `;${entry.metadata.toString()}`;
    if (pair.length > MAX_BAGGAGE_PAIR_BYTES) continue;
    const added = pair.length + (pairs.length > 0 ? 1 : 0);
    if (total + added > MAX_BAGGAGE_BYTES) break;
    pairs.push(pair);
    total += added;
  }
  return pairs.length > 0 ? pairs.join(',') : undefined;
}

function decode(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.includes('%')) return trimmed; // the common case (tenant ids, plain keys) needs no decoding
  try {
    return decodeURIComponent(trimmed);
  } catch {
    return undefined;
  }
}

const encode = (text: string): string => (PLAIN.test(text) ? text : encodeURIComponent(text));
const PLAIN = /^[\w.~-]*$/;

function decodeBaggage(header: string): Record<string, BaggageEntry> | undefined {
  if (header.length > MAX_BAGGAGE_BYTES) header = header.slice(0, MAX_BAGGAGE_BYTES);
  const entries: Record<string, BaggageEntry> = {};
  let count = 0;
  for (const pair of header.split(',')) {
    if (count >= MAX_BAGGAGE_PAIRS) break;
    const semicolon = pair.indexOf(';');
    const keyValue = semicolon < 0 ? pair : pair.slice(0, semicolon);
    const eq = keyValue.indexOf('=');
    if (eq <= 0) continue;
    const key = decode(keyValue.slice(0, eq));
    const value = decode(keyValue.slice(eq + 1));
    if (key === undefined || key === '' || value === undefined) continue;
    entries[key] =
      semicolon < 0
        ? { value }
        : { value, metadata: baggageEntryMetadataFromString(pair.slice(semicolon + 1)) };
    count++;
  }
  return count > 0 ? entries : undefined;
}

/** Parses a `traceparent` header; undefined when it is not a valid W3C value. */
function parseTraceParent(header: string): { traceId: string; spanId: string; flags: number } | undefined {
  const match = TRACEPARENT_RE.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId = '', spanId = '', flags = '', rest] = match;
  // version ff is invalid; version 00 has exactly four fields
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ZERO_TRACE.test(traceId) || ZERO_SPAN.test(spanId)) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

/** W3C `traceparent`/`tracestate` plus W3C `baggage`, as one TextMapPropagator. */
export class W3CPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx);
    // SDK spans are valid by construction; only the all-zero placeholder is skipped, without the regexes
    if (
      spanContext !== undefined &&
      spanContext.traceId !== INVALID_TRACEID &&
      spanContext.spanId !== INVALID_SPANID
    ) {
      const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
      setter.set(carrier, TRACEPARENT, `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
      const state = spanContext.traceState?.serialize();
      if (state !== undefined && state !== '') setter.set(carrier, TRACESTATE, state);
    }
    const baggage = encodeBaggage(ctx);
    if (baggage !== undefined) setter.set(carrier, BAGGAGE, baggage);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    let out = ctx;
    const parent = first(getter.get(carrier, TRACEPARENT));
    const parsed = parent === undefined ? undefined : parseTraceParent(parent);
    if (parsed !== undefined) {
      const state = first(getter.get(carrier, TRACESTATE));
      out = trace.setSpanContext(out, {
        traceId: parsed.traceId,
        spanId: parsed.spanId,
        traceFlags: parsed.flags,
        isRemote: true,
        ...(state !== undefined && state !== '' ? { traceState: createTraceState(state) } : {}),
      });
    }
    const header = first(getter.get(carrier, BAGGAGE));
    const entries = header === undefined ? undefined : decodeBaggage(header);
    if (entries !== undefined) out = propagation.setBaggage(out, propagation.createBaggage(entries));
    return out;
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE, BAGGAGE];
  }
}
