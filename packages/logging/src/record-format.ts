// The winston format every record passes through before any transport: trace and tenant
// correlation, the redaction hook, and the size cap, ending in the JSON line every output writes.
import { isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import { TENANT_LABEL, currentTenant, type TelemetryBudget } from '@autoweave/tenant-isolation';
import { format } from 'winston';
import type { Counters } from './stats';
import type { LogRecord, RedactHook } from './types';

type Info = Parameters<ReturnType<typeof format.json>['transform']>[0];

/** triple-beam's symbols (winston's own keys); `Symbol.for` so we need not depend on triple-beam. */
export const MESSAGE = Symbol.for('message');
/** The tenant current when the record was logged, for Loki routing; the redaction hook cannot change it. */
export const TENANT = Symbol.for('autoweave.logging.tenant');
/** Epoch milliseconds when the record was logged, plus a per-millisecond sequence, as a Loki ns timestamp. */
export const TIMESTAMP_NS = Symbol.for('autoweave.logging.timestamp_ns');

/** Fields that survive truncation: the ones queries and correlation depend on. */
const KEPT_FIELDS = [
  'level',
  'message',
  'timestamp',
  'service',
  'environment',
  'trace_id',
  'span_id',
  'trace_flags',
  TENANT_LABEL,
  'component',
];
const TRUNCATION_MARK = '…[truncated]';

export interface RecordFormatOptions {
  readonly service: string;
  readonly environment: string;
  readonly redact: RedactHook | undefined;
  readonly tenantBudget: Pick<TelemetryBudget, 'tryTake'> | undefined;
  readonly maxRecordBytes: number;
  readonly counters: Counters;
  /** Stamp `TIMESTAMP_NS` (only the Loki transport reads it). */
  readonly stampNs: boolean;
}

/** A logform format: what winston calls `logger.format`. */
export interface RecordFormat {
  readonly options: Record<string, never>;
  transform(info: Info): Info | false;
}

const TRACE_FLAGS = Array.from({ length: 256 }, (_, flags) => flags.toString(16).padStart(2, '0'));

/**
 * One format doing, in order: errors with their stack, trace/tenant/time correlation, the
 * redaction hook, and serialisation to the JSON line (`info[MESSAGE]`) with the size cap measured
 * on that one string. It is a single transform rather than `format.combine(...)` of four, and it
 * serialises once with the native `JSON.stringify` (falling back to logform's safe serialiser for
 * circular references and bigints).
 */
export function recordFormat(options: RecordFormatOptions): RecordFormat {
  const errors = format.errors({ stack: true });
  const { service, environment, redact: hook, tenantBudget, maxRecordBytes, counters, stampNs } = options;
  let lastMs = 0;
  let lastIso = new Date(0).toISOString();
  let seq = 0;
  // Span contexts are immutable and reused by the span that owns them: validate each once.
  let lastSpanContext: SpanContext | undefined;
  let lastSpanValid = false;

  const transform = (input: Info): Info | false => {
    // The budget comes first: a refused line costs nothing more. The tenant is the authenticated
    // context's only, never a caller-supplied field.
    const tenant = currentTenant();
    if (tenant !== undefined && tenantBudget !== undefined && !admitted(tenantBudget, tenant)) {
      counters.drop('tenant_budget');
      return false;
    }
    let info = errors.transform(input, errors.options) as Info;

    const ms = Date.now();
    if (ms === lastMs) seq++;
    else {
      lastMs = ms;
      seq = 0;
      lastIso = new Date(ms).toISOString();
    }
    if (stampNs) info[TIMESTAMP_NS] = `${ms}${String(seq % 1_000_000).padStart(6, '0')}`;
    info.timestamp = lastIso;
    info.service = service;
    info.environment = environment;
    const span = trace.getActiveSpan()?.spanContext();
    if (span !== undefined) {
      if (span !== lastSpanContext) {
        lastSpanContext = span;
        lastSpanValid = isSpanContextValid(span);
      }
      if (lastSpanValid) {
        info.trace_id = span.traceId;
        info.span_id = span.spanId;
        info.trace_flags = TRACE_FLAGS[span.traceFlags & 0xff];
      }
    }
    info[TENANT] = tenant;
    if (tenant === undefined) delete info[TENANT_LABEL];
    else info[TENANT_LABEL] = tenant;

    if (hook !== undefined) {
      const redacted = applyRedaction(hook, info, counters);
      if (redacted === false) return false;
      info = redacted;
    }

    const line = serialize(info);
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no byte count at all.
    if (line.length * 3 <= maxRecordBytes) {
      info[MESSAGE] = line;
      return info;
    }
    const bytes = Buffer.byteLength(line);
    if (bytes <= maxRecordBytes) {
      info[MESSAGE] = line;
      return info;
    }
    counters.truncated++;
    return shrink(info, bytes, maxRecordBytes);
  };
  return { options: {}, transform };
}

function admitted(budget: Pick<TelemetryBudget, 'tryTake'>, tenant: string): boolean {
  try {
    return budget.tryTake(tenant, 'logs');
  } catch {
    return true;
  }
}

function applyRedaction(hook: RedactHook, info: Info, counters: Counters): Info | false {
  let result: LogRecord | false;
  try {
    result = hook(info);
  } catch {
    // Passing the record on could leak exactly what the hook was meant to remove.
    counters.drop('redact_error');
    return false;
  }
  if (result === false) {
    counters.drop('redacted');
    return false;
  }
  if (typeof result !== 'object' || result === null || typeof result.level !== 'string') {
    counters.drop('redact_error');
    return false;
  }
  if (result !== info) {
    for (const key of Object.getOwnPropertySymbols(info)) {
      if (!(key in result)) (result as unknown as Record<symbol, unknown>)[key] = info[key];
    }
  }
  return result as Info;
}

const safeJson = format.json();

/** The JSON line for a record: native JSON.stringify, or logform's safe serialiser when that throws. */
export function serialize(info: Info): string {
  try {
    return JSON.stringify(info);
  } catch {
    // Circular references ('[Circular]') and bigints (as strings), as winston's json format does.
    const out = safeJson.transform({ ...info }, safeJson.options) as Info;
    return out[MESSAGE] as string;
  }
}

/** Clips strings and big values until the record fits, keeping the correlation fields. */
function shrink(info: Info, originalBytes: number, maxBytes: number): Info {
  const build = (limit: number, keepOthers: boolean): Info => {
    const out: Info = { level: info.level, message: undefined };
    for (const key of Object.getOwnPropertySymbols(info)) out[key] = info[key];
    let omitted = 0;
    for (const [key, value] of Object.entries(info)) {
      const kept = KEPT_FIELDS.includes(key);
      if (!kept && !keepOthers) {
        omitted++;
        continue;
      }
      const fieldLimit = kept && key !== 'message' ? Math.max(limit, 256) : limit;
      if (typeof value === 'string') out[key] = clip(value, fieldLimit);
      else if (value === null || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
      else {
        const text = jsonOf(value);
        out[key] = text.length > fieldLimit ? clip(text, fieldLimit) : value;
      }
    }
    out.truncated = true;
    out.original_bytes = originalBytes;
    if (omitted > 0) out.omitted_fields = omitted;
    return out;
  };
  for (const keepOthers of [true, false]) {
    for (let limit = Math.floor(maxBytes / 2); limit >= 16; limit = Math.floor(limit / 2)) {
      const candidate = build(limit, keepOthers);
      const line = serialize(candidate);
      if (Buffer.byteLength(line) <= maxBytes) {
        candidate[MESSAGE] = line;
        return candidate;
      }
    }
  }
  const minimal: Info = { level: info.level, message: clip(String(info.message), 16), truncated: true };
  for (const key of Object.getOwnPropertySymbols(info)) minimal[key] = info[key];
  minimal.original_bytes = originalBytes;
  minimal[MESSAGE] = serialize(minimal);
  return minimal;
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : text.slice(0, limit) + TRUNCATION_MARK;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
