// The winston format every record passes through before any transport: trace and tenant
// correlation, the redaction hook, and the size cap, ending in the JSON line every output writes.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { TENANT_LABEL, currentTenant } from '@autoweave/tenant-isolation';
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
  readonly maxRecordBytes: number;
  readonly counters: Counters;
}

export function recordFormat(options: RecordFormatOptions): ReturnType<typeof format.combine> {
  const json = format.json();
  const serialize = (info: Info): string => {
    const out = json.transform(info, json.options) as Info;
    return out[MESSAGE] as string;
  };
  let lastMs = 0;
  let seq = 0;

  const correlate = format((info) => {
    const ms = Date.now();
    seq = ms === lastMs ? seq + 1 : 0;
    lastMs = ms;
    info[TIMESTAMP_NS] = `${ms}${String(seq % 1_000_000).padStart(6, '0')}`;
    info.timestamp = new Date(ms).toISOString();
    info.service = options.service;
    info.environment = options.environment;
    const span = trace.getActiveSpan()?.spanContext();
    if (span !== undefined && isSpanContextValid(span)) {
      info.trace_id = span.traceId;
      info.span_id = span.spanId;
      info.trace_flags = span.traceFlags.toString(16).padStart(2, '0');
    }
    // The tenant comes from the authenticated context only, never from caller-supplied fields.
    const tenant = currentTenant();
    info[TENANT] = tenant;
    if (tenant === undefined) delete info[TENANT_LABEL];
    else info[TENANT_LABEL] = tenant;
    return info;
  });

  const redact = format((info) => {
    const hook = options.redact;
    if (hook === undefined) return info;
    let result: LogRecord | false;
    try {
      result = hook(info);
    } catch {
      // Passing the record on could leak exactly what the hook was meant to remove.
      options.counters.drop('redact_error');
      return false;
    }
    if (result === false) {
      options.counters.drop('redacted');
      return false;
    }
    if (typeof result !== 'object' || result === null || typeof result.level !== 'string') {
      options.counters.drop('redact_error');
      return false;
    }
    if (result !== info) {
      for (const key of Object.getOwnPropertySymbols(info)) {
        if (!(key in result)) (result as unknown as Record<symbol, unknown>)[key] = info[key];
      }
    }
    return result as Info;
  });

  const finish = format((info) => {
    const line = serialize(info);
    const bytes = Buffer.byteLength(line);
    if (bytes <= options.maxRecordBytes) {
      info[MESSAGE] = line;
      return info;
    }
    options.counters.truncated++;
    const shrunk = shrink(info, bytes, options.maxRecordBytes, serialize);
    return shrunk;
  });

  return format.combine(format.errors({ stack: true }), correlate(), redact(), finish());
}

/** Clips strings and big values until the record fits, keeping the correlation fields. */
function shrink(
  info: Info,
  originalBytes: number,
  maxBytes: number,
  serialize: (info: Info) => string,
): Info {
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
        const text = safeJson(value);
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

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
