// W3C trace context (traceparent/tracestate) and W3C baggage on @opentelemetry/api alone, so jobs
// carry their trace and tenant through Redis even when the application never registered a global
// propagator (and without a runtime dependency on @opentelemetry/core).
import {
  ROOT_CONTEXT,
  baggageEntryMetadataFromString,
  createTraceState,
  INVALID_SPANID,
  INVALID_TRACEID,
  propagation,
  trace,
  type Baggage,
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
// Lowercase hex digits (W3C trace context allows no uppercase), as a char-code table.
const HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX[c.charCodeAt(0)] = 1;
const DASH = 45;

/** `00-<32 hex>-<16 hex>-<2 hex>`, checked by character: the hot path of every job, no regex or match array. */
function isTraceParent00(header: string): boolean {
  if (header.length !== 55 || header.charCodeAt(0) !== 48 || header.charCodeAt(1) !== 48) return false;
  if (header.charCodeAt(2) !== DASH || header.charCodeAt(35) !== DASH || header.charCodeAt(52) !== DASH)
    return false;
  for (let i = 3; i < 55; i++) {
    if (i === 35 || i === 52) continue;
    if (HEX[header.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const NOT_PLAIN_JSON_TEXT = /["\\\u0000-\u001f]/;
const METADATA_PREFIX = '{"traceparent":"';
const METADATA_BAGGAGE = '","baggage":"';
const TRACEPARENT_END = METADATA_PREFIX.length + 55;

/**
 * The traceparent and baggage of metadata exactly as toJson writes it for a span and plain baggage
 * (`{"traceparent":"…"}` or `{"traceparent":"…","baggage":"…"}` with no escapes), else undefined.
 */
function usualMetadata(metadata: string): [string, string | undefined] | undefined {
  if (!metadata.startsWith(METADATA_PREFIX)) return undefined;
  const parent = metadata.slice(METADATA_PREFIX.length, TRACEPARENT_END);
  if (metadata.length === TRACEPARENT_END + 2 && metadata.endsWith('"}')) return [parent, undefined];
  if (!metadata.startsWith(METADATA_BAGGAGE, TRACEPARENT_END) || !metadata.endsWith('"}')) return undefined;
  const baggage = metadata.slice(TRACEPARENT_END + METADATA_BAGGAGE.length, -2);
  // a quote, backslash or control character would need JSON's own reading: leave it to JSON.parse
  return NOT_PLAIN_JSON_TEXT.test(baggage) ? undefined : [parent, baggage];
}
const ZERO_TRACE = /^0{32}$/;
const ZERO_SPAN = /^0{16}$/;

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

// Baggage objects are immutable and a request's jobs share one (the tenant's), so each is encoded
// once; the decoded side shares one Baggage per distinct header the same way. Both are on the path
// of every job, sampled or not.
const encoded = new WeakMap<Baggage, string | undefined>();
const decoded = new Map<string, Baggage | undefined>();
/** Distinct baggage headers remembered; the cache starts over when full (headers are few in practice). */
const MAX_DECODED = 256;

function encodeBaggage(ctx: Context): string | undefined {
  const baggage = propagation.getBaggage(ctx);
  if (baggage === undefined) return undefined;
  if (encoded.has(baggage)) return encoded.get(baggage);
  const header = serializeBaggage(baggage);
  encoded.set(baggage, header);
  return header;
}

function decodeBaggageCached(header: string): Baggage | undefined {
  let baggage = decoded.get(header);
  if (baggage !== undefined || decoded.has(header)) return baggage;
  const entries = decodeBaggage(header);
  baggage = entries === undefined ? undefined : propagation.createBaggage(entries);
  if (decoded.size >= MAX_DECODED) decoded.clear();
  decoded.set(header, baggage);
  return baggage;
}

// The root context holding each cached Baggage: contexts are immutable too, and a job's context
// starts from the root, so jobs of one tenant share it and add only their span context.
const rootContexts = new WeakMap<Baggage, Context>();
function rootWithBaggage(baggage: Baggage): Context {
  let ctx = rootContexts.get(baggage);
  if (ctx === undefined) {
    ctx = propagation.setBaggage(ROOT_CONTEXT, baggage);
    rootContexts.set(baggage, ctx);
  }
  return ctx;
}

function serializeBaggage(baggage: Baggage): string | undefined {
  const all = baggage.getAllEntries();
  // The usual baggage is the tenant alone: one pair, no list to build and join.
  if (all.length === 1) {
    const [key, entry] = all[0] as [string, BaggageEntry];
    if (entry.metadata === undefined) {
      const pair = `${encode(key)}=${encode(entry.value)}`;
      return pair.length > MAX_BAGGAGE_PAIR_BYTES ? undefined : pair;
    }
  }
  const pairs: string[] = [];
  let total = 0;
  for (const [key, entry] of all) {
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
  // What our inject writes (and most senders): version 00, exactly 55 characters, no match groups to allocate.
  if (isTraceParent00(header)) {
    const traceId = header.slice(3, 35);
    const spanId = header.slice(36, 52);
    if (traceId === INVALID_TRACEID || spanId === INVALID_SPANID) return undefined;
    return { traceId, spanId, flags: parseInt(header.slice(53, 55), 16) };
  }
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

  /**
   * The job metadata string for `ctx`: the JSON object `inject` would fill, written directly (same
   * keys, same order), since every job added inside a span pays for it.
   */
  toJson(ctx: Context): string {
    let json = '{';
    const spanContext = trace.getSpanContext(ctx);
    if (
      spanContext !== undefined &&
      spanContext.traceId !== INVALID_TRACEID &&
      spanContext.spanId !== INVALID_SPANID
    ) {
      // ids and flags are hex by construction of the span context: no escaping needed
      const flags = spanContext.traceFlags & 0xff;
      json += `"traceparent":"00-${spanContext.traceId}-${spanContext.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}"`;
      const state = spanContext.traceState?.serialize();
      if (state !== undefined && state !== '') json += `,"tracestate":${JSON.stringify(state)}`;
    }
    const baggage = encodeBaggage(ctx);
    if (baggage !== undefined) json += `${json.length > 1 ? ',' : ''}"baggage":${JSON.stringify(baggage)}`;
    return `${json}}`;
  }

  /**
   * The context in job metadata laid out exactly as `toJson` writes it for a span and plain baggage,
   * read without JSON.parse; undefined for any other text (which the caller parses the general way).
   */
  fromUsualJson(metadata: string): Context | undefined {
    const usual = usualMetadata(metadata);
    return usual === undefined ? undefined : this.extractHeaders(ROOT_CONTEXT, usual[0], undefined, usual[1]);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.extractHeaders(
      ctx,
      first(getter.get(carrier, TRACEPARENT)),
      first(getter.get(carrier, TRACESTATE)),
      first(getter.get(carrier, BAGGAGE)),
    );
  }

  private extractHeaders(
    ctx: Context,
    parent: string | undefined,
    state: string | undefined,
    header: string | undefined,
  ): Context {
    let out = ctx;
    const baggage = header === undefined ? undefined : decodeBaggageCached(header);
    if (baggage !== undefined)
      out = ctx === ROOT_CONTEXT ? rootWithBaggage(baggage) : propagation.setBaggage(out, baggage);
    const parsed = parent === undefined ? undefined : parseTraceParent(parent);
    if (parsed !== undefined) {
      out = trace.setSpanContext(out, {
        traceId: parsed.traceId,
        spanId: parsed.spanId,
        traceFlags: parsed.flags,
        isRemote: true,
        ...(state !== undefined && state !== '' ? { traceState: createTraceState(state) } : {}),
      });
    }
    return out;
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE, BAGGAGE];
  }
}
