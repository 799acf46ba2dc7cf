// The audit log's line format: canonical JSON that survives hostile data, the entry schema, and the
// content and chain hashes that make edited, deleted and reordered entries detectable.

import { createHash, randomBytes } from 'node:crypto';

/** The `v` of every entry this module writes. */
export const AUDIT_FORMAT_VERSION = 1;

/** The `prev` of the first entry of a chain: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** A point in a chain: the `seq` and `hash` of one entry. Store it elsewhere to anchor the log. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** One line of an audit log file, as parsed. */
export interface AuditEntry {
  readonly v: 1;
  /** 1 for the first entry of a chain, then +1 per entry. */
  readonly seq: number;
  /** ISO 8601 time of recording. */
  readonly ts: string;
  readonly type: string;
  readonly tenant?: string;
  /** The data subject; removed by erasure. */
  readonly subject?: string;
  /** Canonical, size-bounded event details; removed by erasure. */
  readonly data?: unknown;
  /** Events dropped (queue full) since the previous entry. */
  readonly dropped?: number;
  /** 16 random bytes (hex) mixed into `content`; removed by erasure. */
  readonly salt?: string;
  /** Set by erasure: the `seq` of the `gdpr.erase` entry that removed `subject`, `data` and `salt`. */
  readonly erasedBy?: number;
  /** sha256(salt ‖ canonicalJSON({data, subject})), hex. */
  readonly content: string;
  /** The previous entry's `hash`. */
  readonly prev: string;
  /** sha256(prev ‖ canonicalJSON({content, dropped, seq, tenant, ts, type, v})), hex. */
  readonly hash: string;
}

/** Longest `type`, `tenant` and `subject` kept in an entry; longer values are cut with a marker. */
export const AUDIT_MAX_TYPE_LENGTH = 64;
export const AUDIT_MAX_TENANT_LENGTH = 256;
export const AUDIT_MAX_SUBJECT_LENGTH = 512;

interface Limits {
  readonly maxDepth: number;
  readonly maxKeys: number;
  readonly maxItems: number;
  readonly maxKeyLength: number;
  /** Characters of JSON still to spend; strings are cut and containers closed when it runs out. */
  remaining: number;
  readonly limited: boolean;
  readonly ancestors: Set<object>;
}

const OMITTED_MARKER_KEY = '[truncated]';

function spend(st: Limits, json: string): string {
  st.remaining -= json.length;
  return json;
}

function cut(value: string, keep: number): string {
  let end = Math.max(0, keep);
  // Never split a surrogate pair: a lone half would still round-trip, but reads badly.
  const code = value.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end--;
  return `${value.slice(0, end)}…[+${value.length - end} chars]`;
}

function canonString(value: string, st: Limits): string {
  const room = st.remaining - 2;
  const kept = st.limited && value.length > room ? cut(value, room - 20) : value;
  return spend(st, JSON.stringify(kept));
}

function canonValue(value: unknown, depth: number, st: Limits, callToJson: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
      return canonString(value, st);
    case 'number':
      return Number.isFinite(value) ? spend(st, String(value)) : canonString(String(value), st);
    case 'bigint':
      return canonString(value.toString(), st);
    case 'boolean':
      return spend(st, value ? 'true' : 'false');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      if (value === null) return spend(st, 'null');
      return canonObject(value as object, depth, st, callToJson);
  }
}

function canonObject(value: object, depth: number, st: Limits, callToJson: boolean): string | undefined {
  try {
    if (callToJson) {
      const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        return canonValue((toJSON as (this: object) => unknown).call(value), depth, st, false);
      }
    }
    if (depth >= st.maxDepth) return canonString('[Truncated]', st);
    if (st.ancestors.has(value)) return canonString('[Circular]', st);
    st.ancestors.add(value);
    try {
      if (Array.isArray(value)) return canonArray(value.length, (i) => value[i] as unknown, depth, st);
      if (value instanceof Map) {
        const pairs = [...limitIterable(value.entries(), st.maxItems + 1)];
        const extra = Math.max(0, value.size - pairs.length);
        return canonArray(pairs.length + extra, (i) => pairs[i], depth, st);
      }
      if (value instanceof Set) {
        const items = [...limitIterable(value.values(), st.maxItems + 1)];
        const extra = Math.max(0, value.size - items.length);
        return canonArray(items.length + extra, (i) => items[i], depth, st);
      }
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        return canonString(`[${value.constructor.name} ${value.byteLength} bytes]`, st);
      }
      if (value instanceof Error) {
        const err: Record<string, unknown> = { name: value.name, message: value.message };
        const code: unknown = (value as { code?: unknown }).code;
        if (typeof code === 'string' || typeof code === 'number') err.code = code;
        return canonRecord(err, Object.keys(err), depth, st);
      }
      return canonRecord(value as Record<string, unknown>, Object.keys(value), depth, st);
    } finally {
      st.ancestors.delete(value);
    }
  } catch {
    return canonString('[Unreadable]', st);
  }
}

function* limitIterable<T>(source: Iterator<T>, max: number): Generator<T> {
  for (let i = 0; i < max; i++) {
    const next = source.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function canonArray(length: number, at: (i: number) => unknown, depth: number, st: Limits): string {
  const parts: string[] = [];
  spend(st, '[]');
  const max = Math.min(length, st.maxItems);
  let i = 0;
  for (; i < max; i++) {
    if (st.limited && st.remaining <= 0) break;
    parts.push(canonValue(at(i), depth + 1, st, true) ?? spend(st, 'null'));
    st.remaining -= 1;
  }
  if (i < length) parts.push(canonString(`[+${length - i} items]`, st));
  return `[${parts.join(',')}]`;
}

function canonRecord(value: Record<string, unknown>, allKeys: string[], depth: number, st: Limits): string {
  spend(st, '{}');
  const candidates = allKeys.length > st.maxKeys ? allKeys.slice(0, st.maxKeys) : allKeys;
  const named: Array<[out: string, key: string]> = [];
  const seen = new Set<string>();
  for (const key of candidates) {
    const out = key.length > st.maxKeyLength ? cut(key, st.maxKeyLength - 40) : key;
    if (seen.has(out)) continue;
    seen.add(out);
    named.push([out, key]);
  }
  named.sort(byFirst);
  const members: Array<[out: string, json: string]> = [];
  let emitted = 0;
  for (const [out, key] of named) {
    if (st.limited && st.remaining <= 0) break;
    emitted++;
    const json = canonValue(value[key], depth + 1, st, true);
    if (json === undefined) continue;
    members.push([out, `${spend(st, JSON.stringify(out))}:${json}`]);
    st.remaining -= 2;
  }
  const omitted = allKeys.length - emitted;
  if (omitted > 0 && st.limited) {
    const at = members.findIndex(([out]) => out === OMITTED_MARKER_KEY);
    if (at >= 0) members.splice(at, 1);
    members.push([OMITTED_MARKER_KEY, `${JSON.stringify(OMITTED_MARKER_KEY)}:${spend(st, String(omitted))}`]);
    members.sort(byFirst);
  }
  return `{${members.map(([, json]) => json).join(',')}}`;
}

function byFirst(a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Canonical JSON (keys sorted by UTF-16 code unit at every depth) of a value that may be hostile:
 * cycles become `"[Circular]"`, BigInt a string, throwing getters/proxies `"[Unreadable]"`,
 * functions, symbols and undefined are dropped (null in arrays), Map/Set become arrays, binary
 * data a `"[Uint8Array n bytes]"` note, errors `{message, name, code?}`. Returns undefined when
 * the value itself is dropped. Never throws.
 *
 * With `maxBytes`, the UTF-8 output stays within that many bytes: nesting deeper than 10 becomes
 * `"[Truncated]"`, long strings end in `…[+n chars]`, arrays past 256 items end in a
 * `"[+n items]"` element and objects past 256 keys get a `"[truncated]": n` member. The result
 * parses back to plain JSON whose canonical form (without `maxBytes`) is the same string, which is
 * what lets a verifier recompute content hashes.
 */
export function canonicalJson(value: unknown, maxBytes?: number): string | undefined {
  if (maxBytes === undefined) {
    try {
      return canonValue(value, 0, unlimited(), true);
    } catch {
      // Only a stack overflow on absurdly deep input gets here.
      return JSON.stringify('[Unreadable]');
    }
  }
  let budget = maxBytes;
  for (let attempt = 0; attempt < 4; attempt++) {
    const st: Limits = {
      maxDepth: 10,
      maxKeys: 256,
      maxItems: 256,
      maxKeyLength: 256,
      remaining: budget,
      limited: true,
      ancestors: new Set(),
    };
    let out: string | undefined;
    try {
      out = canonValue(value, 0, st, true);
    } catch {
      out = JSON.stringify('[Unreadable]');
    }
    if (out === undefined) return undefined;
    const bytes = Buffer.byteLength(out);
    if (bytes <= maxBytes) return out;
    // Escapes and multi-byte characters cost more than the character budget assumed: shrink and retry.
    budget = Math.floor(((budget * maxBytes) / bytes) * 0.9) - 32;
  }
  return JSON.stringify('[Truncated]');
}

function unlimited(): Limits {
  return {
    maxDepth: Infinity,
    maxKeys: Infinity,
    maxItems: Infinity,
    maxKeyLength: Infinity,
    remaining: Infinity,
    limited: false,
    ancestors: new Set(),
  };
}

/** A value for `type`, `tenant` or `subject`: strings (cut to `max`), numbers and BigInts as text. */
export function auditIdentifier(value: unknown, max: number): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else return undefined;
  if (text.length === 0) return undefined;
  return text.length > max ? cut(text, max - 20) : text;
}

const sha256 = (...parts: Array<string | Buffer>): string => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
};

/** The text hashed into `content`: canonical `{data, subject}` with absent members left out. */
function contentInput(subject: string | undefined, dataJson: string | undefined): string {
  const members: string[] = [];
  if (dataJson !== undefined) members.push(`"data":${dataJson}`);
  if (subject !== undefined) members.push(`"subject":${JSON.stringify(subject)}`);
  return `{${members.join(',')}}`;
}

export function contentHash(
  saltHex: string,
  subject: string | undefined,
  dataJson: string | undefined,
): string {
  return sha256(Buffer.from(saltHex, 'hex'), contentInput(subject, dataJson));
}

interface ChainedHeader {
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly tenant?: string | undefined;
  readonly dropped?: number | undefined;
  readonly content: string;
}

export function chainHash(prev: string, header: ChainedHeader): string {
  const members = [`"content":${JSON.stringify(header.content)}`];
  if (header.dropped !== undefined) members.push(`"dropped":${header.dropped}`);
  members.push(`"seq":${header.seq}`);
  if (header.tenant !== undefined) members.push(`"tenant":${JSON.stringify(header.tenant)}`);
  members.push(`"ts":${JSON.stringify(header.ts)}`, `"type":${JSON.stringify(header.type)}`, `"v":1`);
  return sha256(prev, `{${members.join(',')}}`);
}

let saltPool = Buffer.alloc(0);
let saltOffset = 0;

/** 16 random bytes as hex, drawn from a pooled buffer so recording stays cheap. */
export function newSalt(): string {
  if (saltOffset + 16 > saltPool.length) {
    saltPool = randomBytes(4096);
    saltOffset = 0;
  }
  const salt = saltPool.toString('hex', saltOffset, saltOffset + 16);
  saltOffset += 16;
  return salt;
}

/** An event turned into the parts of an entry that do not depend on its place in the chain. */
export interface PreparedEntry {
  readonly ts: string;
  readonly type: string;
  readonly tenant: string | undefined;
  readonly subject: string | undefined;
  readonly dataJson: string | undefined;
  readonly salt: string;
  readonly content: string;
}

/** Builds the chain-independent part of an entry from anything a caller passed. Never throws. */
export function prepareEntry(event: unknown, ts: string, maxDataBytes: number): PreparedEntry {
  const field = (name: 'type' | 'tenant' | 'subject' | 'data'): unknown => {
    try {
      return (event as Record<string, unknown> | null | undefined)?.[name];
    } catch {
      return undefined;
    }
  };
  const type = auditIdentifier(field('type'), AUDIT_MAX_TYPE_LENGTH) ?? 'unknown';
  const tenant = auditIdentifier(field('tenant'), AUDIT_MAX_TENANT_LENGTH);
  const subject = auditIdentifier(field('subject'), AUDIT_MAX_SUBJECT_LENGTH);
  const data = field('data');
  const dataJson = data === undefined ? undefined : canonicalJson(data, maxDataBytes);
  const salt = newSalt();
  return { ts, type, tenant, subject, dataJson, salt, content: contentHash(salt, subject, dataJson) };
}

/** U+2028/2029 are legal in JSON but break some line-oriented tools; escape them in the line only. */
function escapeLineSeparators(line: string): string {
  return line.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Places a prepared entry at `seq` after `prev`: its one-line JSON (no newline) and its hash. */
export function chainEntry(
  entry: PreparedEntry,
  seq: number,
  prev: string,
  dropped: number | undefined,
): { line: string; hash: string } {
  const hash = chainHash(prev, {
    seq,
    ts: entry.ts,
    type: entry.type,
    tenant: entry.tenant,
    dropped,
    content: entry.content,
  });
  let line = `{"v":1,"seq":${seq},"ts":${JSON.stringify(entry.ts)},"type":${JSON.stringify(entry.type)}`;
  if (entry.tenant !== undefined) line += `,"tenant":${JSON.stringify(entry.tenant)}`;
  if (entry.subject !== undefined) line += `,"subject":${JSON.stringify(entry.subject)}`;
  if (entry.dataJson !== undefined) line += `,"data":${entry.dataJson}`;
  if (dropped !== undefined) line += `,"dropped":${dropped}`;
  line += `,"salt":"${entry.salt}","content":"${entry.content}","prev":"${prev}","hash":"${hash}"}`;
  return { line: escapeLineSeparators(line), hash };
}

const ENTRY_KEYS = new Set([
  'v',
  'seq',
  'ts',
  'type',
  'tenant',
  'subject',
  'data',
  'dropped',
  'salt',
  'erasedBy',
  'content',
  'prev',
  'hash',
]);
const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

export type ParsedLine =
  | { readonly ok: true; readonly entry: AuditEntry; readonly raw: Record<string, unknown> }
  | { readonly ok: false; readonly notJson: boolean; readonly detail: string };

/** Parses one line and checks it has the shape of an entry (not its hashes). Never throws. */
export function parseAuditLine(text: string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, notJson: true, detail: 'not valid JSON' };
  }
  const bad = (detail: string): ParsedLine => ({ ok: false, notJson: false, detail });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!ENTRY_KEYS.has(key)) return bad(`unknown field ${JSON.stringify(key)}`);
  if (o.v !== AUDIT_FORMAT_VERSION) return bad(`v must be ${AUDIT_FORMAT_VERSION}`);
  if (!isPositiveInt(o.seq)) return bad('seq must be a positive integer');
  if (typeof o.ts !== 'string') return bad('ts must be a string');
  if (typeof o.type !== 'string') return bad('type must be a string');
  for (const name of ['tenant', 'subject'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') return bad(`${name} must be a string`);
  }
  if (o.dropped !== undefined && !isPositiveInt(o.dropped)) return bad('dropped must be a positive integer');
  for (const name of ['content', 'prev', 'hash'] as const) {
    if (typeof o[name] !== 'string' || !HEX64.test(o[name]))
      return bad(`${name} must be 64 lowercase hex digits`);
  }
  if (o.erasedBy !== undefined) {
    if (!isPositiveInt(o.erasedBy) || o.erasedBy <= o.seq)
      return bad('erasedBy must be an integer above seq');
    if (o.subject !== undefined || o.data !== undefined || o.salt !== undefined) {
      return bad('an erased entry must not keep subject, data or salt');
    }
  } else if (typeof o.salt !== 'string' || !HEX32.test(o.salt)) {
    return bad('salt must be 32 lowercase hex digits');
  }
  return { ok: true, entry: o as unknown as AuditEntry, raw: o };
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Recomputes an entry's hashes: which one disagrees with what the line says, if any. */
export function checkAuditEntry(entry: AuditEntry): 'content_mismatch' | 'hash_mismatch' | undefined {
  if (entry.erasedBy === undefined && entry.salt !== undefined) {
    const dataJson = entry.data === undefined ? undefined : canonicalJson(entry.data);
    if (contentHash(entry.salt, entry.subject, dataJson) !== entry.content) return 'content_mismatch';
  }
  return chainHash(entry.prev, entry) === entry.hash ? undefined : 'hash_mismatch';
}

/**
 * The line for `raw` with its personal data removed: `subject`, `data` and `salt` dropped and
 * `erasedBy` set, every other member kept in place, so `content`, `prev` and `hash` still chain.
 */
export function erasedLine(raw: Record<string, unknown>, erasedBy: number): string {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let placed = false;
  for (const key of Object.keys(raw)) {
    if (key === 'subject' || key === 'data' || key === 'salt' || key === 'erasedBy') continue;
    if (key === 'content' && !placed) {
      out.erasedBy = erasedBy;
      placed = true;
    }
    out[key] = raw[key];
  }
  if (!placed) out.erasedBy = erasedBy;
  return escapeLineSeparators(JSON.stringify(out));
}
