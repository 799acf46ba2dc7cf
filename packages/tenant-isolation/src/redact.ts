// Masks personal data and secrets in log records and span attributes before they leave the process,
// and encrypts the attributes a tenant marks sensitive under that tenant's own key.
import { isPlausibleCardNumber } from './luhn';
import { DEFAULT_DENY_ATTRIBUTES, matches, NAME_CACHE_LIMIT, nameSet } from './redact-names';
import { createPolicyLookup, NO_POLICY, type CompiledPolicy } from './redact-policy';
import { createTextMasker } from './redact-text';
import { REDACTION_MASKS, type RedactionCounts, type Redactor, type RedactorOptions } from './redact-types';
import { isEncryptedValue } from './tenant-cipher';

export { DEFAULT_DENY_ATTRIBUTES } from './redact-names';
export { REDACTION_MASKS } from './redact-types';
export type { RedactableLogRecord, RedactionKind, Redactor, RedactorOptions } from './redact-types';

/** Fields of a log record that the logging package always sets itself; the redactor leaves them alone. */
const LOG_FIELDS_KEPT = new Set(['level', 'timestamp', 'service', 'environment', 'tenant_id']);
/**
 * Correlation fields the logging package sets only inside a valid span: kept when they are the hex
 * ids it writes, redacted like any field when a caller put something else there.
 */
const LOG_FIELDS_HEX = new Set(['trace_id', 'span_id', 'trace_flags']);
const HEX_ID = /^[0-9a-f]{2,32}$/;

interface Walk {
  readonly tenantId: string | undefined;
  readonly policy: CompiledPolicy;
  /** Values still allowed in this record. */
  budget: number;
  /** String characters still allowed in this record, so one call's output stays bounded. */
  chars: number;
  /** The objects enclosing the current value, to spot cycles. */
  readonly ancestors: object[];
  /** Copy within the limits without redacting: the plaintext of a value about to be encrypted. */
  readonly raw: boolean;
}

/** Creates a redactor. See `RedactorOptions` for the limits; nothing it returns ever throws. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const maxDepth = positiveInteger('maxDepth', options.maxDepth, 8);
  const maxStringLength = positiveInteger('maxStringLength', options.maxStringLength, 65_536);
  const maxValues = positiveInteger('maxValues', options.maxValues, 10_000);
  if (options.policyFor !== undefined && typeof options.policyFor !== 'function') {
    throw new TypeError(
      'createRedactor policyFor must be a function (tenantId) => RedactionPolicy | undefined',
    );
  }
  const { policyFor, cipher } = options;
  const globalDeny = nameSet(
    [
      ...(options.defaultDenyAttributes === false ? [] : DEFAULT_DENY_ATTRIBUTES),
      ...(options.denyAttributes ?? []),
    ],
    'denyAttributes',
  );
  /** Keys as written out, once checked for findings (keys get the always-on string rules). */
  const keyCache = new Map<string, string>();
  const counts: RedactionCounts = {
    email: 0,
    bearer: 0,
    api_key: 0,
    jwt: 0,
    card: 0,
    ip: 0,
    secret: 0,
    denied: 0,
    encrypted: 0,
    sensitive: 0,
    truncated: 0,
    circular: 0,
    depth: 0,
    binary: 0,
    unreadable: 0,
    limit: 0,
    failed: 0,
  };
  const policyOf = createPolicyLookup(policyFor);
  const text = createTextMasker(maxStringLength, counts);

  // ---- names ---------------------------------------------------------------------------------

  const outputKey = (key: string): string => {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const result = text(key, false);
    if (keyCache.size >= NAME_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, result);
    return result;
  };

  // ---- values --------------------------------------------------------------------------------

  const sensitiveValue = (value: unknown, w: Walk): unknown => {
    if (value === undefined || value === null || isEncryptedValue(value)) return value;
    const tenantId = w.tenantId;
    if (cipher !== undefined && tenantId !== undefined) {
      try {
        if (cipher.canEncrypt(tenantId)) {
          // Non-strings are encrypted as JSON of a bounded copy (no cycles, limits applied).
          const snapshot: Walk = {
            tenantId,
            policy: NO_POLICY,
            budget: maxValues,
            chars: maxStringLength,
            ancestors: [],
            raw: true,
          };
          let plain = typeof value === 'string' ? value : jsonOf(walk(value, 0, snapshot));
          if (plain !== undefined) {
            if (plain.length > maxStringLength) plain = plain.slice(0, maxStringLength);
            const sealed = cipher.encrypt(tenantId, plain);
            counts.encrypted++;
            return sealed;
          }
        }
      } catch {
        // A failing cipher must not let the value through: fall back to the mask.
      }
    }
    counts.sensitive++;
    return REDACTION_MASKS.sensitive;
  };

  /** The value for an entry named `key`: masked, encrypted, or scanned. */
  const entry = (key: string, value: unknown, depth: number, w: Walk): unknown => {
    if (w.raw) return walk(value, depth, w);
    const p = w.policy;
    if (p.failClosed) {
      if (value === null || value === undefined || typeof value === 'boolean') return value;
      counts.failed++;
      return REDACTION_MASKS.denied;
    }
    if (matches(globalDeny, key) || (p.deny !== undefined && matches(p.deny, key))) {
      if (value === null || value === undefined || value === '') return value;
      counts.denied++;
      return REDACTION_MASKS.denied;
    }
    if (p.sensitive !== undefined && matches(p.sensitive, key)) return sensitiveValue(value, w);
    return walk(value, depth, w);
  };

  const walk = (value: unknown, depth: number, w: Walk): unknown => {
    switch (typeof value) {
      case 'string':
        if (w.chars <= 0) {
          counts.limit++;
          return REDACTION_MASKS.limit;
        }
        w.chars -= value.length;
        if (w.raw) return value.length > maxStringLength ? value.slice(0, maxStringLength) : value;
        return text(value, w.policy.maskIps);
      case 'number':
        if (w.raw) return value;
        if (value >= 1e12 && Number.isSafeInteger(value) && isPlausibleCardNumber(String(value))) {
          counts.card++;
          return REDACTION_MASKS.card;
        }
        return value;
      case 'bigint':
        if (w.raw) return value;
        if (value >= 1_000_000_000_000n && isPlausibleCardNumber(value.toString())) {
          counts.card++;
          return REDACTION_MASKS.card;
        }
        return value;
      case 'object':
        if (value === null) return null;
        return object(value, depth, w);
      case 'function':
      case 'symbol':
        // JSON drops them anyway, except a function named toJSON, which it would call.
        return undefined;
      default:
        return value;
    }
  };

  const object = (value: object, depth: number, w: Walk): unknown => {
    if (depth >= maxDepth) {
      counts.depth++;
      return REDACTION_MASKS.depth;
    }
    if (w.ancestors.includes(value)) {
      counts.circular++;
      return REDACTION_MASKS.circular;
    }
    w.ancestors.push(value);
    try {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        counts.binary++;
        return `[binary ${value.byteLength} bytes]`;
      }
      if (value instanceof Date) return value;
      if (Array.isArray(value)) return array(value, depth, w);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        // What JSON.stringify would write is what must be redacted.
        const replaced: unknown = toJSON.call(value, '');
        if (replaced !== value) return walk(replaced, depth + 1, w);
      }
      return record(value as Record<string, unknown>, depth, w);
    } catch {
      // Proxies whose traps throw, toJSON that throws: nothing readable to write.
      counts.unreadable++;
      return REDACTION_MASKS.unreadable;
    } finally {
      w.ancestors.pop();
    }
  };

  const array = (value: readonly unknown[], depth: number, w: Walk): unknown[] => {
    const n = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (w.budget-- <= 0) {
        counts.limit++;
        out.push(REDACTION_MASKS.limit);
        break;
      }
      let item: unknown;
      try {
        item = value[i];
      } catch {
        counts.unreadable++;
        out.push(REDACTION_MASKS.unreadable);
        continue;
      }
      out.push(walk(item, depth + 1, w));
    }
    return out;
  };

  const record = (
    value: Readonly<Record<string, unknown>>,
    depth: number,
    w: Walk,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (w.budget-- <= 0) {
        counts.limit++;
        setOwn(out, uniqueKey(out, '…'), REDACTION_MASKS.limit);
        break;
      }
      let item: unknown;
      try {
        item = value[key];
      } catch {
        counts.unreadable++;
        setOwn(out, w.raw ? key : uniqueKey(out, outputKey(key)), REDACTION_MASKS.unreadable);
        continue;
      }
      const redacted = entry(key, item, depth + 1, w);
      const name = w.raw ? key : outputKey(key);
      setOwn(out, name === key ? key : uniqueKey(out, name), redacted);
    }
    return out;
  };

  const newWalk = (tenantId: string | undefined): Walk => ({
    tenantId,
    policy: policyOf(tenantId),
    budget: maxValues,
    chars: maxStringLength * 4,
    ancestors: [],
    raw: false,
  });

  const tenantArg = (tenantId: unknown): string | undefined =>
    typeof tenantId === 'string' ? tenantId : undefined;

  return {
    redactString(value, tenantId) {
      try {
        if (typeof value !== 'string') return text(String(value), true);
        return text(value, policyOf(tenantArg(tenantId)).maskIps);
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    redactAttributes(attributes, tenantId) {
      try {
        if (typeof attributes !== 'object' || attributes === null) return {};
        const w = newWalk(tenantArg(tenantId));
        w.ancestors.push(attributes);
        return record(attributes, 0, w);
      } catch {
        counts.failed++;
        return {};
      }
    },

    redactValue(value, tenantId) {
      try {
        return walk(value, 0, newWalk(tenantArg(tenantId)));
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    logHook(logRecord) {
      try {
        const tenant = logRecord.tenant_id;
        const w = newWalk(typeof tenant === 'string' ? tenant : undefined);
        if (w.policy.failClosed) {
          counts.failed++;
          return false;
        }
        w.ancestors.push(logRecord);
        const target = logRecord as Record<string, unknown>;
        for (const key of Object.keys(target)) {
          if (LOG_FIELDS_KEPT.has(key)) continue;
          const value = target[key];
          if (LOG_FIELDS_HEX.has(key) && typeof value === 'string' && HEX_ID.test(value)) continue;
          const redacted = key === 'message' ? walk(value, 1, w) : entry(key, value, 1, w);
          const name = outputKey(key);
          if (name !== key) {
            delete target[key];
            setOwn(target, uniqueKey(target, name), redacted);
          } else if (redacted !== value) setOwn(target, key, redacted);
        }
        return logRecord;
      } catch {
        // Writing the record could leak what redaction was meant to remove.
        counts.failed++;
        return false;
      }
    },

    stats() {
      return { ...counts };
    },
  };
}

// ---- helpers -------------------------------------------------------------------------------------

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`createRedactor ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `target[key] = value` as an own data property, even for a key named `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** Two keys that redact to the same text must not overwrite each other. */
function uniqueKey(target: Record<string, unknown>, key: string): string {
  if (!Object.prototype.hasOwnProperty.call(target, key)) return key;
  for (let i = 2; ; i++) {
    const candidate = `${key}#${i}`;
    if (!Object.prototype.hasOwnProperty.call(target, candidate)) return candidate;
  }
}

/** JSON text of a non-string sensitive value, or undefined when it cannot be serialised. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return undefined;
  }
}
